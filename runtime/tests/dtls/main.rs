//! DTLS 1.2 PSK (feature `dtls`) against real peers, `openssl s_server` and libcoap's OpenSSL
//! servers, started on free loopback ports: one test binary, a module per subject, the peers and
//! relays in `support`. Without the feature the binary is empty.
#![cfg(feature = "dtls")]

mod support;

mod bootstrap;

mod multi_server;
mod one_loop;
mod psk;
mod reconnect;
mod resume;
mod secure_mode;

//! The sans-IO client against a scripted fake server (hand-built coap-lite packets, a simulated
//! clock), the tokio driver on loopback sockets, and the notification rules: one test binary,
//! a module per subject, the fixtures in `support`.

mod support;

mod block1_out;
mod bootstrap;
mod bootstrap_consistency;
mod bootstrap_resolve;
mod core;
mod disable;
mod dm;
mod firmware;
mod lent_read;
mod multi_server;
mod observe_rules;
mod queue;
mod send;
mod transfers;
mod transport_changed;

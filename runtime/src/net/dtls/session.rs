//! [`Session`]: one sans-I/O DTLS client session (OpenSSL over a [`Pipe`]).

use crate::prelude::*;
use std::net::SocketAddr;

use openssl::ssl::{ErrorCode, ShutdownState, Ssl, SslRef, SslStream};

use super::DtlsError;
use super::pipe::Pipe;

/// The largest plaintext of one DTLS record (2^14): one `ssl_read` returns one record.
pub const MAX_PLAINTEXT: usize = 16_384;

/// What a received datagram did to an established session.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// The session goes on (the datagram may have carried no data, or was dropped by DTLS).
    Open,
    /// The server closed the session (close_notify).
    Closed,
    /// The session failed (fatal alert, protocol error): a new handshake is needed.
    Failed(String),
}

/// One DTLS client session, driven without I/O: received datagrams go in with
/// [`push`](Self::push), datagrams to send come out of [`pop_outgoing`](Self::pop_outgoing).
#[derive(Debug)]
pub struct Session {
    stream: SslStream<Pipe>,
    peer: SocketAddr,
}

impl Session {
    /// A new client session on `ssl` (fresh from its context, possibly offering a session to
    /// resume), fragmenting handshake messages to fit `mtu`.
    pub fn new(mut ssl: Ssl, peer: SocketAddr, mtu: usize) -> Result<Session, DtlsError> {
        ssl.set_connect_state();
        // The pipe cannot be asked for a path MTU (the context sets NO_QUERY_MTU): fix it
        // (OpenSSL raises a too small value to the DTLS minimum).
        ssl.set_mtu(u32::try_from(mtu).unwrap_or(u32::MAX))?;
        let stream = SslStream::new(ssl, Pipe::default())?;
        Ok(Session { stream, peer })
    }

    /// Advances the handshake: `Ok(true)` once complete, `Ok(false)` while waiting for the
    /// server. Calling it again after OpenSSL's retransmission timer expired (1 s, doubling)
    /// retransmits the last flight: OpenSSL checks its DTLS timer when a read would block.
    pub fn handshake(&mut self) -> Result<bool, DtlsError> {
        match self.stream.do_handshake() {
            Ok(()) => Ok(true),
            Err(e) if e.code() == ErrorCode::WANT_READ => Ok(false),
            Err(e) => {
                let detail = e
                    .ssl_error()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| e.to_string());
                let pipe = self.stream.get_ref();
                Err(match pipe.last_alert {
                    Some(alert) => DtlsError::Alert {
                        peer: self.peer,
                        alert,
                        detail,
                    },
                    None => DtlsError::Handshake {
                        peer: self.peer,
                        state: self.state(),
                        detail,
                    },
                })
            }
        }
    }

    /// A hint on why the handshake did not complete, from what went on the wire.
    pub fn stall_hint(&self) -> &'static str {
        let pipe = self.stream.get_ref();
        if !pipe.heard_from_peer {
            "no answer from the server: is a DTLS server listening there?"
        } else if pipe.sent_change_cipher_spec {
            "the server never accepted our Finished message: the usual cause is a wrong \
             pre-shared key or identity (DTLS silently drops records it cannot decrypt, so no \
             alert comes back)"
        } else {
            "the server stopped answering during the handshake"
        }
    }

    /// Whether any datagram came from the server in this session.
    pub fn heard_from_peer(&self) -> bool {
        self.stream.get_ref().heard_from_peer
    }

    /// The server.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The negotiated cipher suite, such as `PSK-AES128-CCM8`.
    pub fn cipher(&self) -> &'static str {
        self.stream
            .ssl()
            .current_cipher()
            .map_or("none", |c| c.name())
    }

    /// Whether the completed handshake resumed the session offered (an abbreviated handshake).
    pub fn resumed(&self) -> bool {
        self.stream.ssl().session_reused()
    }

    /// The OpenSSL connection, to remember its session once established.
    pub fn ssl(&self) -> &SslRef {
        self.stream.ssl()
    }

    /// OpenSSL's handshake state, such as `SSLv3/TLS write finished`.
    pub fn state(&self) -> &'static str {
        self.stream.ssl().state_string_long()
    }

    /// Queues a datagram received from the server.
    pub fn push(&mut self, datagram: Vec<u8>) {
        self.stream.get_mut().push_incoming(datagram);
    }

    /// The next datagram to send to the server.
    pub fn pop_outgoing(&mut self) -> Option<Vec<u8>> {
        self.stream.get_mut().pop_outgoing()
    }

    /// Decrypts every queued datagram of an established session into `plaintexts` (one
    /// entry per record: one CoAP message).
    pub fn read_into(&mut self, plaintexts: &mut Vec<Vec<u8>>) -> Received {
        let mut buf = vec![0u8; MAX_PLAINTEXT];
        loop {
            match self.stream.ssl_read(&mut buf) {
                // OpenSSL reports a closed session as 0 bytes read on some paths.
                Ok(0) => return Received::Closed,
                Ok(len) => plaintexts.push(buf.get(..len).unwrap_or_default().to_vec()),
                Err(e) if e.code() == ErrorCode::WANT_READ => return Received::Open,
                Err(e) if e.code() == ErrorCode::ZERO_RETURN => return Received::Closed,
                Err(e) => {
                    let alert = self.stream.get_ref().last_alert;
                    return Received::Failed(match alert {
                        Some(alert) => format!("the server sent a {alert}: {e}"),
                        None => e.to_string(),
                    });
                }
            }
        }
    }

    /// Encrypts one datagram (one record) for the server.
    pub fn write(&mut self, plaintext: &[u8]) -> Result<(), String> {
        self.stream
            .ssl_write(plaintext)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Sends close_notify (queued in the pipe).
    pub fn close(&mut self) {
        // A failure to queue the alert changes nothing: the session is dropped either way.
        let _ = self.stream.shutdown();
    }
}

impl Drop for Session {
    /// Keeps the session resumable when the association is dropped without a close_notify
    /// (lost, or replaced by a new handshake): OpenSSL marks the session of a connection freed
    /// without one as not resumable, the TLS 1.0 rule that RFC 5246 §7.2.1 dropped ("failure
    /// to properly close a connection no longer requires that a session not be resumed").
    /// Nothing is sent. A session that ended in a fatal alert stays unresumable: OpenSSL
    /// invalidated it when the alert went or came.
    fn drop(&mut self) {
        self.stream.set_shutdown(ShutdownState::SENT);
    }
}

//! [`DtlsError`]: why a DTLS session could not be set up or used.

use crate::prelude::*;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use openssl::error::ErrorStack;

use super::alert::Alert;

/// Why a DTLS session could not be set up or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DtlsError {
    /// The credentials are unusable (mode not supported, identity or key malformed).
    #[error("DTLS credentials: {0}")]
    Credentials(String),
    /// OpenSSL could not be set up (cipher suites unknown to this OpenSSL build, ...).
    #[error("DTLS setup failed: {0}")]
    Setup(#[from] ErrorStack),
    /// The server refused the handshake with an alert.
    #[error("DTLS handshake with {peer} failed: the server sent a {alert}{}",
        if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
    Alert {
        /// The server.
        peer: SocketAddr,
        /// The alert received.
        alert: Alert,
        /// OpenSSL's own description, if any.
        detail: String,
    },
    /// The handshake failed without an alert from the server.
    #[error("DTLS handshake with {peer} failed in state `{state}`: {detail}")]
    Handshake {
        /// The server.
        peer: SocketAddr,
        /// OpenSSL's handshake state when it failed.
        state: &'static str,
        /// OpenSSL's description.
        detail: String,
    },
    /// The handshake did not complete in time (after OpenSSL's retransmissions).
    #[error("DTLS handshake with {peer} timed out after {after:?} in state `{state}`: {hint}")]
    Timeout {
        /// The server.
        peer: SocketAddr,
        /// The handshake timeout.
        after: Duration,
        /// OpenSSL's handshake state.
        state: &'static str,
        /// The likely cause.
        hint: &'static str,
    },
    /// The socket failed.
    #[error("DTLS socket: {0}")]
    Io(#[from] io::Error),
    /// A [`SecureTransport`](super::SecureTransport) already has a session with this
    /// server: each server address takes one session.
    #[error("a DTLS session with {0} is already configured")]
    DuplicateServer(SocketAddr),
}

impl From<DtlsError> for io::Error {
    fn from(e: DtlsError) -> io::Error {
        let kind = match &e {
            DtlsError::Io(io) => io.kind(),
            DtlsError::Timeout { .. } => io::ErrorKind::TimedOut,
            DtlsError::Alert { .. } | DtlsError::Handshake { .. } => {
                io::ErrorKind::PermissionDenied
            }
            DtlsError::Credentials(_) | DtlsError::Setup(_) | DtlsError::DuplicateServer(_) => {
                io::ErrorKind::InvalidInput
            }
        };
        io::Error::new(kind, e)
    }
}

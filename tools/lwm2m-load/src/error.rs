//! The errors of the load tool.

use std::time::Duration;

/// Anything that stops a load run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system call failed.
    #[error("{context}: {source}")]
    Io {
        /// What the tool was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `--client-cmd` names no program.
    #[error("the client command is empty")]
    EmptyCommand,
    /// `--path` is not an absolute LwM2M path such as `/3/0`.
    #[error("invalid path {0:?}: expected /OBJECT[/INSTANCE[/RESOURCE]] such as /3/0")]
    BadPath(String),
    /// The client did not send a Register in time.
    #[error("the client did not register within {waited:?}{detail}")]
    NoRegister {
        /// How long the tool waited.
        waited: Duration,
        /// The client's exit status and the end of its stderr, when known.
        detail: String,
    },
    /// The client (or echo server) exited while it was being measured.
    #[error("the peer process exited during the run{0}")]
    PeerExited(String),
    /// The echo server did not announce its port.
    #[error("the echo server did not announce its port: {0}")]
    EchoPort(String),
    /// A file under /proc could not be understood.
    #[error("cannot parse {file}: {what}")]
    Proc {
        /// The file read.
        file: String,
        /// What was wrong with it.
        what: String,
    },
    /// A CoAP message could not be encoded.
    #[error("cannot encode a CoAP message: {0}")]
    Coap(String),
}

impl Error {
    /// Wraps an I/O error with what the tool was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The result type of the load tool.
pub type Result<T> = std::result::Result<T, Error>;

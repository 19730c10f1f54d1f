//! The error type of the builder and the CLI.

use std::fmt::Write as _;
use std::path::PathBuf;

use lwm2m_model::Diagnostic;

/// Why code could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's definition files have errors. Holds every diagnostic of those files (errors and
    /// warnings), each with its position.
    #[error("{}", definitions_message(.0))]
    Definitions(Vec<Diagnostic>),
    /// An object was selected that neither the bundled registry nor the user's files define.
    #[error("object {0} is not defined (neither bundled nor in the given definition files)")]
    UnknownObject(u16),
    /// The crate path is not a Rust path.
    #[error("invalid crate path `{path}`: {message}")]
    CratePath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A derive given to [`Builder::derives`](crate::Builder::derives) is not a path.
    #[error("invalid derive `{derive}`: {message}")]
    Derive {
        /// The derive as given.
        derive: String,
        /// What is wrong with it.
        message: String,
    },
    /// [`Builder::compile`](crate::Builder::compile) has no output directory: it runs outside a
    /// build script and none was given.
    #[error("no output directory: OUT_DIR is not set (call `.out_dir(..)`, or run from build.rs)")]
    NoOutDir,
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The generated code does not parse: a bug in this crate, reported rather than panicking.
    #[error("internal error, please report it: the generated code does not parse: {0}")]
    Syntax(String),
}

impl Error {
    /// The diagnostics of a [`Error::Definitions`], empty for the other variants.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Definitions(diagnostics) => diagnostics,
            _ => &[],
        }
    }
}

fn definitions_message(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let mut message = format!(
        "{errors} error{} in the object definitions",
        if errors == 1 { "" } else { "s" }
    );
    for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
        let _ = write!(message, "\n{diagnostic}");
    }
    message
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on unexpected results.
mod tests {
    use super::*;
    use lwm2m_model::Severity;

    #[test]
    fn definitions_message_lists_the_errors() {
        let diagnostic = |severity, message: &str| Diagnostic {
            file: "a.xml".into(),
            line: 3,
            column: 7,
            severity,
            message: message.to_owned(),
        };
        let error = Error::Definitions(vec![
            diagnostic(Severity::Warning, "odd"),
            diagnostic(Severity::Error, "bad"),
        ]);
        assert_eq!(
            error.to_string(),
            "1 error in the object definitions\na.xml:3:7: error: bad"
        );
        assert_eq!(error.diagnostics().len(), 2);
        assert!(Error::UnknownObject(9).diagnostics().is_empty());
    }
}

//! Diagnostics: every problem found in a definition file, with its position.

use std::fmt;
use std::path::PathBuf;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The generator worked around the problem; the message says what it assumed.
    Warning,
    /// The definition cannot be used; generation stops.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem in one file, displayed as `FILE:LINE:COL: error: MESSAGE`.
///
/// It is also a [`std::error::Error`], so a caller can propagate it with `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {severity}: {message}", file.display())]
pub struct Diagnostic {
    /// The file (or the name given to an in-memory source).
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and, where it helps, what was expected or assumed.
    pub message: String,
}

impl Diagnostic {
    /// Whether this diagnostic stops generation.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

//! Diagnostics: every problem found in a definition file, with its position, and the `Sink`
//! that parsing and validation report them to.

use std::fmt;
use std::path::PathBuf;

use crate::text::LineIndex;

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

/// Collects the diagnostics of one file, turning byte offsets into lines and columns.
pub(crate) struct Sink<'a> {
    file: PathBuf,
    lines: &'a LineIndex<'a>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    /// A sink for the diagnostics of `file`, whose text `lines` indexes.
    pub(crate) fn new(file: PathBuf, lines: &'a LineIndex<'a>) -> Self {
        Sink {
            file,
            lines,
            diagnostics: Vec::new(),
        }
    }

    /// Records an error at a byte offset.
    pub(crate) fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.push(offset, Severity::Error, message.into());
    }

    /// Records a warning at a byte offset.
    pub(crate) fn warning(&mut self, offset: usize, message: impl Into<String>) {
        self.push(offset, Severity::Warning, message.into());
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        self.lines.line(offset)
    }

    /// Whether an error has been recorded.
    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The file and every diagnostic recorded, in order.
    pub(crate) fn into_parts(self) -> (PathBuf, Vec<Diagnostic>) {
        (self.file, self.diagnostics)
    }

    fn push(&mut self, offset: usize, severity: Severity, message: String) {
        let (line, column) = self.lines.position(offset);
        self.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            line,
            column,
            severity,
            message,
        });
    }
}

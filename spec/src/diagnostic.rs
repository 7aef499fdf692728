//! What a problem in a spec looks like: a [`Diagnostic`] at a
//! `file:line:column`, and the [`LoadError`] that carries them. Its own
//! module, so that the passes `load` runs (evidence, wording...) can make
//! diagnostics without depending on `load`.

use std::fmt;
use std::path::PathBuf;

/// One problem in one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{count} in the specs",
        count = if diagnostics.len() == 1 { "1 problem".to_string() } else { format!("{} problems", diagnostics.len()) }
    )]
    Invalid { diagnostics: Vec<Diagnostic> },
}

//! The collector the load passes share, which turns a YAML path into a
//! `file:line:column` [`Diagnostic`].

use crate::diagnostic::Diagnostic;
use crate::names::did_you_mean;
use crate::yaml::{self, Positions, Seg};
use std::path::Path;

pub(super) fn key(s: &str) -> Seg {
    Seg::Key(s.to_string())
}

pub(super) struct Ctx<'a> {
    pub(super) file: &'a Path,
    pub(super) pos: &'a Positions,
    pub(super) out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub(super) fn at(&mut self, path: &[Seg], message: String) {
        let (line, column) = self.pos.locate_value(path);
        self.out.push(Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
        });
    }
    pub(super) fn yaml(&mut self, e: yaml::YamlError) {
        let message = if e.path.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.path, e.message)
        };
        self.out.push(Diagnostic {
            file: self.file.to_path_buf(),
            line: e.line,
            column: e.column,
            message,
        });
    }
}

pub(super) fn unknown_name(kind: &str, name: &str, known: &[&str]) -> String {
    let hint = did_you_mean(name, known.iter().copied())
        .map(|s| format!(", did you mean `{s}`?"))
        .unwrap_or_else(|| format!(" (known: {})", known.join(", ")));
    format!("unknown {kind} `{name}`{hint}")
}

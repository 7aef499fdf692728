//! Files of a kernel tree that a page shows in place, with a note: a figure
//! beside the pages in Documentation/bpf (rendered as `.. kernel-figure::`)
//! and a DOC section of a kernel source file (`.. kernel-doc::`). Their
//! names become directive arguments, so lint holds them to plain relative
//! paths and one-line names ([`Figure::problems`], [`KernelDoc::problems`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A figure that the kernel tree keeps in Documentation/bpf, shown under
/// the note's text. The words around it are ours; the figure is the
/// kernel's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// The file, relative to Documentation/bpf: `map_lru_hash_update.dot`.
    pub file: String,
    /// What the figure shows, for readers who cannot see it: one line.
    pub alt: String,
    /// The caption: one line of plain prose (code words become literals).
    pub caption: String,
}

/// A `DOC:` section of a kernel source file, included under the note's
/// text as the kernel's own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KernelDoc {
    /// The source file, relative to the top of the kernel tree:
    /// `kernel/bpf/cpumap.c`.
    pub source: String,
    /// The title of its `DOC:` comment: `cpu map`.
    pub doc: String,
}

/// Why `p` cannot name a file inside a tree, if it cannot: it must be
/// relative, made of `A-Z a-z 0-9 . _ -` components separated by single
/// `/`, none of them `.` or `..`, and must not start with `-`.
pub fn path_problem(p: &str) -> Option<String> {
    let shown = p.escape_debug();
    if p.is_empty() {
        return Some("a path must not be empty".into());
    }
    if let Some(c) = p
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "._-/".contains(c)))
    {
        return Some(format!(
            "path `{shown}` holds `{}`: only A-Z, a-z, 0-9, `.`, `_`, `-` and `/` are allowed",
            c.escape_debug()
        ));
    }
    if p.starts_with('/') {
        return Some(format!(
            "path `{shown}` must be relative to the tree, not absolute"
        ));
    }
    if p.starts_with('-') {
        return Some(format!("path `{shown}` must not start with `-`"));
    }
    if p.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Some(format!(
            "path `{shown}` must be plain: no `..`, no `.`, no empty component"
        ));
    }
    None
}

/// Why `s` cannot be a one-line directive argument or option, if it
/// cannot.
fn line_problem(what: &str, s: &str) -> Option<String> {
    if s.trim().is_empty() {
        Some(format!("{what} must not be empty"))
    } else if s.contains(['\n', '\r']) {
        Some(format!("{what} must be one line"))
    } else if s.trim() != s {
        Some(format!("{what} must not start or end with a space"))
    } else {
        None
    }
}

impl Figure {
    /// Each problem with the field it is in.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.extend(path_problem(&self.file).map(|m| ("file", m)));
        out.extend(line_problem("alt", &self.alt).map(|m| ("alt", m)));
        out.extend(line_problem("caption", &self.caption).map(|m| ("caption", m)));
        out
    }
}

impl KernelDoc {
    /// Each problem with the field it is in.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.extend(path_problem(&self.source).map(|m| ("source", m)));
        out.extend(line_problem("doc", &self.doc).map(|m| ("doc", m)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        for ok in ["map_lru_hash_update.dot", "kernel/bpf/cpumap.c", "a-b_c.1"] {
            assert_eq!(path_problem(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("../x.dot", "no `..`"),
            ("kernel/../x.c", "no `..`"),
            ("./x.c", "no `.`"),
            ("a//b", "empty component"),
            ("a/", "empty component"),
            ("/etc/passwd", "not absolute"),
            ("-x.c", "start with `-`"),
            ("a b.c", "holds ` `"),
            ("a\nb.c", "holds `\\n`"),
            ("x.dot\n   :alt: y", "holds `\\n`"),
        ] {
            let m = path_problem(bad).unwrap_or_default();
            assert!(m.contains(why), "{bad:?}: {m}");
        }
    }

    #[test]
    fn names_are_one_line() {
        let k = KernelDoc {
            source: "kernel/bpf/cpumap.c".into(),
            doc: "cpu map\n   :export:".into(),
        };
        assert_eq!(k.problems(), [("doc", "doc must be one line".to_string())]);
        let f = Figure {
            file: "x.dot".into(),
            alt: "x".into(),
            caption: "a\n   :scale: 9".into(),
        };
        assert_eq!(
            f.problems(),
            [("caption", "caption must be one line".to_string())]
        );
        let f = Figure {
            file: "x.dot".into(),
            alt: " ".into(),
            caption: "ok".into(),
        };
        assert_eq!(f.problems(), [("alt", "alt must not be empty".to_string())]);
    }
}

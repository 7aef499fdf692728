//! The module graph of one crate, from its source: an edge from module A
//! to module B when A's code names something in B (`use crate::b::X`,
//! `super::X`, `b::f()` for a child `b`). A `pub use` re-export and a
//! `mod` line are a module's facade, not a dependency; a name reached
//! through a re-export is charged to the module that defines it. The crate
//! root's own uses of its modules are its wiring and do not count.

use super::source::{code, line_of, rel, rust_files};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub type Module = Vec<String>;

pub struct Crate {
    /// Module path -> (file, code with comments, literals and tests blanked).
    pub modules: BTreeMap<Module, (PathBuf, String)>,
}

/// A dependency of one module on another, with where it is written.
#[derive(Debug, Clone)]
pub struct Edge {
    pub to: Module,
    pub file: String,
    pub line: usize,
}

pub fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        format!("crate::{}", m.join("::"))
    }
}

impl Crate {
    pub fn read(src: &Path) -> Crate {
        let mut modules = BTreeMap::new();
        for f in rust_files(src) {
            let r = f.strip_prefix(src).unwrap().with_extension("");
            let mut segs: Vec<String> = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                segs.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                segs.pop();
            }
            if segs.first().is_some_and(|s| s == "bin") {
                continue;
            }
            let text = code(&std::fs::read_to_string(&f).unwrap());
            modules.insert(segs, (f, text));
        }
        Crate { modules }
    }

    fn is_module(&self, m: &[String]) -> bool {
        self.modules.contains_key(m)
    }

    /// The items `m` defines itself.
    fn defines(&self, m: &[String], name: &str) -> bool {
        let Some((_, text)) = self.modules.get(m) else {
            return false;
        };
        words(text).windows(2).any(|w| {
            w[1].1 == name
                && matches!(
                    w[0].1,
                    "fn" | "struct"
                        | "enum"
                        | "const"
                        | "static"
                        | "trait"
                        | "type"
                        | "union"
                        | "mod"
                        | "macro_rules"
                )
        })
    }

    /// The module that defines `name` as seen from `m`, following `m`'s
    /// `pub use` re-exports.
    fn definer(&self, m: &Module, name: &str, depth: usize) -> Module {
        if depth > 8 || self.defines(m, name) {
            return m.clone();
        }
        let Some((_, text)) = self.modules.get(m) else {
            return m.clone();
        };
        for (path, is_pub, _) in use_paths(text) {
            if !is_pub {
                continue;
            }
            let Some(abs) = self.absolute(m, &path) else {
                continue;
            };
            match abs.last().map(String::as_str) {
                Some("*") => {
                    let target = self.module_prefix(&abs[..abs.len() - 1]);
                    if self.defines(&target, name) || self.reexports(&target, name) {
                        return self.definer(&target, name, depth + 1);
                    }
                }
                Some(last) if last == name => {
                    let target = self.module_prefix(&abs[..abs.len() - 1]);
                    return self.definer(&target, name, depth + 1);
                }
                _ => {}
            }
        }
        m.clone()
    }

    fn reexports(&self, m: &Module, name: &str) -> bool {
        let Some((_, text)) = self.modules.get(m) else {
            return false;
        };
        use_paths(text)
            .iter()
            .any(|(p, is_pub, _)| *is_pub && p.last().is_some_and(|l| l == name || l == "*"))
    }

    /// The longest prefix of `abs` that is a module.
    fn module_prefix(&self, abs: &[String]) -> Module {
        let mut m: Module = Vec::new();
        for s in abs {
            let mut next = m.clone();
            next.push(s.clone());
            if !self.is_module(&next) {
                break;
            }
            m = next;
        }
        m
    }

    /// `path` as written in module `m`, from the crate root; None for a
    /// path into another crate.
    fn absolute(&self, m: &Module, path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => m.clone(),
            "super" => {
                let mut b = m.clone();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    b.pop();
                    rest = &rest[1..];
                }
                return Some(b.into_iter().chain(rest.iter().cloned()).collect());
            }
            child => {
                let mut c = m.clone();
                c.push(child.to_string());
                if !self.is_module(&c) {
                    return None;
                }
                return Some(m.iter().chain(path.iter()).cloned().collect());
            }
        };
        base.extend(path[1..].iter().cloned());
        Some(base)
    }

    /// The module a path written in `m` depends on.
    fn target(&self, m: &Module, path: &[String]) -> Option<Module> {
        let abs = self.absolute(m, path)?;
        let module = self.module_prefix(&abs);
        Some(match abs.get(module.len()) {
            Some(item) if item != "*" => self.definer(&module, item, 0),
            _ => module,
        })
    }

    /// [`Crate::edges`] between the crate's top-level modules: a module
    /// tree (`page/` and its children) counts as one module, and what its
    /// parts do among themselves is its own business.
    pub fn top_level_edges(&self) -> BTreeMap<Module, Vec<Edge>> {
        let top = |m: &Module| m.iter().take(1).cloned().collect::<Module>();
        let mut out: BTreeMap<Module, Vec<Edge>> = BTreeMap::new();
        for (from, es) in self.edges() {
            for e in es {
                let (f, t) = (top(&from), top(&e.to));
                if f != t && !t.is_empty() {
                    out.entry(f).or_default().push(Edge { to: t, ..e });
                }
            }
        }
        out
    }

    pub fn edges(&self) -> BTreeMap<Module, Vec<Edge>> {
        let mut out: BTreeMap<Module, Vec<Edge>> = BTreeMap::new();
        for (m, (file, text)) in &self.modules {
            // The crate root is the wiring: it declares the modules and
            // calls into them (`main` dispatching to `cmd_*`); its children
            // naming its items is the one direction that counts.
            if m.is_empty() {
                continue;
            }
            let mut add = |to: Module, at: usize| {
                if &to != m {
                    out.entry(m.clone()).or_default().push(Edge {
                        to,
                        file: rel(file),
                        line: line_of(text, at),
                    });
                }
            };
            for (path, is_pub, at) in use_paths(text) {
                if !is_pub {
                    if let Some(t) = self.target(m, &path) {
                        add(t, at);
                    }
                }
            }
            for (path, at) in inline_paths(text) {
                if let Some(t) = self.target(m, &path) {
                    add(t, at);
                }
            }
        }
        out
    }
}

/// Identifier-like words with their byte offsets.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        let w = ch.is_alphanumeric() || ch == '_';
        match (w, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// Every path of every `use` tree: (segments, whether the `use` is a
/// `pub`/`pub(...)` re-export, offset of the `use`).
fn use_paths(text: &str) -> Vec<(Vec<String>, bool, usize)> {
    let mut out = Vec::new();
    for (at, w) in words(text) {
        if w != "use" {
            continue;
        }
        let before = text[..at].trim_end();
        // `use` must start a statement (after `;`, `{`, `}`, an attribute
        // or visibility), not be part of an identifier path.
        let is_pub = before.ends_with("pub")
            || before.ends_with(')') && {
                let open = before.rfind('(').unwrap_or(0);
                before[..open].trim_end().ends_with("pub")
            };
        let starts = is_pub
            || before.is_empty()
            || before.ends_with(';')
            || before.ends_with('{')
            || before.ends_with('}')
            || before.ends_with(']');
        if !starts {
            continue;
        }
        let rest = &text[at + 3..];
        let Some(end) = rest.find(';') else { continue };
        // `d as e` becomes `d@e`: spaces go, the alias stays separable.
        let tree: String = rest[..end]
            .split_whitespace()
            .map(|t| if t == "as" { "@" } else { t })
            .collect();
        for p in expand(&tree) {
            out.push((p, is_pub, at));
        }
    }
    out
}

/// `a::{b, c::{d as e, *}}` -> [a::b], [a::c::d], [a::c::*].
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim_start_matches("::");
    let Some(open) = tree.find('{') else {
        let path = tree.split('@').next().unwrap_or(tree);
        let segs: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        return if segs.is_empty() { vec![] } else { vec![segs] };
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        if part == "self" {
            if !prefix.is_empty() {
                out.push(prefix.clone());
            }
            continue;
        }
        for sub in expand(part) {
            out.push(prefix.iter().cloned().chain(sub).collect());
        }
    }
    out
}

/// Paths in code outside `use` lines: `crate::a::b`, `super::x`,
/// `self::x`, `child::f`, each starting a path (not after `::`).
fn inline_paths(text: &str) -> Vec<(Vec<String>, usize)> {
    let ws = words(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let (at, w) = ws[i];
        let after_sep = text[..at].ends_with("::");
        let in_use = i > 0 && ws[i - 1].1 == "use";
        if after_sep || in_use || !text[at + w.len()..].starts_with("::") {
            i += 1;
            continue;
        }
        let mut segs = vec![w.to_string()];
        let mut j = i;
        while j + 1 < ws.len() {
            let (a, s) = ws[j];
            let (b, next) = ws[j + 1];
            if &text[a + s.len()..b] == "::" {
                segs.push(next.to_string());
                j += 1;
            } else {
                break;
            }
        }
        out.push((segs, at));
        i = j + 1;
    }
    out
}

/// The strongly connected components of more than one module: the
/// modules that reach each other, around one cycle or several.
pub fn tangles(edges: &BTreeMap<Module, Vec<Edge>>) -> Vec<BTreeSet<Module>> {
    let nodes: BTreeSet<&Module> = edges
        .keys()
        .chain(edges.values().flatten().map(|e| &e.to))
        .collect();
    let reach = |from: &Module| -> BTreeSet<Module> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for e in edges.get(&m).into_iter().flatten() {
                if seen.insert(e.to.clone()) {
                    stack.push(e.to.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&Module, BTreeSet<Module>> =
        nodes.iter().map(|m| (*m, reach(m))).collect();
    let mut out: Vec<BTreeSet<Module>> = Vec::new();
    for m in &nodes {
        if !reaches[m].contains(*m) || out.iter().any(|c| c.contains(*m)) {
            continue;
        }
        let comp: BTreeSet<Module> = nodes
            .iter()
            .filter(|n| reaches[m].contains(**n) && reaches[**n].contains(*m))
            .map(|n| (*n).clone())
            .collect();
        out.push(comp);
    }
    out
}

//! The toctrees and document references of RST pages, read and edited as
//! text: enough of the `toctree` directive to know which documents a page
//! lists (globs included), to drop entries of removed pages, and to add an
//! entry next to another. Edits keep every other byte of the page.

use std::collections::BTreeSet;

/// One `.. toctree::` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toctree {
    pub glob: bool,
    /// (line index in the page, the document or pattern named).
    pub entries: Vec<(usize, String)>,
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

/// The document an entry names: `name`, `name.rst` or `Title <name>`.
pub fn entry_target(entry: &str) -> String {
    let e = entry.trim();
    let e = match (e.rfind('<'), e.ends_with('>')) {
        (Some(i), true) => &e[i + 1..e.len() - 1],
        _ => e,
    };
    e.strip_suffix(".rst").unwrap_or(e).to_string()
}

/// Every toctree of `text`.
pub fn toctrees(text: &str) -> Vec<Toctree> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start().starts_with(".. toctree::") {
            let base = indent(l);
            let mut t = Toctree {
                glob: false,
                entries: Vec::new(),
            };
            i += 1;
            while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > base) {
                let body = lines[i].trim();
                if body == ":glob:" {
                    t.glob = true;
                } else if !body.is_empty() && !body.starts_with(':') {
                    t.entries.push((i, entry_target(body)));
                }
                i += 1;
            }
            out.push(t);
        } else {
            i += 1;
        }
    }
    out
}

/// Sphinx's glob: `*` and `?` within one path component.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                go(&p[1..], n) || (n.first().is_some_and(|c| *c != b'/') && go(p, &n[1..]))
            }
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// The documents of `docs` that the toctrees of `text` list.
pub fn listed<'a>(text: &str, docs: &'a BTreeSet<String>) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for t in toctrees(text) {
        for (_, e) in &t.entries {
            for d in docs {
                if (t.glob && glob_match(e, d)) || e == d {
                    out.insert(d.as_str());
                }
            }
        }
    }
    out
}

/// `text` without the toctree entries naming a document of `removed`
/// (plain entries only: a glob lists what exists), and the entries dropped.
pub fn drop_entries(text: &str, removed: &BTreeSet<String>) -> (String, Vec<String>) {
    let mut drop = BTreeSet::new();
    let mut dropped = Vec::new();
    for t in toctrees(text) {
        for (i, e) in &t.entries {
            if removed.contains(e) && !(t.glob && e.contains(['*', '?'])) {
                drop.insert(*i);
                dropped.push(e.clone());
            }
        }
    }
    (keep_lines(text, |i| !drop.contains(&i)), dropped)
}

fn keep_lines(text: &str, keep: impl Fn(usize) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if keep(i) {
            out.push_str(l);
        }
    }
    out
}

/// `text` with `new` listed right after the toctree entry `after`, or at
/// the end of the first toctree; `None` when the page has no toctree.
pub fn add_entry(text: &str, after: &str, new: &str) -> Option<String> {
    let trees = toctrees(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = trees
        .iter()
        .flat_map(|t| &t.entries)
        .find(|(_, e)| e == after)
        .or_else(|| trees.first().and_then(|t| t.entries.last()))
        .map(|(i, _)| *i)?;
    let line = lines[at];
    let mut out = String::with_capacity(text.len() + new.len() + 8);
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == at {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&line[..indent(line)]);
            out.push_str(new);
            out.push('\n');
        }
    }
    Some(out)
}

/// `text` with references to document `old` (`:doc:` roles, and paths
/// `Documentation/bpf/old.rst`) turned into references to `new`.
pub fn retarget(text: &str, old: &str, new: &str) -> String {
    text.replace(&format!(":doc:`{old}`"), &format!(":doc:`{new}`"))
        .replace(&format!("<{old}>`"), &format!("<{new}>`"))
        .replace(
            &format!("Documentation/bpf/{old}.rst"),
            &format!("Documentation/bpf/{new}.rst"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OTHER: &str = "=====\nOther\n=====\n\n.. toctree::\n   :maxdepth: 1\n\n   ringbuf\n   llvm_reloc\n   Graphs <graph_ds_impl.rst>\n\nAfter.\n";

    #[test]
    fn entries_options_and_globs() {
        let t = toctrees(OTHER);
        assert_eq!(t.len(), 1);
        let names: Vec<&str> = t[0].entries.iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(names, ["ringbuf", "llvm_reloc", "graph_ds_impl"]);
        assert!(!t[0].glob);
        let g = toctrees(".. toctree::\n   :glob:\n\n   map_*\n");
        assert!(g[0].glob);
        let docs: BTreeSet<String> = ["map_hash", "maps", "map_x/y"].map(String::from).into();
        assert_eq!(
            listed(".. toctree::\n   :glob:\n\n   map_*\n", &docs),
            BTreeSet::from(["map_hash"])
        );
    }

    #[test]
    fn dropping_an_entry_keeps_everything_else() {
        let removed = BTreeSet::from(["ringbuf".to_string()]);
        let (t, dropped) = drop_entries(OTHER, &removed);
        assert_eq!(dropped, ["ringbuf"]);
        assert_eq!(t, OTHER.replace("   ringbuf\n", ""));
        let (same, none) = drop_entries(OTHER, &BTreeSet::from(["maps".to_string()]));
        assert_eq!((same.as_str(), none.len()), (OTHER, 0));
    }

    #[test]
    fn an_entry_is_added_after_its_neighbour_or_at_the_end() {
        let t = add_entry(OTHER, "llvm_reloc", "ebpf_maps").unwrap();
        assert!(t.contains("   llvm_reloc\n   ebpf_maps\n   Graphs"), "{t}");
        let t = add_entry(OTHER, "absent", "ebpf_maps").unwrap();
        assert!(
            t.contains("graph_ds_impl.rst>\n   ebpf_maps\n\nAfter."),
            "{t}"
        );
        assert_eq!(add_entry("No tree.\n", "x", "y"), None);
    }

    #[test]
    fn references_follow_the_superseding_page() {
        let t = retarget(
            "See :doc:`ringbuf`, :doc:`the ring buffer <ringbuf>` and Documentation/bpf/ringbuf.rst.",
            "ringbuf",
            "map_ringbuf",
        );
        assert_eq!(
            t,
            "See :doc:`map_ringbuf`, :doc:`the ring buffer <map_ringbuf>` and Documentation/bpf/map_ringbuf.rst."
        );
    }
}

//! `mapspec docs --kernel-tree DIR`: the rendered pages put into a kernel
//! source tree's Documentation/bpf. A [`Plan`] is computed first from the
//! pages and the tree's files (nothing written): each page written, each
//! stock page a rendered one supersedes (`docgen::kernel_tree`) removed,
//! and the toctrees and references of the tree's other pages adjusted so
//! that every page is in a toctree and none names a removed page. The same
//! plan is then applied through safefs, or turned into a patch series
//! (`patches.rs`).

pub mod patches;
pub mod toctree;

use anyhow::{bail, Context};
use mapspec_docgen::Pages;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the pages go, relative to the tree's top directory.
pub const BPF_DIR: &str = "Documentation/bpf";
/// The page whose toctree lists a page that no other toctree lists.
const INDEX: &str = "index.rst";
/// In the index's toctree, new pages go after this entry.
const INDEX_NEIGHBOUR: &str = "maps";
/// The group of changes that belong to no single map page.
pub const OVERVIEW: &str = "overview";

/// The top directory of a kernel source tree, checked to be one.
pub struct Tree {
    pub root: PathBuf,
}

impl Tree {
    pub fn open(dir: &Path) -> anyhow::Result<Tree> {
        let not = |why: String| {
            anyhow::anyhow!(
                "{} is not a kernel source tree ({why}); --kernel-tree wants the top directory \
                 of a Linux source tree, with Makefile, MAINTAINERS and {BPF_DIR}/{INDEX}",
                dir.display()
            )
        };
        if !dir.is_dir() {
            return Err(not("not a directory".into()));
        }
        let makefile = std::fs::read_to_string(dir.join("Makefile"))
            .map_err(|e| not(format!("no readable Makefile: {e}")))?;
        let has = |var: &str| makefile.lines().any(|l| l.starts_with(var));
        if !has("VERSION =") || !has("PATCHLEVEL =") {
            return Err(not("its Makefile sets no VERSION and PATCHLEVEL".into()));
        }
        for f in ["MAINTAINERS", &format!("{BPF_DIR}/{INDEX}")] {
            if !dir.join(f).is_file() {
                return Err(not(format!("no {f}")));
            }
        }
        Ok(Tree { root: dir.into() })
    }

    pub fn bpf(&self) -> PathBuf {
        self.root.join(BPF_DIR)
    }
}

/// Why a file changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A rendered page, new to the tree or replacing the stock page of its name.
    Page,
    /// A stock page that the rendered page `by` supersedes.
    Superseded { by: String },
    /// A generated page that no spec renders any more.
    Stale,
    /// Toctree or reference edits of one of the tree's pages.
    Edited { what: Vec<String> },
}

/// One file's change, with its text before and after (`None`: absent).
#[derive(Debug, Clone)]
pub struct Change {
    /// The file name in Documentation/bpf.
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub why: Why,
    /// The patch it belongs to: a map page's name, or [`OVERVIEW`].
    pub group: String,
}

fn stem(name: &str) -> &str {
    name.strip_suffix(".rst").unwrap_or(name)
}

fn group_of(page: &str) -> String {
    if page.starts_with("map_") {
        page.to_string()
    } else {
        OVERVIEW.to_string()
    }
}

fn is_generated(text: &str) -> bool {
    text.lines()
        .take(8)
        .any(|l| l.contains(mapspec_docgen::MARKER))
}

/// The `.rst` files of Documentation/bpf (not below it) and their texts.
fn read_pages(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rst") && e.file_type()?.is_file() {
            let text = std::fs::read_to_string(e.path())
                .with_context(|| format!("cannot read {}", e.path().display()))?;
            out.insert(name, text);
        }
    }
    Ok(out)
}

/// Everything that makes the tree hold `pages`. `full`: the pages come
/// from the whole spec set, so a generated page none renders is stale.
pub fn plan(tree: &Tree, pages: &Pages, full: bool) -> anyhow::Result<Vec<Change>> {
    let stock = read_pages(&tree.bpf())?;
    let mut changes = Vec::new();
    // Removed documents (stems) and the page that takes their place.
    let mut removed: BTreeMap<String, String> = BTreeMap::new();
    for (name, text) in pages {
        let old = stock.get(name);
        if old != Some(text) {
            changes.push(Change {
                name: name.clone(),
                old: old.cloned(),
                new: Some(text.clone()),
                why: Why::Page,
                group: group_of(name),
            });
        }
        for s in mapspec_docgen::kernel_tree::supersedes(name)
            .into_iter()
            .skip(1)
        {
            if let (Some(old), false) = (stock.get(&s), pages.contains_key(&s)) {
                removed.insert(stem(&s).into(), stem(name).into());
                changes.push(Change {
                    name: s.clone(),
                    old: Some(old.clone()),
                    new: None,
                    why: Why::Superseded { by: name.clone() },
                    group: group_of(name),
                });
            }
        }
    }
    if full {
        for (name, text) in &stock {
            if is_generated(text) && !pages.contains_key(name) {
                removed.insert(stem(name).into(), String::new());
                changes.push(Change {
                    name: name.clone(),
                    old: Some(text.clone()),
                    new: None,
                    why: Why::Stale,
                    group: OVERVIEW.into(),
                });
            }
        }
    }
    let gone: BTreeSet<String> = removed.keys().cloned().collect();
    // The tree's own pages: drop entries of removed pages, follow references.
    for (name, text) in &stock {
        if pages.contains_key(name) || removed.contains_key(stem(name)) {
            continue;
        }
        let (mut new, dropped) = toctree::drop_entries(text, &gone);
        let mut what: Vec<String> = dropped
            .iter()
            .map(|d| format!("toctree: drop {d}"))
            .collect();
        let mut group = dropped
            .first()
            .map(|d| group_of(&format!("{}.rst", removed[d])));
        for (old, by) in removed.iter().filter(|(_, by)| !by.is_empty()) {
            let r = toctree::retarget(&new, old, by);
            if r != new {
                what.push(format!("references to {old} now name {by}"));
                group.get_or_insert_with(|| group_of(&format!("{by}.rst")));
                new = r;
            }
        }
        if new != *text {
            changes.push(Change {
                name: name.clone(),
                old: Some(text.clone()),
                new: Some(new),
                why: Why::Edited { what },
                group: group.unwrap_or_else(|| OVERVIEW.into()),
            });
        }
    }
    add_to_toctrees(&stock, pages, &mut changes)?;
    Ok(changes)
}

/// The text of `name` once `changes` are made.
fn final_text<'a>(
    stock: &'a BTreeMap<String, String>,
    changes: &'a [Change],
    name: &str,
) -> Option<&'a str> {
    match changes.iter().rev().find(|c| c.name == name) {
        Some(c) => c.new.as_deref(),
        None => stock.get(name).map(String::as_str),
    }
}

/// List each rendered page that no toctree lists in the index's toctree.
fn add_to_toctrees(
    stock: &BTreeMap<String, String>,
    pages: &Pages,
    changes: &mut Vec<Change>,
) -> anyhow::Result<()> {
    let names: BTreeSet<&String> = stock.keys().chain(pages.keys()).collect();
    let docs: BTreeSet<String> = names
        .iter()
        .filter(|n| final_text(stock, changes, n).is_some())
        .map(|n| stem(n).to_string())
        .collect();
    let mut listed = BTreeSet::new();
    for d in &docs {
        if let Some(t) = final_text(stock, changes, &format!("{d}.rst")) {
            listed.extend(toctree::listed(t, &docs).into_iter().map(String::from));
        }
    }
    for page in pages.keys() {
        let d = stem(page);
        if listed.contains(d) || page == INDEX {
            continue;
        }
        let Some(index) = final_text(stock, changes, INDEX) else {
            bail!("{BPF_DIR}/{INDEX} is gone, so {page} cannot be put in a toctree");
        };
        let Some(new) = toctree::add_entry(index, INDEX_NEIGHBOUR, d) else {
            bail!("{BPF_DIR}/{INDEX} has no toctree to list {page} in");
        };
        let what = format!("toctree: add {d}");
        match changes.iter_mut().find(|c| c.name == INDEX) {
            Some(c) => {
                c.new = Some(new);
                if let Why::Edited { what: w } = &mut c.why {
                    w.push(what);
                }
            }
            None => changes.push(Change {
                name: INDEX.into(),
                old: stock.get(INDEX).cloned(),
                new: Some(new),
                why: Why::Edited { what: vec![what] },
                group: group_of(page),
            }),
        }
        listed.insert(d.to_string());
    }
    Ok(())
}

/// Make the changes in the tree, through safefs; print each.
pub fn apply(tree: &Tree, changes: &[Change]) -> anyhow::Result<()> {
    let dir = tree.bpf();
    for c in changes {
        let path = dir.join(&c.name);
        let shown = format!("{BPF_DIR}/{}", c.name);
        match &c.new {
            Some(text) => {
                mapspec_safefs::write_with(&path, text.as_bytes(), Default::default())?;
            }
            None => std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?,
        }
        match &c.why {
            Why::Page if c.old.is_some() => println!("replaced {shown}"),
            Why::Page => println!("added {shown}"),
            Why::Superseded { by } => {
                println!("removed {shown}: a stock page, superseded by {by}")
            }
            Why::Stale => println!("removed {shown}: generated, and no spec renders it any more"),
            Why::Edited { what } => println!("edited {shown}: {}", what.join("; ")),
        }
    }
    Ok(())
}

/// `mapspec docs --kernel-tree DIR [--patches OUT]`.
pub fn main(
    dir: &Path,
    patches_out: Option<&Path>,
    pages: &Pages,
    reports: &[mapspec_spec::results::RunReport],
    full: bool,
) -> anyhow::Result<u8> {
    let tree = Tree::open(dir)?;
    let changes = plan(&tree, pages, full)?;
    let Some(out) = patches_out else {
        apply(&tree, &changes)?;
        println!(
            "{}: {} pages, {} changed",
            tree.bpf().display(),
            pages.len(),
            crate::output::count(changes.len() as u64, "file", "files")
        );
        return Ok(crate::exit::OK);
    };
    if changes.is_empty() {
        println!(
            "{}: already holds the pages; no patches",
            tree.bpf().display()
        );
        return Ok(crate::exit::OK);
    }
    let mut kernels: Vec<_> = reports.iter().map(|r| r.kernel.upstream).collect();
    kernels.sort();
    kernels.dedup();
    let info = patches::SeriesInfo {
        kernels: kernels.iter().map(|k| k.to_string()).collect(),
    };
    let files = patches::write(&changes, &info, out)?;
    let mut failed = false;
    for f in &files {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        println!("{} ({size} bytes)", f.display());
        if size as usize > patches::MAX_PATCH {
            eprintln!(
                "mapspec docs: {} is over {} bytes",
                f.display(),
                patches::MAX_PATCH
            );
            failed = true;
        }
    }
    if tree.root.join("scripts/checkpatch.pl").is_file() {
        for problem in patches::checkpatch(&tree, &["--no-signoff"], &files)? {
            eprintln!("mapspec docs: checkpatch: {problem}");
            failed = true;
        }
    } else {
        eprintln!(
            "mapspec docs: note: {} has no scripts/checkpatch.pl; the patches are not checked",
            tree.root.display()
        );
    }
    println!(
        "{}: {} patches; {} unchanged",
        out.display(),
        files.len(),
        tree.root.display()
    );
    Ok(if failed {
        crate::exit::FAILED
    } else {
        crate::exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Tree) {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(BPF_DIR)).unwrap();
        std::fs::write(
            d.path().join("Makefile"),
            "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n",
        )
        .unwrap();
        std::fs::write(d.path().join("MAINTAINERS"), "").unwrap();
        for (n, t) in files {
            std::fs::write(d.path().join(BPF_DIR).join(n), t).unwrap();
        }
        let t = Tree::open(d.path()).unwrap();
        (d, t)
    }

    const INDEX_RST: &str = "BPF\n\n.. toctree::\n   :maxdepth: 1\n\n   maps\n   other\n";
    const MAPS_RST: &str = "Maps\n\n.. toctree::\n   :glob:\n\n   map_*\n";
    const OTHER_RST: &str =
        "Other\n\n.. toctree::\n\n   ringbuf\n   llvm_reloc\n\nSee :doc:`ringbuf`.\n";

    #[test]
    fn superseded_pages_go_toctrees_follow_and_new_pages_are_listed() {
        let (_d, t) = tree(&[
            ("index.rst", INDEX_RST),
            ("maps.rst", MAPS_RST),
            ("other.rst", OTHER_RST),
            ("ringbuf.rst", "Ring buffer\n"),
            ("map_hash.rst", "Stock hash\n"),
            ("llvm_reloc.rst", "Relocs\n"),
        ]);
        let pages: Pages = [
            ("map_hash.rst", "New hash\n"),
            ("map_ringbuf.rst", "New ringbuf\n"),
            ("ebpf_maps.rst", "Overview\n"),
            ("maps.rst", MAPS_RST),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .into();
        let changes = plan(&t, &pages, true).unwrap();
        let by_name: BTreeMap<&str, &Change> =
            changes.iter().map(|c| (c.name.as_str(), c)).collect();
        assert_eq!(
            by_name.keys().copied().collect::<Vec<_>>(),
            [
                "ebpf_maps.rst",
                "index.rst",
                "map_hash.rst",
                "map_ringbuf.rst",
                "other.rst",
                "ringbuf.rst"
            ]
        );
        assert_eq!(by_name["ringbuf.rst"].new, None);
        assert_eq!(by_name["ringbuf.rst"].group, "map_ringbuf.rst");
        let other = by_name["other.rst"].new.as_deref().unwrap();
        assert!(!other.contains("   ringbuf\n") && other.contains(":doc:`map_ringbuf`"));
        assert_eq!(by_name["other.rst"].group, "map_ringbuf.rst");
        let index = by_name["index.rst"].new.as_deref().unwrap();
        assert!(
            index.contains("   maps\n   ebpf_maps\n   other\n"),
            "{index}"
        );
        apply(&t, &changes).unwrap();
        assert!(!t.bpf().join("ringbuf.rst").exists());
        assert!(t.bpf().join("llvm_reloc.rst").exists());
        assert!(
            plan(&t, &pages, true).unwrap().is_empty(),
            "a second run changes nothing"
        );
    }

    #[test]
    fn a_directory_that_is_not_a_kernel_tree_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = Tree::open(d.path()).err().unwrap().to_string();
        assert!(
            e.contains("is not a kernel source tree (no readable Makefile"),
            "{e}"
        );
        std::fs::write(d.path().join("Makefile"), "all:\n").unwrap();
        let e = Tree::open(d.path()).err().unwrap().to_string();
        assert!(e.contains("sets no VERSION"), "{e}");
    }
}

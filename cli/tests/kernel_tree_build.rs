//! `mapspec docs --kernel-tree` in a real kernel tree: Debian's newest
//! linux-source, fetched through the matrix's apt set-up (network on a
//! cold cache). The pages go in, the stock pages they supersede go out,
//! the toctrees follow; `make SPHINXDIRS=bpf htmldocs` (the kernel's own
//! Sphinx requirements, in a venv) gives no warning the stock tree does
//! not give, every page is in the rendered tree, and checkpatch --strict
//! finds nothing in the changed files or in the `--patches` series, whose
//! patches must each fit in 20 KiB.

mod kernel_tree_support;

use kernel_tree_support::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run mapspec")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The .rst files of Documentation/bpf and their texts.
fn pages(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rst"))
        .map(|n| (n.clone(), std::fs::read_to_string(dir.join(&n)).unwrap()))
        .collect()
}

fn is_generated(text: &str) -> bool {
    text.lines()
        .take(8)
        .any(|l| l.contains(mapspec_docgen::MARKER))
}

/// `docs --kernel-tree COPY --patches OUT` on a fresh copy of the stock
/// tree: the run and the patches, in order.
fn series(stock: &StockTree, copy: &Path, out: &Path) -> (Output, Vec<PathBuf>) {
    work_tree(&stock.dir, copy);
    let t = Instant::now();
    let r = mapspec(&[
        "docs",
        "--kernel-tree",
        copy.to_str().unwrap(),
        "--patches",
        out.to_str().unwrap(),
    ]);
    eprintln!("docs --patches (with checkpatch): {:.1?}", t.elapsed());
    let mut patches: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    patches.sort();
    assert!(
        patches.len() > 1,
        "no series in {}: {}",
        out.display(),
        text(&r)
    );
    (r, patches)
}

#[test]
fn kernel_tree_patches_fit_in_20_kib() {
    let stock = stock_tree();
    let scratch = tempfile::tempdir().unwrap();
    let (r, patches) = series(
        &stock,
        &scratch.path().join("stock"),
        &scratch.path().join("patches"),
    );
    let over: Vec<String> = patches
        .iter()
        .map(|p| (p, std::fs::metadata(p).unwrap().len()))
        .filter(|(_, n)| *n > 20 * 1024)
        .map(|(p, n)| format!("{}: {n} bytes", p.file_name().unwrap().to_string_lossy()))
        .collect();
    assert!(over.is_empty(), "patches over 20 KiB:\n{over:#?}");
    assert!(r.status.success(), "{}", text(&r));
}

#[test]
fn kernel_tree_pages_build_without_new_warnings_and_pass_checkpatch() {
    let started = Instant::now();
    let stock = stock_tree();
    let venv = sphinx_venv(&stock.dir);
    let stock_warnings = stock_warnings(&stock, &venv);
    eprintln!(
        "{} {}: tree, venv and stock warnings ready after {:.1?}",
        stock.package.name,
        stock.package.version,
        started.elapsed()
    );

    // Every source a kernel-doc directive of Documentation/bpf names is in
    // the tree: a missing one would warn before and after alike.
    let bpf_stock = stock.dir.join("Documentation/bpf");
    for (name, t) in pages(&bpf_stock) {
        for l in t.lines() {
            if let Some(src) = l.trim().strip_prefix(".. kernel-doc::") {
                let src = src.trim();
                assert!(
                    stock.dir.join(src).is_file(),
                    "{name}: {src} is not in the tree"
                );
            }
        }
    }

    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("linux");
    work_tree(&stock.dir, &work);
    let w = work.to_str().unwrap();
    let bpf = work.join("Documentation/bpf");
    let before = pages(&bpf);

    let r = mapspec(&["docs", "--kernel-tree", w]);
    assert!(r.status.success(), "docs --kernel-tree: {}", text(&r));
    let out = text(&r);
    let after = pages(&bpf);
    let generated: BTreeSet<&String> = after
        .iter()
        .filter(|(_, t)| is_generated(t))
        .map(|(n, _)| n)
        .collect();
    assert!(generated.len() > 1, "no generated page in the tree:\n{out}");

    // Superseded stock pages are gone, and said to be; the rest stays.
    for n in before.keys() {
        let superseded = generated
            .iter()
            .any(|g| mapspec_docgen::kernel_tree::supersedes(g).contains(n));
        if superseded && !generated.contains(n) {
            assert!(!after.contains_key(n), "{n} is superseded but still there");
            assert!(
                out.contains(&format!("removed Documentation/bpf/{n}: a stock page")),
                "removing {n} is not reported:\n{out}"
            );
        } else {
            assert!(
                after.contains_key(n),
                "{n} was removed, but nothing supersedes it"
            );
        }
    }
    let r = mapspec(&["docs", "--kernel-tree", w]);
    assert!(
        text(&r).contains("0 files changed"),
        "a second run changes: {}",
        text(&r)
    );

    // The build runs while the series is made and checkpatch reads.
    let build = {
        let (work, venv) = (work.clone(), venv.clone());
        std::thread::spawn(move || {
            let t = Instant::now();
            (build_warnings(&work, &venv), t.elapsed())
        })
    };

    // The series, from a stock copy, which it leaves alone. mapspec runs
    // the tree's checkpatch.pl --strict on it: exit 1 on any finding but
    // the MAINTAINERS question, or on a patch over 20 KiB, which
    // kernel_tree_patches_fit_in_20_kib holds the pages to.
    let stock_copy = scratch.path().join("stock");
    let (r, patches) = series(&stock, &stock_copy, &scratch.path().join("patches"));
    let mut problems = Vec::new();
    let stderr = String::from_utf8_lossy(&r.stderr);
    // Notes (results naming claims no spec has) are not findings.
    let only_sizes = stderr
        .lines()
        .all(|l| l.ends_with(" is over 20480 bytes") || l.starts_with("mapspec docs: note: "));
    if !(r.status.success() || r.status.code() == Some(1) && only_sizes) {
        problems.push(format!("docs --patches failed:\n{stderr}"));
    }
    assert_eq!(
        pages(&stock_copy.join("Documentation/bpf")),
        before,
        "--patches changed the tree"
    );
    for p in &patches {
        let body = std::fs::read_to_string(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let subject = body.lines().find(|l| l.starts_with("Subject: [PATCH"));
        if !subject.is_some_and(|l| l.contains("] bpf, docs: ")) {
            problems.push(format!("{name}: no `bpf, docs:` subject"));
        }
        if body.contains("Signed-off-by:") {
            problems.push(format!("{name}: has a Signed-off-by"));
        }
    }

    // checkpatch: nothing on the generated pages; nothing new on the
    // tree's pages that the toctree edits touched.
    let changed: Vec<&String> = after
        .keys()
        .filter(|n| before.get(*n) != after.get(*n))
        .collect();
    let rel = |n: &str| PathBuf::from(format!("Documentation/bpf/{n}"));
    let mut files: Vec<PathBuf> = changed.iter().map(|n| rel(n)).collect();
    // The stock versions of the tree's own edited pages, to compare with.
    let mut stock_pages = BTreeMap::new();
    for n in changed.iter().filter(|n| !is_generated(&after[**n])) {
        let f = stock_copy.join(rel(n));
        stock_pages.insert(n.to_string(), f.clone());
        files.push(f);
    }
    let t = Instant::now();
    let found = checkpatch(&work, &["-f"], &files);
    eprintln!(
        "checkpatch -f of {} files: {:.1?}",
        files.len(),
        t.elapsed()
    );
    let mut findings = Vec::new();
    for n in &changed {
        let was = stock_pages
            .get(*n)
            .map(|f| found[f].clone())
            .unwrap_or_default();
        findings.extend(found[&rel(n)].difference(&was).map(|l| format!("{n}: {l}")));
    }

    // The build: nothing new against the stock tree, every page rendered.
    let (after_warnings, took) = build.join().unwrap();
    eprintln!("after-build: {took:.1?}");
    let new: Vec<&String> = after_warnings.difference(&stock_warnings).collect();
    assert!(
        new.is_empty(),
        "warnings the stock tree does not give:\n{new:#?}"
    );
    for n in after.keys() {
        let html = work
            .join("Documentation/output/bpf")
            .join(n.replace(".rst", ".html"));
        assert!(html.is_file(), "{n} is not in the rendered tree");
    }
    let shown = kernel_includes_rendered(&work, &after);
    assert!(
        shown >= 2,
        "only {shown} kernel figures and DOC sections on the pages"
    );
    assert!(
        findings.is_empty(),
        "checkpatch on the changed files:\n{findings:#?}"
    );
    assert!(problems.is_empty(), "the series:\n{problems:#?}");
    eprintln!("kernel-tree test: {:.1?} in all", started.elapsed());
}

/// The kernel figures and DOC sections the generated pages show are in
/// the tree and in the rendered pages: a figure's file beside the pages and
/// named in its page's HTML, a DOC section's first words in its page's
/// HTML. Returns how many there were.
fn kernel_includes_rendered(work: &Path, pages: &BTreeMap<String, String>) -> usize {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut n = 0;
    for (name, t) in pages.iter().filter(|(_, t)| is_generated(t)) {
        let html_file = work
            .join("Documentation/output/bpf")
            .join(name.replace(".rst", ".html"));
        let html = words(&std::fs::read_to_string(html_file).unwrap());
        let lines: Vec<&str> = t.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if let Some(f) = l.strip_prefix(".. kernel-figure:: ") {
                n += 1;
                assert!(
                    work.join("Documentation/bpf").join(f).is_file(),
                    "{name}: figure {f} is not in the tree"
                );
                let stem = f.rsplit_once('.').map_or(f, |(s, _)| s);
                assert!(html.contains(stem), "{name}: figure {f} is not rendered");
            }
            if let Some(src) = l.strip_prefix(".. kernel-doc:: ") {
                n += 1;
                let doc = lines
                    .get(i + 1)
                    .and_then(|l| l.trim().strip_prefix(":doc: "))
                    .unwrap_or_else(|| panic!("{name}: kernel-doc {src} without :doc:"));
                let source = std::fs::read_to_string(work.join(src))
                    .unwrap_or_else(|e| panic!("{name}: {src}: {e}"));
                // The section's first line of text: three plain words of it
                // must be on the page.
                let marker = format!("DOC: {doc}");
                let mut after = source.lines().skip_while(|l| !l.contains(&marker)).skip(1);
                let first = after
                    .next()
                    .unwrap_or_else(|| panic!("{name}: no `{marker}` in {src}"));
                let plain: Vec<&str> = first
                    .trim_start_matches([' ', '*'])
                    .split_whitespace()
                    .collect();
                let three = plain
                    .windows(3)
                    .find(|w| {
                        w.iter()
                            .all(|x| x.chars().all(|c| c.is_ascii_alphanumeric()))
                    })
                    .map(|w| w.join(" "))
                    .unwrap_or_else(|| panic!("{name}: no plain words in `{first}`"));
                assert!(
                    html.contains(&three),
                    "{name}: the {doc} section of {src} (`{three}`) is not rendered"
                );
            }
        }
    }
    n
}

/// A warning cached from an uncoloured build matches the same warning of a
/// coloured one (CI's first failure of the build test was exactly this).
#[test]
fn kernel_tree_warning_lines_match_with_and_without_colour() {
    let tree = Path::new("/src/linux");
    let plain = warnings(
        "/src/linux/Documentation/bpf/a.rst:12: WARNING: unknown document: 'x'\n",
        tree,
    );
    let coloured = warnings(
        "\u{1b}[91m/src/linux/Documentation/bpf/a.rst:40: WARNING: unknown document: 'x'\u{1b}[39;49;00m\n",
        tree,
    );
    assert_eq!(plain, coloured);
    assert_eq!(
        plain.into_iter().collect::<Vec<_>>(),
        ["TREE/Documentation/bpf/a.rst:N: WARNING: unknown document: 'x'"]
    );
}

//! Whole pages: a snapshot, every claim on its page with its status, the
//! kernel's RST conventions, determinism, and the error paths.

use mapspec_docgen::{self as docgen, DocError, Drift, Pages};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The committed specs with whatever results the repository holds.
fn real() -> (Vec<docgen::SpecFile>, Pages) {
    let specs = docgen::load_specs(&root().join("spec/maps")).expect("specs load");
    let reports = docgen::load_results(&[
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ])
    .expect("results load");
    let pages = docgen::render(&specs, &reports).expect("render");
    (specs, pages)
}

fn norm(s: &str) -> String {
    s.replace(docgen::rst::NBSP, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn whole_page_snapshot() {
    let specs = docgen::load_specs(&fixtures().join("specs")).unwrap();
    let reports = docgen::load_results(&[fixtures().join("results")]).unwrap();
    assert_eq!(reports.len(), 2);
    let pages = docgen::render(&specs, &reports).unwrap();
    insta::assert_snapshot!("map_hash_page", pages["map_hash.rst"]);
}

#[test]
fn fixture_page_marks_only_where_kernels_differ() {
    let specs = docgen::load_specs(&fixtures().join("specs")).unwrap();
    let reports = docgen::load_results(&[fixtures().join("results")]).unwrap();
    let page = norm(&docgen::render(&specs, &reports).unwrap()["map_hash.rst"]);
    // Failed on one kernel: the row's Versions cell says so, from the
    // typed status.
    assert!(page.contains("``EEXIST`` - differs on 5.10"), "{page}");
    // A refusal check on 5.10 and the claim on 6.12 bracket the version.
    assert!(
        page.contains("``ENOTSUPP`` before 5.14, seen on 5.10"),
        "{page}"
    );
    // Cells that agree on every kernel carry no mark, and no claim is
    // called verified: the page names its kernels once.
    assert!(!page.contains("Verified on"), "{page}");
    assert_eq!(
        page.matches("this page was checked on Linux").count(),
        1,
        "{page}"
    );
    // A claim failed on 5.10, so only 6.12 counts as checked for the page.
    assert!(
        page.contains("this page was checked on Linux 6.12 ("),
        "{page}"
    );
}

#[test]
fn without_results_nothing_is_presented_as_checked() {
    let specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    let pages = docgen::render(&specs, &[]).unwrap();
    for (name, page) in pages.iter().filter(|(n, _)| n.starts_with("map_")) {
        let page = norm(page);
        assert!(!page.contains("Verified on"), "{name}");
        assert!(!page.contains("checked on Linux"), "{name}");
        assert!(!page.contains("seen on"), "{name}");
        assert!(
            page.contains("No kernel results were given when this page was generated"),
            "{name}"
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    let (specs, a) = real();
    let mut reports = docgen::load_results(&[
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ])
    .unwrap();
    reports.reverse();
    let b = docgen::render(&specs, &reports).unwrap();
    assert_eq!(a, b);
    let mut rev = specs.clone();
    rev.reverse();
    assert_eq!(a, docgen::render(&rev, &reports).unwrap());
}

/// Headings of an RST text: (title, underline char, overlined).
fn headings(text: &str) -> Vec<(String, char, bool)> {
    let lines: Vec<&str> = text.lines().collect();
    let is_rule = |l: &str| {
        l.len() >= 3 && {
            let c = l.chars().next().unwrap();
            "=-~^*+#\"'`".contains(c) && l.chars().all(|x| x == c)
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        if is_rule(lines[i]) && i + 2 < lines.len() && is_rule(lines[i + 2]) {
            assert_eq!(lines[i], lines[i + 2], "over- and underline differ");
            assert_eq!(
                lines[i].len(),
                lines[i + 1].chars().count(),
                "title rule length"
            );
            out.push((
                lines[i + 1].to_string(),
                lines[i].chars().next().unwrap(),
                true,
            ));
            i += 3;
        } else if !lines[i].is_empty()
            && !lines[i].starts_with(' ')
            && is_rule(lines[i + 1])
            && !is_rule(lines[i])
            && (i == 0 || lines[i - 1].is_empty())
        {
            assert_eq!(
                lines[i + 1].len(),
                lines[i].chars().count(),
                "underline of `{}`",
                lines[i]
            );
            out.push((
                lines[i].to_string(),
                lines[i + 1].chars().next().unwrap(),
                false,
            ));
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn pages_follow_the_kernel_rst_conventions() {
    let (_, pages) = real();
    assert!(pages.contains_key("maps.rst") && pages.contains_key("ebpf_maps.rst"));
    for (name, text) in &pages {
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0], ".. SPDX-License-Identifier: GPL-2.0-only",
            "{name}"
        );
        assert!(
            text.contains(docgen::MARKER),
            "{name}: no generated-file header"
        );
        // Only maps.rst declares a C function: bpf(), the target that
        // other kernel pages link to.
        assert_eq!(text.contains("c:function"), name == "maps.rst", "{name}");
        assert!(
            !text.contains("code-block::\n"),
            "{name}: code block without language"
        );
        for l in &lines {
            if let Some(lang) = l.trim().strip_prefix(".. code-block::") {
                assert!(!lang.trim().is_empty(), "{name}: {l}");
            }
            assert!(!l.ends_with(' '), "{name}: trailing space in `{l}`");
        }
        let hs = headings(text);
        assert!(!hs.is_empty());
        assert!(
            hs[0].1 == '=' && hs[0].2,
            "{name}: title must be = over and under"
        );
        assert!(
            hs[1..].iter().all(|h| !h.2),
            "{name}: only the title is overlined"
        );
        assert!(
            hs.iter().all(|h| "=-~".contains(h.1)),
            "{name}: heading chars {hs:?}"
        );
        // autosectionlabel (prefix_document, maxdepth 2): the title and the
        // chapters are labels and must be unique within the page.
        let mut labels = BTreeSet::new();
        for h in hs.iter().filter(|h| h.1 == '=') {
            assert!(
                labels.insert(h.0.clone()),
                "{name}: duplicate chapter `{}`",
                h.0
            );
        }
        if name.starts_with("map_") {
            let chapters: Vec<&str> = hs[1..]
                .iter()
                .filter(|h| h.1 == '=')
                .map(|h| h.0.as_str())
                .collect();
            for c in &chapters {
                assert!(
                    [
                        "Usage",
                        "Semantics",
                        "Examples",
                        "Internals (not ABI)",
                        "History",
                        "References"
                    ]
                    .contains(c),
                    "{name}: chapter `{c}`"
                );
            }
            assert!(
                chapters.contains(&"Usage")
                    && chapters.contains(&"Semantics")
                    && chapters.contains(&"References")
            );
            let sections: Vec<&str> = hs
                .iter()
                .filter(|h| h.1 == '-')
                .map(|h| h.0.as_str())
                .collect();
            assert!(
                sections.contains(&"Creating a map"),
                "{name}: no section Creating a map"
            );
        }
    }
}

#[test]
fn every_map_page_is_linked_from_the_overview() {
    let (specs, pages) = real();
    let overview = &pages["ebpf_maps.rst"];
    for sf in &specs {
        assert!(overview.contains(&format!(":doc:`{}`", sf.spec.page)));
        assert!(overview.contains(&format!("``{}``", sf.spec.map_type)));
    }
    for word in [
        "bpf_map_def",
        "SEC(\".maps\")",
        "bpf_elf_map",
        "bcc",
        "__sync_fetch_and_add",
        "BPF_NOEXIST",
    ] {
        assert!(overview.contains(word), "overview lacks {word}");
    }
    assert!(pages["maps.rst"].contains(":glob:\n\n   map_*"));
}

fn temp_spec(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf, String) {
    let src = std::fs::read_to_string(fixtures().join("specs/hash.yaml")).unwrap();
    let src = edit(&src);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.yaml");
    std::fs::write(&path, &src).unwrap();
    let p = dir.path().to_path_buf();
    (dir, p, src)
}

fn line_of(src: &str, needle: &str) -> usize {
    src[..src.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn markdown_that_cannot_be_rendered_names_the_spec_and_line() {
    let (_d, dir, src) = temp_spec(|s| {
        s.replacen(
            "  when old elements should make room for new ones.\n",
            "  when old elements should make room for new ones.\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n",
            1,
        )
    });
    let specs = docgen::load_specs(&dir).unwrap();
    let err = docgen::render(&specs, &[]).unwrap_err();
    let want = format!("hash.yaml:{}: ", line_of(&src, "| a | b |"));
    let msg = err.to_string();
    assert!(matches!(err, DocError::Markdown { .. }), "{msg}");
    assert!(
        msg.contains(&want) && msg.contains("table"),
        "{msg} lacks {want}"
    );
}

#[test]
fn claim_text_errors_point_at_the_claim() {
    let (_d, dir, src) = temp_spec(|s| {
        s.replacen(
            "text: Walking with BPF_MAP_GET_NEXT_KEY from NULL visits every key exactly once.",
            "text: \"Walking with BPF_MAP_GET_NEXT_KEY from NULL visits <b>every</b> key.\"",
            1,
        )
    });
    let specs = docgen::load_specs(&dir).unwrap();
    let msg = docgen::render(&specs, &[]).unwrap_err().to_string();
    let want = format!("hash.yaml:{}: ", line_of(&src, "visits <b>every</b>"));
    assert!(
        msg.contains(&want) && msg.contains("HTML"),
        "{msg} lacks {want}"
    );
}

#[test]
fn missing_results_are_no_results_and_corrupt_ones_name_the_file() {
    let none = docgen::load_results(&[PathBuf::from("/nonexistent/results")]).unwrap();
    assert!(none.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let msg = docgen::load_results(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("broken.json"), "{msg}");
}

#[test]
fn check_and_plan_report_changed_missing_and_stale_pages() {
    let specs = docgen::load_specs(&fixtures().join("specs")).unwrap();
    let pages = docgen::render(&specs, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plan = docgen::plan(dir.path(), &pages).unwrap();
    assert_eq!(plan.write.len(), pages.len());
    assert!(plan.remove.is_empty());
    for (name, text) in &pages {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    assert!(docgen::check(dir.path(), &pages).unwrap().is_empty());
    // Identical pages: nothing to write.
    assert_eq!(
        docgen::plan(dir.path(), &pages).unwrap(),
        docgen::Plan::default()
    );

    let hash = dir.path().join("map_hash.rst");
    let text = std::fs::read_to_string(&hash).unwrap();
    std::fs::write(
        &hash,
        text.replacen("\nUsage\n=====", "\nUsage (edited)\n=====", 1),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("maps.rst")).unwrap();
    std::fs::write(dir.path().join("map_gone.rst"), &text).unwrap();
    std::fs::write(dir.path().join("map_kernel_own.rst"), "Hand-written.\n").unwrap();
    let drift = docgen::check(dir.path(), &pages).unwrap();
    assert_eq!(drift.len(), 3, "{drift:?}");
    assert!(
        matches!(&drift[0], Drift::Changed { name, diff } if name == "map_hash.rst" && diff.contains("-Usage (edited)") && diff.contains("+Usage"))
    );
    assert!(matches!(&drift[1], Drift::Missing { name, .. } if name == "maps.rst"));
    assert!(matches!(&drift[2], Drift::Extra { name } if name == "map_gone.rst"));
    // The plan repairs all of it and never names a page docgen did not generate.
    let plan = docgen::plan(dir.path(), &pages).unwrap();
    assert_eq!(plan.write, ["map_hash.rst", "maps.rst"]);
    assert_eq!(plan.remove, ["map_gone.rst"]);
}

/// A note's kernel figure and kernel-doc section are directives right
/// under the note's text on its page, with the spec's names as arguments.
#[test]
fn notes_show_the_kernel_trees_figure_and_doc_sections_in_place() {
    let (specs, pages) = real();
    let (mut figures, mut docs) = (0, 0);
    for sf in &specs {
        let page = &pages[&format!("{}.rst", sf.spec.page)];
        for n in &sf.spec.notes {
            let heading = format!("\n{}\n{}\n", n.title, "-".repeat(n.title.chars().count()));
            let at = page.find(&heading).unwrap_or_else(|| panic!("{}", n.title));
            // The note's section: up to the next heading's underline.
            let section = &page[at + heading.len()..];
            let end = section
                .find("\n---")
                .or_else(|| section.find("\n==="))
                .unwrap_or(section.len());
            let section = &section[..end];
            if let Some(f) = &n.figure {
                figures += 1;
                let want = format!(".. kernel-figure:: {}\n   :alt: ", f.file);
                assert!(section.contains(&want), "{}: {section}", sf.spec.page);
                assert!(norm(section).contains(&norm(&docgen::rst::prose(&f.caption))));
            }
            if let Some(k) = &n.kernel_doc {
                docs += 1;
                let want = format!(".. kernel-doc:: {}\n   :doc: {}\n", k.source, k.doc);
                assert!(section.contains(&want), "{}: {section}", sf.spec.page);
            }
        }
    }
    // The hash page's LRU figure and the cpumap's DOC section at least.
    assert!(
        figures >= 1 && docs >= 1,
        "{figures} figures, {docs} sections"
    );
    assert!(pages["map_hash.rst"].contains(".. kernel-figure:: map_lru_hash_update.dot\n"));
    assert!(
        pages["map_cpumap.rst"].contains(".. kernel-doc:: kernel/bpf/cpumap.c\n   :doc: cpu map\n")
    );
}

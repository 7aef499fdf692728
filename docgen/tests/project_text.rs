//! Nothing project-internal on a page: a page goes into a kernel tree,
//! where the suite's harness (the argument block, its check macro, its
//! constants), the repository's paths and the project's voice mean
//! nothing. Checked on the freshly rendered and on the committed pages,
//! the overview and maps.rst included.

use mapspec_docgen::{self as docgen, Pages};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Text that names the harness or the repository.
const FORBIDDEN: &[&str] = &[
    "mapspec_args",
    "CHECK(",
    "MAPSPEC_",
    "conformance/",
    "spec/maps",
];

/// Words of the project's voice.
const VOICE: &[&str] = &["our", "we"];

/// Every piece of project text in `text`, with its line number.
fn project_text(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for f in FORBIDDEN {
            if line.contains(f) {
                found.push(format!("{}: `{f}` in `{}`", i + 1, line.trim()));
            }
        }
        // "our " and "we " as words: "your" and "between" are fine.
        let words = line
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty());
        for w in words {
            if VOICE.iter().any(|v| w.eq_ignore_ascii_case(v)) {
                found.push(format!("{}: `{w}` in `{}`", i + 1, line.trim()));
            }
        }
    }
    found
}

fn rendered() -> Pages {
    let specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    let reports = docgen::load_results(&[
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ])
    .unwrap();
    docgen::render(&specs, &reports).unwrap()
}

fn committed() -> Pages {
    let dir = root().join("Documentation/bpf");
    let mut pages = Pages::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        if p.extension().is_some_and(|x| x == "rst") && text.contains(docgen::MARKER) {
            pages.insert(p.file_name().unwrap().to_string_lossy().into(), text);
        }
    }
    pages
}

fn problems(pages: &Pages) -> Vec<String> {
    let mut out = Vec::new();
    for (name, text) in pages {
        for p in project_text(text) {
            out.push(format!("{name}:{p}"));
        }
    }
    out
}

#[test]
fn no_page_holds_harness_code_repository_paths_or_the_projects_voice() {
    for (what, pages) in [("rendered", rendered()), ("committed", committed())] {
        assert!(pages.contains_key("ebpf_maps.rst") && pages.contains_key("maps.rst"));
        assert!(pages.len() > 10, "{what}: {} pages", pages.len());
        let found = problems(&pages);
        assert!(found.is_empty(), "{what} pages:\n{}", found.join("\n"));
    }
}

#[test]
fn each_kind_of_project_text_is_found() {
    for (text, hits) in [
        ("struct mapspec_args *a = mapspec_args(ctx);", 1),
        ("\tCHECK(fd >= 0);", 1),
        ("__uint(type, MAPSPEC_MAP_TYPE_ARENA);", 1),
        ("from ``conformance/bpf/maps.bpf.c``", 1),
        ("the specs in ``spec/maps/``", 1),
        ("the 7.2 kernel of our matrix", 1),
        ("We had no kernel source for it.", 1),
        ("Your program runs between the two calls.", 0),
        ("Ours is a flow table; were it full, ...", 0),
    ] {
        assert_eq!(
            project_text(text).len(),
            hits,
            "{text}: {:?}",
            project_text(text)
        );
    }
}

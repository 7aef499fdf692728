//! docgen loads once, then renders purely: `DocModel::new` reads every
//! file a page shows, and rendering reads none. And every per-type fact on
//! a page comes from a spec: no map type is named in docgen's source.

use mapspec_docgen::{self as docgen, DocModel};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn rendering_reads_no_file_after_the_model_is_loaded() {
    // A repository copy holding only what the pages show: the specs and
    // the example sources. It is gone before rendering starts.
    let tmp = tempfile::tempdir().unwrap();
    for dir in ["spec/maps", "conformance/examples/c", "conformance/bpf"] {
        copy_dir(&root().join(dir), &tmp.path().join(dir));
    }
    let specs = docgen::load_specs(&tmp.path().join("spec/maps")).unwrap();
    let model = DocModel::new(&specs, &[]).unwrap();
    tmp.close().unwrap();
    let pages = model.render().expect("rendering needs no file");

    let here = docgen::load_specs(&root().join("spec/maps")).unwrap();
    let fresh = docgen::render(&here, &[]).unwrap();
    assert_eq!(pages.len(), fresh.len());
    for (name, text) in &fresh {
        // The pages name the spec files by their repository path, so the
        // copy renders the same text.
        assert!(
            pages[name] == *text,
            "{name} differs when rendered from the model"
        );
    }
    assert!(pages.values().any(|p| p.contains(".. code-block:: c")));
}

/// `src` without its `#[cfg(test)]` modules (they sit at the end of a file).
fn non_test(src: &str) -> &str {
    src.split("#[cfg(test)]").next().unwrap_or(src)
}

fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("docgen/src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(root().join("docgen/src"))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() > 5, "{out:?}");
    out
}

#[test]
fn only_the_loading_modules_touch_the_file_system() {
    // lib.rs reads the inputs (load_specs, load_results) and compares the
    // output directory (check, plan); model.rs reads the example sources.
    // Everything a page is built from is pure.
    const LOADING: &[&str] = &["lib.rs", "model.rs"];
    const FS: &[&str] = &[
        "std::fs",
        "fs::",
        "File::",
        "read_to_string",
        "canonicalize",
        "is_file()",
        "read_dir",
        "OpenOptions",
    ];
    let mut bad = Vec::new();
    for (file, src) in sources() {
        if LOADING.contains(&file.as_str()) {
            continue;
        }
        for (i, line) in non_test(&src).lines().enumerate() {
            if let Some(w) = FS.iter().find(|w| line.contains(**w)) {
                bad.push(format!(
                    "docgen/src/{file}:{}: `{w}`: {}",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "file I/O while rendering:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_map_type_is_named_in_docgen_source() {
    // Per-type facts (helpers, kfuncs, libbpf consumers) live in the specs'
    // `api:` sections; docgen branches on what a spec says, never on its type.
    let mut bad = Vec::new();
    for (file, src) in sources() {
        for (i, line) in non_test(&src).lines().enumerate() {
            if line.contains("BPF_MAP_TYPE_") {
                bad.push(format!("docgen/src/{file}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "map types named in docgen:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_bloom_filter_push_sentence_is_its_specs() {
    // usage.rs used to say that push accepts BPF_EXIST; the spec's own
    // table says EINVAL.
    let specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    let pages = docgen::render(&specs, &[]).unwrap();
    let page = pages["map_bloom_filter.rst"].replace(docgen::rst::NBSP, " ");
    let usage = &page[..page.find("\nSemantics\n").expect("a Semantics chapter")];
    let push = &usage[usage.find("bpf_map_push_elem(void").expect("push in Usage")..];
    let text = &push[..push.find("bpf_map_peek_elem").unwrap_or(push.len())];
    assert!(text.contains("must be ``BPF_ANY``"), "{text}");
    assert!(!text.contains("or ``BPF_EXIST``"), "{text}");
}

//! No code block on a generated page is text that never ran. Every
//! `.. code-block:: c` on every page, freshly rendered and committed, is
//! either
//!
//! - a marked region (`mapspec:example:begin NAME`) of a userspace example
//!   in `conformance/examples/c/*.c`, each of which
//!   `conformance/tests/examples.rs` compiles against libbpf and runs, or
//!   of a BPF object source in `conformance/bpf/*.bpf.c`, a program of which
//!   a claim runs (the region's own program when it holds one); or
//! - a prototype from docgen's catalogue, which names its header, and
//!   every one of which compiles against that header of the system's
//!   libbpf-dev (`bpf/bpf.h`, `bpf/libbpf.h`, `bpf/bpf_helpers.h` with
//!   `bpf_helper_defs.h`).
//!
//! A block that differs from its file by one character matches neither, so
//! these tests also fail when a page and the file it was taken from differ.

use mapspec_docgen::{self as docgen, usage, Pages};
use mapspec_spec::prog::{example_region, REGION_BEGIN};
use mapspec_spec::{MapSpec, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.. code-block:: c` of an RST text, dedented.
fn code_blocks(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == ".. code-block:: c" {
            let mut body = Vec::new();
            let mut j = i + 1;
            while j < lines.len() && (lines[j].is_empty() || lines[j].starts_with("   ")) {
                body.push(lines[j].get(3..).unwrap_or(""));
                j += 1;
            }
            out.push(body.join("\n").trim_matches('\n').to_string());
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Where a code block came from.
#[derive(Debug, PartialEq)]
enum Origin {
    /// `path#region` of a suite source.
    Region(String),
    /// A prototype and the header that declares it.
    Prototype(&'static str),
}

/// The marked regions of every suite source: text → `path#region`.
struct Sources {
    regions: BTreeMap<String, String>,
    /// The text of each region by `path#region`.
    by_ref: BTreeMap<String, String>,
    prototypes: Vec<usage::Func>,
}

fn sources() -> Sources {
    let mut regions = BTreeMap::new();
    let mut by_ref = BTreeMap::new();
    for (dir, ext) in [
        ("conformance/examples/c", ".c"),
        ("conformance/bpf", ".bpf.c"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(ext))
            .collect();
        files.sort();
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap();
            let rel = format!("{dir}/{}", f.file_name().unwrap().to_string_lossy());
            let names: BTreeSet<&str> = src
                .lines()
                .filter_map(|l| {
                    let rest = &l[l.find(REGION_BEGIN)? + REGION_BEGIN.len()..];
                    rest.split_whitespace().next()
                })
                .collect();
            for name in names {
                // A comment that only mentions the marker is no region.
                let Ok(text) = example_region(&src, name) else {
                    continue;
                };
                let text = text.trim_end().to_string();
                let r = format!("{rel}#{name}");
                regions.entry(text.clone()).or_insert_with(|| r.clone());
                by_ref.insert(r, text);
            }
        }
    }
    Sources {
        regions,
        by_ref,
        prototypes: catalogue(),
    }
}

impl Sources {
    fn origin(&self, block: &str) -> Result<Origin, String> {
        if let Some(r) = self.regions.get(block) {
            return Ok(Origin::Region(r.clone()));
        }
        if let Some(f) = self
            .prototypes
            .iter()
            .find(|f| !f.prototype.is_empty() && f.prototype.trim() == block)
        {
            return f
                .header
                .map(Origin::Prototype)
                .ok_or_else(|| format!("prototype of {} names no header", f.name));
        }
        // A header excerpt: several catalogued prototypes, one per
        // declaration, each ended by `;`, from the same header.
        let decls: Vec<&str> = block
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .collect();
        if block.trim_end().ends_with(';') && decls.len() > 1 {
            let headers: Vec<Option<&'static str>> = decls
                .iter()
                .map(|d| {
                    self.prototypes
                        .iter()
                        .find(|f| !f.prototype.is_empty() && f.prototype.trim() == *d)
                        .and_then(|f| f.header)
                })
                .collect();
            if let [Some(h), rest @ ..] = headers.as_slice() {
                if rest.iter().all(|x| *x == Some(*h)) {
                    return Ok(Origin::Prototype(h));
                }
            }
        }
        Err("neither a marked region of a suite source nor a catalogued prototype".into())
    }
}

/// Programs that some claim runs (not just loads).
fn programs_run(specs: &[MapSpec]) -> BTreeSet<String> {
    specs
        .iter()
        .flat_map(|s| s.claims())
        .flat_map(|c| c.program.steps)
        .filter_map(|s| match s {
            Step::ProgRun(o) => Some(o.program),
            Step::ProgRace(o) => Some(o.program),
            Step::ProgTorn(o) => Some(o.program),
            _ => None,
        })
        .collect()
}

fn specs() -> Vec<MapSpec> {
    mapspec_spec::load_dir(&root().join("spec")).expect("specs load")
}

/// Every function the pages can print, with the `api:` sections of the
/// specs: what docgen's model catalogues.
fn catalogue() -> Vec<usage::Func> {
    let specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    docgen::DocModel::new(&specs, &[]).unwrap().catalogue()
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

/// The `static __always_inline` functions a region defines.
fn inline_functions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("static __always_inline "))
        .filter_map(|l| {
            let name = l[..l.find('(')?].split_whitespace().last()?;
            Some(name.trim_start_matches('*').to_string())
        })
        .collect()
}

use mapspec_spec::prog::c_functions as functions;

/// Every function that the programs in `run` call, directly or through
/// other functions of `file`.
fn called_by(file: &str, run: &BTreeSet<String>) -> BTreeSet<String> {
    let funcs = functions(file);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = run
        .iter()
        .filter(|p| funcs.contains_key(*p))
        .cloned()
        .collect();
    while let Some(f) = todo.pop() {
        let Some(body) = funcs.get(&f) else { continue };
        for g in funcs.keys() {
            if !seen.contains(g) && body.contains(&format!("{g}(")) {
                seen.insert(g.clone());
                todo.push(g.clone());
            }
        }
    }
    seen
}

/// Every problem with the code blocks of `pages`, and how many blocks came
/// from regions and from prototypes.
fn find_problems(
    pages: &Pages,
    src: &Sources,
    run: &BTreeSet<String>,
) -> (Vec<String>, usize, usize) {
    let mut problems = Vec::new();
    let (mut regions, mut protos) = (0, 0);
    for (name, text) in pages {
        assert!(
            !text.contains(".. code-block::\n"),
            "{name}: a code block without a language"
        );
        for l in text.lines() {
            if let Some(lang) = l.trim().strip_prefix(".. code-block::") {
                if lang.trim() != "c" {
                    problems.push(format!("{name}: a `{}` block, not C", lang.trim()));
                }
            }
        }
        for block in code_blocks(text) {
            match src.origin(&block) {
                Ok(Origin::Region(r)) => {
                    regions += 1;
                    if let Some(path) = r.split('#').next().filter(|p| p.ends_with(".bpf.c")) {
                        // A kernel-side region must hold a program a claim
                        // runs, or functions that such a program calls
                        // (directly or through other functions of the
                        // file); one with neither (a map or value
                        // definition) must be part of a file with a run
                        // program.
                        let text = &src.by_ref[&r];
                        let file = std::fs::read_to_string(root().join(path)).unwrap();
                        let in_region: Vec<&String> = run
                            .iter()
                            .filter(|p| text.contains(&format!("int {p}(")))
                            .collect();
                        let defines_any = text.contains("SEC(\"tc\")");
                        let helpers = inline_functions(text);
                        let ok = if defines_any {
                            !in_region.is_empty()
                        } else if !helpers.is_empty() {
                            let called = called_by(&file, run);
                            let missing: Vec<&String> =
                                helpers.iter().filter(|f| !called.contains(*f)).collect();
                            if !missing.is_empty() {
                                problems.push(format!(
                                    "{name}: region {r}: no program a claim runs calls {missing:?}"
                                ));
                            }
                            true
                        } else {
                            run.iter().any(|p| file.contains(&format!("int {p}(")))
                        };
                        if !ok {
                            problems.push(format!(
                                "{name}: region {r} holds no program that a claim runs"
                            ));
                        }
                    }
                }
                Ok(Origin::Prototype(_)) => protos += 1,
                Err(why) => problems.push(format!("{name}: {why}:\n{block}\n")),
            }
        }
    }
    (problems, regions, protos)
}

#[test]
fn every_code_block_on_every_page_comes_from_a_file_the_suite_runs_or_a_header() {
    let specs = specs();
    let src = sources();
    let run = programs_run(&specs);
    for (what, pages) in [("rendered", rendered()), ("committed", committed())] {
        let (problems, regions, protos) = find_problems(&pages, &src, &run);
        assert!(
            problems.is_empty(),
            "{what} pages:\n{}",
            problems.join("\n")
        );
        assert!(
            regions > 0 && protos > 0,
            "{what}: {regions} regions, {protos} prototypes"
        );
        // The overview's code is all taken from suite sources.
        let overview = code_blocks(&pages["ebpf_maps.rst"]);
        assert!(overview.len() >= 5, "{what}: {overview:?}");
    }
}

#[test]
fn a_block_that_differs_from_its_file_is_refused() {
    let specs = specs();
    let src = sources();
    let run = programs_run(&specs);
    let mut pages = rendered();
    let page = pages.get_mut("ebpf_maps.rst").unwrap();
    // One character of the first region on the page changed.
    *page = page.replacen("value += 1;", "value += 2;", 1);
    let (problems, _, _) = find_problems(&pages, &src, &run);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("value += 2;"), "{problems:?}");
    // So is a hand-written block, and a prototype that is not the header's.
    let mut pages = Pages::new();
    pages.insert(
        "x.rst".into(),
        ".. code-block:: c\n\n   int x = 1;\n\n.. code-block:: c\n\n   int bpf_map_freeze(int fd, int extra)\n".into(),
    );
    let (problems, _, _) = find_problems(&pages, &src, &run);
    assert_eq!(problems.len(), 2, "{problems:?}");
}

/// Compile `decls` (C text) with `cc args`, returning the compiler output
/// on failure.
fn compile(cc: &str, args: &[&str], text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("protos.c");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(cc)
        .args(args)
        .args(["-fsyntax-only", "-Werror"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {cc}: {e} (scripts/setup.sh installs clang and libbpf-dev)")
        });
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}\n{text}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// A translation unit that includes `headers` and asserts, per function,
/// that the printed prototype has exactly the type of the declaration in
/// the header (a helper of bpf_helper_defs.h is a pointer to a function of
/// that type; `*name` is the function type either way).
fn unit(headers: &[&str], funcs: &[&usage::Func]) -> String {
    let mut t = String::new();
    for h in headers {
        t.push_str(&format!("#include <{h}>\n"));
    }
    for (i, f) in funcs.iter().enumerate() {
        let name = f.name.trim_end_matches("()");
        let proto = f.prototype.trim();
        let at = proto
            .find(&format!("{name}("))
            .unwrap_or_else(|| panic!("{name} not in its prototype `{proto}`"));
        t.push_str(&format!(
            "typedef {}T{i}{};\n_Static_assert(__builtin_types_compatible_p(T{i}, __typeof__(*{name})), \"{name}: the page's prototype is not the header's\");\n",
            &proto[..at],
            &proto[at + name.len()..]
        ));
    }
    t
}

fn check_prototypes(funcs: &[usage::Func]) -> Result<(), String> {
    let helpers: Vec<&usage::Func> = funcs
        .iter()
        .filter(|f| f.header == Some(usage::HELPERS_H))
        .collect();
    let user: Vec<&usage::Func> = funcs
        .iter()
        .filter(|f| f.header.is_some() && f.header != Some(usage::HELPERS_H))
        .collect();
    let mut headers: Vec<&str> = user.iter().filter_map(|f| f.header).collect();
    headers.sort();
    headers.dedup();
    let mut errs = Vec::new();
    if !helpers.is_empty() {
        // As conformance/build.rs compiles the suite's BPF programs:
        // <linux/bpf.h> needs <asm/types.h> from the multiarch directory.
        let multiarch = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
        let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
        if let Err(e) = compile(
            &clang,
            &["-target", "bpf", "-O2", &multiarch],
            &unit(&["linux/bpf.h", usage::HELPERS_H], &helpers),
        ) {
            errs.push(e);
        }
    }
    if !user.is_empty() {
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        if let Err(e) = compile(&cc, &["-std=gnu11"], &unit(&headers, &user)) {
            errs.push(e);
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

#[test]
fn every_printed_prototype_compiles_against_the_system_headers() {
    let funcs = catalogue();
    assert!(funcs.iter().any(|f| f.header == Some(usage::HELPERS_H)));
    assert!(funcs.iter().any(|f| f.header == Some("bpf/bpf.h")));
    for f in &funcs {
        assert_eq!(
            f.prototype.is_empty(),
            f.header.is_none(),
            "{}: a printed prototype needs a header, and only a printed one",
            f.name
        );
    }
    if let Err(e) = check_prototypes(&funcs) {
        panic!("{e}");
    }
}

#[test]
fn a_prototype_that_is_not_the_headers_fails_to_compile() {
    // The check above is only worth something if a wrong type fails it.
    let funcs = catalogue();
    for (name, wrong) in [
        // The uapi comment's form: struct bpf_map * and u64, not the header's.
        (
            "bpf_map_push_elem()",
            "long bpf_map_push_elem(struct bpf_map *map, const void *value, unsigned int flags)",
        ),
        ("bpf_map_freeze()", "long bpf_map_freeze(int fd)"),
    ] {
        let mut f = funcs
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} not catalogued"))
            .clone();
        f.prototype = wrong.into();
        assert!(
            check_prototypes(&[f]).is_err(),
            "`{wrong}` compiled against its header"
        );
    }
}

#[test]
fn a_region_function_that_no_run_program_calls_is_found() {
    let file = "static __always_inline int used(int x)\n{\n\treturn x;\n}\n\n\
                static __always_inline int deep(int x)\n{\n\treturn x;\n}\n\n\
                static __always_inline int via(int x)\n{\n\treturn deep(x);\n}\n\n\
                static __always_inline int unused(int x)\n{\n\treturn x;\n}\n\n\
                extern void *k(void *map,\n\t int n) __ksym;\n\n\
                SEC(\"tc\")\nint prog(struct __sk_buff *ctx)\n{\n\treturn used(1) + via(2);\n}\n";
    let run: BTreeSet<String> = ["prog".to_string()].into();
    let called = called_by(file, &run);
    let region = inline_functions(file);
    assert_eq!(region, ["used", "deep", "via", "unused"]);
    let missing: Vec<&String> = region.iter().filter(|f| !called.contains(*f)).collect();
    assert_eq!(missing, ["unused"]);
}

/// The titles of the Examples chapter of an RST page.
fn example_titles(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| *l == "Examples") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for w in lines[start + 2..].windows(2) {
        if w[1].starts_with("===") {
            break;
        }
        if w[1].starts_with("---") && w[1].len() == w[0].len() {
            out.push(w[0].to_string());
        }
    }
    out
}

/// A family page shows each example once: no code block twice on a page,
/// no example title repeated per type.
#[test]
fn every_page_shows_each_example_once() {
    for (what, pages) in [("rendered", rendered()), ("committed", committed())] {
        let mut titled = 0;
        for (name, text) in &pages {
            let blocks = code_blocks(text);
            let mut seen = BTreeSet::new();
            for b in &blocks {
                assert!(seen.insert(b), "{what} {name} shows this block twice:\n{b}");
            }
            let titles = example_titles(text);
            titled += titles.len();
            for t in &titles {
                assert!(!t.contains("BPF_MAP_TYPE_"), "{what} {name}: `{t}`");
            }
        }
        assert!(titled > 0, "{what}: no example titles found");
    }
}

fn specs_with(change: impl Fn(&mut [docgen::SpecFile])) -> Result<Pages, docgen::DocError> {
    let mut specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    change(&mut specs);
    docgen::render(&specs, &[])
}

fn spec_mut<'a>(specs: &'a mut [docgen::SpecFile], file: &str) -> &'a mut MapSpec {
    &mut specs
        .iter_mut()
        .find(|s| s.path.ends_with(file))
        .unwrap_or_else(|| panic!("no spec {file}"))
        .spec
}

/// Two types of one page that name the same example must say the same
/// about it, and two examples under one title on a page are an error, not
/// a second section per type.
#[test]
fn an_example_repeated_per_type_is_refused() {
    assert!(specs_with(|_| {}).is_ok());
    // Same code, another title: the second would be dropped silently.
    let err = specs_with(|s| {
        let lru = spec_mut(s, "lru_hash.yaml");
        let e = lru.examples.iter_mut().find(|e| e.user.is_some()).unwrap();
        e.title = "Another title".into();
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("lru_hash.yaml:"), "{err}");
    assert!(err.contains("shows the code of"), "{err}");
    // Same title, other code: one section per type.
    let err = specs_with(|s| {
        let hash = spec_mut(s, "hash.yaml");
        let title = hash
            .examples
            .iter()
            .find(|e| e.user.is_some())
            .unwrap()
            .title
            .clone();
        let pc = spec_mut(s, "percpu_hash.yaml");
        let e = pc.examples.iter_mut().find(|e| e.user.is_some()).unwrap();
        e.title = title;
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("percpu_hash.yaml:"), "{err}");
    assert!(err.contains("other code under the same title"), "{err}");
}

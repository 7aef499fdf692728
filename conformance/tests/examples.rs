//! The code on the Examples chapters is code the suite runs: every region a
//! spec's `examples:` references exists, every kernel-side region holds a
//! program that a claim of that spec runs or functions such a program
//! calls, and (as root) every userspace example compiles against the
//! system's libbpf and runs successfully.

use mapspec_spec::prog::{example_region, split_example_ref, PROGRAMS};
use mapspec_spec::{MapSpec, Step};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn specs() -> Vec<MapSpec> {
    mapspec_spec::load_dir(&repo().join("spec")).expect("specs load")
}

/// `(file, region text)` of a reference, or why not.
fn resolve(r: &str) -> Result<(String, String), String> {
    let (path, region) = split_example_ref(r);
    let source = std::fs::read_to_string(repo().join(path)).map_err(|e| format!("{path}: {e}"))?;
    let text = match region {
        Some(name) => example_region(&source, name).map_err(|e| format!("{path}: {e}"))?,
        None => source,
    };
    Ok((path.to_string(), text))
}

/// Programs that a claim of `spec` loads and runs (not just loads).
fn programs_run_by(spec: &MapSpec) -> Vec<String> {
    spec.claims()
        .iter()
        .flat_map(|c| c.program.steps.clone())
        .filter_map(|s| match s {
            Step::ProgRun(o) => Some(o.program),
            Step::ProgRace(o) => Some(o.program),
            Step::ProgTorn(o) => Some(o.program),
            _ => None,
        })
        .collect()
}

#[test]
fn program_list_matches_the_embedded_objects() {
    let mut embedded = mapspec_conformance::sys::prog::program_names();
    embedded.sort();
    let mut listed: Vec<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        embedded, listed,
        "spec/src/prog.rs PROGRAMS must list exactly the programs of conformance/bpf"
    );
}

#[test]
fn every_referenced_example_region_exists() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for spec in specs() {
        for e in &spec.examples {
            if e.kernel.is_none() && e.user.is_none() {
                problems.push(format!(
                    "{}: example `{}` has no code",
                    spec.map_type, e.title
                ));
            }
            for (r, dir, ext) in [
                (&e.kernel, "conformance/bpf/", ".bpf.c"),
                (&e.user, "conformance/examples/c/", ".c"),
            ] {
                let Some(r) = r else { continue };
                seen += 1;
                let (path, _) = split_example_ref(r);
                if !path.starts_with(dir) || !path.ends_with(ext) {
                    problems.push(format!(
                        "{}: `{r}` must be a {dir}*{ext} file",
                        spec.map_type
                    ));
                }
                if let Err(e) = resolve(r) {
                    problems.push(format!("{}: {e}", spec.map_type));
                }
            }
        }
    }
    assert!(seen > 0, "no spec references an example");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What only the test around a shown region may hold: the checks, and
/// the program's entry point.
const HARNESS: &[&str] = &["assert(", "main(", "NDEBUG", "exit("];

/// A shown region holds the lines a BPF author needs; the checks that make
/// the file a test stay outside it.
#[test]
fn no_shown_region_holds_the_harness() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for spec in specs() {
        for e in &spec.examples {
            for r in [&e.kernel, &e.user].into_iter().flatten() {
                let Ok((_, text)) = resolve(r) else { continue };
                seen += 1;
                for h in HARNESS.iter().filter(|h| text.contains(**h)) {
                    problems.push(format!("{}: `{r}` shows `{h}`", spec.map_type));
                }
            }
        }
    }
    assert!(seen > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check finds the harness it looks for.
    let text = "int main(void)\n{\n\tassert(f() == 0);\n}\n";
    let found: Vec<&&str> = HARNESS.iter().filter(|h| text.contains(**h)).collect();
    assert_eq!(found, [&"assert(", &"main("]);
}

/// `source` without its C comments (`/* */` and `//`).
fn without_comments(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                rest = rest[b..].find("*/").map_or("", |e| &rest[b + e + 2..]);
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |e| &rest[l + e..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Whether the code of `source` (not its comments) names `map_type` as a
/// whole word (not as the prefix of a longer type name, `..._HASH` in
/// `..._HASH_OF_MAPS`).
fn names_type(source: &str, map_type: &str) -> bool {
    let source = without_comments(source);
    source.match_indices(map_type).any(|(i, _)| {
        !source[i + map_type.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// A userspace example shared by the types of a family page runs on every
/// type that names it: its source, which the root test runs, creates a map
/// of each of those types.
#[test]
fn every_userspace_example_source_creates_each_type_that_names_it() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for spec in specs() {
        for e in &spec.examples {
            let Some(r) = &e.user else { continue };
            let (path, _) = split_example_ref(r);
            let Ok(source) = std::fs::read_to_string(repo().join(path)) else {
                problems.push(format!("{}: `{path}` cannot be read", spec.map_type));
                continue;
            };
            seen += 1;
            if !names_type(&source, &spec.map_type) {
                problems.push(format!(
                    "{}: `{r}` never creates a map of this type",
                    spec.map_type
                ));
            }
        }
    }
    assert!(seen > 0, "no spec names a userspace example");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(names_type("f(BPF_MAP_TYPE_HASH);", "BPF_MAP_TYPE_HASH"));
    assert!(!names_type(
        "f(BPF_MAP_TYPE_HASH_OF_MAPS);",
        "BPF_MAP_TYPE_HASH"
    ));
    assert!(!names_type(
        "/* BPF_MAP_TYPE_HASH */ f(); // BPF_MAP_TYPE_HASH\n",
        "BPF_MAP_TYPE_HASH"
    ));
}

use mapspec_spec::prog::c_functions as functions;

/// The functions that the programs `run` call, directly or through other
/// functions of `file`.
fn called_by(file: &str, run: &[String]) -> BTreeSet<String> {
    let funcs = functions(file);
    let mut seen = BTreeSet::new();
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

/// A kernel-side example shows a program that a claim of its spec runs,
/// or functions that such a program calls: the programs themselves unpack
/// the test packet, which the pages leave out.
#[test]
fn every_kernel_example_holds_a_program_its_spec_runs_or_what_it_calls() {
    let mut problems = Vec::new();
    for spec in specs() {
        let run = programs_run_by(&spec);
        for e in &spec.examples {
            let Some(r) = &e.kernel else { continue };
            let Ok((path, text)) = resolve(r) else {
                continue;
            };
            let shown: Vec<&str> = PROGRAMS
                .iter()
                .copied()
                .filter(|p| text.contains(&format!("int {p}(")))
                .collect();
            if shown.iter().any(|p| run.iter().any(|r| r == p)) {
                continue;
            }
            let file = std::fs::read_to_string(repo().join(&path)).unwrap();
            let called = called_by(&file, &run);
            let defined: Vec<String> = functions(&text).into_keys().collect();
            if defined.is_empty() || !defined.iter().any(|f| called.contains(f)) {
                problems.push(format!(
                    "{}: `{r}` shows programs {shown:?} and functions {defined:?}, none of \
                     which a claim of the spec runs or calls",
                    spec.map_type
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs bpf(2) programs and must run as root"
    );
}

/// Compile every userspace example with the system's cc against -lbpf and
/// run it: each exits 0 only when every check in it held.
#[test]
fn root_userspace_examples_compile_and_run() {
    require_root();
    let dir = repo().join("conformance/examples/c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance/examples/c")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    assert!(!sources.is_empty());
    let out = std::env::temp_dir().join(format!("mapspec-examples-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut failures = Vec::new();
    for src in &sources {
        let stem = src.file_stem().unwrap().to_string_lossy().to_string();
        let bin = out.join(&stem);
        let build = Command::new(&cc)
            .args(["-Wall", "-Werror", "-O2", "-o"])
            .arg(&bin)
            .arg(src)
            .arg("-lbpf")
            .output()
            .unwrap_or_else(|e| panic!("running {cc}: {e} (install build-essential libbpf-dev)"));
        if !build.status.success() {
            failures.push(format!(
                "{stem}.c does not compile:\n{}",
                String::from_utf8_lossy(&build.stderr)
            ));
            continue;
        }
        let run = Command::new(&bin).output().unwrap();
        if !run.status.success() {
            failures.push(format!(
                "{stem}.c exited with {}:\n{}{}",
                run.status,
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

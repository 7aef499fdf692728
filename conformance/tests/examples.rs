//! The code on the Examples chapters is code the suite runs: every region a
//! spec's `examples:` references exists, every kernel-side region holds a
//! program that a claim of that spec runs or functions such a program
//! calls, and (as root) every userspace example compiles against the
//! system's libbpf and runs successfully.

use mapspec_spec::prog::{example_region, split_example_ref, PROGRAMS};
use mapspec_spec::{MapSpec, Step};
use std::collections::{BTreeMap, BTreeSet};
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

/// The top-level functions of a C file: name → body (from the line that
/// names it to the `}` in column 0 that ends it).
fn functions(file: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for l in file.lines() {
        if let Some((_, body)) = current.as_mut() {
            body.push_str(l);
            body.push('\n');
            if l == "}" {
                let (name, body) = current.take().unwrap();
                out.insert(name, body);
            }
            continue;
        }
        let starts = !l.starts_with([' ', '\t', '#', '/', '*', '}'])
            && !l.starts_with("SEC(")
            && !l.starts_with("extern ")
            && !l.ends_with(';');
        if let (true, Some(i)) = (starts, l.find('(')) {
            if let Some(name) = l[..i].split_whitespace().last() {
                current = Some((name.trim_start_matches('*').to_string(), String::new()));
            }
        }
    }
    out
}

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

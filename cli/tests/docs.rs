//! `mapspec docs` end to end: writing, `--check` with a unified diff and
//! exit 1, exit 2 for usage and environment problems.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run mapspec")
}

fn fixture_specs() -> String {
    root()
        .join("docgen/tests/fixtures/specs")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn docs_writes_then_check_is_clean_then_detects_drift() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let specs = fixture_specs();
    let results = root().join("docgen/tests/fixtures/results");
    let results = results.to_str().unwrap();
    let args = ["docs", "--specs", &specs, "--results", results, "--out", o];
    let r = mapspec(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for f in ["map_hash.rst", "maps.rst", "ebpf_maps.rst"] {
        assert!(out.path().join(f).is_file(), "{f} not written");
    }
    // Byte-identical on a second run.
    let first = std::fs::read(out.path().join("map_hash.rst")).unwrap();
    let mut check = args.to_vec();
    check.push("--check");
    let r = mapspec(&check);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
    assert!(mapspec(&args).status.success());
    assert_eq!(
        first,
        std::fs::read(out.path().join("map_hash.rst")).unwrap()
    );

    // Without the results the pages differ: exit 1 and a unified diff.
    let none = "/nonexistent/results";
    let r = mapspec(&[
        "docs",
        "--specs",
        &specs,
        "--results",
        none,
        "--out",
        o,
        "--check",
    ]);
    assert_eq!(r.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&r.stdout);
    assert!(
        diff.contains("--- a/") && diff.contains("+++ b/") && diff.contains("@@"),
        "{diff}"
    );
    assert!(diff.contains("+No kernel results were given"), "{diff}");
    assert!(String::from_utf8_lossy(&r.stderr).contains("out of date"));

    // A generated page the fixture specs do not render is not theirs to
    // call stale: they are not the full spec set (see the subset test).
    std::fs::copy(
        out.path().join("map_hash.rst"),
        out.path().join("map_gone.rst"),
    )
    .unwrap();
    let r = mapspec(&check);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
}

#[test]
fn docs_usage_and_environment_errors_exit_2() {
    let r = mapspec(&["docs", "--specs", "/nonexistent/specs", "--check"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/specs"));

    let r = mapspec(&["docs", "--no-such-flag"]);
    assert_eq!(r.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\"format_version\": 1").unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = mapspec(&[
        "docs",
        "--specs",
        &fixture_specs(),
        "--results",
        dir.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("broken.json"));
}

#[test]
fn docs_missing_results_dir_is_no_results() {
    let out = tempfile::tempdir().unwrap();
    let r = mapspec(&[
        "docs",
        "--specs",
        &fixture_specs(),
        "--results",
        "/nonexistent/results",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let page = std::fs::read_to_string(out.path().join("map_hash.rst")).unwrap();
    assert!(page.contains("No kernel results were given"));
    assert!(!page.contains("Verified on"));
}

#[test]
fn docs_invalid_spec_exits_1_with_positions() {
    let src =
        std::fs::read_to_string(root().join("docgen/tests/fixtures/specs/hash.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hash.yaml"),
        src.replacen("expect: EEXIST", "expect: EEXISTS", 1),
    )
    .unwrap();
    let r = mapspec(&["docs", "--specs", dir.path().to_str().unwrap(), "--check"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("hash.yaml:"));

    // Markdown the walker cannot render: exit 1, naming spec and line.
    let broken = src.replacen(
        "  A full map refuses new keys",
        "  # A heading\n\n  A full map refuses new keys",
        1,
    );
    std::fs::write(dir.path().join("hash.yaml"), &broken).unwrap();
    let line = broken[..broken.find("# A heading").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let r = mapspec(&["docs", "--specs", dir.path().to_str().unwrap(), "--check"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains(&format!("hash.yaml:{line}: ")) && err.contains("heading"),
        "{err}"
    );
}

/// The bare command reproduces the committed pages: it reads the results
/// the README names. (It used to render without results and strip every
/// "Verified on".)
#[test]
fn docs_bare_check_passes_in_the_repository() {
    let r = mapspec(&["docs", "--check"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn docs_bare_renders_the_committed_pages() {
    let out = tempfile::tempdir().unwrap();
    let r = mapspec(&["docs", "--out", out.path().to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let committed = root().join("Documentation/bpf");
    let mut n = 0;
    for e in std::fs::read_dir(out.path()).unwrap() {
        let name = e.unwrap().file_name();
        let fresh = std::fs::read_to_string(out.path().join(&name)).unwrap();
        let old = std::fs::read_to_string(committed.join(&name)).unwrap();
        assert!(fresh == old, "{name:?} differs from the committed page");
        n += 1;
    }
    assert!(n > 20, "only {n} pages");
}

/// The advice of a failed check is the whole command, with the results it
/// rendered from, so following it never strips the verification.
#[test]
fn docs_check_advice_names_the_full_command() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let r = mapspec(&["docs", "--check", "--out", o]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    let want = format!(
        "run `mapspec docs --results kernel-matrix/results --results results/host --out {o}`"
    );
    assert!(err.contains(&want), "{err}");
}

/// Pages are removed only when the full spec set rendered them, and only
/// pages carrying the generated-file header.
#[test]
fn docs_a_specs_subset_never_deletes_other_pages() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let page = std::fs::read_to_string(root().join("Documentation/bpf/map_array.rst")).unwrap();
    std::fs::write(out.path().join("map_array.rst"), &page).unwrap();
    std::fs::write(out.path().join("map_kernel_own.rst"), "Hand-written.\n").unwrap();
    // The fixture specs: one spec, hash.
    let subset = fixture_specs();
    let r = mapspec(&["docs", "--specs", &subset, "--out", o]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.path().join("map_hash.rst").is_file());
    assert_eq!(
        std::fs::read_to_string(out.path().join("map_array.rst")).unwrap(),
        page,
        "a page of a spec outside the subset was touched"
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("map_array.rst"));
    // --check with the subset does not call the other pages stale either.
    let r = mapspec(&["docs", "--specs", &subset, "--out", o, "--check"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );

    // The full set reports a stale generated page and removes it, never a
    // hand-written one.
    std::fs::write(out.path().join("map_gone.rst"), &page).unwrap();
    let r = mapspec(&["docs", "--out", o, "--check"]);
    assert_eq!(r.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(stdout.contains("map_gone.rst: stale file"), "{stdout}");
    assert!(!stdout.contains("map_kernel_own.rst"), "{stdout}");
    let r = mapspec(&["docs", "--out", o]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(!out.path().join("map_gone.rst").exists());
    assert!(out.path().join("map_kernel_own.rst").exists());
}

#[test]
fn docs_results_of_an_unknown_format_version_exit_2_naming_file_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(
        root()
            .join("docgen/tests/fixtures/results")
            .read_dir()
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .unwrap(),
    )
    .unwrap();
    let future = src.replacen("\"format_version\": 2", "\"format_version\": 99", 1);
    assert_ne!(src, future);
    std::fs::write(dir.path().join("future.json"), future).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = mapspec(&[
        "docs",
        "--specs",
        &fixture_specs(),
        "--results",
        dir.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("future.json") && err.contains("format_version 99"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

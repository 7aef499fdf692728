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
    let r = mapspec(&["docs", "--specs", &specs, "--out", o, "--check"]);
    assert_eq!(r.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&r.stdout);
    assert!(
        diff.contains("--- a/") && diff.contains("+++ b/") && diff.contains("@@"),
        "{diff}"
    );
    assert!(diff.contains("+- **Not yet verified:**"), "{diff}");
    assert!(String::from_utf8_lossy(&r.stderr).contains("out of date"));

    // A stale generated page is reported too.
    std::fs::copy(
        out.path().join("map_hash.rst"),
        out.path().join("map_gone.rst"),
    )
    .unwrap();
    let r = mapspec(&check);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("map_gone.rst: stale file"));
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
    assert!(page.contains("**Not yet verified:**"));
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

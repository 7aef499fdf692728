//! The `mapspec` binary end to end: exit codes, output formats, errors.
//! Tests that drive bpf(2) start with `root_`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("run mapspec")
}

fn hash_spec() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/maps/hash.yaml"))
        .unwrap()
}

fn spec_dir_with(content: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("maps");
    std::fs::create_dir_all(&maps).unwrap();
    std::fs::write(maps.join("hash.yaml"), content).unwrap();
    let p = dir.path().to_path_buf();
    (dir, p)
}

#[test]
fn lint_accepts_the_committed_specs() {
    let out = mapspec(&["lint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn lint_reports_file_line_column_and_exits_1() {
    let broken = hash_spec().replacen("expect: EEXIST", "expect: EEXISTS", 1);
    let (_d, dir) = spec_dir_with(&broken);
    let out = mapspec(&["lint", "--specs", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let idx = broken.find("EEXISTS").unwrap();
    let line = broken[..idx].matches('\n').count() + 1;
    let col = idx - broken[..idx].rfind('\n').unwrap();
    let want = format!("hash.yaml:{line}:{col}: ");
    assert!(
        err.contains(&want) && err.contains("did you mean `EEXIST`"),
        "want {want} in:\n{err}"
    );
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_eq!(mapspec(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn missing_spec_dir_is_an_environment_error() {
    let out = mapspec(&["lint", "--specs", "/nonexistent/specs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/specs"));
}

#[test]
fn root_run_as_unprivileged_user_is_an_environment_error() {
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            env!("CARGO_BIN_EXE_mapspec"),
            "run",
            "--quick",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("setpriv (util-linux) runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("must run as root"));
}

#[test]
fn root_run_json_is_a_complete_report() {
    let out = mapspec(&["run", "--quick", "--map", "hash", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert!(v["kernel"]["release"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(v["kernel"]["possible_cpus"].as_u64().unwrap() >= 1);
    let results = v["results"].as_array().unwrap();
    assert!(results.len() > 20);
    for r in results {
        for f in [
            "map_type",
            "claim",
            "text",
            "status",
            "expected",
            "observed",
            "duration_us",
        ] {
            assert!(!r[f].is_null(), "{f} missing in {r}");
        }
    }
}

#[test]
fn root_run_junit_is_well_formed_xml() {
    let out = mapspec(&["run", "--quick", "--map", "hash", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert!(cases > 20);
}

#[test]
fn root_run_exits_1_when_a_spec_is_wrong() {
    // Text and expectation flipped together: lint accepts the words, only the
    // kernel can tell the spec is wrong.
    let wrong = hash_spec()
        .replacen(
            "BPF_NOEXIST on a present key fails with EEXIST.",
            "BPF_NOEXIST on a present key fails with ENOENT.",
            1,
        )
        .replacen("expect: EEXIST", "expect: ENOENT", 1);
    let (_d, dir) = spec_dir_with(&wrong);
    let out = mapspec(&[
        "run",
        "--quick",
        "--specs",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["claim"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["hash/noexist-present"]);
}

#[test]
fn root_run_output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/report.json");
    // A missing directory is an error (cli/tests/files.rs); this one exists.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let out = mapspec(&[
        "run",
        "--quick",
        "--map",
        "hash",
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["format_version"], 2);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");
}

#[test]
fn lint_rejects_markdown_that_docs_cannot_render() {
    // A link title has no RST form; `mapspec docs` would fail, so lint must.
    let spec = hash_spec().replacen(
        "description: |\n",
        "description: |\n  See [the source](https://example.org \"a title\").\n\n",
        1,
    );
    let (_d, dir) = spec_dir_with(&spec);
    let out = mapspec(&["lint", "--specs", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("hash.yaml:"), "{stderr}");
    assert!(stderr.contains("title"), "{stderr}");
}

//! What the CLI does to files: outputs written through safefs (a symlink
//! stays a symlink, /dev/null stays a device), names from results files
//! never become paths, results of an unknown format are refused, and
//! `--specs` means the same in every subcommand.

use std::os::unix::fs::{symlink, FileTypeExt};
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A committed matrix results file with its release replaced.
fn results_with_release(release: &str) -> String {
    let committed = root().join("kernel-matrix/results");
    let file = std::fs::read_dir(committed)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    v["kernel"]["release"] = release.into();
    serde_json::to_string_pretty(&v).unwrap()
}

fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(tree(&p));
        }
        out.push(p);
    }
    out.sort();
    out
}

#[test]
fn matrix_merge_refuses_a_release_that_is_a_path() {
    let escape = format!("/tmp/mapspec-merge-escape-{}", std::process::id());
    for release in ["../../x", escape.as_str()] {
        let top = tempfile::tempdir().unwrap();
        let shard = top.path().join("shard/a/b");
        std::fs::create_dir_all(&shard).unwrap();
        std::fs::write(shard.join("evil.json"), results_with_release(release)).unwrap();
        let out = top.path().join("shard/a/b/out");
        let before = tree(top.path());
        let r = mapspec(&[
            "matrix",
            "merge",
            shard.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(2), "{release}: {}", text(&r));
        assert!(
            text(&r).contains("evil.json") && text(&r).contains("cannot name a file"),
            "{}",
            text(&r)
        );
        assert_eq!(tree(top.path()), before, "{release}: something was written");
        assert!(!Path::new(&format!("{escape}.json")).exists());
    }
}

#[test]
fn matrix_merge_refuses_an_unknown_format_version() {
    let top = tempfile::tempdir().unwrap();
    let json = results_with_release("6.1.0-56-amd64").replacen(
        "\"format_version\": 2",
        "\"format_version\": 99",
        1,
    );
    std::fs::write(top.path().join("future.json"), json).unwrap();
    let out = top.path().join("out");
    let r = mapspec(&[
        "matrix",
        "merge",
        top.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(
        text(&r).contains("future.json") && text(&r).contains("format_version 99"),
        "{}",
        text(&r)
    );
    assert!(!out.exists());
}

/// Results of format version 1 are not converted: docs refuses them with
/// exit 2 and names the commands that make version 2.
#[test]
fn docs_refuses_version_1_results_naming_the_commands_that_regenerate_them() {
    let top = tempfile::tempdir().unwrap();
    let json = results_with_release("6.1.0-56-amd64").replacen(
        "\"format_version\": 2",
        "\"format_version\": 1",
        1,
    );
    let old = top.path().join("6.1.0-56-amd64.json");
    std::fs::write(&old, json).unwrap();
    let out = top.path().join("bpf");
    let r = mapspec(&[
        "docs",
        "--results",
        old.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    let t = text(&r);
    assert!(
        t.contains("6.1.0-56-amd64.json") && t.contains("format_version 1"),
        "{t}"
    );
    assert!(
        t.contains("mapspec matrix") && t.contains("mapspec run --save"),
        "{t}"
    );
    assert!(!out.exists());
}

/// `--specs` has one meaning and one default in every subcommand (run used
/// `spec`, docs and matrix `spec/maps`).
#[test]
fn specs_option_is_the_same_in_every_subcommand() {
    let line = |sub: &[&str]| {
        let mut args = sub.to_vec();
        args.push("--help");
        let r = mapspec(&args);
        assert!(r.status.success(), "{}", text(&r));
        let help = String::from_utf8_lossy(&r.stdout).into_owned();
        // The option's whole entry: its line and the wrapped lines after it.
        let start = help
            .find("--specs")
            .unwrap_or_else(|| panic!("{sub:?} has no --specs:\n{help}"));
        let mut lines = help[start..].lines();
        let mut entry = vec![lines.next().unwrap_or_default()];
        entry.extend(lines.take_while(|l| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('-')
        }));
        entry
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lint = line(&["lint"]);
    assert!(lint.contains("[default: spec]"), "{lint}");
    for sub in [&["run"][..], &["docs"], &["matrix"], &["report"], &["show"]] {
        assert_eq!(line(sub), lint, "{sub:?}");
    }
}

/// `run --output` through a symlink writes the symlink's target and keeps
/// the symlink; `--output /dev/null` leaves /dev/null a device; `-` is
/// standard output. (Needs root
/// and bpf(2): `run` creates maps.)
#[test]
fn root_run_output_through_a_symlink_and_to_dev_null() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("real")).unwrap();
    let target = d.path().join("real/report.json");
    std::fs::write(&target, "stale").unwrap();
    let link = d.path().join("report.json");
    symlink("real/report.json", &link).unwrap();
    let args = |out: &str| {
        let v: Vec<String> = [
            "run", "--quick", "--map", "array", "--format", "json", "--output", out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v
    };
    let run = |out: &str| {
        let a = args(out);
        mapspec(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = run(link.to_str().unwrap());
    assert!(matches!(r.status.code(), Some(0 | 1)), "{}", text(&r));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(report["format_version"], 2);
    assert_eq!(std::fs::read_dir(d.path().join("real")).unwrap().count(), 1);

    let r = run("/dev/null");
    assert!(matches!(r.status.code(), Some(0 | 1)), "{}", text(&r));
    assert!(std::fs::symlink_metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    // `-` is standard output, not a file named `-`.
    let r = run("-");
    assert!(matches!(r.status.code(), Some(0 | 1)), "{}", text(&r));
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["format_version"], 2);
    assert!(!root().join("-").exists());
}

/// A missing directory in `--output` is a usage error, not something to
/// create (a typo would otherwise scatter reports). `--output` of a
/// directory is one too, and leaves nothing behind.
#[test]
fn root_run_output_into_a_missing_directory_or_onto_a_directory_exits_2() {
    let d = tempfile::tempdir().unwrap();
    let typo = d.path().join("typo/report.json");
    let dir = d.path().join("dir");
    std::fs::create_dir(&dir).unwrap();
    for out in [typo.to_str().unwrap(), dir.to_str().unwrap()] {
        let r = mapspec(&[
            "run", "--quick", "--map", "array", "--format", "json", "--output", out,
        ]);
        assert_eq!(r.status.code(), Some(2), "{out}: {}", text(&r));
        assert!(
            String::from_utf8_lossy(&r.stderr).contains(out),
            "{}",
            text(&r)
        );
    }
    assert!(!d.path().join("typo").exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
}

//! `mapspec matrix --image` and `mapspec diff`. The `qemu_` test boots the
//! cached Debian 5.10 image as if it were a local build, with a few specs.
//! It needs qemu-system-x86_64 and the static runner (MAPSPEC_RUNNER, or
//! built by kernel-matrix/build-runner.sh).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{cached_kernel, runner, top};
use mapspec_kernel_matrix::{diff, fetch};
use mapspec_spec::results::RunReport;
use mapspec_spec::{Errno, Outcome};

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(top())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The committed results of the 5.10 kernel, and the cached image (the
/// bzImage from Debian's package, fetched through the lock as other
/// tests do).
fn debian_5_10() -> (PathBuf, PathBuf) {
    let k = cached_kernel("5.10");
    let results = top().join(format!("kernel-matrix/results/{}.json", k.entry.release));
    (k.image, results)
}

/// Specs without statistical claims: their outcomes are the same on every
/// boot, so the comparison with the committed results is exact.
const SUBSET: &[&str] = &["queue", "stack", "bloom_filter"];

#[test]
fn qemu_a_local_image_is_recorded_as_such_and_compared_with_a_baseline() {
    let (image, committed) = debian_5_10();
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir(&specs).unwrap();
    for s in SUBSET {
        std::fs::copy(
            top().join(format!("spec/maps/{s}.yaml")),
            specs.join(format!("{s}.yaml")),
        )
        .unwrap();
    }
    // The baseline: the committed 5.10 results with one errno changed.
    let mut base = RunReport::read(&committed).expect("committed 5.10 results read");
    let changed = base
        .results
        .iter_mut()
        .find(|c| {
            c.claim.starts_with("queue/")
                && c.decisive.as_ref().is_some_and(|d| !d.observed.is_ok())
        })
        .expect("a queue claim whose decisive operation fails with an errno");
    let id = changed.claim.clone();
    let d = changed.decisive.as_mut().unwrap();
    d.observed = if d.observed == Outcome::Err(Errno::E2BIG) {
        Outcome::Err(Errno::EINVAL)
    } else {
        Outcome::Err(Errno::E2BIG)
    };
    let fabricated = dir.path().join("baseline.json");
    std::fs::write(&fabricated, base.to_json()).unwrap();

    let out_dir = dir.path().join("out");
    let runner = runner();
    let o = mapspec(&[
        "matrix",
        "--runner",
        runner.to_str().unwrap(),
        "--image",
        image.to_str().unwrap(),
        "--specs",
        specs.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--accel",
        "tcg",
        "--baseline",
        fabricated.to_str().unwrap(),
    ]);
    let all = text(&o);
    // Exactly the changed claim, then the counts.
    assert_eq!(o.status.code(), Some(1), "{all}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let listed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": baseline "))
        .collect();
    assert_eq!(listed.len(), 1, "{all}");
    assert!(listed[0].starts_with(&format!("{id}: ")), "{all}");
    assert!(stdout.contains(", 1 differ"), "{all}");

    // The results: marked as a local image, with its sha256.
    let files: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let new = RunReport::read(&files[0]).unwrap();
    let local = new.kernel.local_image.as_ref().expect("marked local");
    assert_eq!(local.sha256, fetch::sha256_file(&image).unwrap());
    assert_eq!(new.kernel.release, base.kernel.release);
    assert!(new
        .results
        .iter()
        .all(|c| SUBSET.iter().any(|s| c.claim.starts_with(&format!("{s}/")))));

    // Against the committed results as they are (what `--baseline 5.10`
    // picks): no difference, counts only.
    let (picked, _) = diff::resolve_baseline("5.10", &top().join("kernel-matrix/results"))
        .expect("a 5.10 baseline");
    assert_eq!(picked.file_name(), committed.file_name());
    let o = mapspec(&[
        "diff",
        committed.to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        1,
        "{}",
        text(&o)
    );
}

/// A results file of two claims, the second failing with `errno`.
fn two_claims(errno: Errno) -> RunReport {
    use mapspec_spec::results::{ClaimResult, Decisive, KernelInfo, Mode, Status, Summary};
    let claim = |id: &str, observed: Outcome| ClaimResult {
        map_type: "BPF_MAP_TYPE_HASH".into(),
        claim: id.into(),
        text: "t".into(),
        status: Status::Pass,
        mode: Mode::AsWritten,
        statistical: false,
        decisive: Some(Decisive {
            op: "lookup(key=1)".into(),
            expected: observed,
            observed,
        }),
        expected: String::new(),
        observed: String::new(),
        reason: None,
        measurement: None,
        duration_us: None,
    };
    let results = vec![
        claim("hash/a", Outcome::Ok),
        claim("hash/b", Outcome::Err(errno)),
    ];
    RunReport {
        format_version: mapspec_spec::results::FORMAT_VERSION,
        tool_version: "0.1.0".into(),
        kernel: KernelInfo {
            release: "6.1.0-1-amd64".into(),
            version: "6.1.1".into(),
            upstream: mapspec_spec::KernelVersion::new(6, 1, 1),
            machine: "x86_64".into(),
            possible_cpus: 2,
            online_cpus: 2,
            local_image: None,
        },
        quick: false,
        summary: Summary::of(&results),
        results,
        duration_ms: None,
    }
}

#[test]
fn diff_prints_only_the_counts_when_two_files_agree_and_the_claim_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, two_claims(Errno::ENOENT).to_json()).unwrap();
    std::fs::write(&b, two_claims(Errno::EINVAL).to_json()).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let o = mapspec(&["diff", a, a]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("2 compared: 2 pass on both") && stdout.contains(" 0 differ"),
        "{stdout}"
    );

    let o = mapspec(&["diff", a, b]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.starts_with("hash/b: lookup(key=1): baseline pass (ENOENT), now pass (EINVAL)"),
        "{stdout}"
    );
    // An intended change is accepted, and still shown.
    let o = mapspec(&["diff", a, b, "--allow", "hash/b"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("allowed: hash/b: "));
    // A file that is not results: exit 2.
    let o = mapspec(&["diff", a, "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn image_refuses_options_of_the_debian_matrix_and_baseline_needs_an_image() {
    let o = mapspec(&["matrix", "--image", "x", "--only", "5.10"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = mapspec(&["matrix", "--baseline", "7.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

//! `--check` (a fresh run against the committed results) and `merge`.
//!
//! `--check` ignores the `measurement` of statistical claims (those whose
//! result says `statistical`: concurrency, LRU eviction budgets): their
//! counts vary from boot to boot while the verdict does not. Everything
//! else — status, mode, decisive operation, expected, observed, reason, the
//! kernel description and the claim set — must match exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mapspec_spec::results::{ClaimResult, RunReport};

use crate::MatrixError;

/// The report as compared: no timings, no counts of statistical claims.
pub fn normalized(r: &RunReport) -> RunReport {
    let mut r = r.clone().without_timings();
    for c in r.results.iter_mut().filter(|c| c.statistical) {
        c.measurement = None;
    }
    r
}

fn by_claim(r: &RunReport) -> BTreeMap<String, ClaimResult> {
    r.results
        .iter()
        .map(|c| (c.claim.clone(), c.clone()))
        .collect()
}

/// Human-readable differences from `old` (committed) to `new` (this run).
pub fn diff_reports(old: &RunReport, new: &RunReport) -> Vec<String> {
    let (old, new) = (normalized(old), normalized(new));
    let mut out = Vec::new();
    if old.kernel != new.kernel {
        out.push(format!("kernel: {:?} -> {:?}", old.kernel, new.kernel));
    }
    if old.quick != new.quick {
        out.push(format!("quick: {} -> {}", old.quick, new.quick));
    }
    if old.format_version != new.format_version {
        out.push(format!(
            "format_version: {} -> {}",
            old.format_version, new.format_version
        ));
    }
    let (a, b) = (by_claim(&old), by_claim(&new));
    for (id, o) in &a {
        match b.get(id) {
            None => out.push(format!("{id}: in the committed results, not produced now")),
            Some(n) if n != o => {
                let mut fields = Vec::new();
                let mut cmp = |name: &str, x: String, y: String| {
                    if x != y {
                        fields.push(format!("    {name}: {x:?} -> {y:?}"));
                    }
                };
                cmp("status", o.status.as_str().into(), n.status.as_str().into());
                cmp("mode", format!("{:?}", o.mode), format!("{:?}", n.mode));
                cmp(
                    "statistical",
                    o.statistical.to_string(),
                    n.statistical.to_string(),
                );
                let decisive = |c: &ClaimResult| {
                    c.decisive.as_ref().map_or("none".into(), |d| {
                        format!("{} -> {} (expected {})", d.op, d.observed, d.expected)
                    })
                };
                cmp("decisive", decisive(o), decisive(n));
                cmp(
                    "measurement",
                    format!("{:?}", o.measurement),
                    format!("{:?}", n.measurement),
                );
                cmp("expected", o.expected.clone(), n.expected.clone());
                cmp("observed", o.observed.clone(), n.observed.clone());
                cmp(
                    "reason",
                    o.reason.clone().unwrap_or_default(),
                    n.reason.clone().unwrap_or_default(),
                );
                cmp("text", o.text.clone(), n.text.clone());
                cmp("map_type", o.map_type.clone(), n.map_type.clone());
                out.push(format!("{id}: changed\n{}", fields.join("\n")));
            }
            Some(_) => {}
        }
    }
    for id in b.keys().filter(|id| !a.contains_key(*id)) {
        out.push(format!("{id}: new, not in the committed results"));
    }
    // Same claims, same verdicts, but a different order still changes the
    // committed bytes, which docgen and reviewers see.
    if out.is_empty() && old != new {
        out.push(
            "same results in a different order or with a different summary/tool version".into(),
        );
    }
    out
}

/// Whether every difference between two reports of one kernel is in a
/// statistical claim (`statistical` in either report): a race that was not
/// observed within its budget this time, say. Such drift earns one more
/// boot before it is reported; any other difference never does.
pub fn only_statistical_drift(old: &RunReport, new: &RunReport) -> bool {
    let (o, n) = (normalized(old), normalized(new));
    if o.kernel != n.kernel || o.quick != n.quick || o.format_version != n.format_version {
        return false;
    }
    let statistical =
        |r: &RunReport, id: &str| r.results.iter().any(|c| c.claim == id && c.statistical);
    let (a, b) = (by_claim(&o), by_claim(&n));
    if a.len() != b.len() || a.keys().ne(b.keys()) {
        return false;
    }
    let differing: Vec<&String> = a.keys().filter(|id| a.get(*id) != b.get(*id)).collect();
    !differing.is_empty()
        && differing
            .iter()
            .all(|id| statistical(old, id) || statistical(new, id))
}

/// The results file name of a report: `<kernel.release>.json`. The release
/// comes from a guest or from a file someone sent, so it must be a plain
/// file name (`mapspec_safefs::check_name`) before it names one.
pub fn file_name(r: &RunReport) -> Result<String, MatrixError> {
    mapspec_safefs::check_name(&r.kernel.release)
        .map(|release| format!("{release}.json"))
        .map_err(|source| MatrixError::UnsafeName {
            what: "kernel.release".into(),
            source,
        })
}

/// The results files in `dir` that no kernel produces any more: `*.json`
/// regular files that parse as mapspec results files, named neither by a
/// locked release (`locked`, which keeps the results of a kernel whose boot
/// failed this time) nor by this run (`produced`). Nothing when no kernel
/// produced results: a run where every boot failed says nothing about
/// which files are stale. Anything else in the directory (a
/// `package.json`, notes) is never touched.
pub fn stale_results(
    dir: &Path,
    locked: &BTreeSet<String>,
    produced: &BTreeSet<String>,
) -> Vec<PathBuf> {
    if produced.is_empty() {
        return Vec::new();
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".json") && !locked.contains(&n) && !produced.contains(&n)
        })
        .map(|e| e.path())
        .filter(|p| RunReport::read(p).is_ok())
        .collect();
    stale.sort();
    stale
}

/// Read the results of several shard directories into one set keyed by
/// kernel release. The same release in two places must agree (measurements
/// aside), else it is a conflict.
pub fn merge(dirs: &[PathBuf]) -> Result<Vec<(RunReport, PathBuf)>, MatrixError> {
    let mut by_release: BTreeMap<String, (RunReport, PathBuf)> = BTreeMap::new();
    for d in dirs {
        for (report, path) in read_dir_reports(d)? {
            // Every name is checked before any file is written.
            file_name(&report).map_err(|e| match e {
                MatrixError::UnsafeName { source, .. } => MatrixError::UnsafeName {
                    what: format!("{}: kernel.release", path.display()),
                    source,
                },
                e => e,
            })?;
            let release = report.kernel.release.clone();
            match by_release.get(&release) {
                Some((prev, prev_path)) if normalized(prev) != normalized(&report) => {
                    return Err(MatrixError::MergeConflict {
                        release,
                        first: prev_path.clone(),
                        second: path,
                    });
                }
                Some(_) => {}
                None => {
                    by_release.insert(release, (report, path));
                }
            }
        }
    }
    Ok(by_release.into_values().collect())
}

/// Every results file of a directory (or one file), with its path.
pub fn read_dir_reports(path: &Path) -> Result<Vec<(RunReport, PathBuf)>, MatrixError> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| MatrixError::Io {
                what: "read",
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    files
        .into_iter()
        .map(|f| Ok((RunReport::read(&f)?, f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::results::{KernelInfo, Measurement, Mode, Status, Summary, FORMAT_VERSION};

    /// A claim; with `m`, a statistical one that lost `m` increments.
    fn claim(id: &str, status: Status, m: Option<u64>) -> ClaimResult {
        ClaimResult {
            map_type: "BPF_MAP_TYPE_HASH".into(),
            claim: id.into(),
            text: "t".into(),
            status,
            mode: Mode::AsWritten,
            statistical: m.is_some(),
            decisive: None,
            expected: "e".into(),
            observed: "o".into(),
            reason: None,
            measurement: m.map(lost),
            duration_us: Some(12),
        }
    }

    fn lost(n: u64) -> Measurement {
        Measurement::Race {
            program: "inc".into(),
            threads: 2,
            repeat: 100,
            budget_ms: 50,
            elapsed_ms: 7,
            rounds: 1,
            runs: 1000,
            counted: 1000_u64.saturating_sub(n),
            lost: n,
            worst_round_lost: n,
            percpu: false,
        }
    }

    fn report(release: &str, results: Vec<ClaimResult>) -> RunReport {
        RunReport {
            format_version: FORMAT_VERSION,
            tool_version: "0.1.0".into(),
            kernel: KernelInfo {
                release: release.into(),
                version: "6.1.176".into(),
                upstream: mapspec_spec::KernelVersion::new(6, 1, 176),
                machine: "x86_64".into(),
                possible_cpus: 2,
                online_cpus: 2,
                local_image: None,
            },
            quick: false,
            summary: Summary::of(&results),
            results,
            duration_ms: Some(5),
        }
    }

    #[test]
    fn measurements_and_timings_are_ignored() {
        let a = report("r", vec![claim("hash/a", Status::Pass, Some(1))]);
        let b = report("r", vec![claim("hash/a", Status::Pass, Some(999))]);
        assert!(diff_reports(&a, &b).is_empty());
    }

    /// Only the counts of a claim marked statistical are ignored: a
    /// measurement on any other claim, a changed flag, mode or decisive
    /// operation is a difference.
    #[test]
    fn only_the_measurement_of_statistical_claims_is_ignored() {
        use mapspec_spec::results::Decisive;
        use mapspec_spec::{Errno, KernelVersion, Outcome};
        let a = report("r", vec![claim("hash/a", Status::Pass, None)]);
        let mut b = a.clone();
        b.results[0].measurement = Some(lost(1));
        assert!(!diff_reports(&a, &b).is_empty());
        assert!(!only_statistical_drift(&a, &b));
        let mut c = a.clone();
        c.results[0].statistical = true;
        assert!(!diff_reports(&a, &c).is_empty());
        let mut d = a.clone();
        d.results[0].mode = Mode::AfterUntil {
            until: KernelVersion::new(6, 1, 0),
        };
        assert!(diff_reports(&a, &d)[0].contains("mode"));
        let dec = |o| Decisive {
            op: "lookup(key=1)".into(),
            expected: Outcome::Err(Errno::ENOENT),
            observed: o,
        };
        let (mut e, mut f) = (a.clone(), a.clone());
        e.results[0].decisive = Some(dec(Outcome::Err(Errno::ENOENT)));
        f.results[0].decisive = Some(dec(Outcome::from_errno(133)));
        let diff = diff_reports(&e, &f);
        assert!(diff[0].contains("errno 133"), "{diff:?}");
    }

    #[test]
    fn status_changes_and_claim_sets_are_reported() {
        let a = report(
            "r",
            vec![
                claim("hash/a", Status::Pass, None),
                claim("hash/b", Status::Pass, None),
            ],
        );
        let b = report(
            "r",
            vec![
                claim("hash/a", Status::Fail, None),
                claim("hash/c", Status::Pass, None),
            ],
        );
        let d = diff_reports(&a, &b);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d[0].contains("hash/a") && d[0].contains("\"pass\" -> \"fail\""));
        assert!(d[1].contains("hash/b") && d[1].contains("not produced now"));
        assert!(d[2].contains("hash/c") && d[2].contains("new"));
    }

    #[test]
    fn only_statistical_drift_is_recognised() {
        let old = report(
            "r",
            vec![
                claim("a/x", Status::Pass, None),
                claim("a/race", Status::Pass, Some(3)),
            ],
        );
        let mut racy = old.clone();
        racy.results[1] = claim("a/race", Status::Fail, Some(0));
        assert!(only_statistical_drift(&old, &racy));
        let mut real = racy.clone();
        real.results[0] = claim("a/x", Status::Fail, None);
        assert!(!only_statistical_drift(&old, &real));
        assert!(!only_statistical_drift(&old, &old));
    }

    #[test]
    fn order_change_is_drift() {
        let a = report(
            "r",
            vec![
                claim("hash/a", Status::Pass, None),
                claim("hash/b", Status::Pass, None),
            ],
        );
        let b = report(
            "r",
            vec![
                claim("hash/b", Status::Pass, None),
                claim("hash/a", Status::Pass, None),
            ],
        );
        assert_eq!(diff_reports(&a, &b).len(), 1);
    }

    fn write(dir: &Path, r: &RunReport) {
        std::fs::write(
            dir.join(file_name(r).unwrap()),
            r.clone().without_timings().to_json(),
        )
        .unwrap();
    }

    #[test]
    fn merge_unions_and_detects_conflicts() {
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(
            d1.path(),
            &report(
                "5.10.0-46-amd64",
                vec![claim("hash/a", Status::Skip, Some(1))],
            ),
        );
        write(
            d2.path(),
            &report("6.1.0-50-amd64", vec![claim("hash/a", Status::Pass, None)]),
        );
        // The same kernel in both shards, differing only in a measurement.
        write(
            d2.path(),
            &report(
                "5.10.0-46-amd64",
                vec![claim("hash/a", Status::Skip, Some(3))],
            ),
        );
        let got = merge(&[d1.path().into(), d2.path().into()]).unwrap();
        let releases: Vec<_> = got.iter().map(|(r, _)| r.kernel.release.as_str()).collect();
        assert_eq!(releases, ["5.10.0-46-amd64", "6.1.0-50-amd64"]);

        let d3 = tempfile::tempdir().unwrap();
        write(
            d3.path(),
            &report("6.1.0-50-amd64", vec![claim("hash/a", Status::Fail, None)]),
        );
        let e = merge(&[d2.path().into(), d3.path().into()]).unwrap_err();
        assert!(e.to_string().contains("6.1.0-50-amd64"), "{e}");
    }

    #[test]
    fn merge_rejects_non_results() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("x.json"), "{}").unwrap();
        assert!(merge(&[d.path().into()]).is_err());
    }

    #[test]
    fn merge_refuses_a_release_that_is_not_a_file_name() {
        for release in ["../../x", "/tmp/x", "a/b", ".."] {
            let d = tempfile::tempdir().unwrap();
            let mut r = report("6.1.0-50-amd64", vec![claim("hash/a", Status::Pass, None)]);
            r.kernel.release = release.into();
            std::fs::write(d.path().join("evil.json"), r.to_json()).unwrap();
            let e = merge(&[d.path().into()]).unwrap_err();
            assert!(
                matches!(e, MatrixError::UnsafeName { .. }),
                "{release}: {e}"
            );
            assert!(e.to_string().contains("evil.json"), "{e}");
            assert!(e.is_environment());
        }
    }

    #[test]
    fn only_results_files_are_stale_and_only_when_a_kernel_produced_results() {
        let d = tempfile::tempdir().unwrap();
        let old = report("5.4.0-1-amd64", vec![claim("hash/a", Status::Pass, None)]);
        write(d.path(), &old);
        let kept = report("6.1.0-50-amd64", vec![claim("hash/a", Status::Pass, None)]);
        write(d.path(), &kept);
        std::fs::write(d.path().join("package.json"), r#"{"name": "x"}"#).unwrap();
        std::fs::write(d.path().join("x.json"), "not json at all").unwrap();
        std::fs::create_dir(d.path().join("dir.json")).unwrap();
        let v1 = RunReport {
            format_version: 99,
            ..old.clone()
        };
        std::fs::write(d.path().join("v99.json"), v1.to_json()).unwrap();
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let locked = set(&["6.1.0-50-amd64.json"]);
        // Every boot failed: nothing is stale.
        assert!(stale_results(d.path(), &locked, &set(&[])).is_empty());
        let stale = stale_results(d.path(), &locked, &set(&["7.2.json"]));
        assert_eq!(stale, [d.path().join("5.4.0-1-amd64.json")]);
    }
}

//! Which documented behaviours changed between two results files: a
//! kernel a developer built against the last release's committed results
//! (`mapspec matrix --image ... --baseline`), or any two files (`mapspec
//! diff`).
//!
//! A claim's outcome is what the runner recorded as types: its status,
//! the mode it was checked in, and the outcome of the decisive operation.
//! The human-readable evidence (`expected`, `observed`) is never parsed,
//! and statistical counts are not compared (they vary from run to run).
//! Only claims present in both files are compared: a run of a few specs
//! against a full baseline compares those specs' claims.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mapspec_spec::results::{ClaimResult, Mode, RunReport, Status};
use mapspec_spec::{KernelVersion, Outcome};

use crate::MatrixError;

/// One claim whose outcome differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub claim: String,
    /// The decisive operation (the new run's, else the baseline's); None
    /// when neither recorded one (a skip, a statistical verdict).
    pub op: Option<String>,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Claims in both with the same outcome, by status.
    pub same_pass: usize,
    pub same_other: usize,
    /// Claims whose outcome differs and that were not allowed.
    pub changed: Vec<Change>,
    /// Differing claims accepted by `--baseline-allow`.
    pub allowed: Vec<Change>,
    /// Allowed ids that did not differ (or are in neither file): listed so
    /// that a stale allowance is noticed.
    pub allowed_unused: Vec<String>,
    /// Claims in only one of the files (not compared).
    pub only_in_baseline: usize,
    pub only_in_new: usize,
}

impl Comparison {
    pub fn differs(&self) -> bool {
        !self.changed.is_empty()
    }

    /// The counts, one line.
    pub fn counts(&self) -> String {
        let mut s = format!(
            "{} compared: {} pass on both, {} with the same other outcome, {} differ",
            self.same_pass + self.same_other + self.changed.len() + self.allowed.len(),
            self.same_pass,
            self.same_other,
            self.changed.len()
        );
        if !self.allowed.is_empty() {
            s += &format!(" (+{} allowed)", self.allowed.len());
        }
        if self.only_in_baseline + self.only_in_new > 0 {
            s += &format!(
                "; not compared: {} only in the baseline, {} only in the new results",
                self.only_in_baseline, self.only_in_new
            );
        }
        s
    }

    /// Every line to print: the changes, then the allowed ones, then the
    /// counts.
    pub fn lines(&self) -> Vec<String> {
        let show = |c: &Change| {
            format!(
                "{}: {}baseline {}, now {}",
                c.claim,
                c.op.as_ref().map(|o| format!("{o}: ")).unwrap_or_default(),
                c.before,
                c.after
            )
        };
        let mut out: Vec<String> = self.changed.iter().map(show).collect();
        out.extend(self.allowed.iter().map(|c| format!("allowed: {}", show(c))));
        for id in &self.allowed_unused {
            out.push(format!("note: --baseline-allow {id}: no such change"));
        }
        out.push(self.counts());
        out
    }
}

/// The comparable outcome of a claim, in words.
fn outcome(c: &ClaimResult) -> String {
    let mut s = c.status.as_str().to_string();
    if let Some(d) = &c.decisive {
        s += &format!(" ({})", d.observed);
    }
    match &c.mode {
        Mode::AsWritten => {}
        Mode::BeforeSince { .. } => s += ", checked for the behaviour before `since`",
        Mode::AfterUntil { .. } => s += ", checked for the behaviour after `until`",
        Mode::TypeAbsent { .. } => s += ", checked that the map type is refused",
    }
    s
}

/// What makes two results of a claim the same: status, mode kind and the
/// decisive operation's observed outcome.
fn key(c: &ClaimResult) -> (Status, std::mem::Discriminant<Mode>, Option<Outcome>) {
    (
        c.status,
        std::mem::discriminant(&c.mode),
        c.decisive.as_ref().map(|d| d.observed),
    )
}

/// Compare `new` with `baseline`; the ids in `allow` are intended changes.
pub fn compare(baseline: &RunReport, new: &RunReport, allow: &[String]) -> Comparison {
    let by_id = |r: &RunReport| -> BTreeMap<String, ClaimResult> {
        r.results
            .iter()
            .map(|c| (c.claim.clone(), c.clone()))
            .collect()
    };
    let (a, b) = (by_id(baseline), by_id(new));
    let allow: BTreeSet<&str> = allow.iter().map(String::as_str).collect();
    let mut cmp = Comparison::default();
    let mut used = BTreeSet::new();
    for (id, old) in &a {
        let Some(now) = b.get(id) else {
            cmp.only_in_baseline += 1;
            continue;
        };
        if key(old) == key(now) {
            if old.status == Status::Pass {
                cmp.same_pass += 1;
            } else {
                cmp.same_other += 1;
            }
            continue;
        }
        let change = Change {
            claim: id.clone(),
            op: now
                .decisive
                .as_ref()
                .or(old.decisive.as_ref())
                .map(|d| d.op.clone()),
            before: outcome(old),
            after: outcome(now),
        };
        if allow.contains(id.as_str()) {
            used.insert(id.as_str());
            cmp.allowed.push(change);
        } else {
            cmp.changed.push(change);
        }
    }
    cmp.only_in_new = b.keys().filter(|id| !a.contains_key(*id)).count();
    cmp.allowed_unused = allow
        .iter()
        .filter(|id| !used.contains(*id))
        .map(|id| id.to_string())
        .collect();
    cmp
}

/// `--baseline VERSION|FILE`: an existing file is read as it is; anything
/// else is a version, and the baseline is the committed result in
/// `results_dir` of the newest release at or below it (by major.minor:
/// `7.2` means the 7.2 series, whatever its stable release).
pub fn resolve_baseline(
    arg: &str,
    results_dir: &Path,
) -> Result<(PathBuf, RunReport), MatrixError> {
    let as_file = Path::new(arg);
    if as_file.is_file() {
        return Ok((as_file.to_path_buf(), RunReport::read(as_file)?));
    }
    let Some(want) = KernelVersion::parse(arg) else {
        return Err(MatrixError::Config {
            path: as_file.to_path_buf(),
            message: "--baseline is neither a results file nor a kernel version (such as 6.12)"
                .into(),
        });
    };
    nearest(want, results_dir)
}

/// The committed result of the newest series at or below `want`.
pub fn nearest(
    want: KernelVersion,
    results_dir: &Path,
) -> Result<(PathBuf, RunReport), MatrixError> {
    let series = |v: KernelVersion| (v.major, v.minor);
    let mut best: Option<(KernelVersion, PathBuf, RunReport)> = None;
    for (report, path) in crate::compare::read_dir_reports(results_dir)? {
        let v = report.kernel.upstream;
        if series(v) > series(want) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _, _)| v > *b) {
            best = Some((v, path, report));
        }
    }
    best.map(|(_, p, r)| (p, r))
        .ok_or_else(|| MatrixError::Config {
            path: results_dir.to_path_buf(),
            message: format!(
                "no committed results of a kernel at or below {}.{} to compare with; name a \
             results file with --baseline FILE",
                want.major, want.minor
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::results::{Decisive, KernelInfo, Summary};
    use mapspec_spec::Errno;

    fn claim(id: &str, status: Status, observed: Outcome) -> ClaimResult {
        ClaimResult {
            map_type: "BPF_MAP_TYPE_HASH".into(),
            claim: id.into(),
            text: "t".into(),
            status,
            mode: Mode::AsWritten,
            statistical: false,
            decisive: Some(Decisive {
                op: "update(key=1, BPF_NOEXIST)".into(),
                expected: Outcome::Err(Errno::EEXIST),
                observed,
            }),
            expected: "free text".into(),
            observed: "free text".into(),
            reason: None,
            measurement: None,
            duration_us: None,
        }
    }

    fn report(claims: Vec<ClaimResult>) -> RunReport {
        RunReport {
            format_version: mapspec_spec::results::FORMAT_VERSION,
            tool_version: "0.1.0".into(),
            kernel: KernelInfo {
                release: "r".into(),
                version: "6.1.1".into(),
                upstream: KernelVersion::new(6, 1, 1),
                machine: "x86_64".into(),
                possible_cpus: 2,
                online_cpus: 2,
                local_image: None,
            },
            quick: false,
            summary: Summary::of(&claims),
            results: claims,
            duration_ms: None,
        }
    }

    #[test]
    fn equal_results_give_counts_only_and_a_changed_errno_is_listed_with_its_operation() {
        let eexist = Outcome::Err(Errno::EEXIST);
        let base = report(vec![
            claim("hash/a", Status::Pass, eexist),
            claim("hash/b", Status::Pass, Outcome::Ok),
            claim("hash/c", Status::Skip, Outcome::Ok),
        ]);
        let same = compare(&base, &base, &[]);
        assert!(!same.differs());
        assert_eq!((same.same_pass, same.same_other), (2, 1));
        assert_eq!(same.lines().len(), 1, "{:?}", same.lines());

        // The evidence text differs, the typed outcome does not: the same.
        let mut worded = base.clone();
        worded.results[0].observed = "other words".into();
        assert!(!compare(&base, &worded, &[]).differs());

        let mut new = base.clone();
        new.results[0] = claim("hash/a", Status::Fail, Outcome::Err(Errno::EINVAL));
        let c = compare(&base, &new, &[]);
        assert_eq!(c.changed.len(), 1);
        let line = &c.lines()[0];
        assert!(
            line.starts_with("hash/a: update(key=1, BPF_NOEXIST): baseline pass (EEXIST)")
                && line.contains("now fail (EINVAL)"),
            "{line}"
        );
        // Allowed: not a difference, still shown.
        let allowed = compare(&base, &new, &["hash/a".into(), "hash/zz".into()]);
        assert!(!allowed.differs());
        assert_eq!(allowed.allowed.len(), 1);
        assert_eq!(allowed.allowed_unused, vec!["hash/zz".to_string()]);
    }

    #[test]
    fn only_claims_present_in_both_are_compared() {
        let ok = Outcome::Ok;
        let base = report(vec![
            claim("hash/a", Status::Pass, ok),
            claim("array/x", Status::Pass, ok),
        ]);
        let new = report(vec![
            claim("hash/a", Status::Pass, ok),
            claim("hash/new", Status::Pass, ok),
        ]);
        let c = compare(&base, &new, &[]);
        assert!(!c.differs());
        assert_eq!((c.only_in_baseline, c.only_in_new, c.same_pass), (1, 1, 1));
    }

    #[test]
    fn a_version_picks_the_newest_series_at_or_below_it() {
        let dir = tempfile::tempdir().unwrap();
        for (release, v) in [
            ("5.10.0-1", (5, 10, 200)),
            ("6.1.0-1", (6, 1, 150)),
            ("6.12.0-1", (6, 12, 40)),
        ] {
            let mut r = report(vec![]);
            r.kernel.release = release.into();
            r.kernel.upstream = KernelVersion::new(v.0, v.1, v.2);
            std::fs::write(dir.path().join(format!("{release}.json")), r.to_json()).unwrap();
        }
        let pick = |v: &str| {
            resolve_baseline(v, dir.path())
                .map(|(_, r)| r.kernel.release)
                .map_err(|e| e.to_string())
        };
        assert_eq!(pick("6.1").unwrap(), "6.1.0-1");
        assert_eq!(pick("6.11").unwrap(), "6.1.0-1");
        assert_eq!(pick("6.12.3").unwrap(), "6.12.0-1");
        assert_eq!(pick("7.2").unwrap(), "6.12.0-1");
        assert!(pick("5.4").unwrap_err().contains("at or below 5.4"));
        assert!(pick("junk").unwrap_err().contains("neither a results file"));
        let file = dir.path().join("5.10.0-1.json");
        assert_eq!(pick(file.to_str().unwrap()).unwrap(), "5.10.0-1");
    }
}

//! The results format written by `mapspec run --format json` and by the
//! kernel matrix, and read by docgen, `--check` and the reports.
//! Documented in README.md.
//!
//! Version 2 records as types what the runner decided (the mode a claim
//! was checked in, the operation whose outcome decided the verdict, the
//! counts of a statistical check, the kernel's version), so that no reader
//! parses the human-readable `expected`/`observed` evidence or plans a
//! claim a second time.

use crate::names::Outcome;
use crate::version::{KernelVersion, Since};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 2;

/// How to make results of the current format, named by the error that
/// refuses an older one.
pub const REGENERATE: &str = "regenerate them with `mapspec matrix` (kernel-matrix results) \
     or `mapspec run --save FILE` (results of this host)";

/// The largest results file read: today's are about 1.1 MiB, so this leaves
/// room for many more specs while a hostile or mistaken file (a disk image
/// named `.json`) is refused before it is read into memory.
pub const MAX_RESULTS_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// `uname -r`.
    pub release: String,
    /// The upstream version as the pages name the kernel, from
    /// /proc/version where the distribution records it (Debian: "Debian
    /// 6.1.119-1"), else from the release.
    pub version: String,
    /// `version` parsed once (`0.0` when it does not parse): the version
    /// every claim's `since`/`until` was compared with on this kernel.
    pub upstream: KernelVersion,
    /// `uname -m`.
    pub machine: String,
    /// Number of possible CPUs (/sys/devices/system/cpu/possible): the
    /// multiplier of per-CPU value sizes.
    pub possible_cpus: u32,
    /// Online CPUs, which gate concurrency checks.
    pub online_cpus: u32,
    /// Set for a local image only: marks the results as those of a local build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_image: Option<LocalImage>,
}

/// A kernel image booted from disk by `mapspec matrix --image`; absent for
/// every other run (Debian kernels of the lock, `mapspec run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalImage {
    /// sha256 of the image file booted (bzImage or PVH vmlinux).
    pub sha256: String,
    /// The image's file name (no directory: results stay machine-independent).
    pub file: String,
}

/// What a claim was checked for on this kernel, decided by the runner from
/// the kernel's version and the claim's (or its type's) versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mode {
    /// The claim as written.
    AsWritten,
    /// The kernel predates the claim's `since`: the check expects the
    /// claim's `before` outcome (or is skipped when the spec gives none).
    BeforeSince { since: Since },
    /// The kernel is at or past the claim's `until`: the check expects its
    /// `after` outcome (or is skipped when the spec gives none).
    AfterUntil { until: KernelVersion },
    /// The kernel predates the map type (`since` of the spec): the check is
    /// that `BPF_MAP_CREATE` refuses the type.
    TypeAbsent { since: KernelVersion },
}

impl Mode {
    /// Checked for another outcome than the one the claim states.
    pub fn is_refusal(&self) -> bool {
        *self != Mode::AsWritten
    }
}

/// The operation whose outcome decided the verdict: the one that differed,
/// the one that showed a refusal check's older outcome, or, for a pass,
/// the last one checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisive {
    /// The operation as the evidence names it, e.g.
    /// `update(key=1, BPF_NOEXIST)`.
    pub op: String,
    /// What the check expected of it: the spec's outcome, or in a refusal
    /// check that met the older outcome, that outcome.
    pub expected: Outcome,
    pub observed: Outcome,
}

/// Counts of a statistical check. They vary from run to run while the
/// verdict does not, so `--check` ignores them (and only them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measurement {
    /// `prog_race`: threads run a counter program; lost increments.
    Race {
        program: String,
        threads: u64,
        /// Program runs per thread per round.
        repeat: u64,
        budget_ms: u64,
        elapsed_ms: u64,
        rounds: u64,
        runs: u64,
        counted: u64,
        lost: u64,
        worst_round_lost: u64,
        percpu: bool,
    },
    /// `torn_read`: userspace rewrites a value while userspace looks it up.
    TornRead {
        budget_ms: u64,
        reads: u64,
        writes: u64,
        torn_reads: u64,
        read_errors: u64,
        write_errors: u64,
    },
    /// `prog_torn`: a program rewrites a value while userspace looks it up.
    ProgTorn {
        program: String,
        budget_ms: u64,
        program_runs: u64,
        reads: u64,
        torn_reads: u64,
        read_errors: u64,
    },
}

/// Its JSON, as `mapspec run` prints it and JUnit records it.
impl std::fmt::Display for Measurement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

impl Measurement {
    pub fn budget_ms(&self) -> u64 {
        match self {
            Measurement::Race { budget_ms, .. }
            | Measurement::TornRead { budget_ms, .. }
            | Measurement::ProgTorn { budget_ms, .. } => *budget_ms,
        }
    }
    /// `(lost, runs)` of a race.
    pub fn lost(&self) -> Option<(u64, u64)> {
        match self {
            Measurement::Race { lost, runs, .. } => Some((*lost, *runs)),
            _ => None,
        }
    }
    /// `(torn reads, reads, writes)` of a torn-value check; a program's
    /// runs are its writes.
    pub fn torn(&self) -> Option<(u64, u64, u64)> {
        match self {
            Measurement::TornRead {
                torn_reads,
                reads,
                writes,
                ..
            } => Some((*torn_reads, *reads, *writes)),
            Measurement::ProgTorn {
                torn_reads,
                reads,
                program_runs,
                ..
            } => Some((*torn_reads, *reads, *program_runs)),
            Measurement::Race { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimResult {
    pub map_type: String,
    /// `<spec>/<claim id>`.
    pub claim: String,
    /// The claim's one-sentence wording.
    pub text: String,
    pub status: Status,
    /// What the claim was checked for on this kernel.
    pub mode: Mode,
    /// A statistical claim (`requires: {statistical: true}`): its counts
    /// vary from run to run, and `--quick` leaves it out.
    pub statistical: bool,
    /// The operation that decided the verdict; absent for a skip before
    /// any operation ran, and where counts decided (see `measurement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisive: Option<Decisive>,
    /// What the spec expects, e.g. `update(key=1, BPF_NOEXIST) -> EEXIST`:
    /// human-readable evidence, for people, not for parsing.
    pub expected: String,
    /// What the kernel did; for a pass, the syscall evidence.
    pub observed: String,
    /// Why a skip was a skip, or why a check ran in refusal mode (worded;
    /// `mode` is the typed form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Counts of a statistical check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
    /// Wall time of the check in microseconds; absent in matrix results so
    /// that reruns are byte-identical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a ClaimResult>) -> Summary {
        let mut s = Summary::default();
        for r in results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.error
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub format_version: u32,
    pub tool_version: String,
    pub kernel: KernelInfo,
    /// True when statistical checks were left out (`--quick`).
    pub quick: bool,
    pub summary: Summary,
    pub results: Vec<ClaimResult>,
    /// Total wall time in milliseconds; absent in matrix results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a mapspec results file: {source}")]
    Parse {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} has results format_version {version}, which this mapspec does not read \
         (it reads version {FORMAT_VERSION}): {REGENERATE}"
    )]
    Version {
        path: std::path::PathBuf,
        version: String,
    },
    #[error(
        "{path} is {size} bytes, larger than the {MAX_RESULTS_BYTES}-byte limit of a results file"
    )]
    TooLarge { path: std::path::PathBuf, size: u64 },
    #[error("{path} is not a regular file, so it is not a results file")]
    NotAFile { path: std::path::PathBuf },
}

impl RunReport {
    /// The form committed by the kernel matrix: no timings, so reruns diff clean.
    pub fn without_timings(mut self) -> RunReport {
        self.duration_ms = None;
        for r in &mut self.results {
            r.duration_us = None;
        }
        self
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A results file's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<RunReport, ResultsError> {
        let version = |v: String| ResultsError::Version {
            path: path.into(),
            version: v,
        };
        match serde_json::from_str::<RunReport>(text) {
            Ok(r) if r.format_version == FORMAT_VERSION => Ok(r),
            Ok(r) => Err(version(r.format_version.to_string())),
            Err(source) => {
                // Another version may have another shape: name the version
                // rather than the first field that does not fit.
                #[derive(Deserialize)]
                struct Probe {
                    format_version: Option<serde_json::Value>,
                }
                match serde_json::from_str::<Probe>(text) {
                    Ok(Probe {
                        format_version: Some(v),
                    }) if v != serde_json::json!(FORMAT_VERSION) => Err(version(v.to_string())),
                    _ => Err(ResultsError::Parse {
                        path: path.into(),
                        source,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mapspec-results-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn minimal(version: &str) -> String {
        format!(
            r#"{{"format_version": {version}, "tool_version": "0.1.0",
               "kernel": {{"release": "r", "version": "6.1", "upstream": "6.1",
                          "machine": "x86_64", "possible_cpus": 2, "online_cpus": 2}},
               "quick": false, "summary": {{"pass": 0, "fail": 0, "skip": 0, "error": 0}},
               "results": []}}"#
        )
    }

    #[test]
    fn an_unknown_format_version_is_refused_naming_file_and_version() {
        let p = Path::new("k/99.json");
        assert!(RunReport::parse(p, &minimal("2")).is_ok());
        for v in ["99", "0", "1", "\"2\""] {
            let e = RunReport::parse(p, &minimal(v)).unwrap_err();
            assert!(matches!(e, ResultsError::Version { .. }), "{v}: {e}");
            let msg = e.to_string();
            assert!(msg.contains("k/99.json") && msg.contains(v), "{msg}");
        }
        // Another shape under another version still names the version.
        let e = RunReport::parse(p, r#"{"format_version": 3, "runs": []}"#).unwrap_err();
        assert!(matches!(e, ResultsError::Version { ref version, .. } if version == "3"));
        // Malformed, or without a version: a parse error naming the file.
        for text in [r#"{"format_version": 2"#, "{}", "[]"] {
            let e = RunReport::parse(p, text).unwrap_err();
            assert!(matches!(e, ResultsError::Parse { .. }), "{text}: {e}");
            assert!(e.to_string().contains("k/99.json"));
        }
    }

    /// Version 1 recorded no mode, decisive operation or typed counts;
    /// there is no conversion, so the error says how to make version 2.
    #[test]
    fn a_version_1_file_is_refused_naming_the_commands_that_regenerate_it() {
        let v1 = minimal("1").replace(r#""upstream": "6.1","#, "");
        let e = RunReport::parse(Path::new("k/6.1.json"), &v1).unwrap_err();
        assert!(matches!(e, ResultsError::Version { ref version, .. } if version == "1"));
        let msg = e.to_string();
        assert!(msg.contains("mapspec matrix"), "{msg}");
        assert!(msg.contains("mapspec run --save"), "{msg}");
    }

    fn claim(mode: Mode, decisive: Option<Decisive>, m: Option<Measurement>) -> ClaimResult {
        ClaimResult {
            map_type: "BPF_MAP_TYPE_HASH".into(),
            claim: "hash/x".into(),
            text: "t".into(),
            status: Status::Pass,
            mode,
            statistical: m.is_some(),
            decisive,
            expected: "e".into(),
            observed: "o".into(),
            reason: None,
            measurement: m,
            duration_us: None,
        }
    }

    #[test]
    fn typed_fields_round_trip_an_unknown_errno_by_number() {
        use crate::names::Errno;
        let d = Decisive {
            op: "lookup(key=1)".into(),
            expected: Outcome::Err(Errno::ENOENT),
            observed: Outcome::from_errno(133),
        };
        let mode = Mode::BeforeSince {
            since: Since::Version(KernelVersion::new(5, 14, 0)),
        };
        let race = Measurement::Race {
            program: "inc".into(),
            threads: 2,
            repeat: 10,
            budget_ms: 100,
            elapsed_ms: 3,
            rounds: 1,
            runs: 20,
            counted: 17,
            lost: 3,
            worst_round_lost: 3,
            percpu: false,
        };
        let c = claim(mode, Some(d), Some(race));
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""observed":"errno 133""#), "{json}");
        assert!(json.contains(r#""kind":"before_since""#), "{json}");
        let back: ClaimResult = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.decisive.unwrap().observed, Outcome::Unknown(133));
        assert_eq!(back.measurement.as_ref().unwrap().lost(), Some((3, 20)));
        assert!(back.mode.is_refusal());
        let plain = claim(Mode::AsWritten, None, None);
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("decisive") && !json.contains("measurement"));
        assert_eq!(serde_json::from_str::<ClaimResult>(&json).unwrap(), plain);
    }

    #[test]
    fn a_results_file_over_the_size_limit_is_refused() {
        let p = scratch("huge.json");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_RESULTS_BYTES + 1).unwrap();
        let e = RunReport::read(&p).unwrap_err();
        let _ = std::fs::remove_file(&p);
        assert!(matches!(e, ResultsError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("huge.json"), "{e}");
    }

    #[test]
    fn a_fifo_is_not_a_results_file() {
        let p = scratch("fifo.json");
        let _ = std::fs::remove_file(&p);
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return;
        }
        let e = RunReport::read(&p).unwrap_err();
        let _ = std::fs::remove_file(&p);
        assert!(matches!(e, ResultsError::NotAFile { .. }), "{e}");
    }
}

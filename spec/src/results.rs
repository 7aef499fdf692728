//! The results format written by `mapspec run --format json` and by the
//! kernel matrix, and read by docgen. Documented in README.md.

use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

/// The largest results file read: today's are under 1 MiB, so this leaves
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
    /// The upstream version, from /proc/version where the distribution
    /// records it (Debian: "Debian 6.1.119-1"), else from the release.
    pub version: String,
    /// `uname -m`.
    pub machine: String,
    /// Number of possible CPUs (/sys/devices/system/cpu/possible): the
    /// multiplier of per-CPU value sizes.
    pub possible_cpus: u32,
    /// Online CPUs, which gate concurrency checks.
    pub online_cpus: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimResult {
    pub map_type: String,
    /// `<spec>/<claim id>`.
    pub claim: String,
    /// The claim's one-sentence wording.
    pub text: String,
    pub status: Status,
    /// What the spec expects, e.g. `update(key=1, BPF_NOEXIST) -> EEXIST`.
    pub expected: String,
    /// What the kernel did; for a pass, the syscall evidence.
    pub observed: String,
    /// Why a skip was a skip, or why a check ran in refusal mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Counts of a statistical check (budget, iterations, torn reads...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<serde_json::Value>,
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
         (it reads version {FORMAT_VERSION}); rerun the checks with this mapspec"
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

    /// Read one results file: a regular file of at most
    /// [`MAX_RESULTS_BYTES`] whose `format_version` is [`FORMAT_VERSION`].
    pub fn read(path: &Path) -> Result<RunReport, ResultsError> {
        use std::io::Read;
        let io = |source| ResultsError::Io {
            path: path.into(),
            source,
        };
        // Checked before opening: opening a FIFO would block.
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(ResultsError::NotAFile { path: path.into() });
        }
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_RESULTS_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if text.len() as u64 > MAX_RESULTS_BYTES {
            let size = std::fs::metadata(path).map_or(text.len() as u64, |m| m.len());
            return Err(ResultsError::TooLarge {
                path: path.into(),
                size,
            });
        }
        Self::parse(path, &text)
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

    /// Read a results file, or every `*.json` in a directory (sorted).
    pub fn read_all(path: &Path) -> Result<Vec<RunReport>, ResultsError> {
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|source| ResultsError::Io {
                    path: path.into(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            files.iter().map(|f| RunReport::read(f)).collect()
        } else {
            Ok(vec![RunReport::read(path)?])
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
               "kernel": {{"release": "r", "version": "6.1", "machine": "x86_64",
                          "possible_cpus": 2, "online_cpus": 2}},
               "quick": false, "summary": {{"pass": 0, "fail": 0, "skip": 0, "error": 0}},
               "results": []}}"#
        )
    }

    #[test]
    fn an_unknown_format_version_is_refused_naming_file_and_version() {
        let p = Path::new("k/99.json");
        assert!(RunReport::parse(p, &minimal("1")).is_ok());
        for v in ["99", "0", "\"1\""] {
            let e = RunReport::parse(p, &minimal(v)).unwrap_err();
            assert!(matches!(e, ResultsError::Version { .. }), "{v}: {e}");
            let msg = e.to_string();
            assert!(msg.contains("k/99.json") && msg.contains(v), "{msg}");
        }
        // Another shape under another version still names the version.
        let e = RunReport::parse(p, r#"{"format_version": 2, "runs": []}"#).unwrap_err();
        assert!(matches!(e, ResultsError::Version { ref version, .. } if version == "2"));
        // Malformed, or without a version: a parse error naming the file.
        for text in [r#"{"format_version": 1"#, "{}", "[]"] {
            let e = RunReport::parse(p, text).unwrap_err();
            assert!(matches!(e, ResultsError::Parse { .. }), "{text}: {e}");
            assert!(e.to_string().contains("k/99.json"));
        }
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

//! The results format written by `mapspec run --format json` and by the
//! kernel matrix, and read by docgen. Documented in README.md.

use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

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

    pub fn read(path: &Path) -> Result<RunReport, ResultsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
            path: path.into(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ResultsError::Parse {
            path: path.into(),
            source,
        })
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

/// Write `contents` to `path` atomically: a temporary file in the same
/// directory, fsync, then rename, so a crash never leaves half a file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

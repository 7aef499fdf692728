//! Every claim of every spec against every kernel's results: the facts both
//! the HTML report and `mapspec show` print. Pure: built from loaded specs
//! and results, nothing read or written here.

use mapspec_spec::results::{ClaimResult, RunReport, Status};
use mapspec_spec::{Claim, ClaimKind, KernelVersion, MapSpec};
use serde::Serialize;
use std::collections::HashMap;

/// What a kernel is: one results file, one column.
#[derive(Debug, Clone, Serialize)]
pub struct Kernel {
    /// Upstream version (`kernel.version`), e.g. `5.10.262`.
    pub version: String,
    /// `uname -r`.
    pub release: String,
    pub machine: String,
    pub possible_cpus: u32,
    /// The Debian package and its version, where kernels.lock pins this release.
    pub package: Option<Package>,
    /// Statistical checks were left out of this run.
    pub quick: bool,
    #[serde(skip)]
    pub parsed: KernelVersion,
}

/// A Debian package pinned by kernel-matrix/kernels.lock.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Package {
    /// `uname -r` of the packaged kernel.
    pub release: String,
    pub name: String,
    pub version: String,
}

/// How a kernel's result stands against the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Passed, running the claim as written.
    AsSpecified,
    /// Passed in refusal mode: an older (or newer) kernel gave the
    /// outcome the spec gives for it (`before`/`after`).
    Refusal,
    /// Failed or errored: the kernel did something else.
    Differs,
    /// Not run on this kernel, for a stated reason.
    Skipped,
    /// No result for this claim in this kernel's file.
    Missing,
}

impl Mark {
    pub const ALL: [Mark; 5] = [
        Mark::AsSpecified,
        Mark::Refusal,
        Mark::Differs,
        Mark::Skipped,
        Mark::Missing,
    ];
    /// The words, so that colour is never the only signal.
    pub fn label(self) -> &'static str {
        match self {
            Mark::AsSpecified => "as specified",
            Mark::Refusal => "refusal as specified",
            Mark::Differs => "differs",
            Mark::Skipped => "skipped",
            Mark::Missing => "no result",
        }
    }
    /// A short symbol beside the outcome.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::AsSpecified => "✓",
            Mark::Refusal => "↶",
            Mark::Differs => "✗",
            Mark::Skipped => "–",
            Mark::Missing => "·",
        }
    }
    /// The CSS class and filter value.
    pub fn key(self) -> &'static str {
        match self {
            Mark::AsSpecified => "ok",
            Mark::Refusal => "refusal",
            Mark::Differs => "differs",
            Mark::Skipped => "skip",
            Mark::Missing => "missing",
        }
    }
}

/// The operation that decides a claim, as the results file records it.
#[derive(Debug, Clone, Serialize)]
pub struct Decisive {
    pub operation: String,
    pub expected: String,
    pub observed: String,
}

/// One claim on one kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Cell<'a> {
    pub mark: Mark,
    /// The outcome shown: `ok` or an errno; for a skip, `skipped`.
    pub outcome: String,
    pub reason: Option<String>,
    #[serde(skip)]
    pub result: Option<&'a ClaimResult>,
    pub decisive: Option<Decisive>,
}

/// The table or list of the spec a claim belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Create,
    Commands,
    UpdateFlags,
    Scenarios,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Create,
        Group::Commands,
        Group::UpdateFlags,
        Group::Scenarios,
    ];
    pub fn of(kind: &ClaimKind) -> Group {
        match kind {
            ClaimKind::Exists | ClaimKind::Create { .. } => Group::Create,
            ClaimKind::Command { .. } => Group::Commands,
            ClaimKind::UpdateFlag { .. } => Group::UpdateFlags,
            ClaimKind::Scenario => Group::Scenarios,
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Group::Create => "Creating a map",
            Group::Commands => "Commands",
            Group::UpdateFlags => "Update flags",
            Group::Scenarios => "Further behaviour",
        }
    }
}

/// One claim against every kernel.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub claim: Claim,
    pub group: Group,
    /// One cell per [`Matrix::kernels`] entry, in that order.
    pub cells: Vec<Cell<'a>>,
}

impl Row<'_> {
    /// Kernels disagree with the spec somewhere in this row.
    pub fn differs(&self) -> bool {
        self.cells.iter().any(|c| c.mark == Mark::Differs)
    }
    /// The situation column of a command or update-flag row.
    pub fn label(&self) -> String {
        match &self.claim.kind {
            ClaimKind::Command {
                command,
                situation,
                flags,
                ..
            } => {
                let mut s = format!("{} · {situation}", command.uapi());
                if !flags.is_default() {
                    s += &format!(" · {}", flags.names());
                }
                s
            }
            ClaimKind::UpdateFlag {
                flags, situation, ..
            } => format!("{} · {situation}", flags.names()),
            _ => self.claim.meta.id.clone(),
        }
    }
}

/// One map type's claims.
#[derive(Debug, Clone)]
pub struct TypeMatrix<'a> {
    pub spec: &'a MapSpec,
    pub rows: Vec<Row<'a>>,
}

impl TypeMatrix<'_> {
    /// How many claims carry `mark` on kernel column `k`.
    pub fn count(&self, k: usize, mark: Mark) -> usize {
        self.rows.iter().filter(|r| r.cells[k].mark == mark).count()
    }
}

/// Every spec against every kernel.
#[derive(Debug, Clone)]
pub struct Matrix<'a> {
    /// Ordered by version, then release.
    pub kernels: Vec<Kernel>,
    pub types: Vec<TypeMatrix<'a>>,
}

impl<'a> Matrix<'a> {
    /// `packages` are the Debian packages kernels.lock pins (may be empty).
    pub fn build(specs: &'a [MapSpec], reports: &'a [RunReport], packages: &[Package]) -> Self {
        let mut order: Vec<usize> = (0..reports.len()).collect();
        let parsed = |r: &RunReport| r.kernel.upstream;
        order.sort_by(|&a, &b| {
            (parsed(&reports[a]), &reports[a].kernel.release)
                .cmp(&(parsed(&reports[b]), &reports[b].kernel.release))
        });
        let kernels: Vec<Kernel> = order
            .iter()
            .map(|&i| {
                let r = &reports[i];
                Kernel {
                    version: r.kernel.version.clone(),
                    release: r.kernel.release.clone(),
                    machine: r.kernel.machine.clone(),
                    possible_cpus: r.kernel.possible_cpus,
                    package: packages
                        .iter()
                        .find(|p| p.release == r.kernel.release)
                        .cloned(),
                    quick: r.quick,
                    parsed: parsed(r),
                }
            })
            .collect();
        let index: Vec<HashMap<&str, &ClaimResult>> = order
            .iter()
            .map(|&i| {
                reports[i]
                    .results
                    .iter()
                    .map(|c| (c.claim.as_str(), c))
                    .collect()
            })
            .collect();
        let types = specs
            .iter()
            .map(|spec| TypeMatrix {
                spec,
                rows: spec
                    .claims()
                    .into_iter()
                    .map(|claim| {
                        let cells = kernels
                            .iter()
                            .zip(&index)
                            .map(|(_, idx)| cell(idx.get(claim.global_id.as_str()).copied()))
                            .collect();
                        Row {
                            group: Group::of(&claim.kind),
                            claim,
                            cells,
                        }
                    })
                    .collect(),
            })
            .collect();
        Matrix { kernels, types }
    }

    /// The type named `name`: its spec name (`hash`) or uapi name.
    pub fn find(&self, name: &str) -> Option<&TypeMatrix<'a>> {
        let n = name.trim();
        self.types.iter().find(|t| {
            t.spec.name.eq_ignore_ascii_case(n)
                || t.spec.map_type.eq_ignore_ascii_case(n)
                || t.spec
                    .map_type
                    .strip_prefix("BPF_MAP_TYPE_")
                    .is_some_and(|s| s.eq_ignore_ascii_case(n))
        })
    }

    /// Kernel columns matching `v`: a release (`uname -r`), a version, or a
    /// series (`5.10`).
    pub fn kernels_matching(&self, v: &str) -> Vec<usize> {
        let want = KernelVersion::parse(v);
        let series = v.split('.').count() == 2;
        (0..self.kernels.len())
            .filter(|&i| {
                let k = &self.kernels[i];
                k.release == v
                    || k.version == v
                    || want.is_some_and(|w| {
                        if series {
                            w.same_series(&k.parsed)
                        } else {
                            w == k.parsed
                        }
                    })
            })
            .collect()
    }
}

fn cell(result: Option<&ClaimResult>) -> Cell<'_> {
    let Some(r) = result else {
        return Cell {
            mark: Mark::Missing,
            outcome: "no result".into(),
            reason: None,
            result: None,
            decisive: None,
        };
    };
    let decisive = decisive(r);
    let (mark, outcome) = match r.status {
        Status::Skip => (Mark::Skipped, "skipped".to_string()),
        Status::Fail | Status::Error => (
            Mark::Differs,
            decisive
                .as_ref()
                .map_or_else(|| r.status.as_str().to_string(), |d| d.observed.clone()),
        ),
        Status::Pass => (
            if r.mode.is_refusal() {
                Mark::Refusal
            } else {
                Mark::AsSpecified
            },
            // Counts decide a statistical claim: no single operation.
            decisive
                .as_ref()
                .map_or_else(|| "ok".to_string(), |d| d.observed.clone()),
        ),
    };
    Cell {
        mark,
        outcome,
        reason: r.reason.clone(),
        result: Some(r),
        decisive,
    }
}

/// The decisive operation of a result, as the runner recorded it.
pub fn decisive(r: &ClaimResult) -> Option<Decisive> {
    r.decisive.as_ref().map(|d| Decisive {
        operation: d.op.clone(),
        expected: d.expected.to_string(),
        observed: d.observed.to_string(),
    })
}

/// Where a claim's `since` or `until` comes from: bracketed by two kernels
/// of these results (one each side, both as specified), or stated from the
/// kernel's source and history alone.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `since 5.14` or `until 6.8`.
    pub what: String,
    /// The newest kernel before the change and the oldest after it that
    /// showed the spec's outcomes, when both exist.
    pub bracket: Option<(String, String)>,
}

impl Provenance {
    pub fn describe(&self) -> String {
        match &self.bracket {
            Some((old, new)) => format!(
                "{}: bracketed by the matrix (older outcome on {old}, new one on {new})",
                self.what
            ),
            None => format!(
                "{}: from the kernel source (no kernel here on both sides of it)",
                self.what
            ),
        }
    }
}

/// The provenance of each of the row's `since` and `until`.
pub fn provenance(m: &Matrix, row: &Row) -> Vec<Provenance> {
    let meta = &row.claim.meta;
    let mut out = Vec::new();
    let side = |changed: &dyn Fn(KernelVersion) -> bool| {
        let old = m
            .kernels
            .iter()
            .zip(&row.cells)
            .filter(|(k, c)| !changed(k.parsed) && c.mark == Mark::Refusal)
            .map(|(k, _)| k.version.clone())
            .next_back();
        let new = m
            .kernels
            .iter()
            .zip(&row.cells)
            .find(|(k, c)| changed(k.parsed) && c.mark == Mark::AsSpecified)
            .map(|(k, _)| k.version.clone());
        old.zip(new)
    };
    if let Some(s) = &meta.since {
        out.push(Provenance {
            what: format!("since {}", s.describe()),
            bracket: side(&|k| s.holds_on(k)),
        });
    }
    if let Some(u) = meta.until {
        // Kernels from `until` on show the `after` outcome (a refusal
        // check), older ones the claim as written.
        let old = m
            .kernels
            .iter()
            .zip(&row.cells)
            .filter(|(k, c)| k.parsed < u && c.mark == Mark::AsSpecified)
            .map(|(k, _)| k.version.clone())
            .next_back();
        let new = m
            .kernels
            .iter()
            .zip(&row.cells)
            .find(|(k, c)| k.parsed >= u && c.mark == Mark::Refusal)
            .map(|(k, _)| k.version.clone());
        out.push(Provenance {
            what: format!("until {u}"),
            bracket: old.zip(new),
        });
    }
    out
}

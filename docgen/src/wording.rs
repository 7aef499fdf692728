//! What the results files say about each claim, from their typed status
//! and mode only: a claim's state, and the marks a page prints where
//! kernels differ (a version with its provenance, the kernels it failed
//! on), and the kernels a page names in its one verification sentence.

use crate::rst;
use mapspec_spec::results::{Mode, RunReport, Status as RStatus};
use mapspec_spec::{Claim, KernelVersion, MapSpec};
use std::collections::{BTreeMap, BTreeSet};

/// One kernel's result for one claim: what the pages need of it.
#[derive(Debug, Clone)]
struct Observation {
    kernel: Kernel,
    status: RStatus,
    mode: Mode,
}

/// A kernel as the pages name it, ordered by version then by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kernel {
    pub version: Option<KernelVersion>,
    pub name: String,
}

impl Kernel {
    fn of(report: &RunReport) -> Kernel {
        let name = if report.kernel.version.trim().is_empty() {
            report.kernel.release.clone()
        } else {
            report.kernel.version.clone()
        };
        Kernel {
            version: Some(report.kernel.upstream),
            name,
        }
    }
}

/// Every result of every report, by claim.
#[derive(Debug, Clone, Default)]
pub struct Results {
    by_claim: BTreeMap<String, Vec<Observation>>,
    kernels: BTreeSet<Kernel>,
}

/// The overall state of a claim or statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Passed as written on at least one kernel, failed on none.
    Verified,
    /// Never passed as written, and never failed.
    Unverified,
    /// Failed on at least one kernel.
    Differs,
}

/// A claim's overall state on the kernels of the results.
#[derive(Debug, Clone)]
pub struct Status {
    pub state: State,
}

impl Results {
    pub fn new(reports: &[RunReport]) -> Results {
        let mut r = Results::default();
        for rep in reports {
            let kernel = Kernel::of(rep);
            r.kernels.insert(kernel.clone());
            for res in &rep.results {
                r.by_claim
                    .entry(res.claim.clone())
                    .or_default()
                    .push(Observation {
                        kernel: kernel.clone(),
                        status: res.status,
                        mode: res.mode.clone(),
                    });
            }
        }
        for obs in r.by_claim.values_mut() {
            obs.sort_by(|a, b| {
                a.kernel
                    .cmp(&b.kernel)
                    .then_with(|| a.status.as_str().cmp(b.status.as_str()))
            });
        }
        r
    }

    /// The kernels any results came from, in version order.
    pub fn kernels(&self) -> Vec<String> {
        let mut v: Vec<String> = self.kernels.iter().map(|k| k.name.clone()).collect();
        v.dedup();
        v
    }

    /// Claim ids that have results but no claim in `specs`: results from an
    /// older spec, reported so that renamed claims are noticed.
    pub fn unknown_claims(&self, specs: &[MapSpec]) -> Vec<String> {
        let known: BTreeSet<String> = specs
            .iter()
            .flat_map(|s| s.claims().into_iter().map(|c| c.global_id))
            .collect();
        self.by_claim
            .keys()
            .filter(|k| !known.contains(*k))
            .cloned()
            .collect()
    }

    /// How `claim` fared on every kernel: it differs if it failed on
    /// one, is verified if it passed as written on one, else unverified.
    pub fn status(&self, claim: &Claim) -> Status {
        let obs = self.by_claim.get(&claim.global_id).map_or(&[][..], |v| v);
        let state = if obs.iter().any(|o| o.status == RStatus::Fail) {
            State::Differs
        } else if obs
            .iter()
            .any(|o| o.status == RStatus::Pass && !o.mode.is_refusal())
        {
            State::Verified
        } else {
            State::Unverified
        };
        Status { state }
    }
}

/// An outcome as the pages print it.
pub fn outcome(o: mapspec_spec::Outcome) -> String {
    match o {
        mapspec_spec::Outcome::Ok => "success".into(),
        other => rst::literal(&other.name()),
    }
}

/// Upstream `major.minor`, as the kernel's own documentation names
/// releases (no distribution patch levels).
pub fn release(v: mapspec_spec::KernelVersion) -> String {
    format!("{}.{}", v.major, v.minor)
}

/// What a page needs of a claim's results, from the typed `mode` and
/// `status` of each result (never from evidence strings).
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// `ENOTSUPP before 5.14, seen on 5.10`: when the behaviour
    /// started or stopped. With "seen on", the results bracket the version
    /// (that kernel showed the older outcome, a newer one the claim);
    /// without, it comes from the kernel source, as the page says once.
    pub version: Option<String>,
    /// `differs on 5.10`: kernels where the claim failed.
    pub differs: Option<String>,
    /// Kernels where it passed, in any mode.
    pub passed_on: BTreeSet<Kernel>,
    /// Of those, kernels where only the type's absence was checked.
    pub absent_on: BTreeSet<Kernel>,
}

fn short_names(ks: &[&Kernel]) -> String {
    let mut v: Vec<String> = Vec::new();
    for k in ks {
        let n = k.version.map(release).unwrap_or_else(|| k.name.clone());
        if !v.contains(&n) {
            v.push(n);
        }
    }
    match v.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Results {
    /// The marks of `claim`: its `since`/`until` with their provenance (a
    /// bracket of two kernels of these results, or the kernel source), and
    /// the kernels it failed on.
    pub fn marks(&self, claim: &Claim) -> Marks {
        let empty = Vec::new();
        let obs = self.by_claim.get(&claim.global_id).unwrap_or(&empty);
        let mut m = Marks::default();
        let mut failed = Vec::new();
        // The newest kernel that showed the older outcome, and whether a
        // later one showed the claim as written: the matrix's bracket.
        let mut before_on: Option<&Kernel> = None;
        let mut after_on: Option<&Kernel> = None;
        let mut written: Vec<&Kernel> = Vec::new();
        for o in obs {
            match (o.status, &o.mode) {
                (RStatus::Pass, mode) => {
                    m.passed_on.insert(o.kernel.clone());
                    match mode {
                        Mode::TypeAbsent { .. } => {
                            m.absent_on.insert(o.kernel.clone());
                        }
                        Mode::BeforeSince { .. } => before_on = Some(&o.kernel),
                        Mode::AfterUntil { .. } => {
                            after_on = after_on.or(Some(&o.kernel));
                        }
                        Mode::AsWritten => written.push(&o.kernel),
                    }
                }
                (RStatus::Fail, _) => failed.push(&o.kernel),
                _ => {}
            }
        }
        let meta = &claim.meta;
        // A claim whose older kernels give the very outcome it expects
        // (EINVAL before the command existed, EINVAL since) does not
        // differ between kernels for its reader: no version mark.
        let decisive = *claim.program.clone().decisive_mut();
        let mut parts = Vec::new();
        if let Some(s) = meta
            .since
            .as_ref()
            .filter(|_| meta.before != Some(decisive))
        {
            let bracket = before_on.filter(|b| written.iter().any(|w| w > b));
            let prov = match bracket {
                Some(k) => format!(", seen on {}", short_names(&[k])),
                None => String::new(),
            };
            parts.push(match meta.before {
                Some(b) => format!("{} before {}{prov}", outcome(b), s.describe()),
                None => format!("since {}{prov}", s.describe()),
            });
        }
        if let Some(u) = meta.until {
            let bracket = after_on.filter(|a| written.iter().any(|w| w < a));
            let prov = match bracket {
                Some(k) => format!(", seen on {}", short_names(&[k])),
                None => String::new(),
            };
            parts.push(match meta.after {
                Some(a) => format!("{} from {u} on{prov}", outcome(a)),
                None => format!("until {u}{prov}"),
            });
        }
        if !parts.is_empty() {
            m.version = Some(parts.join("; "));
        }
        if !failed.is_empty() {
            m.differs = Some(format!("differs on {}", short_names(&failed)));
        }
        m
    }

    /// The kernels a page names in its one verification sentence: those
    /// on which every claim in `marks` passed, leaving out kernels that
    /// only showed that the page's types do not exist there yet.
    pub fn checked_on<'a>(&self, marks: impl IntoIterator<Item = &'a Marks>) -> Vec<String> {
        let mut common: Option<BTreeSet<Kernel>> = None;
        let mut present: BTreeSet<Kernel> = BTreeSet::new();
        for m in marks {
            present.extend(m.passed_on.difference(&m.absent_on).cloned());
            common = Some(match common {
                None => m.passed_on.clone(),
                Some(c) => c.intersection(&m.passed_on).cloned().collect(),
            });
        }
        let mut out: Vec<String> = Vec::new();
        for k in common.unwrap_or_default() {
            if !present.contains(&k) {
                continue;
            }
            let n = k.version.map(release).unwrap_or(k.name);
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

//! What the results files say about each claim, turned into the wording the
//! pages print. A claim is only ever called verified on a kernel where it
//! passed as written; refusal-mode passes, skips and failures are reported
//! as what they are.

use crate::rst;
use mapspec_spec::results::{ClaimResult, Measurement, Mode, RunReport, Status as RStatus};
use mapspec_spec::{Claim, KernelVersion, MapSpec};
use std::collections::{BTreeMap, BTreeSet};

/// One kernel's result for one claim.
#[derive(Debug, Clone)]
struct Observation {
    kernel: Kernel,
    result: ClaimResult,
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

/// A claim's verification, ready to print.
#[derive(Debug, Clone)]
pub struct Status {
    pub state: State,
    /// Kernels where the claim passed as written, in order.
    pub verified_on: Vec<Kernel>,
    /// Inline RST sentences: "Verified on ...", refusals, failures, skips.
    pub sentences: Vec<String>,
}

impl State {
    /// The mark a table cell carries next to its outcome.
    pub fn mark(self) -> &'static str {
        match self {
            State::Verified => "",
            State::Unverified => " (unverified)",
            State::Differs => " (differs)",
        }
    }
    /// The prefix that keeps an unchecked sentence from reading as fact.
    pub fn lead(self) -> &'static str {
        match self {
            State::Verified => "",
            State::Unverified => "**Not yet verified:** ",
            State::Differs => "**Differs between kernels:** ",
        }
    }
}

impl Status {
    /// The prefix that keeps an unchecked sentence from reading as fact.
    pub fn lead(&self) -> &'static str {
        self.state.lead()
    }
}

fn names(ks: &[Kernel]) -> String {
    let mut v: Vec<&str> = ks.iter().map(|k| k.name.as_str()).collect();
    v.sort_by_key(|n| ks.iter().position(|k| k.name == *n));
    v.dedup();
    match v.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Results text is free-form runner output: keep it a literal, and make
/// sure it cannot close the literal early.
fn evidence(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        "nothing recorded".into()
    } else {
        rst::literal(&s.replace("``", "` `"))
    }
}

/// The counts of a statistical check, worded.
fn measurement(m: &Measurement) -> String {
    let budget = m.budget_ms();
    match m {
        Measurement::Race {
            threads,
            repeat,
            rounds,
            runs,
            lost,
            ..
        } => format!(
            "{lost} of {runs} increments lost ({threads} threads × {repeat} runs per round, \
             {rounds} round{}, budget {budget} ms)",
            if *rounds == 1 { "" } else { "s" }
        ),
        Measurement::TornRead { .. } | Measurement::ProgTorn { .. } => {
            let (torn, reads, writes) = m.torn().unwrap_or_default();
            format!("{torn} of {reads} lookups torn against {writes} writes (budget {budget} ms)")
        }
    }
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
                        result: res.clone(),
                    });
            }
        }
        for obs in r.by_claim.values_mut() {
            obs.sort_by(|a, b| {
                a.kernel
                    .cmp(&b.kernel)
                    .then_with(|| a.result.status.as_str().cmp(b.result.status.as_str()))
                    .then_with(|| a.result.observed.cmp(&b.result.observed))
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

    /// Every kernel's result for the claim `global_id`, in kernel order.
    pub fn observations(&self, global_id: &str) -> Vec<(&Kernel, &ClaimResult)> {
        self.by_claim
            .get(global_id)
            .map(|v| v.iter().map(|o| (&o.kernel, &o.result)).collect())
            .unwrap_or_default()
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

    /// How `claim` of `spec` fared on every kernel.
    pub fn status(&self, spec: &MapSpec, claim: &Claim) -> Status {
        let empty = Vec::new();
        let obs = self.by_claim.get(&claim.global_id).unwrap_or(&empty);
        let mut verified_on = Vec::new();
        // Refusal-mode passes, grouped by the sentence they produce.
        let mut refusals: BTreeMap<String, Vec<Kernel>> = BTreeMap::new();
        let mut fails: BTreeMap<(String, String), Vec<Kernel>> = BTreeMap::new();
        let mut skips: BTreeMap<String, Vec<Kernel>> = BTreeMap::new();
        let mut measured = Vec::new();
        for o in obs {
            let r = &o.result;
            match r.status {
                RStatus::Pass if r.mode.is_refusal() => {
                    let what = refusal_wording(spec, r);
                    refusals.entry(what).or_default().push(o.kernel.clone());
                }
                RStatus::Pass => {
                    verified_on.push(o.kernel.clone());
                    if let Some(m) = &r.measurement {
                        measured.push(format!("on {}: {}", o.kernel.name, measurement(m)));
                    }
                }
                // A failure's evidence is the one operation that differed.
                RStatus::Fail => fails
                    .entry((r.observed.trim().to_string(), r.expected.trim().to_string()))
                    .or_default()
                    .push(o.kernel.clone()),
                RStatus::Skip | RStatus::Error => {
                    let why = r
                        .reason
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| r.observed.clone());
                    let verb = if r.status == RStatus::Skip {
                        "skipped"
                    } else {
                        "could not run"
                    };
                    let key = format!("{verb} ({})", rst::prose(why.trim().trim_end_matches('.')));
                    skips.entry(key).or_default().push(o.kernel.clone());
                }
            }
        }
        let state = if !fails.is_empty() {
            State::Differs
        } else if verified_on.is_empty() {
            State::Unverified
        } else {
            State::Verified
        };
        let mut sentences = Vec::new();
        if !verified_on.is_empty() {
            sentences.push(format!("Verified on {}.", names(&verified_on)));
        }
        if !measured.is_empty() {
            sentences.push(format!("Measured {}.", measured.join("; ")));
        }
        for (what, ks) in refusals {
            sentences.push(format!("On {}: {what}.", names(&ks)));
        }
        for ((observed, expected), ks) in fails {
            sentences.push(format!(
                "On {} the kernel differs: {} where the spec expects {}.",
                names(&ks),
                evidence(&observed),
                evidence(&expected)
            ));
        }
        for (what, ks) in skips {
            sentences.push(format!("On {}: {what}.", names(&ks)));
        }
        Status {
            state,
            verified_on,
            sentences,
        }
    }
}

/// "``ENOTSUPP``, as expected before 5.14": what a refusal-mode pass
/// checked, from the mode and the decisive outcome the runner recorded.
fn refusal_wording(spec: &MapSpec, r: &ClaimResult) -> String {
    let Some(d) = &r.decisive else {
        return "passed in refusal mode".into();
    };
    match &r.mode {
        Mode::TypeAbsent { .. } => format!(
            "{} does not exist yet (``BPF_MAP_CREATE`` fails with {})",
            rst::literal(&spec.map_type),
            outcome(d.expected)
        ),
        Mode::AfterUntil { until } => {
            format!("{}, as expected from {until} on", outcome(d.expected))
        }
        Mode::BeforeSince { since } => format!(
            "{}, as expected before {}",
            outcome(d.expected),
            since.describe()
        ),
        Mode::AsWritten => "passed as written".into(),
    }
}

/// An outcome as the pages print it.
pub fn outcome(o: mapspec_spec::Outcome) -> String {
    match o {
        mapspec_spec::Outcome::Ok => "success".into(),
        other => rst::literal(&other.name()),
    }
}

/// Combine the statuses of the claims that back a statement: verified on
/// the kernels where every one of them passed.
pub fn combine(statuses: &[Status]) -> (State, Vec<Kernel>) {
    if statuses.is_empty() {
        return (State::Unverified, Vec::new());
    }
    if statuses.iter().any(|s| s.state == State::Differs) {
        return (State::Differs, Vec::new());
    }
    let mut common: Option<BTreeSet<Kernel>> = None;
    for s in statuses {
        let set: BTreeSet<Kernel> = s.verified_on.iter().cloned().collect();
        common = Some(match common {
            None => set,
            Some(c) => c.intersection(&set).cloned().collect(),
        });
    }
    let common: Vec<Kernel> = common.unwrap_or_default().into_iter().collect();
    if common.is_empty() {
        (State::Unverified, common)
    } else {
        (State::Verified, common)
    }
}

pub fn kernel_names(ks: &[Kernel]) -> String {
    names(ks)
}

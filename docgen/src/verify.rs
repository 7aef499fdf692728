//! What the results files say about each claim, turned into the wording the
//! pages print. A claim is only ever called verified on a kernel where it
//! passed as written; refusal-mode passes, skips and failures are reported
//! as what they are.

use crate::rst;
use mapspec_spec::results::{ClaimResult, RunReport, Status as RStatus};
use mapspec_spec::{Claim, KernelVersion, MapSpec, Plan};
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
        let version =
            KernelVersion::parse(&name).or_else(|| KernelVersion::parse(&report.kernel.release));
        Kernel { version, name }
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

impl Status {
    /// The mark a table cell carries next to its outcome.
    pub fn cell_mark(&self) -> &'static str {
        match self.state {
            State::Verified => "",
            State::Unverified => " (unverified)",
            State::Differs => " (differs)",
        }
    }
    /// The prefix that keeps an unchecked sentence from reading as fact.
    pub fn lead(&self) -> &'static str {
        match self.state {
            State::Verified => "",
            State::Unverified => "**Not yet verified:** ",
            State::Differs => "**Differs between kernels:** ",
        }
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

/// The decisive step of a runner trace (`a -> ok; b -> ENOENT`): the last.
fn last_step(s: &str) -> String {
    s.rsplit("; ").next().unwrap_or(s).trim().to_string()
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

/// The counts of a statistical check. The two shapes the runner reports
/// are worded (a counter race: `runs` and `lost`; a torn-value check:
/// `reads` and `torn_reads`); any other is printed as its counts, one
/// literal each so that the line can wrap between them.
fn measurement(v: &serde_json::Value) -> Option<String> {
    let obj = v.as_object()?;
    let n = |k: &str| obj.get(k).and_then(|v| v.as_u64());
    let budget = n("budget_ms")
        .map(|b| format!(", budget {b} ms"))
        .unwrap_or_default();
    if let (Some(runs), Some(lost)) = (n("runs"), n("lost")) {
        let how = match (n("threads"), n("repeat"), n("rounds")) {
            (Some(t), Some(r), Some(k)) => format!(
                " ({t} threads × {r} runs per round, {k} round{}{budget})",
                if k == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        };
        return Some(format!("{lost} of {runs} increments lost{how}"));
    }
    if let (Some(reads), Some(torn)) = (n("reads"), n("torn_reads")) {
        let writes = n("writes")
            .or(n("program_runs"))
            .map(|w| format!(" against {w} writes"))
            .unwrap_or_default();
        return Some(format!(
            "{torn} of {reads} lookups torn{writes}{}",
            if budget.is_empty() {
                String::new()
            } else {
                format!(" ({})", &budget[2..])
            }
        ));
    }
    let mut parts: Vec<String> = obj
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    parts.sort();
    if parts.is_empty() {
        None
    } else {
        Some(
            parts
                .iter()
                .map(|p| rst::literal(&p.replace("``", "` `")))
                .collect::<Vec<_>>()
                .join(", "),
        )
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
                RStatus::Pass => match (&r.reason, o.kernel.version) {
                    (Some(_), Some(kv)) => {
                        let what = refusal_wording(spec, claim, kv);
                        refusals.entry(what).or_default().push(o.kernel.clone());
                    }
                    (Some(reason), None) => {
                        let what = format!(
                            "passed in refusal mode ({})",
                            rst::prose(reason.trim_end_matches('.'))
                        );
                        refusals.entry(what).or_default().push(o.kernel.clone());
                    }
                    (None, _) => {
                        verified_on.push(o.kernel.clone());
                        if let Some(m) = r.measurement.as_ref().and_then(measurement) {
                            measured.push(format!("on {}: {m}", o.kernel.name));
                        }
                    }
                },
                RStatus::Fail => fails
                    .entry((last_step(&r.observed), last_step(&r.expected)))
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

/// "``ENOTSUPP``, as expected before 5.14": what a refusal-mode pass on
/// kernel `kv` checked, worded from the spec rather than the runner.
fn refusal_wording(spec: &MapSpec, claim: &Claim, kv: KernelVersion) -> String {
    match claim.plan_for(kv, spec.since, spec.absent) {
        Plan::Refusal { program, .. } if kv < spec.since => format!(
            "{} does not exist yet (``BPF_MAP_CREATE`` fails with {})",
            rst::literal(&spec.map_type),
            outcome(program.create_expect)
        ),
        Plan::Refusal { mut program, .. } => {
            let got = *program.decisive_mut();
            if let Some(until) = claim.meta.until.filter(|u| kv >= *u) {
                format!("{}, as expected from {until} on", outcome(got))
            } else {
                let since = claim
                    .meta
                    .since
                    .as_ref()
                    .map(|s| s.describe())
                    .unwrap_or_default();
                format!("{}, as expected before {since}", outcome(got))
            }
        }
        // The spec no longer plans a refusal for this kernel: the result is
        // from an older spec, so say only what it was.
        _ => "passed in refusal mode under an older spec".into(),
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

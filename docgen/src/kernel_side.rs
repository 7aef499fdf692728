//! The measured part of the overview's "Kernel side against userspace"
//! chapter: lost increments and torn values per map type and kernel.
//!
//! Nothing here knows a map type. The checks are found by what a claim's
//! program does (a `prog_race`, `prog_torn` or `torn_read` step, with the
//! bounds the spec gives it), and the numbers from the result's typed
//! `measurement`.

use crate::page::{render_claim, Targets};
use crate::wording::Results;
use crate::{rst, DocError, SpecFile};
use mapspec_spec::results::{ClaimResult, Measurement, Status as RStatus};
use mapspec_spec::{Claim, ProgRaceOp, ProgTornOp, Step, TornOp};
use serde::Serialize;

/// What a statistical check races.
enum Check {
    /// Programs on several CPUs increment one counter.
    Race(ProgRaceOp),
    /// A program rewrites a value while userspace looks it up.
    ProgTorn(ProgTornOp),
    /// Userspace rewrites a value while userspace looks it up.
    Torn(TornOp),
}

fn check_of(claim: &Claim) -> Option<Check> {
    claim.program.steps.iter().find_map(|s| match s {
        Step::ProgRace(o) => Some(Check::Race(o.clone())),
        Step::ProgTorn(o) => Some(Check::ProgTorn(o.clone())),
        Step::TornRead(o) => Some(Check::Torn(o.clone())),
        _ => None,
    })
}

#[derive(Debug, Default, Serialize)]
pub struct KernelSide {
    /// The lost-increments table with its legend, or empty.
    pub races: String,
    /// The torn-values table with its legend, or empty.
    pub torn: String,
    /// Per map type, the claims behind the tables with their status.
    pub per_type: String,
}

/// Which counts a table shows: `(part, whole)` of a measurement.
type Counts = fn(&Measurement) -> Option<(u64, u64)>;

fn lost(m: &Measurement) -> Option<(u64, u64)> {
    m.lost()
}

fn torn(m: &Measurement) -> Option<(u64, u64)> {
    m.torn().map(|(torn, reads, _)| (torn, reads))
}

/// `a of b` from a measurement that has both counts, else what happened.
fn cell(r: &ClaimResult, counts: Counts) -> String {
    let counts = r.measurement.as_ref().and_then(counts);
    match (counts, r.status) {
        (Some((a, b)), RStatus::Pass) => format!("{a} of {b}"),
        (Some((a, b)), RStatus::Fail) => format!("{a} of {b} (failed)"),
        (_, RStatus::Pass) => "passed, no counts".into(),
        (_, RStatus::Fail) => "failed".into(),
        (_, RStatus::Skip) => "skipped".into(),
        (_, RStatus::Error) => "could not run".into(),
    }
}

/// One cell per kernel column: the claim's results on that kernel.
fn cells(results: &Results, claim: &Claim, kernels: &[String], counts: Counts) -> Vec<String> {
    let obs = results.observations(&claim.global_id);
    kernels
        .iter()
        .map(|k| {
            let v: Vec<String> = obs
                .iter()
                .filter(|(kern, _)| kern.name == *k)
                .map(|(_, r)| cell(r, counts))
                .collect();
            if v.is_empty() {
                "not run".into()
            } else {
                v.join("; ")
            }
        })
        .collect()
}

fn bound(at_most: Option<u64>, at_least: Option<u64>, what: &str) -> String {
    match (at_most, at_least) {
        (Some(0), None) => format!("none {what}"),
        (Some(n), None) => format!("at most {n} {what}"),
        (None, Some(n)) => format!("at least {n} {what}"),
        (Some(a), Some(b)) => format!("{b} to {a} {what}"),
        (None, None) => "counted only".into(),
    }
}

fn lookup_with(flags: &mapspec_spec::Flags) -> String {
    if flags.is_default() {
        "lookup".into()
    } else {
        format!("lookup with {}", rst::literal(&flags.names()))
    }
}

pub fn build(
    sorted: &[&SpecFile],
    results: &Results,
    targets: &mut Targets,
) -> Result<KernelSide, DocError> {
    let kernels: Vec<String> = results.kernels();
    let mut race_rows = Vec::new();
    let mut torn_rows = Vec::new();
    let mut race_budgets = std::collections::BTreeSet::new();
    let mut per_type = String::new();
    for sf in sorted {
        let spec = &sf.spec;
        let mut bullets = String::new();
        for claim in spec.claims() {
            let Some(check) = check_of(&claim) else {
                continue;
            };
            let ty = rst::literal(&spec.map_type);
            match &check {
                Check::Race(op) => {
                    race_budgets.insert(op.budget_ms);
                    let mut row = vec![
                        ty,
                        rst::literal(&op.program),
                        format!("{} × {}", op.threads, op.repeat),
                        format!("{} ms", op.budget_ms),
                        bound(op.lost_at_most, op.lost_at_least, "lost"),
                    ];
                    row.extend(cells(results, &claim, &kernels, lost));
                    race_rows.push(row);
                }
                Check::ProgTorn(op) => {
                    let mut row = vec![
                        ty,
                        format!("program {}", rst::literal(&op.program)),
                        lookup_with(&op.flags),
                        format!("{} ms", op.budget_ms),
                        bound(op.torn_at_most, op.torn_at_least, "torn"),
                    ];
                    row.extend(cells(results, &claim, &kernels, torn));
                    torn_rows.push(row);
                }
                Check::Torn(op) => {
                    let writer = if op.flags.is_default() {
                        "update".to_string()
                    } else {
                        format!("update with {}", rst::literal(&op.flags.names()))
                    };
                    let mut row = vec![
                        ty,
                        writer,
                        lookup_with(&op.flags),
                        format!("{} ms", op.budget_ms),
                        bound(op.torn_at_most, op.torn_at_least, "torn"),
                    ];
                    row.extend(cells(results, &claim, &kernels, torn));
                    torn_rows.push(row);
                }
            }
            // The claim as its page prints it, without the raw counts
            // (the tables above hold them).
            let rc = render_claim(sf, &claim, results, targets)?;
            let mut sentences = vec![format!("{}{}", rc.status.lead(), rc.text)];
            sentences.extend(
                rc.status
                    .sentences
                    .iter()
                    .filter(|s| !s.starts_with("Measured "))
                    .cloned(),
            );
            bullets.push_str(&rst::wrap(&sentences.join(" "), "   - ", "     "));
        }
        if !bullets.is_empty() {
            per_type.push_str(&format!(
                "{} (:doc:`{}`)\n{bullets}\n",
                rst::literal(&spec.map_type),
                spec.page
            ));
        }
    }

    let columns = |first: &[&str]| -> Vec<String> {
        let mut h: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        h.extend(kernels.iter().cloned());
        h
    };
    let one_run = if kernels.is_empty() {
        "No results were recorded when this page was generated, so every cell \
         says \"not run\"."
            .to_string()
    } else {
        "Each kernel column holds the counts of one run of the suite on that \
         kernel; they differ from run to run."
            .to_string()
    };

    let mut races = String::new();
    if !race_rows.is_empty() {
        let budgets: Vec<String> = race_budgets.iter().map(|b| format!("{b} ms")).collect();
        races.push_str(&rst::wrap(
            &format!(
                "Each row is a claim that races a counter program (shown above) \
                 on one element. Threads pinned to different CPUs each run the \
                 program with ``BPF_PROG_TEST_RUN`` (threads × ``repeat`` in the \
                 table), and the counter, summed over CPUs for per-CPU maps, is \
                 compared with the number of runs. Rounds repeat until the \
                 budget ({}) is spent; a check that expects losses stops at the \
                 first round that lost any. A cell gives the increments lost of \
                 all the runs. {one_run}",
                budgets.join(" or ")
            ),
            "",
            "",
        ));
        races.push('\n');
        races.push_str(&rst::simple_table(
            &columns(&["Map type", "Program", "Runs", "Budget", "Spec"]),
            &race_rows,
        ));
    }

    let mut torn = String::new();
    if !torn_rows.is_empty() {
        torn.push_str(&rst::wrap(
            &format!(
                "Each row is a claim that rewrites every word of one value with \
                 one number, from a program or from userspace, while a userspace \
                 thread on another CPU looks the value up until the budget is \
                 spent. A lookup whose words differ saw a torn value; a cell \
                 gives the torn lookups of all the lookups. {one_run}"
            ),
            "",
            "",
        ));
        torn.push('\n');
        torn.push_str(&rst::simple_table(
            &columns(&["Map type", "Writer", "Reader", "Budget", "Spec"]),
            &torn_rows,
        ));
    }

    if races.is_empty() {
        races = "No spec has a counter race yet.\n".into();
    }
    if torn.is_empty() {
        torn = "No spec has a torn-value check yet.\n".into();
    }
    if per_type.is_empty() {
        per_type = "No spec has a concurrency check yet.\n".into();
    }
    Ok(KernelSide {
        races,
        torn,
        per_type,
    })
}

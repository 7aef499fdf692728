//! Lint for the prose statements: every statement says how we know it,
//! and a claim may back a statement only if its check can fail for it.
//!
//! The three subject statements (`value_layout`, `iteration`,
//! `atomicity`) need claims whose steps test their subject:
//! - atomicity: concurrent steps (`torn_read`, `prog_race`, `prog_torn`,
//!   `push_pop_race`, or `prog_run` from several threads);
//! - iteration: `get_next_key`, `keys` and the batch commands;
//! - value layout: lookups that compare the value read back (or that
//!   expect the refusal a statement like "cannot be read back" makes).
//!
//! The general statements (`key_facts` and `notes`) are about anything, so
//! any claim whose check can fail may assert them; a page holds at most
//! [`MAX_KEY_FACTS`] key facts, counted over every spec of the page.
//!
//! A claim whose only test of the subject is a statistical count with no
//! bound that can fail is a counting claim: it may illustrate a statement
//! (`observed_by`) but never assert it (`checked_by`).

use crate::model::*;
use crate::names::{did_you_mean, Outcome};
use crate::yaml::Seg;
use crate::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;

/// A page opens with at most this many key facts: more is a list nobody
/// reads first.
pub const MAX_KEY_FACTS: usize = 6;

/// The statement fields, in document order.
pub const STATEMENTS: [&str; 3] = ["value_layout", "iteration", "atomicity"];

/// How one claim relates to a statement's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// Its steps test the subject and can fail.
    Asserts,
    /// Its only test of the subject is an unbounded count.
    Counts,
    /// Its steps do not test the subject.
    Unrelated,
}

/// The statement `field` of `spec`.
pub fn statement<'a>(spec: &'a MapSpec, field: &str) -> Option<&'a Statement> {
    match field {
        "value_layout" => Some(&spec.value_layout),
        "iteration" => Some(&spec.iteration),
        "atomicity" => Some(&spec.atomicity),
        _ => None,
    }
}

/// What the steps of claim `id` do for the statement `field`; `None` when
/// no claim has that id.
pub fn backing(spec: &MapSpec, field: &str, id: &str) -> Option<Backing> {
    if let Some(c) = spec.commands.iter().find(|c| c.id == id) {
        return Some(if command_tests(field, c) {
            Backing::Asserts
        } else {
            Backing::Unrelated
        });
    }
    if let Some(s) = spec.scenarios.iter().find(|s| s.id == id) {
        let mut counts = false;
        for step in &s.steps {
            match step_tests(field, step) {
                Backing::Asserts => return Some(Backing::Asserts),
                Backing::Counts => counts = true,
                Backing::Unrelated => {}
            }
        }
        return Some(if counts {
            Backing::Counts
        } else {
            Backing::Unrelated
        });
    }
    let known = id == "exists"
        || spec.create.iter().any(|c| c.id == id)
        || spec.update_flags.iter().any(|c| c.id == id);
    // Create rules and update-flag cells make one call whose outcome is the
    // check: neither iterates, races or reads a value back.
    known.then_some(Backing::Unrelated)
}

fn command_tests(field: &str, c: &CommandCell) -> bool {
    match field {
        "iteration" => matches!(
            c.command,
            Command::GetNextKey
                | Command::LookupBatch
                | Command::UpdateBatch
                | Command::DeleteBatch
                | Command::LookupAndDeleteBatch
        ),
        "value_layout" => {
            matches!(c.command, Command::Lookup | Command::LookupAndDelete)
                && (c.value.is_some() || c.expect != Outcome::Ok)
        }
        _ => false,
    }
}

fn bounded(at_least: Option<u64>, at_most: Option<u64>) -> Backing {
    if at_least.is_some() || at_most.is_some() {
        Backing::Asserts
    } else {
        Backing::Counts
    }
}

fn step_tests(field: &str, step: &Step) -> Backing {
    let yes = |b: bool| {
        if b {
            Backing::Asserts
        } else {
            Backing::Unrelated
        }
    };
    match field {
        "atomicity" => match step {
            Step::TornRead(o) => bounded(o.torn_at_least, o.torn_at_most),
            Step::ProgTorn(o) => bounded(o.torn_at_least, o.torn_at_most),
            Step::ProgRace(o) => bounded(o.lost_at_least, o.lost_at_most),
            Step::ProgRun(o) => yes(o.threads.unwrap_or(1) > 1),
            // Exact counts of lost, duplicated and torn values: it can fail.
            Step::PushPopRace(_) => Backing::Asserts,
            _ => Backing::Unrelated,
        },
        "iteration" => yes(matches!(
            step,
            Step::GetNextKey(_)
                | Step::Keys(_)
                | Step::LookupBatch(_)
                | Step::UpdateBatch(_)
                | Step::DeleteBatch(_)
                | Step::LookupAndDeleteBatch(_)
        )),
        "value_layout" => yes(match step {
            Step::Lookup(o) | Step::LookupAndDelete(o) => {
                o.value.is_some() || o.per_cpu.is_some() || o.expect != Outcome::Ok
            }
            Step::LookupBatch(o) | Step::LookupAndDeleteBatch(o) => !o.values.is_empty(),
            Step::Mmap(o) => o.load.is_some(),
            Step::ProgRun(o) => o.out.is_some(),
            _ => false,
        }),
        _ => Backing::Unrelated,
    }
}

fn subject(field: &str) -> &'static str {
    match field {
        "atomicity" => {
            "a concurrent step (torn_read, prog_race, prog_torn, push_pop_race, or prog_run with threads > 1)"
        }
        "iteration" => "a get_next_key, keys or batch step",
        _ => "a lookup that compares the value read back (or expects its refusal)",
    }
}

/// A claim id's backing of a general statement (a key fact or a note):
/// every claim asserts, unless it is a scenario with a count that no bound
/// can fail, whose point is the count. `None` when no claim has that id.
pub fn general_backing(spec: &MapSpec, id: &str) -> Option<Backing> {
    if let Some(s) = spec.scenarios.iter().find(|s| s.id == id) {
        let counts = s.steps.iter().any(|step| {
            matches!(
                step,
                Step::TornRead(o) if o.torn_at_least.is_none() && o.torn_at_most.is_none()
            ) || matches!(
                step,
                Step::ProgTorn(o) if o.torn_at_least.is_none() && o.torn_at_most.is_none()
            ) || matches!(
                step,
                Step::ProgRace(o) if o.lost_at_least.is_none() && o.lost_at_most.is_none()
            )
        });
        return Some(if counts {
            Backing::Counts
        } else {
            Backing::Asserts
        });
    }
    let known = id == "exists"
        || spec.create.iter().any(|c| c.id == id)
        || spec.commands.iter().any(|c| c.id == id)
        || spec.update_flags.iter().any(|c| c.id == id);
    known.then_some(Backing::Asserts)
}

fn claim_ids(spec: &MapSpec) -> Vec<&str> {
    std::iter::once("exists")
        .chain(spec.create.iter().map(|c| c.id.as_str()))
        .chain(spec.commands.iter().map(|c| c.id.as_str()))
        .chain(spec.update_flags.iter().map(|c| c.id.as_str()))
        .chain(spec.scenarios.iter().map(|c| c.id.as_str()))
        .collect()
}

/// The problems of one statement at `at`, named `label` in messages;
/// `backing` says what a claim id does for it (`None`: unknown id).
fn statement_problems(
    at: &[Seg],
    label: &str,
    st: &Statement,
    backing: &dyn Fn(&str) -> Option<Backing>,
    subject: Option<&str>,
    unknown_ids: Option<&[&str]>,
) -> Vec<(Vec<Seg>, String)> {
    let key = |s: &str| Seg::Key(s.to_string());
    let under = |rest: &[Seg]| at.iter().chain(rest).cloned().collect::<Vec<_>>();
    let mut out = Vec::new();
    if st.checked_by.is_empty() && st.observed_by.is_empty() && st.unverified.is_none() {
        out.push((
            at.to_vec(),
            format!(
                "{label}: say how the statement is known: `checked_by` (claims that assert it), \
                 `observed_by` (counting claims) or `unverified: {{reason: ...}}` (mechanism, advice, history)"
            ),
        ));
    }
    if !st.checked_by.is_empty() && st.unverified.is_some() {
        out.push((
            under(&[key("unverified")]),
            format!("{label}: a statement with `checked_by` is asserted, not `unverified`"),
        ));
    }
    if let Some(u) = &st.unverified {
        if u.reason.trim().is_empty() {
            out.push((
                under(&[key("unverified"), key("reason")]),
                "`unverified` needs a reason".into(),
            ));
        }
    }
    for (i, id) in st.states.iter().enumerate() {
        if !st.checked_by.contains(id) {
            out.push((
                under(&[key("states"), Seg::Index(i)]),
                format!(
                    "{label}: `states` names `{id}`, which is not in `checked_by`: a statement \
                     says a claim's sentence only when the claim asserts it"
                ),
            ));
        }
    }
    for (list, ids) in [
        ("checked_by", &st.checked_by),
        ("observed_by", &st.observed_by),
    ] {
        for (i, id) in ids.iter().enumerate() {
            let here = under(&[key(list), Seg::Index(i)]);
            let Some(b) = backing(id) else {
                // The subject statements' unknown ids are reported by
                // load.rs; the general ones here.
                if let Some(ids) = unknown_ids {
                    let hint = did_you_mean(id, ids.iter().copied())
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    out.push((here, format!("{label}: unknown claim id `{id}`{hint}")));
                }
                continue;
            };
            let m = match (list, b) {
                (_, Backing::Unrelated) => format!(
                    "{label}: claim `{id}` does not test this statement's subject: it needs {}",
                    subject.unwrap_or("a check that can fail")
                ),
                ("checked_by", Backing::Counts) => format!(
                    "{label}: claim `{id}` only counts (no bound that can fail): it cannot \
                     assert the statement; name it in `observed_by`"
                ),
                ("observed_by", Backing::Asserts) => format!(
                    "{label}: claim `{id}` has an outcome or bound that can fail: name it in `checked_by`"
                ),
                _ => continue,
            };
            out.push((here, m));
        }
    }
    out
}

/// Every problem with the statements' evidence, with the path to blame.
pub fn problems(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let key = |s: &str| Seg::Key(s.to_string());
    let mut out = Vec::new();
    for field in STATEMENTS {
        let Some(st) = statement(spec, field) else {
            continue;
        };
        out.extend(statement_problems(
            &[key(field)],
            field,
            st,
            &|id| backing(spec, field, id),
            Some(subject(field)),
            None,
        ));
    }
    let ids = claim_ids(spec);
    let general = |id: &str| general_backing(spec, id);
    for (i, st) in spec.key_facts.iter().enumerate() {
        let at = [key("key_facts"), Seg::Index(i)];
        let label = format!("key_facts[{i}]");
        out.extend(statement_problems(
            &at,
            &label,
            st,
            &general,
            None,
            Some(&ids),
        ));
    }
    if spec.key_facts.len() > MAX_KEY_FACTS {
        out.push((
            vec![key("key_facts"), Seg::Index(MAX_KEY_FACTS)],
            format!(
                "key_facts: {} facts; a page opens with at most {MAX_KEY_FACTS}",
                spec.key_facts.len()
            ),
        ));
    }
    for (i, note) in spec.notes.iter().enumerate() {
        let at = [key("notes"), Seg::Index(i)];
        let label = format!("notes[{i}] ({})", note.title);
        if note.title.trim().is_empty() {
            out.push((
                vec![key("notes"), Seg::Index(i), key("title")],
                "a note needs a title".into(),
            ));
        }
        out.extend(statement_problems(
            &at,
            &label,
            &note.statement(),
            &general,
            None,
            Some(&ids),
        ));
    }
    out
}

/// The key facts of every page together: the specs of one page share its
/// opening list, so its limit holds for their sum. `specs` gives each spec
/// with its file and text (to point at its `key_facts:` line).
pub fn page_problems(specs: &[(&MapSpec, &Path, &str)]) -> Vec<Diagnostic> {
    let mut pages: BTreeMap<&str, Vec<&(&MapSpec, &Path, &str)>> = BTreeMap::new();
    for s in specs {
        pages.entry(s.0.page.as_str()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (page, members) in pages {
        let total: usize = members.iter().map(|s| s.0.key_facts.len()).sum();
        if total <= MAX_KEY_FACTS
            || members.iter().filter(|s| !s.0.key_facts.is_empty()).count() < 2
        {
            // One spec over the limit is reported by `problems`, at its line.
            continue;
        }
        for (spec, file, source) in members {
            if spec.key_facts.is_empty() {
                continue;
            }
            let line = source
                .lines()
                .position(|l| l.starts_with("key_facts:"))
                .map_or(1, |n| n + 1);
            out.push(Diagnostic {
                file: file.to_path_buf(),
                line,
                column: 1,
                message: format!(
                    "key_facts: page {page} has {total} key facts over its specs; \
                     it opens with at most {MAX_KEY_FACTS}"
                ),
            });
        }
    }
    out
}

//! Lint for the three prose statements (`value_layout`, `iteration`,
//! `atomicity`): every statement says how we know it, and a claim may back
//! a statement only if its steps test the statement's subject.
//!
//! Subjects, by step kind:
//! - atomicity: concurrent steps (`torn_read`, `prog_race`, `prog_torn`, or
//!   `prog_run` from several threads);
//! - iteration: `get_next_key`, `keys` and the batch commands;
//! - value layout: lookups that compare the value read back (or that
//!   expect the refusal a statement like "cannot be read back" makes).
//!
//! A claim whose only test of the subject is a statistical count with no
//! bound that can fail is a counting claim: it may illustrate a statement
//! (`observed_by`) but never assert it (`checked_by`).

use crate::model::*;
use crate::names::Outcome;
use crate::yaml::Seg;

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
            "a concurrent step (torn_read, prog_race, prog_torn, or prog_run with threads > 1)"
        }
        "iteration" => "a get_next_key, keys or batch step",
        _ => "a lookup that compares the value read back (or expects its refusal)",
    }
}

/// Every problem with the statements' evidence, with the path to blame.
pub fn problems(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let key = |s: &str| Seg::Key(s.to_string());
    let mut out = Vec::new();
    for field in STATEMENTS {
        let Some(st) = statement(spec, field) else {
            continue;
        };
        if st.checked_by.is_empty() && st.observed_by.is_empty() && st.unverified.is_none() {
            out.push((
                vec![key(field)],
                format!(
                    "{field}: say how the statement is known: `checked_by` (claims that assert it), \
                     `observed_by` (counting claims) or `unverified: {{reason: ...}}` (mechanism, advice, history)"
                ),
            ));
        }
        if !st.checked_by.is_empty() && st.unverified.is_some() {
            out.push((
                vec![key(field), key("unverified")],
                format!("{field}: a statement with `checked_by` is asserted, not `unverified`"),
            ));
        }
        if let Some(u) = &st.unverified {
            if u.reason.trim().is_empty() {
                out.push((
                    vec![key(field), key("unverified"), key("reason")],
                    "`unverified` needs a reason".into(),
                ));
            }
        }
        for (list, ids) in [
            ("checked_by", &st.checked_by),
            ("observed_by", &st.observed_by),
        ] {
            for (i, id) in ids.iter().enumerate() {
                let at = vec![key(field), key(list), Seg::Index(i)];
                // Unknown ids are reported by load.rs, with a hint.
                let Some(b) = backing(spec, field, id) else {
                    continue;
                };
                let m = match (list, b) {
                    (_, Backing::Unrelated) => format!(
                        "{field}: claim `{id}` does not test this statement's subject: it needs {}",
                        subject(field)
                    ),
                    ("checked_by", Backing::Counts) => format!(
                        "{field}: claim `{id}` only counts (no bound that can fail): it cannot \
                         assert the statement; name it in `observed_by`"
                    ),
                    ("observed_by", Backing::Asserts) => format!(
                        "{field}: claim `{id}` has an outcome or bound that can fail: name it in `checked_by`"
                    ),
                    _ => continue,
                };
                out.push((at, m));
            }
        }
    }
    out
}

//! Lint: a claim's words match its structure. The page prints `text` as
//! verified, so the sentence may not name an errno the check does not
//! expect, must name the errno it does expect, and may not say "succeeds"
//! of a refusal or "fails" of a success.

use crate::model::*;
use crate::names::{Errno, Outcome};
use crate::yaml::Seg;

/// Words that say the call worked.
pub const SUCCESS_WORDS: &[&str] = &[
    "succeeds", "succeed", "inserts", "accepted", "accepts", "returns",
];
/// Words that say the call was refused.
pub const FAILURE_WORDS: &[&str] = &["fails", "fail", "refused", "refuses", "rejected", "rejects"];

/// What a claim's text is held to: the outcome its check asserts when
/// every step expects the same one (a table cell always does), the
/// outcomes on older or newer kernels, and every outcome it may name.
pub struct Expectation {
    pub uniform: Option<Outcome>,
    pub other_eras: Vec<Outcome>,
    pub nameable: Vec<Outcome>,
}

/// The expectation of a claim, from its structure.
pub fn expectation(meta: &ClaimMeta, expects: &[Outcome]) -> Expectation {
    let other_eras: Vec<Outcome> = meta
        .before
        .iter()
        .chain(meta.after.iter())
        .copied()
        .collect();
    let mut nameable: Vec<Outcome> = expects.to_vec();
    nameable.extend(other_eras.iter().copied());
    let uniform = expects
        .first()
        .copied()
        .filter(|f| expects.iter().all(|o| o == f));
    Expectation {
        uniform,
        other_eras,
        nameable,
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Errno names in `text`, in order.
pub fn errnos_in(text: &str) -> Vec<Errno> {
    words(text)
        .into_iter()
        .filter_map(|w| Errno::ALL.iter().copied().find(|e| e.name() == w))
        .collect()
}

/// Success words in `text`. "returns E..." names a refusal, not a success.
pub fn success_words(text: &str) -> Vec<String> {
    let ws = words(text);
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let lw = w.to_ascii_lowercase();
        if !SUCCESS_WORDS.contains(&lw.as_str()) {
            continue;
        }
        let next_is_errno = ws
            .get(i + 1)
            .is_some_and(|n| Errno::ALL.iter().any(|e| e.name() == *n));
        if lw == "returns" && next_is_errno {
            continue;
        }
        out.push(lw);
    }
    out
}

/// Failure words in `text`.
pub fn failure_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| FAILURE_WORDS.contains(&w.as_str()))
        .collect()
}

/// `text` without its parenthesized remarks that name a kernel version.
pub fn today_part(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| c + open) else {
            break;
        };
        let inner = &rest[open + 1..close];
        let b = inner.as_bytes();
        let has_version = (1..b.len().saturating_sub(1))
            .any(|i| b[i] == b'.' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit());
        out.push_str(&rest[..open]);
        if !has_version {
            out.push_str(&rest[open..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// What is wrong with `text` for a claim with expectation `e`.
pub fn text_problems(text: &str, e: &Expectation) -> Vec<String> {
    let mut out = Vec::new();
    let named = errnos_in(text);
    for errno in &named {
        if !e.nameable.contains(&Outcome::Err(*errno)) {
            out.push(format!(
                "text names {} but the claim never expects it (expect, before or after)",
                errno.name()
            ));
        }
    }
    // Words about another era sit in parentheses with the version
    // ("accepted (rejected with E2BIG before 5.11)"); the verbs are checked
    // on the rest, which speaks for the kernels the claim's expect covers.
    let today = today_part(text);
    match e.uniform {
        Some(Outcome::Err(errno)) => {
            if !named.contains(&errno) {
                out.push(format!(
                    "the claim expects {} but its text does not name it",
                    errno.name()
                ));
            }
            if let Some(w) = success_words(&today).first() {
                out.push(format!(
                    "text says `{w}` but the claim expects {}: say what fails and how",
                    errno.name()
                ));
            }
        }
        Some(Outcome::Ok) => {
            if let Some(w) = failure_words(&today).first() {
                out.push(format!("text says `{w}` but the claim expects success"));
            }
        }
        _ => {}
    }
    out
}

/// One claim's words and what they are held to.
pub struct ClaimWords {
    pub field: &'static str,
    pub index: usize,
    pub id: String,
    pub text: String,
    pub expectation: Expectation,
}

/// Every claim of `spec` with its expectation, in field order.
pub fn claim_words(spec: &MapSpec) -> Vec<ClaimWords> {
    let mut out = Vec::new();
    let mut push = |field, index, meta: ClaimMeta, expects: Vec<Outcome>| {
        out.push(ClaimWords {
            field,
            index,
            expectation: expectation(&meta, &expects),
            id: meta.id,
            text: meta.text,
        })
    };
    for (i, c) in spec.create.iter().enumerate() {
        push("create", i, c.meta(), vec![c.expect]);
    }
    for (i, c) in spec.commands.iter().enumerate() {
        push("commands", i, c.meta(), vec![c.expect]);
    }
    for (i, c) in spec.update_flags.iter().enumerate() {
        push("update_flags", i, c.meta(), vec![c.expect]);
    }
    for (i, s) in spec.scenarios.iter().enumerate() {
        let mut steps = s.steps.clone();
        let expects = steps
            .iter_mut()
            .filter_map(|st| match st {
                // A kernel-side run that loads and runs: what the text is
                // about is the helper's return code.
                Step::ProgRun(o) if o.expect == Outcome::Ok && o.returns.is_some() => o.returns,
                st => st.expect_mut().map(|o| *o),
            })
            .collect();
        push("scenarios", i, s.meta(), expects);
    }
    out
}

/// Every claim whose text contradicts its expectation.
pub fn problems(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let mut out = Vec::new();
    for w in claim_words(spec) {
        for m in text_problems(&w.text, &w.expectation) {
            out.push((
                vec![
                    Seg::Key(w.field.into()),
                    Seg::Index(w.index),
                    Seg::Key("text".into()),
                ],
                format!("claim `{}`: {m}", w.id),
            ));
        }
    }
    out
}

/// Every statement (value layout, iteration, atomicity, key fact, note)
/// that `states` a claim in place of the claim's own sentence, with its
/// path: the page prints the statement's words and not the claim's.
fn stating_statements(spec: &MapSpec) -> Vec<(Vec<Seg>, Statement)> {
    let key = |s: &str| Seg::Key(s.to_string());
    let mut all: Vec<(Vec<Seg>, Statement)> = crate::evidence::STATEMENTS
        .iter()
        .filter_map(|f| Some((vec![key(f)], crate::evidence::statement(spec, f)?.clone())))
        .collect();
    for (i, kf) in spec.key_facts.iter().enumerate() {
        all.push((vec![key("key_facts"), Seg::Index(i)], kf.clone()));
    }
    for (i, n) in spec.notes.iter().enumerate() {
        all.push((vec![key("notes"), Seg::Index(i)], n.statement()));
    }
    all.retain(|(_, s)| !s.states.is_empty());
    all
}

/// A statement that says a claim's sentence (`states`) must name every
/// errno the claim's own text names: the claim's words are tied to its
/// check, and the statement stands in for them on the page, so an errno
/// changed or dropped in the statement fails here.
pub fn stated_problems(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let claims = claim_words(spec);
    let mut out = Vec::new();
    for (path, st) in stating_statements(spec) {
        let named = errnos_in(&st.text);
        for id in &st.states {
            let Some(w) = claims.iter().find(|w| w.id == *id) else {
                continue; // an unknown id is the evidence lint's finding
            };
            for errno in errnos_in(&today_part(&w.text)) {
                if !named.contains(&errno) {
                    let mut at = path.clone();
                    at.push(Seg::Key("text".into()));
                    out.push((
                        at,
                        format!(
                            "the statement says claim `{id}` in its place, but does not name {}, \
                             which the claim's text names: say it, or drop `{id}` from `states`",
                            errno.name()
                        ),
                    ));
                }
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup();
    out
}

//! The prose of Semantics: the value layout, iteration and atomicity
//! statements (a paragraph each; on a family page once where the types
//! agree, prefixed with the types where they do not), and "Further
//! behaviour": one sentence per scenario claim, once however many types of
//! the page share it. Counting claims are left to the compatibility report.

use super::claim;
use super::{Part, Place, Placed, Statements};
use crate::model::SpecDoc;
use crate::{key, rst, DocError};
use mapspec_spec::yaml::Seg;
use mapspec_spec::{ClaimKind, Scope, Statement};

/// "`A` and `B`: " (the types, as inline Markdown), or nothing
/// when `members` are all the page's types.
fn types_prefix(docs: &[&SpecDoc], members: &[usize]) -> String {
    if members.len() == docs.len() {
        return String::new();
    }
    // The short names of the tables' headings.
    let short = super::tables::short_names(docs);
    let names: Vec<String> = members.iter().map(|&t| format!("`{}`", short[t])).collect();
    format!("{}: ", super::join_and(&names))
}

/// Value layout, iteration and atomicity.
pub(crate) fn statements(docs: &[&SpecDoc], st: &mut Statements) -> Result<Vec<Part>, DocError> {
    let mut out = Vec::new();
    for (field, title) in [
        ("value_layout", "Value layout"),
        ("iteration", "Iteration"),
        ("atomicity", "Atomicity"),
    ] {
        // Types grouped by identical statements, in type order.
        let mut groups: Vec<(&mapspec_spec::Statement, Vec<usize>)> = Vec::new();
        for (t, d) in docs.iter().enumerate() {
            let Some(s) = mapspec_spec::evidence::statement(d.spec(), field) else {
                continue;
            };
            match groups
                .iter_mut()
                .find(|(g, _)| g.text == s.text && g.evidence() == s.evidence())
            {
                Some((_, m)) => m.push(t),
                None => groups.push((s, vec![t])),
            }
        }
        let mut body = String::new();
        for (s, members) in &groups {
            let d = docs[members[0]];
            let prefix = types_prefix(docs, members);
            body.push_str(&st.render(d, &[key(field)], s, &prefix)?);
            body.push('\n');
        }
        if !body.is_empty() {
            out.push(Part {
                heading: title.into(),
                body,
            });
        }
    }
    Ok(out)
}

/// The claims of `d` that one of its statements says (its `states`), each
/// with the statement's text as the page prints it.
fn stated(d: &SpecDoc) -> Result<Vec<(String, String)>, DocError> {
    let spec = d.spec();
    let mut all: Vec<(Vec<Seg>, &Statement)> = ["value_layout", "iteration", "atomicity"]
        .into_iter()
        .filter_map(|f| Some((vec![key(f)], mapspec_spec::evidence::statement(spec, f)?)))
        .collect();
    for (i, kf) in spec.key_facts.iter().enumerate() {
        all.push((vec![key("key_facts"), Seg::Index(i)], kf));
    }
    let notes: Vec<Statement> = spec.notes.iter().map(|n| n.statement()).collect();
    for (i, n) in notes.iter().enumerate() {
        all.push((vec![key("notes"), Seg::Index(i)], n));
    }
    let mut out = Vec::new();
    for (path, s) in all {
        if s.states.is_empty() {
            continue;
        }
        let text = d.file.block(&claim::with(&path, "text"), &s.text)?.text;
        for id in &s.states {
            out.push((id.clone(), text.clone()));
        }
    }
    Ok(out)
}

/// "Further behaviour": the scenario claims no table or statement holds.
pub(crate) fn scenarios(docs: &[&SpecDoc], st: &mut Statements) -> Result<Option<Part>, DocError> {
    // (sentence, types that state it, claims)
    let mut items: Vec<(String, Vec<usize>, Vec<String>)> = Vec::new();
    for (t, d) in docs.iter().enumerate() {
        let stated = stated(d)?;
        for cd in &d.claims {
            if !matches!(cd.claim.kind, ClaimKind::Scenario) {
                continue;
            }
            // Said by a statement of the page: placed there, not repeated.
            // A claim that failed on a kernel keeps its own sentence, which
            // says where; so does one with a version the statement does not
            // name ("since 5.6").
            let said = stated.iter().find(|(id, _)| *id == cd.claim.meta.id);
            let names_version = |text: &str| match (&cd.marks.version, &cd.claim.meta.since) {
                (None, _) => true,
                (Some(_), Some(s)) if cd.claim.meta.until.is_none() => {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    let words = words.join(" ").to_lowercase();
                    words.contains(&format!("since {}", s.version()))
                }
                _ => false,
            };
            if let Some((_, text)) =
                said.filter(|(_, t)| cd.marks.differs.is_none() && names_version(t))
            {
                st.layout.claims.push(Placed {
                    claim: cd.claim.global_id.clone(),
                    place: Place::Sentence(text.clone()),
                });
                continue;
            }
            if cd.claim.requires.statistical {
                st.layout.claims.push(Placed {
                    claim: cd.claim.global_id.clone(),
                    place: Place::Report,
                });
                continue;
            }
            // About the system call, not this type: stated once, in
            // maps.rst (see `syscall`).
            if cd.claim.meta.scope == Scope::Syscall {
                continue;
            }
            // One sentence per claim: its note (the why, often the
            // evidence) stays in the spec and the report.
            let sentence = claim::sentence(d.file, cd, &mut st.targets)?;
            let id = cd.claim.global_id.clone();
            match items.iter_mut().find(|(s, _, _)| *s == sentence) {
                Some((_, m, ids)) => {
                    if !m.contains(&t) {
                        m.push(t);
                    }
                    ids.push(id);
                }
                None => items.push((sentence, vec![t], vec![id])),
            }
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    // Sentences about the same types together, under one line naming
    // them (none for the sentences about every type of the page).
    let mut sets: Vec<Vec<usize>> = Vec::new();
    for (_, members, _) in &items {
        if !sets.contains(members) {
            sets.push(members.clone());
        }
    }
    sets.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut body = String::new();
    for set in sets {
        if set.len() != docs.len() {
            // The short names of the tables' headings.
            let short = super::tables::short_names(docs);
            let names: Vec<String> = set.iter().map(|&t| rst::literal(&short[t])).collect();
            body.push('\n');
            body.push_str(&rst::wrap(
                &format!("{} only:", super::join_and(&names)),
                "",
                "",
            ));
            body.push('\n');
        }
        for (sentence, _, ids) in items.iter().filter(|(_, m, _)| *m == set) {
            for id in ids {
                st.layout.claims.push(Placed {
                    claim: id.clone(),
                    place: Place::Sentence(sentence.clone()),
                });
            }
            body.push_str(&rst::wrap(sentence, "- ", "  "));
        }
    }
    Ok(Some(Part {
        heading: "Further behaviour".into(),
        body,
    }))
}

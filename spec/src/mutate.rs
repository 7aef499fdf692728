//! Mutations of a spec document: every expected outcome and value flipped,
//! one at a time. The mutation test runs each mutant and demands that the
//! runner reports a failure, so a wrong spec can never pass.

use crate::yaml::{Seg, Value};

#[derive(Debug, Clone)]
pub struct Mutant {
    /// What was changed, for messages: `commands[3].expect: ENOENT -> ok`.
    pub description: String,
    /// The claim id that must now fail, or `None` for a situation, where
    /// every claim using it must fail.
    pub claim_id: Option<String>,
    /// The situation whose setup was changed.
    pub situation: Option<String>,
    pub doc: Value,
}

const LISTS: [&str; 4] = ["create", "commands", "update_flags", "scenarios"];

fn flip_outcome(s: &str) -> String {
    if s == "ok" {
        "EINVAL".into()
    } else {
        "ok".into()
    }
}

/// Paths (relative to `v`) of every mutable expectation below `v`.
fn sites(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    // `value` is an expectation in lookups (and in a command cell, which
    // only carries one for lookups); elsewhere it is what gets written.
    let in_lookup = match path.iter().rev().find_map(|s| match s {
        Seg::Key(k) => Some(k.as_str()),
        Seg::Index(_) => None,
    }) {
        None => true,
        Some(k) => k == "lookup" || k == "lookup_and_delete",
    };
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let Some(k) = k.as_str() else { continue };
                // `before`/`after` only apply on other kernels: the matrix checks them.
                if k == "before" || k == "after" || k == "map" || k == "requires" {
                    continue;
                }
                path.push(Seg::Key(k.to_string()));
                let mutable = match (k, child) {
                    ("expect", Value::String(_)) | ("expect", Value::Sequence(_)) => true,
                    // Kernel-side steps: the helper's return code, the
                    // value the program read, the program's return value.
                    ("returns", Value::String(_)) => true,
                    ("out" | "retval", Value::Number(_)) => true,
                    ("next" | "processed" | "load", Value::Number(_)) => true,
                    // push_pop_race: the exact counts it expects.
                    ("lost" | "duplicated" | "torn", Value::Number(_)) => true,
                    ("value", Value::Number(_)) => in_lookup,
                    _ => false,
                };
                if mutable {
                    out.push(path.clone());
                } else {
                    sites(child, path, out);
                }
                path.pop();
            }
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter().enumerate() {
                path.push(Seg::Index(i));
                sites(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Seg::Key(k) => cur.as_mapping_mut()?.get_mut(k.as_str())?,
            Seg::Index(i) => cur.as_sequence_mut()?.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn mutate_at(doc: &Value, path: &[Seg]) -> Option<(Value, String)> {
    let mut d = doc.clone();
    let node = get_mut(&mut d, path)?;
    let desc = match node {
        Value::String(s) => {
            let new = flip_outcome(s);
            let desc = format!("{s} -> {new}");
            *node = Value::String(new);
            desc
        }
        Value::Number(n) => {
            let old = n.as_u64()?;
            *node = Value::Number((old + 1).into());
            format!("{old} -> {}", old + 1)
        }
        Value::Sequence(s) => {
            s.push(Value::Number(999_983u64.into()));
            "an extra key 999983".to_string()
        }
        _ => return None,
    };
    Some((d, desc))
}

/// Every single-point mutant of a spec document.
pub fn mutants(doc: &Value) -> Vec<Mutant> {
    let mut out = Vec::new();
    let Some(map) = doc.as_mapping() else {
        return out;
    };
    for list in LISTS {
        let Some(items) = map.get(list).and_then(|v| v.as_sequence()) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let id = item
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let mut found = Vec::new();
            sites(item, &mut Vec::new(), &mut found);
            for rel in found {
                let mut path = vec![Seg::Key(list.into()), Seg::Index(i)];
                path.extend(rel);
                if let Some((d, what)) = mutate_at(doc, &path) {
                    out.push(Mutant {
                        description: format!("{}: {what}", crate::yaml::render_path(&path)),
                        claim_id: Some(id.clone()),
                        situation: None,
                        doc: d,
                    });
                }
            }
        }
    }
    if let Some(sits) = map.get("situations").and_then(|v| v.as_mapping()) {
        for (name, sit) in sits {
            let Some(name) = name.as_str() else { continue };
            // Only the setup steps hold expectations; a situation's own
            // `key` and `value` are inputs (what its cells use and write).
            let Some(setup) = sit.get("setup") else {
                continue;
            };
            let mut found = Vec::new();
            sites(setup, &mut vec![Seg::Key("setup".into())], &mut found);
            for rel in found {
                let mut path = vec![Seg::Key("situations".into()), Seg::Key(name.into())];
                path.extend(rel);
                if let Some((d, what)) = mutate_at(doc, &path) {
                    out.push(Mutant {
                        description: format!("{}: {what}", crate::yaml::render_path(&path)),
                        claim_id: None,
                        situation: Some(name.to_string()),
                        doc: d,
                    });
                }
            }
        }
    }
    out
}

/// One document in which every claim of the lists has its last expectation
/// flipped (its decisive outcome, for most claims), with the ids of the
/// claims changed. Each claim runs on its own map, so one run of this
/// document shows each of them failing: the mutation test of a map type
/// that only a kernel booted in the matrix knows, where a boot per mutant
/// would be too slow.
pub fn every_claim_flipped(doc: &Value) -> (Value, Vec<String>) {
    let mut out = doc.clone();
    let mut ids = Vec::new();
    let Some(map) = doc.as_mapping() else {
        return (out, ids);
    };
    for list in LISTS {
        let Some(items) = map.get(list).and_then(|v| v.as_sequence()) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let mut found = Vec::new();
            sites(item, &mut Vec::new(), &mut found);
            let Some(last) = found.pop() else { continue };
            let mut path = vec![Seg::Key(list.into()), Seg::Index(i)];
            path.extend(last);
            if let Some((d, _)) = mutate_at(&out, &path) {
                out = d;
                if let Some(id) = item.get("id").and_then(|v| v.as_str()) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    (out, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_flipped_changes_the_last_expectation_of_each_claim() {
        let doc = crate::yaml::from_str_value(
            "commands:\n  - id: a\n    expect: ENOENT\n    value: 3\nscenarios:\n  - id: b\n    steps:\n      - update: {key: 1, value: 2}\n      - lookup: {key: 1, value: 2, expect: ok}\n",
        )
        .unwrap();
        let (d, ids) = every_claim_flipped(&doc);
        assert_eq!(ids, ["a", "b"]);
        let text = crate::yaml::to_string(&d);
        assert!(text.contains("expect: ENOENT"), "{text}");
        assert!(text.contains("value: 4"), "{text}");
        assert!(text.contains("expect: EINVAL"), "{text}");
    }

    #[test]
    fn finds_outcomes_and_values_but_not_before() {
        let doc = crate::yaml::from_str_value(
            "commands:\n  - id: a\n    expect: ENOENT\n    before: EINVAL\n    value: 3\nscenarios:\n  - id: b\n    steps:\n      - update: {key: 1, value: 2}\n      - lookup: {key: 1, value: 2}\n",
        )
        .unwrap();
        let m = mutants(&doc);
        let d: Vec<&str> = m.iter().map(|m| m.description.as_str()).collect();
        assert_eq!(
            d,
            [
                "commands[0].expect: ENOENT -> ok",
                "commands[0].value: 3 -> 4",
                "scenarios[0].steps[1].lookup.value: 2 -> 3"
            ]
        );
    }
}

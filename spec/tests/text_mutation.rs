//! The text side of the mutation test: for every claim of every spec,
//! change the errno or the verb its text uses (or, for a text with
//! neither, make it say the call fails), and lint must reject the mutant,
//! naming that claim. A page can then never print a sentence that
//! contradicts the check behind it.

use mapspec_spec::names::{Errno, Outcome};
use mapspec_spec::wording::{self, ClaimWords};
use mapspec_spec::MapSpec;
use std::path::{Path, PathBuf};

/// A whole-word replacement of `from` by `to` in `text`, if `from` occurs.
fn swap_word(text: &str, from: &str, to: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(i) = text[start..].find(from).map(|i| i + start) {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let end = i + from.len();
        let after = end == text.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return Some(format!("{}{to}{}", &text[..i], &text[end..]));
        }
        start = end;
    }
    None
}

/// An errno this claim never expects, so naming it must be caught.
fn foreign_errno(w: &ClaimWords) -> Errno {
    *Errno::ALL
        .iter()
        .find(|e| !w.expectation.nameable.contains(&Outcome::Err(**e)))
        .expect("some errno is not expected")
}

/// The mutated texts of one claim, each with what was changed.
fn mutants(w: &ClaimWords) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let foreign = foreign_errno(w);
    if let Some(named) = wording::errnos_in(&w.text).first() {
        let m = swap_word(&w.text, named.name(), foreign.name()).expect("named errno is a word");
        out.push((m, format!("errno {} -> {}", named.name(), foreign.name())));
    }
    match w.expectation.uniform {
        Some(Outcome::Err(_)) => {
            if let Some(v) = wording::failure_words(&w.text).first() {
                for candidate in [v.clone(), capitalized(v)] {
                    if let Some(m) = swap_word(&w.text, &candidate, "succeeds") {
                        out.push((m, format!("verb {v} -> succeeds")));
                        break;
                    }
                }
            }
        }
        Some(Outcome::Ok) => {
            if let Some(v) = wording::success_words(&w.text).first() {
                for candidate in [v.clone(), capitalized(v)] {
                    if let Some(m) = swap_word(&w.text, &candidate, "fails") {
                        out.push((m, format!("verb {v} -> fails")));
                        break;
                    }
                }
            }
        }
        _ => {}
    }
    if out.is_empty() {
        // Neither an errno nor a verb to swap: the issue's own example,
        // "inserts it." becoming "fails with ENOENT."
        let m = format!("{} It fails with {}.", w.text.trim_end(), foreign.name());
        out.push((m, format!("appended `fails with {}`", foreign.name())));
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// `spec` with claim (`field`, `index`)'s text replaced.
fn with_text(spec: &MapSpec, field: &str, index: usize, text: String) -> MapSpec {
    let mut s = spec.clone();
    match field {
        "create" => s.create[index].text = text,
        "commands" => s.commands[index].text = text,
        "update_flags" => s.update_flags[index].text = text,
        _ => s.scenarios[index].text = text,
    }
    s
}

fn check_file(path: &Path) -> (usize, Vec<String>) {
    let spec = match mapspec_spec::load_file(path) {
        Ok(spec) => spec,
        Err(e) => {
            return (
                0,
                vec![format!("{}: does not lint clean: {e:?}", path.display())],
            )
        }
    };
    let mut failures = Vec::new();
    let mut count = 0;
    for w in wording::claim_words(&spec) {
        for (mutated, what) in mutants(&w) {
            count += 1;
            // The rule lint runs on every claim (load/lint.rs calls it); the
            // wiring itself is `a_mutated_file_fails_lint` below.
            let mutant = with_text(&spec, w.field, w.index, mutated.clone());
            let caught = wording::problems(&mutant)
                .iter()
                .any(|(_, m)| m.contains(&format!("claim `{}`", w.id)));
            if !caught {
                failures.push(format!(
                    "{}: claim `{}`: {what} not caught: {mutated}",
                    path.display(),
                    w.id
                ));
            }
        }
    }
    (count, failures)
}

#[test]
fn a_mutated_file_fails_lint() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("maps/hash.yaml");
    let src = std::fs::read_to_string(&path).unwrap();
    let good = "text: BPF_EXIST on an absent key fails with ENOENT.\n";
    assert!(src.contains(good), "hash.yaml changed: pick another claim");
    let diags = mapspec_spec::load_str(
        &path,
        &src.replacen(good, "text: BPF_EXIST on an absent key succeeds.\n", 1),
    )
    .expect_err("lint must reject the mutant");
    assert!(
        diags.iter().any(|d| d.message.contains("ENOENT")),
        "{diags:?}"
    );
}

#[test]
fn every_errno_or_verb_swap_in_a_claim_text_fails_lint() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("maps");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    // Two threads: loading a spec dominates, and the files are independent.
    let half = paths.len() / 2;
    let (a, b) = paths.split_at(half);
    let run = |ps: &[PathBuf]| {
        ps.iter()
            .map(|p| check_file(p))
            .fold((0, Vec::new()), |(n, mut f), (m, g)| {
                f.extend(g);
                (n + m, f)
            })
    };
    let ((na, fa), (nb, fb)) = std::thread::scope(|s| {
        let other = s.spawn(|| run(b));
        (run(a), other.join().expect("mutation thread"))
    });
    let total = na + nb;
    let failures: Vec<String> = fa.into_iter().chain(fb).collect();
    assert!(
        total > 1000,
        "only {total} mutants: the claims were not found"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} mutants survived lint:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_issues_example_is_caught() {
    let w = |text: &str, expect: Outcome| {
        let e = wording::Expectation {
            uniform: Some(expect),
            other_eras: vec![],
            nameable: vec![expect],
        };
        wording::text_problems(text, &e)
    };
    assert!(w("Updating an absent key inserts it.", Outcome::Ok).is_empty());
    assert!(!w("Updating an absent key fails with ENOENT.", Outcome::Ok).is_empty());
    assert!(!w("Updating an absent key fails.", Outcome::Ok).is_empty());
    assert!(!w(
        "BPF_EXIST on an absent key succeeds.",
        Outcome::Err(Errno::ENOENT)
    )
    .is_empty());
    assert!(w(
        "BPF_EXIST on an absent key fails with ENOENT.",
        Outcome::Err(Errno::ENOENT)
    )
    .is_empty());
    assert!(w(
        "Lookup of an absent key returns ENOENT.",
        Outcome::Err(Errno::ENOENT)
    )
    .is_empty());
}

/// The statements that say claims in place of the claims' own sentences
/// (`states`): change an errno that a stated claim's text names to one it
/// does not, and lint names the statement.
#[test]
fn an_errno_changed_in_a_statement_that_states_claims_is_caught() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    let specs = mapspec_spec::load_dir(&dir).unwrap();
    let mut tried = 0;
    for spec in &specs {
        assert!(
            wording::stated_problems(spec).is_empty(),
            "{}: {:?}",
            spec.name,
            wording::stated_problems(spec)
        );
        let words = wording::claim_words(spec);
        let texts = |s: &MapSpec| -> Vec<(usize, String, Vec<String>)> {
            let mut v: Vec<_> = [&s.value_layout, &s.iteration, &s.atomicity]
                .into_iter()
                .chain(&s.key_facts)
                .map(|st| (st.text.clone(), st.states.clone()))
                .chain(s.notes.iter().map(|n| (n.text.clone(), n.states.clone())))
                .enumerate()
                .map(|(i, (t, st))| (i, t, st))
                .collect();
            v.retain(|(_, _, st)| !st.is_empty());
            v
        };
        for (i, text, states) in texts(spec) {
            let stated: Vec<Errno> = states
                .iter()
                .filter_map(|id| words.iter().find(|w| w.id == *id))
                .flat_map(|w| wording::errnos_in(&wording::today_part(&w.text)))
                .collect();
            let Some(e) = stated.first() else { continue };
            let other = Errno::ALL
                .iter()
                .find(|o| !stated.contains(o) && !text.contains(o.name()))
                .unwrap();
            let mut m = spec.clone();
            let mutated = text.replace(e.name(), other.name());
            let n_core = 3 + m.key_facts.len();
            match i {
                0 => m.value_layout.text = mutated,
                1 => m.iteration.text = mutated,
                2 => m.atomicity.text = mutated,
                i if i < n_core => m.key_facts[i - 3].text = mutated,
                i => m.notes[i - n_core].text = mutated,
            }
            tried += 1;
            assert!(
                !wording::stated_problems(&m).is_empty(),
                "{}: statement {i} with {} -> {} passed lint",
                spec.name,
                e.name(),
                other.name()
            );
        }
    }
    assert!(tried > 5, "only {tried} stating statements name an errno");
}

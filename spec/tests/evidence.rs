//! Statements say how they are known, and a claim backs a statement only
//! if its steps test the statement's subject (spec/src/evidence.rs); a
//! claim's `source` names a well-formed commit or a release.

use mapspec_spec::{load_str, Diagnostic, Evidence};
use std::path::Path;

const HASH: &str = include_str!("../maps/hash.yaml");

fn lint(src: &str) -> Vec<Diagnostic> {
    load_str(Path::new("spec/maps/hash.yaml"), src)
        .err()
        .unwrap_or_default()
}

fn messages(src: &str) -> String {
    lint(src)
        .iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

fn replaced(from: &str, to: &str) -> String {
    assert!(HASH.contains(from), "hash.yaml no longer has `{from}`");
    HASH.replacen(from, to, 1)
}

#[test]
fn the_committed_hash_statements_have_the_three_kinds_where_expected() {
    let spec = load_str(Path::new("spec/maps/hash.yaml"), HASH).expect("hash.yaml lints");
    assert_eq!(spec.atomicity.evidence(), Evidence::Asserted);
    assert_eq!(spec.iteration.evidence(), Evidence::Asserted);
    assert_eq!(spec.atomicity.observed_by, vec!["torn-reads-are-possible"]);
}

#[test]
fn a_counting_claim_cannot_assert_a_statement() {
    let src = replaced(
        "  checked_by: [spin-lock-snapshots-are-consistent]\n  observed_by: [torn-reads-are-possible]\n",
        "  checked_by: [torn-reads-are-possible]\n",
    );
    let m = messages(&src);
    assert!(m.contains("`torn-reads-are-possible` only counts"), "{m}");
}

#[test]
fn a_claim_of_another_subject_cannot_back_a_statement() {
    // The LRU_HASH case: atomicity "verified" by a BTF errno cell.
    let src = replaced(
        "  checked_by: [spin-lock-snapshots-are-consistent]\n",
        "  checked_by: [lock-absent]\n",
    );
    let m = messages(&src);
    assert!(
        m.contains("claim `lock-absent` does not test this statement's subject"),
        "{m}"
    );
    // Iteration needs get_next_key, keys or a batch step.
    let src = replaced(
        "  checked_by: [iterate-all-keys, next-key-of-missing-key-restarts]\n",
        "  checked_by: [iterate-all-keys, lookup-present]\n",
    );
    let m = messages(&src);
    assert!(
        m.contains("iteration: claim `lookup-present` does not test"),
        "{m}"
    );
}

#[test]
fn an_asserting_claim_is_not_merely_observed() {
    let src = replaced(
        "  observed_by: [torn-reads-are-possible]\n",
        "  observed_by: [spin-lock-snapshots-are-consistent]\n",
    );
    let m = messages(&src);
    assert!(m.contains("name it in `checked_by`"), "{m}");
}

#[test]
fn a_statement_must_say_how_it_is_known() {
    let src = replaced(
        "  checked_by: [iterate-all-keys, next-key-of-missing-key-restarts]\n",
        "",
    );
    let m = messages(&src);
    assert!(
        m.contains("iteration: say how the statement is known"),
        "{m}"
    );
    // Unverified, it states no claim either.
    let src = replaced(
        "  checked_by: [iterate-all-keys, next-key-of-missing-key-restarts]\n  \
         states: [iterate-all-keys, next-key-of-missing-key-restarts]\n",
        "  unverified: {reason: the order is the hash's}\n",
    );
    assert!(lint(&src).is_empty(), "{}", messages(&src));
    let src = replaced(
        "  checked_by: [iterate-all-keys, next-key-of-missing-key-restarts]\n",
        "  checked_by: [iterate-all-keys]\n  unverified: {reason: r}\n",
    );
    assert!(messages(&src).contains("is asserted, not `unverified`"));
}

#[test]
fn a_source_names_a_well_formed_commit_or_a_release() {
    let typed = "    since: \"5.11\"\n    source: {release: \"Linux 5.11\"}\n";
    let with = |source: &str| {
        assert!(HASH.contains(typed), "hash.yaml no longer has `{typed}`");
        HASH.replacen(typed, &format!("    since: \"5.11\"\n{source}"), 1)
    };
    assert!(lint(&with("    source: {release: \"Linux 5.11\"}\n")).is_empty());
    let ok = with("    source: {commit: 0123456789ab, subject: \"bpf: x\"}\n");
    assert!(lint(&ok).is_empty(), "{}", messages(&ok));
    let m = messages(&with(
        "    source: {commit: 0123456789AZ, subject: \"bpf: x\"}\n",
    ));
    assert!(m.contains("is not an upstream commit id"), "{m}");
    let m = messages(&with("    source: {commit: 01234, subject: \"bpf: x\"}\n"));
    assert!(m.contains("is not an upstream commit id"), "{m}");
    let m = messages(&with("    source: {release: soon}\n"));
    assert!(m.contains("names no kernel version"), "{m}");
    // A typed version with no source: the bracket is never typed.
    let m = messages(&with(""));
    assert!(m.contains("comes from the kernel source"), "{m}");
}

/// hash.yaml with its own key facts and notes replaced by `extra`.
fn with_top(extra: &str) -> String {
    let start = HASH.find("\nkey_facts:").expect("hash.yaml has key facts") + 1;
    let end = HASH
        .find("\nsituations:")
        .expect("hash.yaml has situations")
        + 1;
    assert!(
        start < end,
        "hash.yaml: key_facts and notes come before situations"
    );
    format!("{}{extra}{}", &HASH[..start], &HASH[end..])
}

#[test]
fn a_key_fact_needs_evidence_and_known_claims() {
    let m = messages(&with_top(
        "key_facts:\n  - text: A full map refuses new keys.\n",
    ));
    assert!(
        m.contains("key_facts[0]: say how the statement is known"),
        "{m}"
    );
    let m = messages(&with_top(
        "key_facts:\n  - text: A full map refuses new keys.\n    checked_by: [update-fulll]\n",
    ));
    assert!(
        m.contains("key_facts[0]: unknown claim id `update-fulll`, did you mean `update-full`?"),
        "{m}"
    );
}

#[test]
fn any_claim_that_can_fail_asserts_a_key_fact_but_a_count_does_not() {
    let ok = with_top(
        "key_facts:\n  - text: A full map refuses new keys.\n    checked_by: [update-full, key-size-zero, any-full, kernel-update-full, kernel-plain-add-loses-updates]\n",
    );
    assert_eq!(messages(&ok), "");
    let m = messages(&with_top(
        "key_facts:\n  - text: Lookups can be torn.\n    checked_by: [torn-reads-are-possible]\n",
    ));
    assert!(m.contains("`torn-reads-are-possible` only counts"), "{m}");
    let m = messages(&with_top(
        "key_facts:\n  - text: Lookups can be torn.\n    observed_by: [update-full]\n",
    ));
    assert!(m.contains("name it in `checked_by`"), "{m}");
}

#[test]
fn a_note_obeys_the_same_rules() {
    let m = messages(&with_top(
        "notes:\n  - title: Sizing\n    section: usage\n    text: Size it.\n    checked_by: [torn-reads-are-possible]\n    unverified: {reason: advice}\n",
    ));
    assert!(
        m.contains("notes[0] (Sizing): claim `torn-reads-are-possible` only counts"),
        "{m}"
    );
    assert!(m.contains("asserted, not `unverified`"), "{m}");
    let ok = with_top(
        "notes:\n  - title: Sizing\n    section: usage\n    text: Size it.\n    unverified: {reason: advice}\n",
    );
    assert_eq!(messages(&ok), "");
}

#[test]
fn a_spec_opens_with_at_most_six_key_facts() {
    let fact = "  - text: A fact.\n    checked_by: [update-full]\n";
    let m = messages(&with_top(&format!("key_facts:\n{}", fact.repeat(7))));
    assert!(
        m.contains("key_facts: 7 facts; a page opens with at most 6"),
        "{m}"
    );
    assert_eq!(
        messages(&with_top(&format!("key_facts:\n{}", fact.repeat(6)))),
        ""
    );
}

#[test]
fn the_key_facts_of_a_page_count_over_all_its_specs() {
    let fact = "  - text: A fact.\n    checked_by: [update-full]\n";
    let src = with_top(&format!("key_facts:\n{}", fact.repeat(4)));
    assert_eq!(messages(&src), "");
    let a = load_str(Path::new("spec/maps/hash.yaml"), &src).expect("lints");
    let mut b = a.clone();
    b.name = "other".into();
    let specs = [
        (&a, Path::new("a.yaml"), src.as_str()),
        (&b, Path::new("b.yaml"), src.as_str()),
    ];
    let d = mapspec_spec::evidence::page_problems(&specs);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0].message.contains("page map_hash has 8 key facts"),
        "{}",
        d[0].message
    );
    assert_eq!(
        d[0].line,
        src.lines().position(|l| l == "key_facts:").unwrap() + 1
    );
    let mut c = a.clone();
    c.page = "map_other".into();
    let specs = [
        (&a, Path::new("a.yaml"), src.as_str()),
        (&c, Path::new("c.yaml"), src.as_str()),
    ];
    assert!(mapspec_spec::evidence::page_problems(&specs).is_empty());
}

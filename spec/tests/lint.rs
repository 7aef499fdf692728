//! Malformed specs: every problem is reported with the right
//! `file:line:column`, several per file, and nothing panics.

use mapspec_spec::{load_str, Diagnostic};
use rstest::rstest;
use std::path::Path;

const HASH: &str = include_str!("../maps/hash.yaml");

fn lint(src: &str) -> Vec<Diagnostic> {
    load_str(Path::new("spec/maps/hash.yaml"), src)
        .err()
        .unwrap_or_default()
}

/// 1-based line and column of the first occurrence of `needle`.
fn pos_of(src: &str, needle: &str) -> (usize, usize) {
    let idx = src
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in source"));
    let line = src[..idx].matches('\n').count() + 1;
    let col = idx - src[..idx].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

fn one_at(diags: &[Diagnostic], src: &str, needle: &str, msg: &str) {
    let (line, column) = pos_of(src, needle);
    assert!(
        diags
            .iter()
            .any(|d| d.line == line && d.column == column && d.message.contains(msg)),
        "expected `{msg}` at {line}:{column}; got:\n{}",
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_reference_spec_is_clean() {
    assert!(lint(HASH).is_empty());
}

#[test]
fn unknown_errno_points_at_the_value_and_suggests() {
    let src = HASH.replacen("expect: ENOENT", "expect: ENOENTT", 1);
    let d = lint(&src);
    one_at(&d, &src, "ENOENTT", "did you mean `ENOENT`?");
}

#[test]
fn unknown_update_flag_suggests() {
    let src = HASH.replacen("flag: BPF_NOEXIST", "flag: BPF_NOEXISTS", 1);
    let d = lint(&src);
    one_at(&d, &src, "BPF_NOEXISTS", "BPF_NOEXIST");
}

#[test]
fn unknown_field_points_at_the_key() {
    let src = HASH.replacen("    command: lookup\n", "    comand: lookup\n", 1);
    let d = lint(&src);
    one_at(&d, &src, "comand", "unknown field `comand`");
}

#[test]
fn every_broken_claim_is_reported_not_just_the_first() {
    let src = HASH
        .replacen("expect: ENOENT", "expect: ENOENTT", 1)
        .replacen("flag: BPF_EXIST\n", "flag: BPF_EXISTT\n", 1)
        .replacen("map: {key_size: 0}", "map: {key_sise: 0}", 1);
    let d = lint(&src);
    assert!(d.len() >= 3, "{d:?}");
    one_at(&d, &src, "ENOENTT", "ENOENT");
    one_at(&d, &src, "BPF_EXISTT", "BPF_EXIST");
    one_at(&d, &src, "key_sise", "unknown field");
}

#[test]
fn semantic_errors_are_all_reported_with_positions() {
    let src = HASH
        .replacen("id: value-size-zero", "id: key-size-zero", 1)
        .replacen(
            "situation: absent\n    expect: ENOENT",
            "situation: absen\n    expect: ENOENT",
            1,
        )
        .replacen("since: \"5.14\"", "since: \"3.2\"", 1);
    let d = lint(&src);
    let (l, _) = pos_of(&src, "id: key-size-zero\n    text: A value_size");
    assert!(
        d.iter()
            .any(|x| x.line == l && x.message.contains("duplicate claim id")),
        "{d:?}"
    );
    one_at(&d, &src, "absen\n", "did you mean `absent`?");
    one_at(&d, &src, "\"3.2\"", "impossible since 3.2");
}

#[test]
fn later_since_without_before_is_an_error() {
    let src = HASH.replacen("    before: ENOTSUPP\n", "", 1);
    let d = lint(&src);
    assert!(
        d.iter().any(|x| x.message.contains("give `before`")),
        "{d:?}"
    );
}

#[test]
fn unquoted_versions_are_rejected_because_yaml_reads_5_10_as_5_1() {
    let src = HASH.replacen("since: \"3.19\"", "since: 3.19", 1);
    let d = lint(&src);
    assert!(
        d.iter().any(|x| x.message.contains("quoted string")),
        "{d:?}"
    );
}

#[test]
fn syntax_errors_have_positions() {
    let src = "map_type: [unclosed\n";
    let d = lint(src);
    assert_eq!(d.len(), 1);
    assert!(
        d[0].line >= 1 && d[0].message.contains("invalid YAML"),
        "{d:?}"
    );
}

#[test]
fn diagnostics_render_as_file_line_column() {
    let src = HASH.replacen("expect: ENOENT", "expect: ENOENTT", 1);
    let d = lint(&src);
    let (line, col) = pos_of(&src, "ENOENTT");
    assert!(
        d[0].to_string()
            .starts_with(&format!("spec/maps/hash.yaml:{line}:{col}: ")),
        "{}",
        d[0]
    );
}

/// A small deterministic generator, so the test needs no extra crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[rstest]
#[case(1)]
#[case(2)]
#[case(3)]
fn mangled_specs_never_panic(#[case] seed: u64) {
    let mut rng = Lcg(seed);
    let bytes = HASH.as_bytes();
    for _ in 0..300 {
        let mut s = bytes.to_vec();
        for _ in 0..(1 + rng.next() % 4) {
            let i = rng.next() % s.len();
            match rng.next() % 4 {
                0 => {
                    s.remove(i);
                }
                1 => s.insert(i, b"{}[]:-\n #\"'0a"[rng.next() % 13]),
                2 => s[i] = b' ',
                _ => {
                    let j = (i + rng.next() % 200).min(s.len());
                    s.drain(i..j);
                }
            }
        }
        let text = String::from_utf8_lossy(&s);
        // Either it loads or every diagnostic has a position inside the file.
        if let Err(diags) = load_str(Path::new("x/hash.yaml"), &text) {
            assert!(!diags.is_empty());
            for d in diags {
                assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}

#[test]
fn a_kernel_option_must_be_spelt_as_config_spells_it() {
    let src = HASH.replacen(
        "\nbase:",
        "\nrequires: {config: [CONFIG_NET, xdp_sockets]}\nbase:",
        1,
    );
    one_at(
        &lint(&src),
        &src,
        "xdp_sockets",
        "kernel option `xdp_sockets` must look like `CONFIG_NAME`",
    );
    assert_eq!(lint(&src).len(), 1, "{:?}", lint(&src));
}

#[test]
fn raw_create_fields_are_bounded_by_the_attribute() {
    let src = HASH
        .replacen("name: \"conn-table\"", "name: \"a_name_of_17_byte\"", 1)
        .replacen("size: 4096, byte_at: 4095", "size: 4096, byte_at: 4096", 1);
    let d = lint(&src);
    one_at(&d, &src, "{name: \"a_name_of_17_byte\"", "at most 16 bytes");
    one_at(&d, &src, "{size: 4096, byte_at: 4096", "below `size`");
}

#[test]
fn push_pop_race_needs_two_threads_and_two_cpus() {
    let src = include_str!("../maps/queue.yaml")
        .replacen(
            "requires: {cpus: 2}\n    map: {max_entries: 16",
            "map: {max_entries: 16",
            1,
        )
        .replacen(
            "push_pop_race: {threads: 2",
            "push_pop_race: {threads: 1",
            1,
        );
    let d = load_str(Path::new("spec/maps/queue.yaml"), &src)
        .err()
        .unwrap_or_default();
    one_at(&d, &src, "{threads: 1", "`requires: {cpus: 2}`");
}

#[test]
fn only_a_scenario_can_be_about_the_system_call() {
    let src = HASH.replacen(
        "  - id: value-size-zero\n",
        "  - id: value-size-zero\n    scope: syscall\n",
        1,
    );
    let d = lint(&src);
    one_at(
        &d,
        &src,
        "syscall\n    text: A value_size",
        "only a scenario",
    );
    // A scenario may be.
    assert!(HASH.contains("scope: syscall") && lint(HASH).is_empty());
}

#[test]
fn a_statement_states_only_claims_that_check_it() {
    let src = HASH.replacen(
        "    states: [key-bytes-compared-whole]\n",
        "    states: [key-bytes-compared-whole, iterate-all-keys]\n",
        1,
    );
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(
        d.iter().any(|x| x
            .message
            .contains("`states` names `iterate-all-keys`, which is not in `checked_by`")),
        "{d:?}"
    );
}

/// A note's figure and kernel-doc names become directive arguments on a
/// page: only plain relative paths and one-line names pass.
#[test]
fn a_figure_or_kernel_doc_must_name_a_plain_relative_path() {
    let lru = include_str!("../maps/lru_hash.yaml");
    let at = Path::new("spec/maps/lru_hash.yaml");
    assert!(load_str(at, lru).is_ok());
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        "a/./b.dot",
        "\"x.dot :alt: y\"",
    ] {
        let src = lru.replacen("file: map_lru_hash_update.dot", &format!("file: {bad}"), 1);
        let d = load_str(at, &src).err().unwrap_or_default();
        one_at(&d, &src, bad, "path `");
    }

    let cpumap = include_str!("../maps/cpumap.yaml");
    let at = Path::new("spec/maps/cpumap.yaml");
    assert!(load_str(at, cpumap).is_ok());
    let src = cpumap.replacen(
        "source: kernel/bpf/cpumap.c",
        "source: kernel/bpf/../../cpumap.c",
        1,
    );
    let d = load_str(at, &src).err().unwrap_or_default();
    one_at(&d, &src, "kernel/bpf/../../cpumap.c", "no `..`");
    let src = cpumap.replacen("doc: cpu map", "doc: \"cpu map\\n   :export:\"", 1);
    let d = load_str(at, &src).err().unwrap_or_default();
    one_at(&d, &src, "\"cpu map\\n", "doc must be one line");
}

//! Bounded on every input: YAML bombs, oversized and non-regular files are
//! refused quickly with a positioned diagnostic, and lint refuses specs
//! whose numbers would make `run` endless, whose text holds control
//! characters, or that lie about their own type.

use mapspec_spec::{load_dir, load_file, load_str, Diagnostic, LoadError};
use std::path::Path;
use std::time::{Duration, Instant};

const HASH: &str = include_str!("../maps/hash.yaml");

fn lint_as(name: &str, src: &str) -> Vec<Diagnostic> {
    load_str(Path::new(name), src).err().unwrap_or_default()
}

fn lint(src: &str) -> Vec<Diagnostic> {
    lint_as("spec/maps/hash.yaml", src)
}

fn has(d: &[Diagnostic], needle: &str) -> bool {
    d.iter().any(|x| x.message.contains(needle))
}

fn show(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `f` must finish within `limit` (debug build included); a bomb that
/// takes longer fails the test instead of hanging it.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    let out = rx
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"));
    assert!(start.elapsed() < limit);
    out
}

#[test]
fn yaml_bomb_nested_flow_sequences_rejected_quickly() {
    // 200 KB: 23 s to reject before the limit (quadratic in libyaml).
    let n = 100_000;
    let src = format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
    let d = within(Duration::from_secs(1), move || lint(&src));
    assert!(has(&d, "nested more than 64 levels deep"), "{}", show(&d));
    assert!(d.iter().all(|x| x.line == 1), "{}", show(&d));
}

#[test]
fn yaml_bomb_nested_block_mappings_rejected_quickly() {
    let mut src = String::new();
    for i in 0..1_000 {
        src.push_str(&" ".repeat(i));
        src.push_str("a:\n");
    }
    let d = within(Duration::from_secs(1), move || lint(&src));
    assert!(has(&d, "nested more than 64 levels deep"), "{}", show(&d));
}

#[test]
fn yaml_bomb_aliases_rejected_quickly() {
    // Billion laughs: each level holds ten aliases of the one before.
    // 7.6 KB of this aborted with out-of-memory under a 3 GB limit.
    let mut src = String::from("l0: &l0 [\"lol\"]\n");
    for i in 1..12 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        src.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    let d = within(Duration::from_secs(1), move || lint(&src));
    assert!(has(&d, "more than 200000 nodes"), "{}", show(&d));
    assert!(
        d[0].line > 1,
        "points at the alias that crosses the limit: {}",
        show(&d)
    );
}

fn alias_bomb() -> String {
    let mut src = String::from("l0: &l0 [\"lol\"]\n");
    for i in 1..12 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        src.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    src
}

#[test]
fn yaml_bounded_from_str_for_other_yaml_files() {
    // The entry point for kernels.yaml and kernels.lock.
    use mapspec_spec::yaml::{from_str, LIMITS};
    let ok: serde_json::Value = from_str("kernels: [{name: a}]\n", &LIMITS).unwrap();
    assert_eq!(ok["kernels"][0]["name"], "a");
    let e = within(Duration::from_secs(1), || {
        from_str::<serde_json::Value>(&alias_bomb(), &LIMITS).unwrap_err()
    });
    assert!(e.to_string().contains("more than 200000 nodes"), "{e}");
    let deep = format!("{}{}", "{a: ".repeat(100), "}".repeat(100));
    let e = from_str::<serde_json::Value>(&deep, &LIMITS).unwrap_err();
    assert!(e.to_string().starts_with("1:"), "{e}");
}

#[test]
fn yaml_recursive_alias_is_refused() {
    let d = lint("a: &x [1, *x]\n");
    assert!(!d.is_empty());
}

#[test]
fn oversized_spec_file_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.yaml");
    let big = format!("{HASH}\n#{}\n", "x".repeat(1 << 20));
    std::fs::write(&path, big).unwrap();
    match load_file(&path) {
        Err(LoadError::Invalid { diagnostics }) => {
            assert_eq!(diagnostics.len(), 1);
            let d = diagnostics[0].to_string();
            assert!(d.starts_with(&format!("{}:1:1: ", path.display())), "{d}");
            assert!(d.contains("more than the limit of 1048576 bytes"), "{d}");
        }
        other => panic!("expected a diagnostic, got {other:?}"),
    }
    // The same text, handed over in memory, is refused too.
    let d = lint(&format!("{HASH}\n#{}\n", "x".repeat(1 << 20)));
    assert!(has(&d, "more than the limit"), "{}", show(&d));
}

#[test]
fn fifo_in_specs_dir_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("maps");
    std::fs::create_dir(&maps).unwrap();
    std::fs::write(maps.join("hash.yaml"), HASH).unwrap();
    let fifo = maps.join("x.yaml");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    let root = dir.path().to_path_buf();
    let r = within(Duration::from_secs(5), move || load_dir(&root));
    match r {
        Err(LoadError::Invalid { diagnostics }) => {
            assert!(
                diagnostics
                    .iter()
                    .any(|d| d.file == fifo && d.message.contains("a FIFO")),
                "{}",
                show(&diagnostics)
            );
        }
        other => panic!("expected the FIFO refused, got {other:?}"),
    }
}

#[test]
fn huge_budget_ms_refused_by_lint() {
    let src = HASH.replacen("budget_ms: 100", "budget_ms: 18446744073709551615", 1);
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(
        has(
            &d,
            "budget_ms 18446744073709551615 is more than the limit of 10000"
        ),
        "{}",
        show(&d)
    );
}

#[test]
fn huge_repeat_and_threads_refused_by_lint() {
    let src = HASH.replacen(
        "threads: 2, repeat: 200000",
        "threads: 100000, repeat: 4294967295",
        1,
    );
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(has(&d, "repeat 4294967295 is more than"), "{}", show(&d));
    assert!(has(&d, "threads 100000 is more than"), "{}", show(&d));
}

#[test]
fn cpu_past_a_cpu_set_refused_by_lint() {
    // libc's CPU_SET panics past 1024 CPUs: the run would abort.
    const PERCPU: &str = include_str!("../maps/percpu_array.yaml");
    let src = PERCPU.replacen("cpu: 1,", "cpu: 4096,", 1);
    assert_ne!(src, PERCPU);
    let d = lint_as("spec/maps/percpu_array.yaml", &src);
    assert!(
        has(&d, "cpu 4096 is more than the limit of 1023"),
        "{}",
        show(&d)
    );
}

#[test]
fn fill_of_a_huge_map_refused_by_lint() {
    // `fill: {}` inserts max_entries elements.
    let src = HASH.replacen("  max_entries: ", "  max_entries: 4000000000 #", 1);
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(has(&d, "max_entries (the count of a fill"), "{}", show(&d));
    let src = HASH.replacen(
        "fill: {start: 100}",
        "fill: {start: 100, count: 99999999999}",
        1,
    );
    assert!(has(&lint(&src), "fill count 99999999999"));
}

#[test]
fn type_value_must_match_map_type() {
    let src = HASH.replacen("type_value: 1\n", "type_value: 2\n", 1);
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(
        has(&d, "type_value 2 is not BPF_MAP_TYPE_HASH, which is 1"),
        "{}",
        show(&d)
    );
    let line = HASH
        .lines()
        .position(|l| l.starts_with("type_value"))
        .unwrap()
        + 1;
    assert!(d.iter().any(|x| x.line == line), "{}", show(&d));
}

#[test]
fn unknown_map_type_refused() {
    let src = HASH.replacen("BPF_MAP_TYPE_HASH\n", "BPF_MAP_TYPE_HASHH\n", 1);
    let d = lint_as("spec/maps/hashh.yaml", &src);
    assert!(has(&d, "did you mean `BPF_MAP_TYPE_HASH`"), "{}", show(&d));
}

#[test]
fn file_name_must_be_the_type() {
    assert!(lint_as("spec/maps/hash.yaml", HASH).is_empty());
    for name in [
        "spec/maps/foo.yaml",
        "spec/maps/hash.yml",
        "spec/maps/Hash.yaml",
    ] {
        let d = lint_as(name, HASH);
        assert!(has(&d, "belongs in `hash.yaml`"), "{name}: {}", show(&d));
    }
}

#[test]
fn every_spec_file_is_named_for_its_type() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    let specs = load_dir(&dir).expect("specs load");
    assert!(specs.len() >= 35);
    for s in &specs {
        let stem = s.map_type.strip_prefix("BPF_MAP_TYPE_").unwrap();
        assert_eq!(s.name, stem.to_ascii_lowercase());
    }
}

#[test]
fn control_characters_in_claim_text_refused() {
    let src = HASH.replacen(
        "text: BPF_NOEXIST on a present key fails with EEXIST.",
        "text: \"BPF_NOEXIST on a present key \\e[2J\\e[31mfails with EEXIST.\"",
        1,
    );
    assert_ne!(src, HASH);
    let d = lint(&src);
    assert!(has(&d, "control character U+001B"), "{}", show(&d));
    let line = src.lines().position(|l| l.contains("\\e[2J")).unwrap() + 1;
    assert!(d.iter().any(|x| x.line == line), "{}", show(&d));
}

#[test]
fn control_characters_anywhere_printed_refused() {
    // A carriage return in a line for the index, a NUL in a situation's name, a
    // direction override in a note: all reach a terminal or a page.
    for (from, to) in [
        ("useful_for: ", "useful_for: \"a\\rb\" #"),
        ("  absent:\n", "  \"abs\\0ent\":\n"),
        ("summary: ", "summary: \"\\u202e\" #"),
    ] {
        let src = HASH.replacen(from, to, 1);
        assert_ne!(src, HASH, "{from}");
        let d = lint(&src);
        assert!(has(&d, "control character"), "{from}: {}", show(&d));
    }
    // Line feeds in Markdown are text, not control.
    assert!(lint(HASH).is_empty());
}

#[test]
fn the_uapi_table_is_the_newest_matrix_kernels_enum() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/tests/data/matrix-map-types.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let newest = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .max_by_key(|l| l.split_whitespace().count())
        .unwrap();
    let mut kernel: Vec<(String, u32)> = newest
        .split_whitespace()
        .skip(1)
        .filter(|w| !w.contains("_DEPRECATED="))
        .map(|w| {
            let (n, v) = w.split_once('=').unwrap();
            (n.to_string(), v.parse().unwrap())
        })
        .collect();
    let mut table: Vec<(String, u32)> = mapspec_spec::map_types::MAP_TYPES
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    kernel.sort();
    table.sort();
    assert_eq!(table, kernel);
}

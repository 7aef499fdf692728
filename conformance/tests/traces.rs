//! The evidence reads true: every attribute a check set is in its trace
//! once, an absent argument is not shown as a NULL value, and a refusal
//! check's expected side shows the older outcome it accepted. They create
//! maps, hence root.

use mapspec_conformance::exec::{execute, Env, Execution, Verdict};
use mapspec_spec::names::BtfRecipe;
use mapspec_spec::{CreateAttrs, ElemOp, Errno, InnerMap, MapFlag, Outcome, Program, Step};

const HASH: u32 = 1;
const ARRAY: u32 = 2;
const ARRAY_OF_MAPS: u32 = 12;
const BLOOM_FILTER: u32 = 30;

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test drives bpf(2) and must run as root"
    );
}

fn run(
    type_value: u32,
    attrs: CreateAttrs,
    steps: Vec<Step>,
    refusal: Option<Outcome>,
) -> Execution {
    assert_root();
    let program = Program {
        type_value,
        percpu: false,
        runner: Default::default(),
        attrs,
        create_expect: Outcome::Ok,
        steps,
        refusal,
    };
    execute(&program, &Env { possible_cpus: 1 })
}

fn create_line(ex: &Execution) -> &str {
    ex.trace
        .iter()
        .find(|t| t.starts_with("BPF_MAP_CREATE"))
        .unwrap_or_else(|| panic!("no create in {:?}", ex.trace))
}

#[test]
fn root_map_extra_is_shown() {
    let attrs = CreateAttrs {
        key_size: Some(0),
        value_size: Some(8),
        max_entries: Some(16),
        map_extra: Some(3),
        ..Default::default()
    };
    let ex = run(BLOOM_FILTER, attrs, vec![], None);
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    assert!(create_line(&ex).contains("map_extra=0x3"), "{:?}", ex.trace);
}

#[test]
fn root_inner_map_fd_is_shown_once_and_btf_ids_are_shown() {
    let small = CreateAttrs {
        key_size: Some(4),
        value_size: Some(4),
        max_entries: Some(1),
        ..Default::default()
    };
    let attrs = CreateAttrs {
        inner_map: Some(Box::new(InnerMap {
            type_value: ARRAY,
            attrs: small.clone(),
        })),
        ..small
    };
    let ex = run(ARRAY_OF_MAPS, attrs, vec![], None);
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    let all = ex.trace.join("\n");
    assert_eq!(all.matches("inner_map_fd=").count(), 1, "{all}");
    assert!(!all.contains("inner map (type"), "{all}");

    let attrs = CreateAttrs {
        key_size: Some(4),
        value_size: Some(16),
        max_entries: Some(4),
        btf: Some(BtfRecipe::spin_lock_value),
        ..Default::default()
    };
    let ex = run(HASH, attrs, vec![], None);
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    assert!(
        create_line(&ex).contains("value_type_id="),
        "{:?}",
        ex.trace
    );
}

#[test]
fn root_numa_node_is_shown() {
    let attrs = CreateAttrs {
        key_size: Some(4),
        value_size: Some(4),
        max_entries: Some(4),
        map_flags: Some(vec![MapFlag::BPF_F_NUMA_NODE]),
        numa_node: Some(0),
        ..Default::default()
    };
    let ex = run(HASH, attrs, vec![], None);
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    assert!(create_line(&ex).contains("numa_node=0"), "{:?}", ex.trace);
}

fn hash_attrs() -> CreateAttrs {
    CreateAttrs {
        key_size: Some(4),
        value_size: Some(8),
        max_entries: Some(1),
        ..Default::default()
    }
}

#[test]
fn root_an_update_without_a_value_is_not_shown_as_null() {
    let steps = vec![Step::Update(ElemOp {
        key: Some(mapspec_spec::Datum::Int(1)),
        ..Default::default()
    })];
    let ex = run(HASH, hash_attrs(), steps, None);
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    let all = ex.trace.join("\n");
    assert!(!all.contains("value=NULL"), "{all}");
    assert!(all.contains("update(key=1, value=0)"), "{all}");
}

/// A refusal check that meets the older outcome E2BIG at the second
/// insert into a one-element map: its expected side says E2BIG there, not
/// the modern `ok`.
#[test]
fn root_a_refusal_checks_expected_side_shows_the_older_outcome() {
    let e2big = Outcome::Err(Errno::E2BIG);
    let upd = |k: u64| {
        Step::Update(ElemOp {
            key: Some(mapspec_spec::Datum::Int(k)),
            value: Some(mapspec_spec::Datum::Int(k)),
            ..Default::default()
        })
    };
    let ex = run(HASH, hash_attrs(), vec![upd(1), upd(2)], Some(e2big));
    assert_eq!(ex.verdict, Verdict::Pass, "{:?}", ex.trace);
    let last = ex.expected.last().expect("expected lines");
    assert!(
        last.ends_with("-> E2BIG (the older outcome)"),
        "{:?}",
        ex.expected
    );
    assert!(!last.ends_with("-> ok"), "{:?}", ex.expected);
}

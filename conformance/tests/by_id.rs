//! The `by_id` step (a command through a second fd from
//! BPF_MAP_GET_FD_BY_ID with `open_flags`) and nested inner-map templates,
//! on the live kernel: they need root, hence `root_`.

use mapspec_conformance::exec::{execute, Env, Execution, Verdict};
use mapspec_spec::names::MapFlag;
use mapspec_spec::{
    ByIdOp, Command, CreateAttrs, Datum, ElemOp, Errno, InnerMap, Outcome, Program, Step,
};

const HASH: u32 = 1;
const ARRAY: u32 = 2;
const ARRAY_OF_MAPS: u32 = 12;

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test drives bpf(2) and must run as root"
    );
}

fn small(key_size: u32, value_size: u32) -> CreateAttrs {
    CreateAttrs {
        key_size: Some(key_size),
        value_size: Some(value_size),
        max_entries: Some(1),
        ..Default::default()
    }
}

fn run(type_value: u32, attrs: CreateAttrs, create_expect: Outcome, steps: Vec<Step>) -> Execution {
    assert_root();
    let program = Program {
        type_value,
        percpu: false,
        runner: Default::default(),
        attrs,
        create_expect,
        steps,
        refusal: None,
    };
    execute(&program, &Env { possible_cpus: 1 })
}

fn by_id(open_flags: Vec<MapFlag>, command: Command, expect: Outcome) -> Step {
    Step::ById(ByIdOp {
        open_flags,
        command,
        key: Some(Datum::Int(1)),
        // A lookup's value is the one it expects back: only updates write.
        value: (command == Command::Update).then_some(Datum::Int(6)),
        flags: Default::default(),
        expect,
    })
}

fn insert_key_1() -> Step {
    Step::Update(ElemOp {
        key: Some(Datum::Int(1)),
        value: Some(Datum::Int(5)),
        ..Default::default()
    })
}

/// The command runs through the second fd: an update the map's own fd
/// allows is refused through a read-only fd, and expecting it to succeed
/// there fails the check.
#[test]
fn root_by_id_runs_the_command_through_the_read_only_fd() {
    let eperm = Outcome::Err(Errno::EPERM);
    let refused = run(
        HASH,
        small(4, 8),
        Outcome::Ok,
        vec![
            insert_key_1(),
            by_id(vec![MapFlag::BPF_F_RDONLY], Command::Update, eperm),
        ],
    );
    assert!(
        matches!(refused.verdict, Verdict::Pass),
        "{:?}",
        refused.trace
    );
    assert!(
        refused
            .trace
            .iter()
            .any(|l| l == "get_fd_by_id(map id, open_flags=BPF_F_RDONLY) -> ok"),
        "{:?}",
        refused.trace
    );
    let wrongly_allowed = run(
        HASH,
        small(4, 8),
        Outcome::Ok,
        vec![
            insert_key_1(),
            by_id(vec![MapFlag::BPF_F_RDONLY], Command::Update, Outcome::Ok),
        ],
    );
    assert!(
        matches!(wrongly_allowed.verdict, Verdict::Fail { .. }),
        "{:?}",
        wrongly_allowed.trace
    );
    let read = run(
        HASH,
        small(4, 8),
        Outcome::Ok,
        vec![
            insert_key_1(),
            by_id(vec![MapFlag::BPF_F_RDONLY], Command::Lookup, Outcome::Ok),
        ],
    );
    assert!(matches!(read.verdict, Verdict::Pass), "{:?}", read.trace);
}

/// When BPF_MAP_GET_FD_BY_ID itself fails, that is the step's outcome and
/// no command runs.
#[test]
fn root_by_id_open_failure_is_the_outcome() {
    let einval = Outcome::Err(Errno::EINVAL);
    let both = vec![MapFlag::BPF_F_RDONLY, MapFlag::BPF_F_WRONLY];
    let e = run(
        HASH,
        small(4, 8),
        Outcome::Ok,
        vec![by_id(both.clone(), Command::Lookup, einval)],
    );
    assert!(matches!(e.verdict, Verdict::Pass), "{:?}", e.trace);
    assert_eq!(
        e.trace.last().map(String::as_str),
        Some("get_fd_by_id(map id, open_flags=BPF_F_RDONLY | BPF_F_WRONLY) -> EINVAL"),
        "{:?}",
        e.trace
    );
    let e = run(
        HASH,
        small(4, 8),
        Outcome::Ok,
        vec![by_id(both, Command::Lookup, Outcome::Ok)],
    );
    assert!(matches!(e.verdict, Verdict::Fail { .. }), "{:?}", e.trace);
}

/// A map-in-map template is built from its own template, so the kernel's
/// refusal to nest (EINVAL) is what the check sees.
#[test]
fn root_nested_inner_map_template_reaches_the_kernel() {
    let nested = InnerMap {
        type_value: ARRAY_OF_MAPS,
        attrs: CreateAttrs {
            inner_map: Some(Box::new(InnerMap {
                type_value: ARRAY,
                attrs: small(4, 4),
            })),
            ..small(4, 4)
        },
    };
    let attrs = CreateAttrs {
        inner_map: Some(Box::new(nested)),
        ..small(4, 4)
    };
    let e = run(ARRAY_OF_MAPS, attrs, Outcome::Err(Errno::EINVAL), vec![]);
    assert!(matches!(e.verdict, Verdict::Pass), "{:?}", e.trace);
    assert!(
        e.trace.iter().any(|l| l.contains("(a type 12 template)")),
        "{:?}",
        e.trace
    );
}

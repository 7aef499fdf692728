//! The step interpreter on hand-made programs: the one comparison rule
//! holds for kernel-side steps too, and per-type handling comes from the
//! spec's `runner` facts, not from the map type. They need root (bpf(2)),
//! hence `root_`.

use mapspec_conformance::exec::{execute, Env, Execution, Verdict};
use mapspec_spec::{CreateAttrs, Errno, Outcome, ProgLoadOp, Program, RunnerFacts, Step};

const ARRAY: u32 = 2;

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test drives bpf(2) and must run as root"
    );
}

/// An array map and one `prog_load` of `program`, expected to load.
fn load_on_array(program: &str, refusal: Option<Outcome>, runner: RunnerFacts) -> Execution {
    assert_root();
    let program = Program {
        type_value: ARRAY,
        percpu: false,
        runner,
        attrs: CreateAttrs {
            key_size: Some(4),
            value_size: Some(8),
            max_entries: Some(4),
            ..Default::default()
        },
        create_expect: Outcome::Ok,
        steps: vec![Step::ProgLoad(ProgLoadOp {
            program: program.into(),
            expect: Outcome::Ok,
        })],
        refusal,
    };
    execute(&program, &Env { possible_cpus: 1 })
}

/// `map_push` on an array map is refused by the verifier with EINVAL. On a
/// refusal check whose older outcome is EINVAL, that is the claim holding;
/// the same load without the refusal rule is a failure.
#[test]
fn root_kernel_side_steps_obey_the_refusal_rule() {
    let einval = Outcome::Err(Errno::EINVAL);
    let refused = load_on_array("map_push", Some(einval), RunnerFacts::default());
    assert_eq!(refused.verdict, Verdict::Pass, "{:?}", refused.trace);
    assert!(
        refused
            .trace
            .iter()
            .any(|t| t.contains("shows the older outcome EINVAL")),
        "{:?}",
        refused.trace
    );
    let plain = load_on_array("map_push", None, RunnerFacts::default());
    assert!(
        matches!(plain.verdict, Verdict::Fail { .. }),
        "{:?}",
        plain.verdict
    );
}

/// `no_program_binding` makes a kernel-side step an error before libbpf
/// sees the map, whatever the map's type: here an array map, on which the
/// same load passes without the fact.
#[test]
fn root_no_program_binding_makes_kernel_side_steps_an_error() {
    let loads = load_on_array("map_lookup", None, RunnerFacts::default());
    assert_eq!(loads.verdict, Verdict::Pass, "{:?}", loads.trace);
    let facts = RunnerFacts {
        no_program_binding: true,
        ..Default::default()
    };
    let refused = load_on_array("map_lookup", None, facts);
    match &refused.verdict {
        Verdict::Error { message } => assert!(message.contains("no_program_binding"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

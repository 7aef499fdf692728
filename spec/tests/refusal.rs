//! Refusal checks: on a kernel older than a claim's `since`, the program
//! expects the spec's `before` outcome from its decisive step, and also
//! accepts it from an earlier operation (see `Program::refusal`).

use mapspec_spec::{load_str, Errno, KernelVersion, Outcome, Plan};
use std::path::Path;

const SPEC: &str = r#"
map_type: BPF_MAP_TYPE_ARRAY
type_value: 2
since: "3.19"
page: map_array
summary: s
useful_for: u
description: d
base: {key_size: 4, value_size: 8, max_entries: 4}
value_layout: {text: t, unverified: {reason: r}}
iteration: {text: t, unverified: {reason: r}}
atomicity: {text: t, unverified: {reason: r}}
scenarios:
  - id: mmap-store
    text: A store through the mapping is seen by lookup.
    map: {map_flags: [BPF_F_MMAPABLE]}
    since: "5.5"
    source: {release: "Linux 5.5"}
    before: EINVAL
    steps:
      - mmap: {writable: true, store: 42}
      - lookup: {key: 0, value: 42}
"#;

fn plan(kernel: &str) -> Plan {
    let spec = load_str(Path::new("array.yaml"), SPEC).expect("spec loads");
    let claim = spec
        .claims()
        .into_iter()
        .find(|c| c.meta.id == "mmap-store")
        .expect("claim");
    claim.plan_for(
        KernelVersion::parse(kernel).unwrap(),
        spec.since,
        spec.absent,
    )
}

#[test]
fn older_kernel_gets_a_refusal_check_that_accepts_an_early_refusal() {
    match plan("5.4") {
        Plan::Refusal { program, .. } => {
            assert_eq!(program.refusal, Some(Outcome::Err(Errno::EINVAL)));
            // The decisive (last) step expects the older outcome too.
            let mut p = program.clone();
            assert_eq!(*p.decisive_mut(), Outcome::Err(Errno::EINVAL));
        }
        other => panic!("expected a refusal check, got {other:?}"),
    }
}

#[test]
fn newer_kernel_runs_the_claim_without_refusal() {
    match plan("6.1") {
        Plan::Run(program) => assert_eq!(program.refusal, None),
        other => panic!("expected a plain run, got {other:?}"),
    }
}

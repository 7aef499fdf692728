//! The mode the results record (`Claim::mode_for`) is the one the runner
//! plans (`Claim::plan_for`): as written exactly when the plan runs the
//! claim as written, and a refusal mode names the version that decided it.

use mapspec_spec::results::Mode;
use mapspec_spec::{load_dir, KernelVersion, Plan, Since};
use std::path::Path;

fn specs() -> Vec<mapspec_spec::MapSpec> {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("maps")).expect("specs load")
}

#[test]
fn mode_agrees_with_the_plan_on_every_claim_and_kernel() {
    let kernels = [
        "3.18", "4.14", "5.4", "5.10", "5.14", "6.1", "6.12", "7.2", "9.0",
    ];
    let mut refusals = 0;
    for spec in specs() {
        for claim in spec.claims() {
            for k in kernels {
                let kv = KernelVersion::parse(k).unwrap();
                let mode = claim.mode_for(kv, spec.since);
                let plan = claim.plan_for(kv, spec.since, spec.absent);
                let id = &claim.global_id;
                match (&mode, &plan) {
                    (Mode::AsWritten, Plan::Run(_)) => {}
                    (Mode::TypeAbsent { since }, Plan::Refusal { .. }) => {
                        assert_eq!(*since, spec.since, "{id} on {k}");
                        assert!(kv < *since);
                        refusals += 1;
                    }
                    (Mode::BeforeSince { since }, Plan::Refusal { .. } | Plan::Skip(_)) => {
                        assert_eq!(Some(since), claim.meta.since.as_ref(), "{id} on {k}");
                        assert!(!since.holds_on(kv));
                        refusals += 1;
                    }
                    (Mode::AfterUntil { until }, Plan::Refusal { .. } | Plan::Skip(_)) => {
                        assert_eq!(Some(*until), claim.meta.until, "{id} on {k}");
                        assert!(kv >= *until);
                        refusals += 1;
                    }
                    _ => panic!("{id} on {k}: mode {mode:?} but plan {plan:?}"),
                }
            }
        }
    }
    assert!(refusals > 0);
}

#[test]
fn a_claim_newer_than_the_kernel_is_checked_before_its_since() {
    let specs = specs();
    let hash = specs.iter().find(|s| s.name == "hash").unwrap();
    let claim = hash
        .claims()
        .into_iter()
        .find(|c| c.global_id == "hash/lookup-and-delete-present")
        .unwrap();
    let v = |s| KernelVersion::parse(s).unwrap();
    assert_eq!(
        claim.mode_for(v("5.10"), hash.since),
        Mode::BeforeSince {
            since: Since::Version(v("5.14"))
        }
    );
    assert_eq!(claim.mode_for(v("5.14"), hash.since), Mode::AsWritten);
    assert_eq!(
        claim.mode_for(v("3.18"), hash.since),
        Mode::TypeAbsent { since: hash.since }
    );
}

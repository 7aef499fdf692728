//! Tests against the live kernel. They need root (CAP_BPF and friends),
//! which is why their names start with `root_`; CI runs as root.

use mapspec_conformance::kernel::{detect_kernel, kernel_version};
use mapspec_conformance::runner::{run, run_claim, RunOptions};
use mapspec_spec::results::Status;
use mapspec_spec::{load_str, MapSpec};
use rstest::rstest;
use std::path::{Path, PathBuf};

/// Tests in this binary run in parallel threads of one process, so the fd
/// table is shared: the leak test takes this lock exclusively, every other
/// test shares it.
static FD_TABLE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test drives bpf(2) and must run as root"
    );
}

fn require_root() -> std::sync::RwLockReadGuard<'static, ()> {
    assert_root();
    FD_TABLE.read().unwrap_or_else(|e| e.into_inner())
}

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

fn quick() -> RunOptions {
    RunOptions {
        quick: true,
        ..Default::default()
    }
}

#[test]
fn root_live_run_passes_on_this_kernel() {
    let _fds = require_root();
    let specs = mapspec_spec::load_dir(&spec_dir()).expect("specs load");
    let report = run(&specs, &quick());
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .map(|r| {
            format!(
                "{} [{}]\n  expected: {}\n  observed: {}",
                r.claim,
                r.status.as_str(),
                r.expected,
                r.observed
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} claims did not pass:\n{}",
        bad.len(),
        bad.join("\n")
    );
    for r in &report.results {
        if r.status == Status::Skip {
            assert!(
                r.reason.as_deref().is_some_and(|s| !s.is_empty()),
                "{} skipped without a reason",
                r.claim
            );
        }
        if r.status == Status::Pass {
            assert!(
                !r.observed.is_empty(),
                "{} passed without syscall evidence",
                r.claim
            );
        }
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn root_run_leaks_no_file_descriptors() {
    assert_root();
    let _alone = FD_TABLE.write().unwrap_or_else(|e| e.into_inner());
    let specs = mapspec_spec::load_dir(&spec_dir()).expect("specs load");
    // The first run warms up lazily opened files (libbpf feature probes...).
    run(&specs, &quick());
    let before = open_fds();
    let report = run(&specs, &quick());
    let after = open_fds();
    assert!(report.results.len() > 10);
    assert_eq!(
        before,
        after,
        "file descriptors leaked over a run of {} claims",
        report.results.len()
    );
}

/// Results files are committed and diffed, so a rerun must trace the same:
/// numbers the kernel picks (ids, cookies) must appear by name, and no
/// check may see what an earlier one left behind. The thread is pinned
/// like the matrix guest's runner (LRU eviction depends on the CPU).
#[test]
fn root_a_rerun_traces_the_same() {
    assert_root();
    let _alone = FD_TABLE.write().unwrap_or_else(|e| e.into_inner());
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET(0) stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    let specs = mapspec_spec::load_dir(&spec_dir()).expect("specs load");
    let first = run(&specs, &quick());
    let second = run(&specs, &quick());
    assert_eq!(first.results.len(), second.results.len());
    let differ: Vec<String> = first
        .results
        .iter()
        .zip(&second.results)
        .filter(|(a, b)| {
            (&a.status, &a.expected, &a.observed) != (&b.status, &b.expected, &b.observed)
        })
        .map(|(a, b)| {
            format!(
                "{}\n  first:  {}\n  second: {}",
                a.claim, a.observed, b.observed
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{} claims traced differently on a rerun:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// Flip every expected errno, outcome and value of a spec, one at a time:
/// each mutant must make the runner report a failure for that claim.
#[rstest]
fn root_every_mutation_of_a_spec_fails(#[files("../spec/maps/*.yaml")] path: PathBuf) {
    let _fds = require_root();
    let info = detect_kernel();
    let kv = kernel_version(&info);
    let src = std::fs::read_to_string(&path).unwrap();
    let original = load_str(&path, &src).expect("spec loads");
    if kv < original.since {
        // Only refusal checks of BPF_MAP_CREATE run here; the claims'
        // expectations are checked in the kernel matrix.
        eprintln!(
            "{}: the map type is newer than this kernel, its mutants cannot be run here",
            path.display()
        );
        return;
    }
    let baseline: Vec<(String, Status)> = original
        .claims()
        .iter()
        .map(|c| {
            (
                c.meta.id.clone(),
                run_claim(&original, c, &info, kv, &quick()).status,
            )
        })
        .collect();
    let doc = mapspec_spec::yaml::from_str_value(&src).unwrap();
    let mutants = mapspec_spec::mutate::mutants(&doc);
    assert!(
        !mutants.is_empty(),
        "{} has nothing to mutate",
        path.display()
    );
    let mut uncaught = Vec::new();
    for m in mutants {
        let text = mapspec_spec::yaml::to_string(&m.doc);
        let spec: MapSpec = match load_str(&path, &text) {
            Ok(s) => s,
            Err(_) => continue, // lint already rejects this mutant
        };
        let claims: Vec<_> = spec
            .claims()
            .into_iter()
            .filter(|c| match (&m.claim_id, &m.situation) {
                (Some(id), _) => &c.meta.id == id,
                (None, Some(sit)) => match &c.kind {
                    mapspec_spec::ClaimKind::Command { situation, .. }
                    | mapspec_spec::ClaimKind::UpdateFlag { situation, .. } => situation == sit,
                    _ => false,
                },
                _ => false,
            })
            .collect();
        for c in claims {
            // Before the claim's `since` (or from its `until`) this kernel
            // runs a refusal check that stops at the older outcome, so the
            // claim's own expectations cannot be observed here; the kernel
            // matrix checks them.
            let refusal_here = c.meta.since.as_ref().is_some_and(|s| !s.holds_on(kv))
                || c.meta.until.is_some_and(|u| kv >= u);
            if refusal_here {
                continue;
            }
            let was = baseline
                .iter()
                .find(|(id, _)| *id == c.meta.id)
                .map(|(_, s)| *s);
            let now = run_claim(&spec, &c, &info, kv, &quick()).status;
            let caught = now == Status::Fail || (was == Some(Status::Skip) && now == Status::Skip);
            if !caught {
                uncaught.push(format!("{} ({}): {:?}", m.description, c.global_id, now));
            }
        }
    }
    assert!(
        uncaught.is_empty(),
        "mutants that did not fail:\n{}",
        uncaught.join("\n")
    );
}

/// A refusal check whose decisive step shows the older errno passes
/// without comparing what only a successful call returns (here the keys of
/// a batch lookup, which a QUEUE map refuses with ENOTSUPP); the same
/// expectations on a map that answers fail.
#[test]
fn root_refusal_check_stops_at_the_older_errno() {
    use mapspec_conformance::exec::{execute, Env, Verdict};
    use mapspec_spec::{BatchOp, CreateAttrs, Datum, Errno, Outcome, Program, Step};
    let _fds = require_root();
    let program = |type_value: u32, key_size: u32| Program {
        type_value,
        percpu: false,
        runner: Default::default(),
        attrs: CreateAttrs {
            key_size: Some(key_size),
            value_size: Some(8),
            max_entries: Some(4),
            ..Default::default()
        },
        create_expect: Outcome::Ok,
        steps: vec![Step::LookupBatch(BatchOp {
            count: Some(4),
            got_keys: Some(vec![Datum::Int(7)]),
            expect: Outcome::Err(Errno::ENOTSUPP),
            ..Default::default()
        })],
        refusal: Some(Outcome::Err(Errno::ENOTSUPP)),
    };
    let env = Env { possible_cpus: 1 };
    let refused = execute(&program(22, 0), &env); // BPF_MAP_TYPE_QUEUE
    assert!(
        matches!(refused.verdict, Verdict::Pass),
        "{:?}",
        refused.trace
    );
    let answered = execute(&program(2, 4), &env); // BPF_MAP_TYPE_ARRAY
    assert!(
        matches!(answered.verdict, Verdict::Fail { .. }),
        "{:?}",
        answered.trace
    );
}

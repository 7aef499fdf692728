//! Races, statistical: several threads run a counter program against key
//! 0 at once, and the increments that were lost are counted.

use super::context::{bound_met, Context};
use super::map::Map;
use super::programs::{load_checked, ARGS_SIZE};
use super::verdict::{error, Flow, Mismatch};
use crate::sys::cpu;
use crate::sys::map as sys;
use crate::sys::prog;
use mapspec_spec::results::Measurement;
use mapspec_spec::{Outcome, ProgRaceOp};
use std::time::{Duration, Instant};

/// The u64 at offset 0 of key 0's value, summed over CPUs for per-CPU maps.
fn read_counter(m: &Map) -> Result<u64, Outcome> {
    let key = vec![0u8; m.key_size];
    let mut buf = vec![0u8; m.user_value_size()];
    let got = sys::lookup(&m.fd, Some(&key), &mut buf, 0);
    if !got.is_ok() {
        return Err(got);
    }
    let slots = if m.percpu { m.ncpu } else { 1 };
    Ok((0..slots)
        .map(|c| {
            let o = c * m.stride();
            u64::from_le_bytes(buf[o..o + 8].try_into().unwrap_or([0; 8]))
        })
        .sum())
}

fn reset_counter(m: &Map) -> Outcome {
    let key = vec![0u8; m.key_size];
    sys::update(&m.fd, Some(&key), &vec![0u8; m.user_value_size()], 0)
}

pub fn prog_race(cx: &mut Context, m: &Map, op: &ProgRaceOp) -> Flow {
    let Some(loaded) = load_checked(cx, m, &op.program, Outcome::Ok)? else {
        return Ok(());
    };
    if m.value_size < 8 {
        return Err(error(
            "prog_race needs a value of at least 8 bytes (a u64 counter)",
        ));
    }
    let online = cpu::online_cpus();
    let threads = op.threads.max(1) as usize;
    let budget = Duration::from_millis(op.budget_ms);
    let start = Instant::now();
    let pkt = vec![0u8; ARGS_SIZE];
    let (mut rounds, mut runs, mut counted, mut lost, mut worst) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    while rounds == 0 || start.elapsed() < budget {
        let reset = reset_counter(m);
        if !reset.is_ok() {
            return Err(error(format!("resetting the counter at key 0 -> {reset}")));
        }
        // A thread that cannot be placed is an error of the check, never
        // an outcome the kernel did not return.
        let outs = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|i| {
                    let (loaded, pkt) = (&loaded, &pkt);
                    s.spawn(move || {
                        if !cpu::pin(i % online) {
                            let cpu = i % online;
                            return Err(error(format!("pinning a thread to CPU {cpu} failed")));
                        }
                        Ok(prog::test_run(loaded, pkt, op.repeat).0)
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(error("a BPF_PROG_TEST_RUN thread panicked")))
                })
                .collect::<Flow<Vec<Outcome>>>()
        })?;
        failures.extend(outs.into_iter().filter(|o| !o.is_ok()));
        let count =
            read_counter(m).map_err(|e| error(format!("reading the counter at key 0 -> {e}")))?;
        let n = threads as u64 * op.repeat as u64;
        rounds += 1;
        runs += n;
        counted += count;
        lost += n.saturating_sub(count);
        worst = worst.max(n.saturating_sub(count));
        if !failures.is_empty() {
            break;
        }
        // A lower bound is evidence once reached: stop early, so that slow
        // guests (QEMU TCG) get the whole budget and fast hosts need little.
        if op.lost_at_least.is_some_and(|min| lost >= min) {
            break;
        }
    }
    let elapsed = start.elapsed().as_millis() as u64;
    cx.measured(Measurement::Race {
        program: op.program.clone(),
        threads: threads as u64,
        repeat: op.repeat as u64,
        budget_ms: op.budget_ms,
        elapsed_ms: elapsed,
        rounds,
        runs,
        counted,
        lost,
        worst_round_lost: worst,
        percpu: m.percpu,
    });
    // The counts vary from run to run and live in the measurement; what is
    // traced must read the same on every run with the same verdict, or the
    // matrix's --check could never be clean.
    let what = format!(
        "{} from {threads} threads x {} runs per round, budget {} ms",
        op.program, op.repeat, op.budget_ms
    );
    cx.trace.push(format!(
        "{what}: {} (counts in the measurement)",
        bound_met(lost, "lost", op.lost_at_least, op.lost_at_most)
    ));
    if let Some(&f) = failures.first() {
        let run = format!("{what}: BPF_PROG_TEST_RUN");
        cx.decide(&run, Outcome::Ok, f);
        return Err(Mismatch::at(&run, "ok", f).into());
    }
    cx.bounds(
        &what,
        (lost, "lost", Some(runs)),
        op.lost_at_least,
        op.lost_at_most,
    )
}

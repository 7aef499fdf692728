//! Torn reads, statistical: a writer (a userspace thread, or one of the
//! suite's programs) rewrites one element while userspace reads it, and
//! the reads that mix two writes are counted.

use super::context::{bound_met, Context};
use super::map::Map;
use super::programs::{load_checked, ARGS_SIZE};
use super::verdict::{Flow, Mismatch, Stop};
use crate::sys::cpu;
use crate::sys::map as sys;
use crate::sys::prog;
use mapspec_spec::results::Measurement;
use mapspec_spec::{Outcome, ProgTornOp, TornOp};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A writer thread flips the element between two uniform patterns while
/// a reader thread checks that every read is uniform.
pub fn torn_read(cx: &mut Context, m: &Map, op: &TornOp) -> Flow {
    let flags = op.flags.value();
    let key = vec![0u8; m.key_size];
    let size = m.user_value_size();
    let skip = op.skip_bytes as usize;
    let pattern = |b: u8| {
        let mut v = vec![b; size];
        v[..skip.min(size)].fill(0);
        v
    };
    let (a, b) = (pattern(0xaa), pattern(0x55));
    let first = sys::update(&m.fd, Some(&key), &a, flags);
    cx.check(
        format!(
            "update(key=0, pattern 0xaa{})",
            if flags != 0 { ", BPF_F_LOCK" } else { "" }
        ),
        Outcome::Ok,
        first,
    )?;
    let stop = AtomicBool::new(false);
    let writes = AtomicU64::new(0);
    let write_err = AtomicU64::new(0);
    let budget = Duration::from_millis(op.budget_ms);
    let (reads, torn, read_err) = std::thread::scope(|s| {
        s.spawn(|| {
            // The writer must be free to run beside the reader, even
            // when the reader's thread is pinned (matrix guests).
            cpu::allow_all_cpus();
            let mut flip = false;
            while !stop.load(Ordering::Relaxed) {
                let v = if flip { &a } else { &b };
                if sys::update(&m.fd, Some(&key), v, flags) != Outcome::Ok {
                    write_err.fetch_add(1, Ordering::Relaxed);
                }
                writes.fetch_add(1, Ordering::Relaxed);
                flip = !flip;
            }
        });
        let start = Instant::now();
        let (mut reads, mut torn, mut errs) = (0u64, 0u64, 0u64);
        let mut buf = vec![0u8; size];
        while start.elapsed() < budget {
            if sys::lookup(&m.fd, Some(&key), &mut buf, flags) != Outcome::Ok {
                errs += 1;
                continue;
            }
            reads += 1;
            let body = &buf[skip.min(size)..];
            if let Some(first) = body.first() {
                if body.iter().any(|x| x != first) {
                    torn += 1;
                    // A lower bound is met once reached: the rest of
                    // the budget would add nothing to the evidence.
                    if op.torn_at_least.is_some_and(|min| torn >= min) {
                        break;
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        (reads, torn, errs)
    });
    let writes = writes.load(Ordering::Relaxed);
    let write_err = write_err.load(Ordering::Relaxed);
    cx.measured(Measurement::TornRead {
        budget_ms: op.budget_ms,
        reads,
        writes,
        torn_reads: torn,
        read_errors: read_err,
        write_errors: write_err,
    });
    // Counts go to the measurement; the trace reads the same on every
    // run with the same verdict.
    let what = format!("lookups against updates for {} ms", op.budget_ms);
    cx.trace.push(format!(
        "{what}: {} (counts in the measurement)",
        bound_met(torn, "torn reads", op.torn_at_least, op.torn_at_most)
    ));
    if read_err > 0 || write_err > 0 || reads == 0 || writes == 0 {
        return Err(Mismatch::new(
            "every concurrent lookup and update succeeds",
            format!("{what}: {read_err} lookup errors, {write_err} update errors"),
        )
        .into());
    }
    cx.bounds(
        &what,
        (torn, "torn reads", None),
        op.torn_at_least,
        op.torn_at_most,
    )
}

/// A program rewrites the element on CPU 1 while userspace reads it on
/// CPU 0.
pub fn prog_torn(cx: &mut Context, m: &Map, op: &ProgTornOp) -> Flow {
    let Some(loaded) = load_checked(cx, m, &op.program, Outcome::Ok)? else {
        return Ok(());
    };
    if cpu::online_cpus() < 2 {
        return Err(Stop::Skip("needs 2 online CPUs".into()));
    }
    let flags = op.flags.value();
    let key = vec![0u8; m.key_size];
    let size = m.user_value_size();
    let first = sys::update(&m.fd, Some(&key), &vec![0u8; size], flags);
    cx.check("update(key=0, value=0)".into(), Outcome::Ok, first)?;
    let skip = (op.skip_bytes as usize).min(size);
    let stop = AtomicBool::new(false);
    let runs = AtomicU64::new(0);
    let run_err = Mutex::new(None::<Outcome>);
    let budget = Duration::from_millis(op.budget_ms);
    let pkt = vec![0u8; ARGS_SIZE];
    // Puts the main thread's mask back as it was when dropped.
    let _saved = cpu::SavedAffinity::save();
    let (reads, torn, read_err) = std::thread::scope(|s| {
        s.spawn(|| {
            cpu::pin(1);
            while !stop.load(Ordering::Relaxed) {
                let (o, _, _) = prog::test_run(&loaded, &pkt, 64);
                if !o.is_ok() {
                    if let Ok(mut e) = run_err.lock() {
                        *e = Some(o);
                    }
                    break;
                }
                runs.fetch_add(64, Ordering::Relaxed);
            }
        });
        cpu::pin(0);
        let start = Instant::now();
        let (mut reads, mut torn, mut errs) = (0u64, 0u64, 0u64);
        let mut buf = vec![0u8; size];
        while start.elapsed() < budget {
            if sys::lookup(&m.fd, Some(&key), &mut buf, flags) != Outcome::Ok {
                errs += 1;
                continue;
            }
            reads += 1;
            let words: Vec<&[u8]> = buf[skip..m.value_size.min(size)].chunks(8).collect();
            if words.windows(2).any(|w| w[0] != w[1]) {
                torn += 1;
                if op.torn_at_least.is_some_and(|min| torn >= min) {
                    break;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        (reads, torn, errs)
    });
    drop(_saved);
    let runs = runs.load(Ordering::Relaxed);
    cx.measured(Measurement::ProgTorn {
        program: op.program.clone(),
        budget_ms: op.budget_ms,
        program_runs: runs,
        reads,
        torn_reads: torn,
        read_errors: read_err,
    });
    let what = format!(
        "lookups{} against runs of {} for {} ms",
        if flags != 0 {
            format!(" ({})", op.flags.names())
        } else {
            String::new()
        },
        op.program,
        op.budget_ms
    );
    cx.trace.push(format!(
        "{what}: {} (counts in the measurement)",
        bound_met(torn, "torn reads", op.torn_at_least, op.torn_at_most)
    ));
    if let Some(e) = run_err.lock().ok().and_then(|e| *e) {
        let run = format!("{what}: BPF_PROG_TEST_RUN");
        cx.decide(&run, Outcome::Ok, e);
        return Err(Mismatch::at(&run, "ok", e).into());
    }
    if read_err > 0 || reads == 0 || runs == 0 {
        return Err(Mismatch::new(
            "every lookup and program run succeeds",
            format!("{what}: {read_err} lookup errors"),
        )
        .into());
    }
    cx.bounds(
        &what,
        (torn, "torn reads", None),
        op.torn_at_least,
        op.torn_at_most,
    )
}

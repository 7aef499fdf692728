//! Concurrent pushes and pops (queue, stack): several threads push values
//! no other thread pushes and pop at the same time, the map is drained,
//! and every value is accounted for: popped once, lost, popped twice, or
//! torn (a mix of two pushes).

use super::context::Context;
use super::map::Map;
use super::verdict::{error, Flow, Mismatch};
use crate::sys::cpu;
use crate::sys::map as sys;
use mapspec_spec::{Errno, Outcome, PushPopRaceOp};
use std::collections::HashMap;

/// The value a thread pushes: its number in the high half, a sequence
/// number in the low half, repeated over the whole value.
fn value(thread: usize, seq: u32, size: usize) -> Vec<u8> {
    let v = ((thread as u64 + 1) << 32) | u64::from(seq);
    v.to_le_bytes().iter().copied().cycle().take(size).collect()
}

/// The u64 a popped value holds, or `None` if its words differ (torn).
fn read(buf: &[u8]) -> Option<u64> {
    let first: [u8; 8] = buf.get(..8)?.try_into().ok()?;
    let uniform = buf.chunks(8).all(|w| w == &first[..w.len()]);
    uniform.then(|| u64::from_le_bytes(first))
}

/// What one thread saw: the values it popped, the pops that were torn,
/// and the first outcome outside what a busy map may answer.
#[derive(Default)]
struct Seen {
    popped: Vec<u64>,
    torn: u64,
    unexpected: Option<(&'static str, Outcome)>,
}

const BUSY: Outcome = Outcome::Err(Errno::EBUSY);

impl Seen {
    /// Pop once: ENOENT (empty) and EBUSY (the lock not taken) pop nothing.
    fn pop(&mut self, m: &Map, buf: &mut [u8]) {
        match sys::lookup_and_delete(&m.fd, None, buf, 0) {
            Outcome::Ok => match read(buf) {
                Some(v) => self.popped.push(v),
                None => self.torn += 1,
            },
            Outcome::Err(Errno::ENOENT) => {}
            o if o == BUSY => {}
            o => self.unexpected = self.unexpected.or(Some(("pop", o))),
        }
    }
}

fn worker(m: &Map, thread: usize, values: u32, cpus: usize) -> Seen {
    let mut seen = Seen::default();
    // A thread that cannot be placed still races; pinning only spreads them.
    cpu::pin(thread % cpus);
    let mut buf = vec![0u8; m.value_size];
    for seq in 0..values {
        let v = value(thread, seq, m.value_size);
        loop {
            match sys::update(&m.fd, None, &v, 0) {
                Outcome::Ok => break,
                // Full (E2BIG) or busy: make room, then push again.
                o if o == Outcome::Err(Errno::E2BIG) || o == BUSY => seen.pop(m, &mut buf),
                o => {
                    seen.unexpected = seen.unexpected.or(Some(("push", o)));
                    return seen;
                }
            }
            if seen.unexpected.is_some() {
                return seen;
            }
        }
        seen.pop(m, &mut buf);
        if seen.unexpected.is_some() {
            return seen;
        }
    }
    seen
}

pub fn push_pop_race(cx: &mut Context, m: &Map, op: &PushPopRaceOp) -> Flow {
    if m.value_size < 8 || m.key_size != 0 {
        return Err(error(
            "push_pop_race needs a keyless map (queue, stack) with a value of at least 8 bytes",
        ));
    }
    let threads = op.threads.max(1) as usize;
    let cpus = cpu::online_cpus().max(1);
    // Puts the calling thread's mask back as it was when dropped.
    let _saved = cpu::SavedAffinity::save();
    let mut all: Vec<Seen> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || worker(m, t, op.values, cpus)))
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| error("a push_pop_race thread panicked"))
            })
            .collect::<Flow<Vec<Seen>>>()
    })?;
    // Drain what the threads left, until the map says it is empty.
    let mut rest = Seen::default();
    let mut buf = vec![0u8; m.value_size];
    let limit = u64::from(m.max_entries) + 1;
    for _ in 0..limit {
        let before = rest.popped.len() as u64 + rest.torn;
        rest.pop(m, &mut buf);
        if rest.unexpected.is_some() || rest.popped.len() as u64 + rest.torn == before {
            break;
        }
    }
    all.push(rest);
    let what = format!(
        "push_pop_race: {threads} threads each push {} values and pop, then the map is drained",
        op.values
    );
    if let Some((cmd, o)) = all.iter().find_map(|s| s.unexpected) {
        let call = format!("{what}: a {cmd}");
        cx.trace.push(format!("{call} -> {o}"));
        cx.decide(&call, Outcome::Ok, o);
        return Err(Mismatch::at(&call, "ok, ENOENT, E2BIG or EBUSY", o).into());
    }
    let mut times: HashMap<u64, u64> = HashMap::new();
    for v in all.iter().flat_map(|s| s.popped.iter()) {
        *times.entry(*v).or_default() += 1;
    }
    let pushed = |v: &u64| {
        let (t, seq) = ((v >> 32) as usize, *v as u32);
        (1..=threads).contains(&t) && seq < op.values
    };
    let torn: u64 = all.iter().map(|s| s.torn).sum();
    let duplicated: u64 = times
        .iter()
        .map(|(v, n)| if pushed(v) { n - 1 } else { *n })
        .sum();
    let once = times.keys().filter(|v| pushed(v)).count() as u64;
    let lost = threads as u64 * u64::from(op.values) - once;
    let counts = |l: u64, d: u64, t: u64| format!("{l} lost, {d} duplicated, {t} torn");
    let expected = counts(op.lost, op.duplicated, op.torn);
    let observed = counts(lost, duplicated, torn);
    cx.trace.push(format!("{what}: {observed}"));
    cx.expected.push(format!("{what}: {expected}"));
    if (lost, duplicated, torn) != (op.lost, op.duplicated, op.torn) {
        return Err(Mismatch::at(&what, expected, observed).into());
    }
    Ok(())
}

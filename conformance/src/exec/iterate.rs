//! Iteration: one BPF_MAP_GET_NEXT_KEY, and `keys`, a whole walk from NULL
//! compared with the keys the spec expects.

use super::context::Context;
use super::map::{encode, encoded, Map};
use super::print::{self, number_or_hex};
use super::verdict::{error, Flow, Mismatch};
use crate::sys::map as sys;
use mapspec_spec::{Errno, KeysOp, NextKeyOp, Outcome};

fn keys_text(keys: &[Vec<u8>], sep: &str) -> String {
    keys.iter()
        .map(|k| number_or_hex(k))
        .collect::<Vec<_>>()
        .join(sep)
}

/// One BPF_MAP_GET_NEXT_KEY, and the key it returned.
pub fn next_key(cx: &mut Context, m: &Map, op: &NextKeyOp) -> Flow {
    let key = m.key(op.key.as_ref())?;
    let mut next = vec![0u8; m.key_size.max(1)];
    let what = format!("get_next_key(key={})", print::datum(op.key.as_ref()));
    let got = sys::get_next_key(&m.fd, key.as_deref(), &mut next);
    cx.check(what.clone(), op.expect, got)?;
    if let (Outcome::Ok, Some(want)) = (got, &op.next) {
        let w = encoded(want, m.key_size)?;
        let expected = format!("{what} next = {}", number_or_hex(&w));
        cx.expected.push(expected.clone());
        if w != next[..m.key_size] {
            let observed = format!("{what} next = {}", number_or_hex(&next[..m.key_size]));
            return Err(Mismatch::new(expected, observed).into());
        }
        cx.trace.push(expected);
    }
    Ok(())
}

/// Walk the map with GET_NEXT_KEY from NULL and compare the keys seen.
pub fn keys(cx: &mut Context, m: &Map, op: &KeysOp) -> Flow {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let limit = m.max_entries as usize * 2 + 16;
    let end = loop {
        let mut next = vec![0u8; m.key_size.max(1)];
        let got = sys::get_next_key(&m.fd, cur.as_deref(), &mut next);
        if got != Outcome::Ok {
            break got;
        }
        next.truncate(m.key_size);
        seen.push(next.clone());
        cur = Some(next);
        if seen.len() > limit {
            break Outcome::Err(Errno::ELOOP);
        }
    };
    let mut want: Vec<Vec<u8>> = op
        .expect
        .iter()
        .map(|k| encode(k, m.key_size))
        .collect::<Result<_, _>>()
        .map_err(error)?;
    // One CPU's share: max_entries / possible CPUs, rounded up (the kernel
    // rounds max_entries up to a multiple of the CPUs).
    let share = op
        .cpu_share
        .then(|| (m.max_entries as usize).div_ceil(m.ncpu.max(1)));
    if let Some(max) = op.at_most.map(|n| n as usize).or(share) {
        let mut distinct = seen.clone();
        distinct.sort();
        distinct.dedup();
        let missing = want.iter().any(|k| !seen.contains(k));
        let including = keys_text(&want, ", ");
        let expected = match share {
            Some(n) => format!(
                "exactly {n} distinct keys ({} entries / {} possible CPUs) including [{including}], then ENOENT",
                m.max_entries, m.ncpu
            ),
            None => format!("at most {max} distinct keys including [{including}], then ENOENT"),
        };
        // Sorted: which keys an LRU map keeps, and the order a hash
        // walks them in, vary from run to run; the claim is about the set.
        let mut sorted = seen.clone();
        sorted.sort();
        let observed = format!(
            "{} keys [{}], then {end}",
            seen.len(),
            keys_text(&sorted, ", ")
        );
        cx.trace.push(format!("keys via get_next_key: {observed}"));
        cx.expected.push(expected.clone());
        if seen.len() > max
            || share.is_some_and(|n| seen.len() != n)
            || distinct.len() != seen.len()
            || missing
            || end != Outcome::Err(Errno::ENOENT)
        {
            return Err(Mismatch::new(expected, observed).into());
        }
        return Ok(());
    }
    let mut got = seen;
    if !op.ordered {
        want.sort();
        got.sort();
    }
    let what = if op.ordered {
        "keys in get_next_key order"
    } else {
        "set of keys via get_next_key"
    };
    // `got` is sorted unless the order is the claim: the walk order of
    // a hash map changes with its random seed.
    let observed = format!("{what}: [{}], then {end}", keys_text(&got, ", "));
    let expected = format!("{what}: [{}], then ENOENT", keys_text(&want, ", "));
    cx.trace.push(observed.clone());
    cx.expected.push(expected.clone());
    if want != got || end != Outcome::Err(Errno::ENOENT) {
        return Err(Mismatch::new(expected, observed).into());
    }
    Ok(())
}

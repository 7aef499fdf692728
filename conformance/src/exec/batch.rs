//! The batch commands: lookup, update, delete and lookup_and_delete of many
//! elements in one call.

use super::context::Context;
use super::map::{encoded, Map};
use super::print::number_or_hex;
use super::verdict::{Flow, Mismatch};
use crate::sys::map as sys;
use mapspec_spec::{BatchOp, Datum};

/// Which batch command a [`BatchOp`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Lookup,
    LookupAndDelete,
    Update,
    Delete,
}

/// Run one batch command; judge its outcome, the count the kernel
/// reported and, for lookups, the set of keys read.
pub fn batch(cx: &mut Context, m: &Map, command: Command, op: &BatchOp) -> Flow {
    let flags = sys::BatchFlags {
        elem: op.flags.value(),
        batch: op.batch_flags.unwrap_or(0),
    };
    let (what, got, n, keys_out) = match command {
        Command::Lookup | Command::LookupAndDelete => {
            let del = command == Command::LookupAndDelete;
            let count = op.count.unwrap_or(m.max_entries).max(1);
            let mut keys = vec![0u8; m.key_size.max(1) * count as usize];
            let mut vals = vec![0u8; m.user_value_size() * count as usize];
            let (got, n) = sys::lookup_batch(&m.fd, del, &mut keys, &mut vals, count, flags);
            let name = if del {
                "lookup_and_delete_batch"
            } else {
                "lookup_batch"
            };
            let read: Vec<Vec<u8>> = if m.key_size == 0 {
                Vec::new()
            } else {
                keys.chunks(m.key_size)
                    .take(n as usize)
                    .map(|c| c.to_vec())
                    .collect()
            };
            (format!("{name}(count={count})"), got, n, Some(read))
        }
        Command::Update => {
            let mut keys = Vec::new();
            let mut vals = Vec::new();
            for (i, k) in op.keys.iter().enumerate() {
                keys.extend(encoded(k, m.key_size)?);
                vals.extend(m.value(op.values.get(i).unwrap_or(&Datum::Int(0)))?);
            }
            let (got, n) = sys::update_batch(&m.fd, &keys, &vals, op.keys.len() as u32, flags);
            let what = format!("update_batch(keys={})", op.keys.len());
            (what, got, n, None)
        }
        Command::Delete => {
            let mut keys = Vec::new();
            for k in &op.keys {
                keys.extend(encoded(k, m.key_size)?);
            }
            let (got, n) = sys::delete_batch(&m.fd, &keys, op.keys.len() as u32, flags);
            let what = format!("delete_batch(keys={})", op.keys.len());
            (what, got, n, None)
        }
    };
    // Every flags field that was set is shown.
    let mut set = String::new();
    if !op.flags.is_default() {
        set.push_str(&format!(", elem_flags={}", op.flags.names()));
    }
    if let Some(b) = op.batch_flags {
        set.push_str(&format!(", flags={b:#x}"));
    }
    let what = match what.strip_suffix(')') {
        Some(head) => format!("{head}{set})"),
        None => what,
    };
    cx.check(what.clone(), op.expect, got)?;
    if let Some(want) = op.processed {
        cx.expected.push(format!("{what} count = {want}"));
        if want != n {
            return Err(Mismatch::at(&format!("{what} count"), want, n).into());
        }
    }
    if let (Some(want), Some(mut read)) = (&op.got_keys, keys_out) {
        let mut w: Vec<Vec<u8>> = want
            .iter()
            .map(|k| encoded(k, m.key_size))
            .collect::<Flow<_>>()?;
        w.sort();
        read.sort();
        let set = |v: &[Vec<u8>]| {
            let keys: Vec<String> = v.iter().map(|k| number_or_hex(k)).collect();
            format!("{{{}}}", keys.join(","))
        };
        cx.expected.push(format!("{what} keys = {}", set(&w)));
        if w != read {
            return Err(Mismatch::at(&format!("{what} keys"), set(&w), set(&read)).into());
        }
    }
    Ok(())
}

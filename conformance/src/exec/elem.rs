//! The element commands: update, lookup, lookup_and_delete and delete of
//! one element, and `fill`, which inserts many.

use super::context::Context;
use super::map::{encode, encoded, per_cpu_values, Map};
use super::print;
use super::verdict::{error, Flow, Mismatch};
use crate::sys::cpu;
use crate::sys::map as sys;
use mapspec_spec::{Datum, ElemOp, FillOp, Outcome};

/// Which element command an [`ElemOp`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Update,
    Lookup,
    LookupAndDelete,
    Delete,
}

/// Run one element command and judge it (and the value a lookup read).
pub fn elem(cx: &mut Context, m: &Map, command: Command, op: &ElemOp) -> Flow {
    let key = m.key(op.key.as_ref())?;
    let flags = op.flags_value();
    let fl = match op.flag_bits {
        Some(bits) => format!(", flags={bits:#x}"),
        None if op.flags.is_default() => String::new(),
        None => format!(", {}", op.flags.names()),
    };
    let key_text = print::datum(op.key.as_ref());
    match command {
        Command::Update => {
            let base = op.value.as_ref().unwrap_or(&Datum::Int(0));
            let v = match op.per_cpu_step {
                Some(step) if m.percpu => {
                    let slots = per_cpu_values(base, step, m.ncpu)?
                        .iter()
                        .map(|d| encoded(d, m.value_size))
                        .collect::<Flow<Vec<_>>>()?;
                    m.per_cpu(&slots)
                }
                _ => m.value(base)?,
            };
            // No value in the spec writes zeroes, not a NULL pointer.
            let step = match op.per_cpu_step {
                Some(step) if m.percpu => format!(" (+{step} per CPU)"),
                _ => String::new(),
            };
            let what = format!(
                "update(key={key_text}, value={}{step}{fl})",
                print::datum(Some(base))
            );
            let got = sys::update(&m.fd, key.as_deref(), &v, flags);
            cx.check(what, op.expect, got)
        }
        Command::Lookup | Command::LookupAndDelete => {
            let del = command == Command::LookupAndDelete;
            let name = if del { "lookup_and_delete" } else { "lookup" };
            let mut buf = match &op.input {
                Some(input) => m.value(input)?,
                None => vec![0u8; m.user_value_size()],
            };
            let what = match &op.input {
                Some(_) => format!(
                    "{name}(key={key_text}, value={}{fl})",
                    print::datum(op.input.as_ref())
                ),
                None => format!("{name}(key={key_text}{fl})"),
            };
            let got = if del {
                sys::lookup_and_delete(&m.fd, key.as_deref(), &mut buf, flags)
            } else {
                sys::lookup(&m.fd, key.as_deref(), &mut buf, flags)
            };
            cx.check(what.clone(), op.expect, got)?;
            if got.is_ok() {
                check_value(cx, m, &what, &buf, op)?;
            }
            Ok(())
        }
        Command::Delete => {
            let what = format!("delete(key={key_text}{fl})");
            let got = sys::delete(&m.fd, key.as_deref(), flags);
            cx.check(what, op.expect, got)
        }
    }
}

/// Compare a looked-up value with `value` (every CPU) or `per_cpu`.
fn check_value(cx: &mut Context, m: &Map, what: &str, got: &[u8], op: &ElemOp) -> Flow {
    let slots: Vec<&[u8]> = if m.percpu {
        (0..m.ncpu).map(|c| m.slot(got, c)).collect()
    } else {
        vec![&got[..m.value_size]]
    };
    let wants: Vec<Datum> = match (&op.value, &op.per_cpu, op.per_cpu_step) {
        (_, Some(list), _) => list.clone(),
        (Some(v), None, Some(step)) if m.percpu => per_cpu_values(v, step, slots.len())?,
        (Some(v), None, _) => vec![v.clone(); slots.len()],
        (None, None, _) => return Ok(()),
    };
    if wants.len() != slots.len() {
        return Err(error(format!(
            "{what}: per_cpu lists {} values, the machine has {} possible CPUs",
            wants.len(),
            slots.len()
        )));
    }
    for (i, (want, slot)) in wants.iter().zip(slots).enumerate() {
        let w = encoded(want, m.value_size)?;
        let cpu = if m.percpu {
            format!(" on CPU {i}")
        } else {
            String::new()
        };
        let expected = format!("{what} value{cpu} = {}", cx.aliases.value_like(want, &w));
        cx.expected.push(expected.clone());
        let observed = format!("{what} value{cpu} = {}", cx.aliases.value_like(want, slot));
        if w != slot {
            return Err(Mismatch::new(expected, observed).into());
        }
        cx.trace.push(observed);
    }
    Ok(())
}

/// Insert keys `start..start+count` (default: up to max_entries) with
/// value = key. Setup, not a claim: any failure is an error of the check.
pub fn fill(cx: &mut Context, m: &Map, op: &FillOp) -> Flow {
    let (start, count) = (op.start, op.count.unwrap_or(m.max_entries as u64));
    // Puts the thread's mask back as it was when dropped.
    let _saved = op.cpu.map(|_| cpu::SavedAffinity::save());
    if let Some(c) = op.cpu {
        if !cpu::pin(c as usize) {
            return Err(error(format!("fill: pinning the thread to CPU {c} failed")));
        }
    }
    for k in start..start + count {
        let key = if m.key_size == 0 {
            None
        } else {
            Some(encode(&Datum::Int(k), m.key_size).map_err(error)?)
        };
        let v = m.value(&Datum::Int(k))?;
        let got = sys::update(&m.fd, key.as_deref(), &v, 0);
        if got != Outcome::Ok {
            return Err(error(format!("fill: update(key={k}) -> {got}")));
        }
    }
    let on = op.cpu.map(|c| format!(" on CPU {c}")).unwrap_or_default();
    cx.trace.push(format!(
        "fill: update keys {start}..{}{on} -> ok",
        start + count
    ));
    Ok(())
}

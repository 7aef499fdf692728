//! Kernel-side steps that load and run one of the suite's programs:
//! `prog_load` (the verifier's verdict) and `prog_run` (BPF_PROG_TEST_RUN,
//! the helper's return value and what the program read).

use super::context::Context;
use super::map::{encoded, Map};
use super::print::{self, number_or_hex};
use super::verdict::{error, Flow, Mismatch, Stop};
use crate::sys::cpu;
use crate::sys::prog::{self, Loaded};
use mapspec_spec::{Outcome, ProgRunOp};
use std::os::fd::AsFd;

/// Layout of `struct mapspec_args` in conformance/bpf/mapspec.h, the
/// packet (or context) that carries a program's arguments.
const KEY_MAX: usize = 64;
const VALUE_MAX: usize = 64;
const OFF_FLAGS: usize = 0;
const OFF_RET: usize = 8;
const OFF_KEY: usize = 16;
const OFF_VALUE: usize = OFF_KEY + KEY_MAX;
pub const ARGS_SIZE: usize = OFF_VALUE + VALUE_MAX;

/// Load `program` against the claim's map and judge the load. `None`: the
/// load failed as the spec expects.
pub fn load_checked(
    cx: &mut Context,
    m: &Map,
    program: &str,
    expect: Outcome,
) -> Flow<Option<Loaded>> {
    let what = format!("BPF_PROG_LOAD({program}, target = the claim's map)");
    bindable(m, &what)?;
    match prog::load(program, m.fd.as_fd()) {
        Ok(l) => {
            cx.check(what, expect, Outcome::Ok)?;
            Ok(Some(l))
        }
        Err((got, why)) => {
            if !why.is_empty() {
                cx.trace.push(format!("verifier: {why}"));
            }
            cx.check(what, expect, got)?;
            Ok(None)
        }
    }
}

/// An error (never a verdict: no program was loaded) when the spec says
/// that libbpf cannot bind this type's maps into a program object; libbpf
/// would dereference NULL trying.
fn bindable(m: &Map, what: &str) -> Flow {
    if m.facts.no_program_binding {
        return Err(error(format!(
            "{what}: libbpf cannot bind a map of this type into a program object \
             (the spec's `runner: {{no_program_binding: true}}`); no kernel-side check can use one"
        )));
    }
    Ok(())
}

fn args_packet(m: &Map, op: &ProgRunOp) -> Flow<Vec<u8>> {
    let mut pkt = vec![0u8; ARGS_SIZE];
    pkt[OFF_FLAGS..OFF_FLAGS + 8].copy_from_slice(&op.flags.value().to_le_bytes());
    if let Some(k) = &op.key {
        let k = encoded(k, m.key_size.min(KEY_MAX))?;
        pkt[OFF_KEY..OFF_KEY + k.len()].copy_from_slice(&k);
    }
    if let Some(v) = &op.value {
        let v = encoded(v, m.arg_value_size().min(VALUE_MAX))?;
        pkt[OFF_VALUE..OFF_VALUE + v.len()].copy_from_slice(&v);
    }
    Ok(pkt)
}

fn describe(op: &ProgRunOp) -> String {
    let mut parts = vec![op.program.clone()];
    if let Some(k) = &op.key {
        parts.push(format!("key={}", print::datum(Some(k))));
    }
    if let Some(v) = &op.value {
        parts.push(format!("value={}", print::datum(Some(v))));
    }
    if !op.flags.is_default() {
        parts.push(op.flags.names());
    }
    if let Some(n) = op.repeat.filter(|n| *n > 1) {
        parts.push(format!("repeat={n}"));
    }
    if let Some(t) = op.threads.filter(|t| *t > 1) {
        parts.push(format!("threads={t}"));
    }
    if let Some(c) = op.cpu {
        parts.push(format!("cpu={c}"));
    }
    format!("BPF_PROG_TEST_RUN({})", parts.join(", "))
}

pub fn prog_run(cx: &mut Context, m: &Map, op: &ProgRunOp) -> Flow {
    let pkt = args_packet(m, op)?;
    let expect_run = if op.returns.is_some() || op.out.is_some() || op.retval.is_some() {
        Outcome::Ok
    } else {
        op.expect
    };
    // A load failure is the step's outcome when the spec expects one.
    let load_expect = if op.expect.is_ok() {
        Outcome::Ok
    } else {
        op.expect
    };
    let what = describe(op);
    bindable(m, &what)?;
    let loaded = match prog::load(&op.program, m.fd.as_fd()) {
        Ok(l) => l,
        Err((got, why)) => {
            if !why.is_empty() {
                cx.trace.push(format!("verifier: {why}"));
            }
            return cx.check(format!("{what}: load"), load_expect, got);
        }
    };
    let threads = op.threads.unwrap_or(1).max(1) as usize;
    let repeat = op.repeat.unwrap_or(1);
    let online = cpu::online_cpus();
    if let Some(c) = op.cpu {
        if c as usize >= online {
            return Err(Stop::Skip(format!(
                "needs CPU {c}; this machine has {online} online CPUs"
            )));
        }
    }
    // A thread that cannot be placed is an error of the check, never an
    // outcome: no errno the kernel did not return goes into the evidence.
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (loaded, pkt) = (&loaded, &pkt);
                let on = op.cpu.map(|c| c as usize).unwrap_or(i % online);
                let pinned = op.cpu.is_some() || threads > 1;
                s.spawn(move || {
                    if pinned && !cpu::pin(on) {
                        return Err(error(format!("pinning a thread to CPU {on} failed")));
                    }
                    Ok(prog::test_run(loaded, pkt, repeat))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(error("a BPF_PROG_TEST_RUN thread panicked")))
            })
            .collect::<Flow<Vec<_>>>()
    })?;
    let (got, retval, out) = results
        .iter()
        .find(|(o, _, _)| !o.is_ok())
        .cloned()
        .unwrap_or_else(|| results[0].clone());
    cx.check(what.clone(), expect_run, got)?;
    if !got.is_ok() {
        return Ok(());
    }
    if let Some(want) = op.retval {
        cx.expected.push(format!("{what} retval = {want}"));
        cx.trace.push(format!("{what} retval = {retval}"));
        if want != retval {
            return Err(Mismatch::at(&format!("{what} retval"), want, retval).into());
        }
    }
    if let Some(want) = op.returns {
        let ret = i64::from_le_bytes(out[OFF_RET..OFF_RET + 8].try_into().unwrap_or([0; 8]));
        let seen = if ret >= 0 {
            Outcome::Ok
        } else {
            Outcome::from_ret(i32::try_from(ret).unwrap_or(i32::MIN))
        };
        let w = format!("{what}: helper returned");
        cx.expected.push(format!("{w} {want}"));
        cx.trace.push(format!("{w} {seen} ({ret})"));
        if want != seen {
            return Err(Mismatch::at(&w, want, format!("{seen} ({ret})")).into());
        }
    }
    if let Some(want) = &op.out {
        // map_lookup copies the first 8 bytes through the pointer; pop
        // and peek copy the whole value: compare the first u64.
        let n = m.arg_value_size().min(8);
        let w = encoded(want, n)?;
        let seen = &out[OFF_VALUE..OFF_VALUE + n];
        let what = format!("{what}: value the program read");
        cx.expected.push(format!("{what} = {}", number_or_hex(&w)));
        cx.trace.push(format!("{what} = {}", number_or_hex(seen)));
        if w != seen {
            return Err(Mismatch::at(&what, number_or_hex(&w), number_or_hex(seen)).into());
        }
    }
    Ok(())
}

//! The step interpreter: creates a claim's map, runs its steps, and
//! compares every outcome with the spec. Every verdict carries the trace of
//! syscalls that produced it.

use crate::fixtures::{FixtureError, Fixtures};
use crate::sys::{self, CreateArgs, LoadedBtf};
use mapspec_spec::{
    BatchOp, CreateAttrs, Datum, ElemOp, Errno, Flags, InnerMap, KeysOp, MmapOp, NextKeyOp,
    Outcome, Program, Step, TornOp,
};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Why a program did not pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The kernel disagreed with the spec.
    Fail {
        expected: String,
        observed: String,
    },
    /// The machine cannot run this check (missing fixture, feature...).
    Skip {
        reason: String,
    },
    /// The check itself could not run (bad spec data, runner bug).
    Error {
        message: String,
    },
}

pub struct Execution {
    pub verdict: Verdict,
    /// One line per syscall: what was asked and what the kernel said.
    pub trace: Vec<String>,
    /// The spec's expectations for the decisive operations.
    pub expected: Vec<String>,
    pub measurement: Option<serde_json::Value>,
}

pub struct Env {
    pub possible_cpus: u32,
}

struct Map {
    fd: OwnedFd,
    key_size: usize,
    value_size: usize,
    max_entries: u32,
    percpu: bool,
    ncpu: usize,
}

impl Map {
    fn stride(&self) -> usize {
        self.value_size.div_ceil(8) * 8
    }
    /// Bytes of one value as userspace sees it.
    fn user_value_size(&self) -> usize {
        if self.percpu {
            self.stride() * self.ncpu
        } else {
            self.value_size
        }
    }
}

pub(crate) fn encode(d: &Datum, size: usize) -> Result<Vec<u8>, String> {
    match d {
        Datum::Int(v) | Datum::Pattern { pattern: v } => {
            let mut b = v.to_le_bytes().to_vec();
            b.resize(size.max(8), 0);
            b.truncate(size);
            Ok(b)
        }
        Datum::Bytes(b) => {
            if b.len() != size {
                return Err(format!("{} bytes given for a {size}-byte field", b.len()));
            }
            Ok(b.clone())
        }
        Datum::Lpm { prefixlen, data } => {
            let mut b = prefixlen.to_le_bytes().to_vec();
            b.extend_from_slice(data);
            if b.len() != size {
                return Err(format!("LPM key of {} bytes for key_size {size}", b.len()));
            }
            Ok(b)
        }
        Datum::U32s { u32s } => {
            let mut b = Vec::with_capacity(u32s.len() * 4);
            for d in u32s {
                b.extend(encode(d, 4)?);
            }
            if b.len() > size {
                return Err(format!(
                    "{} 32-bit words do not fit a {size}-byte field",
                    u32s.len()
                ));
            }
            b.resize(size, 0);
            Ok(b)
        }
        // Resolved to integers by `resolve_datum` before any step runs.
        other => Err(format!(
            "{} was not resolved to a live object",
            show(&Some(other.clone()))
        )),
    }
}

/// BPF_MAP_CREATE arguments of an inner-map template.
fn template_args(t: &InnerMap) -> CreateArgs {
    let a = &t.attrs;
    CreateArgs {
        map_type: t.type_value,
        key_size: a.key_size.unwrap_or(0),
        value_size: a.value_size.unwrap_or(0),
        max_entries: a.max_entries.unwrap_or(0),
        map_flags: a.flags_value(),
        map_extra: a.map_extra.unwrap_or(0),
        ..Default::default()
    }
}

/// The verdict of a statistical count against the spec's bounds: `count`
/// is (the number, its unit, out of how many), e.g. `(3, "lost", Some(N))`.
pub(crate) fn check_bounds(
    expected: &mut Vec<String>,
    what: &str,
    count: (u64, &str, Option<u64>),
    at_least: Option<u64>,
    at_most: Option<u64>,
) -> StepResult {
    let (n, unit, of) = count;
    let observed = match of {
        Some(total) => format!("{n} {unit} of {total}"),
        None => format!("{n} {unit}"),
    };
    for (bound, holds, words) in [
        (at_most, at_most.is_none_or(|m| n <= m), "at most"),
        (at_least, at_least.is_none_or(|m| n >= m), "at least"),
    ] {
        let Some(b) = bound else { continue };
        expected.push(format!("{what}: {words} {b} {unit}"));
        if !holds {
            return Err(mismatch(
                what.to_string(),
                format!("{words} {b} {unit}"),
                observed,
            ));
        }
    }
    Ok(())
}

/// `base + n * step` for each of `n` CPUs (integer values only).
fn per_cpu_values(base: &Datum, step: u64, n: usize) -> Result<Vec<Datum>, Verdict> {
    match base {
        Datum::Int(v) => Ok((0..n as u64).map(|c| Datum::Int(v + c * step)).collect()),
        other => Err(Verdict::Error {
            message: format!(
                "per_cpu_step needs an integer value, got {}",
                show(&Some(other.clone()))
            ),
        }),
    }
}

fn show(d: &Option<Datum>) -> String {
    match d {
        None => "NULL".into(),
        Some(Datum::Int(v)) => v.to_string(),
        Some(Datum::Pattern { pattern }) => format!("pattern {pattern}"),
        Some(Datum::Bytes(b)) => format!("{b:?}"),
        Some(Datum::Lpm { prefixlen, data }) => {
            let parts: Vec<String> = data.iter().map(|b| b.to_string()).collect();
            format!("{}/{prefixlen}", parts.join("."))
        }
        Some(Datum::Fd { fd }) => format!("fd({fd})"),
        Some(Datum::Id { id }) => format!("id({id})"),
        Some(Datum::Ifindex { ifindex }) => format!("ifindex({ifindex})"),
        Some(Datum::Cookie { cookie }) => format!("cookie({cookie})"),
        Some(Datum::U32s { u32s }) => {
            let parts: Vec<String> = u32s.iter().map(|d| show(&Some(d.clone()))).collect();
            format!("[{}]", parts.join(", "))
        }
        Some(Datum::Map { map }) => format!("map(type {})", map.type_value),
    }
}

fn hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        let mut v = [0u8; 8];
        v[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(v).to_string()
    } else {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

struct Runner<'a> {
    /// Numbers the kernel chose (socket cookies, object ids) and the names
    /// the trace shows instead, so that reruns read the same.
    aliases: Vec<(u64, String)>,
    env: &'a Env,
    trace: Vec<String>,
    expected: Vec<String>,
    measurement: Option<serde_json::Value>,
    _btf: Option<LoadedBtf>,
    fixtures: Fixtures,
    /// Mappings an `mmap` step keeps until the check ends.
    mappings: Vec<sys::Mapping>,
    /// On a refusal check: the older outcome, accepted from any operation.
    refusal: Option<Outcome>,
}

type StepResult = Result<(), Verdict>;

fn mismatch(what: String, expected: impl ToString, observed: impl ToString) -> Verdict {
    Verdict::Fail {
        expected: format!("{what} -> {}", expected.to_string()),
        observed: format!("{what} -> {}", observed.to_string()),
    }
}

impl Runner<'_> {
    /// A value as the trace shows it: by name when it is a cookie or id of
    /// this check's fixtures, else as `hex` does.
    fn show(&self, b: &[u8]) -> String {
        if b.len() <= 8 {
            let mut v = [0u8; 8];
            v[..b.len()].copy_from_slice(b);
            let n = u64::from_le_bytes(v);
            if let Some((_, name)) = self.aliases.iter().find(|(a, _)| *a == n) {
                return name.clone();
            }
        }
        hex(b)
    }

    /// A value in the shape the spec wrote it: a `u32s` value as its u32
    /// words, each by name when it is an id or cookie (an id in the upper
    /// half of a u64 would otherwise print as a number that changes with
    /// every run on a long-running host).
    fn show_like(&self, want: &Datum, b: &[u8]) -> String {
        match want {
            Datum::U32s { .. } if b.len().is_multiple_of(4) && b.len() > 4 => {
                let words: Vec<String> = b.chunks(4).map(|w| self.show(w)).collect();
                format!("[{}]", words.join(", "))
            }
            _ => self.show(b),
        }
    }

    fn check(&mut self, what: String, expect: Outcome, got: Outcome) -> StepResult {
        self.trace.push(format!("{what} -> {got}"));
        self.expected.push(format!("{what} -> {expect}"));
        match self.refusal {
            // A refusal check: this kernel refuses, at this operation or an
            // earlier one (e.g. BPF_MAP_CREATE rejects a newer flag), with
            // the older errno the spec gives. Nothing after it can run, and
            // the values a successful call would have returned are not
            // there to compare.
            Some(r) if r != Outcome::Ok && got == r => {
                self.trace
                    .push(format!("{what} shows the older outcome {got}"));
                Err(Verdict::Pass)
            }
            _ if expect == got => Ok(()),
            _ => Err(mismatch(what, expect, got)),
        }
    }

    fn create(&mut self, p: &Program) -> Result<Option<Map>, Verdict> {
        let a: &CreateAttrs = &p.attrs;
        let mut args = CreateArgs {
            map_type: p.type_value,
            key_size: a.key_size.unwrap_or(0),
            value_size: a.value_size.unwrap_or(0),
            max_entries: a.max_entries.unwrap_or(0),
            map_flags: a.flags_value(),
            map_extra: a.map_extra.unwrap_or(0),
            numa_node: a.numa_node.unwrap_or(0),
            ..Default::default()
        };
        let mut _inner: Option<OwnedFd> = None;
        let mut extra = String::new();
        if let Some(inner) = &a.inner_map {
            let fd = sys::map_create(&template_args(inner)).map_err(|e| Verdict::Error {
                message: format!("creating the inner map failed with {e}"),
            })?;
            self.trace.push(format!(
                "inner map (type={}) = fd {}",
                inner.type_value,
                fd.as_raw_fd()
            ));
            args.inner_map_fd = Some(fd.as_raw_fd());
            extra.push_str(&format!(", inner_map_fd={}", fd.as_raw_fd()));
            _inner = Some(fd);
        }
        if let Some(d) = &a.inner_map_fd {
            // Resolved to a number (a fixture's fd, or one that is no fd).
            let raw = match d {
                Datum::Int(v) => *v as i32,
                other => {
                    return Err(Verdict::Error {
                        message: format!("inner_map_fd: unresolved {}", show(&Some(other.clone()))),
                    })
                }
            };
            args.inner_map_fd = Some(raw);
            extra.push_str(&format!(", inner_map_fd={raw}"));
        }
        if let Some(name) = &a.vmlinux_value {
            // A missing struct is a missing kernel feature: a skip.
            let (id, size) =
                crate::btf::vmlinux_struct(name).map_err(|reason| Verdict::Skip { reason })?;
            args.btf_vmlinux_value_type_id = id;
            if a.value_size.is_none() {
                args.value_size = size;
            }
            extra.push_str(&format!(", btf_vmlinux_value_type_id={id} (struct {name})"));
        }
        if !a.drop_caps.is_empty() {
            let names: Vec<&str> = a.drop_caps.iter().map(|c| c.name()).collect();
            extra.push_str(&format!(", without {}", names.join("+")));
        }
        if let Some(recipe) = &a.btf {
            let btf = match recipe.as_str() {
                "spin_lock_value" => sys::spin_lock_value_btf(args.key_size, args.value_size),
                "int_key_value" => crate::btf::int_key_btf(
                    args.key_size * 8,
                    args.value_size,
                    crate::btf::Describe::KeyAndValue,
                ),
                "int_key_only" => crate::btf::int_key_btf(
                    args.key_size * 8,
                    args.value_size,
                    crate::btf::Describe::KeyOnly,
                ),
                "fd_only" => crate::btf::int_key_btf(32, 0, crate::btf::Describe::FdOnly),
                "none" => Err(String::new()),
                other => Err(format!("unknown BTF recipe `{other}`")),
            };
            let btf = match btf {
                Err(m) if m.is_empty() => None,
                other => Some(other),
            };
            match btf {
                Some(Ok(b)) => {
                    args.btf_fd = Some(b.btf.fd());
                    args.btf_key_type_id = b.key_type_id;
                    args.btf_value_type_id = b.value_type_id;
                    self._btf = Some(b);
                }
                Some(Err(message)) => return Err(Verdict::Error { message }),
                None => {}
            }
        }
        let flags: Vec<&str> = a.map_flags.iter().flatten().map(|f| f.name()).collect();
        let what = format!(
            "BPF_MAP_CREATE(type={}, key_size={}, value_size={}, max_entries={}, flags=[{}]{})",
            p.type_value,
            args.key_size,
            args.value_size,
            args.max_entries,
            flags.join("|"),
            a.btf
                .as_ref()
                .map(|b| format!(", btf={b}{extra}"))
                .unwrap_or(extra)
        );
        let created = if a.drop_caps.is_empty() {
            sys::map_create(&args)
        } else {
            let caps: Vec<u32> = a.drop_caps.iter().map(|c| c.value()).collect();
            crate::kernel::with_caps_dropped(&caps, || sys::map_create(&args)).map_err(
                |message| Verdict::Error {
                    message: format!("dropping capabilities: {message}"),
                },
            )?
        };
        match created {
            Ok(fd) => {
                self.check(what, p.create_expect, Outcome::Ok)?;
                Ok(Some(Map {
                    fd,
                    key_size: args.key_size as usize,
                    value_size: args.value_size as usize,
                    max_entries: args.max_entries,
                    percpu: p.percpu,
                    ncpu: self.env.possible_cpus as usize,
                }))
            }
            Err(e) => {
                self.check(what, p.create_expect, e)?;
                Ok(None)
            }
        }
    }

    fn key(&self, m: &Map, d: &Option<Datum>) -> Result<Option<Vec<u8>>, Verdict> {
        match d {
            None => Ok(None),
            Some(d) => encode(d, m.key_size)
                .map(Some)
                .map_err(|message| Verdict::Error {
                    message: format!("key: {message}"),
                }),
        }
    }

    fn value(&self, m: &Map, d: &Datum) -> Result<Vec<u8>, Verdict> {
        let one = encode(d, m.value_size).map_err(|message| Verdict::Error {
            message: format!("value: {message}"),
        })?;
        if !m.percpu {
            return Ok(one);
        }
        let mut all = vec![0u8; m.user_value_size()];
        for cpu in 0..m.ncpu {
            all[cpu * m.stride()..cpu * m.stride() + m.value_size].copy_from_slice(&one);
        }
        Ok(all)
    }

    /// Compare a looked-up value with `value` (every CPU) or `per_cpu`.
    fn check_value(&mut self, m: &Map, what: &str, got: &[u8], op: &ElemOp) -> StepResult {
        let slots: Vec<&[u8]> = if m.percpu {
            (0..m.ncpu)
                .map(|c| &got[c * m.stride()..c * m.stride() + m.value_size])
                .collect()
        } else {
            vec![&got[..m.value_size]]
        };
        let wants: Vec<Datum> = match (&op.value, &op.per_cpu) {
            (_, Some(list)) => list.clone(),
            (Some(v), None) if m.percpu && op.per_cpu_step.is_some() => {
                per_cpu_values(v, op.per_cpu_step.unwrap_or(0), slots.len())?
            }
            (Some(v), None) => vec![v.clone(); slots.len()],
            (None, None) => return Ok(()),
        };
        if wants.len() != slots.len() {
            return Err(Verdict::Error {
                message: format!(
                    "{what}: per_cpu lists {} values, the machine has {} possible CPUs",
                    wants.len(),
                    slots.len()
                ),
            });
        }
        for (i, (want, slot)) in wants.iter().zip(slots).enumerate() {
            let w = encode(want, m.value_size).map_err(|message| Verdict::Error { message })?;
            let cpu = if m.percpu {
                format!(" on CPU {i}")
            } else {
                String::new()
            };
            self.expected
                .push(format!("{what} value{cpu} = {}", self.show_like(want, &w)));
            if w != slot {
                return Err(Verdict::Fail {
                    expected: format!("{what} value{cpu} = {}", self.show_like(want, &w)),
                    observed: format!("{what} value{cpu} = {}", self.show_like(want, slot)),
                });
            }
            self.trace.push(format!(
                "{what} value{cpu} = {}",
                self.show_like(want, slot)
            ));
        }
        Ok(())
    }

    fn elem(&mut self, m: &Map, step: &Step, op: &ElemOp) -> StepResult {
        let key = self.key(m, &op.key)?;
        let flags = op.flags.value();
        let fl = if op.flags.is_default() {
            String::new()
        } else {
            format!(", {}", op.flags.names())
        };
        let mut buf = vec![0u8; m.user_value_size()];
        match step {
            Step::Update(_) => {
                let base = op.value.as_ref().unwrap_or(&Datum::Int(0));
                let v = match op.per_cpu_step {
                    Some(step) if m.percpu => {
                        let mut all = vec![0u8; m.user_value_size()];
                        for (cpu, d) in per_cpu_values(base, step, m.ncpu)?.iter().enumerate() {
                            let one = encode(d, m.value_size)
                                .map_err(|message| Verdict::Error { message })?;
                            all[cpu * m.stride()..cpu * m.stride() + m.value_size]
                                .copy_from_slice(&one);
                        }
                        all
                    }
                    _ => self.value(m, base)?,
                };
                let what = format!(
                    "update(key={}, value={}{fl})",
                    show(&op.key),
                    show(&op.value)
                );
                self.check(
                    what,
                    op.expect,
                    sys::update(&m.fd, key.as_deref(), &v, flags),
                )
            }
            Step::Lookup(_) | Step::LookupAndDelete(_) => {
                let del = matches!(step, Step::LookupAndDelete(_));
                let name = if del { "lookup_and_delete" } else { "lookup" };
                if let Some(input) = &op.input {
                    buf = self.value(m, input)?;
                }
                let what = match &op.input {
                    Some(_) => format!(
                        "{name}(key={}, value={}{fl})",
                        show(&op.key),
                        show(&op.input)
                    ),
                    None => format!("{name}(key={}{fl})", show(&op.key)),
                };
                let got = if del {
                    sys::lookup_and_delete(&m.fd, key.as_deref(), &mut buf, flags)
                } else {
                    sys::lookup(&m.fd, key.as_deref(), &mut buf, flags)
                };
                self.check(what.clone(), op.expect, got)?;
                if got.is_ok() {
                    self.check_value(m, &what, &buf, op)?;
                }
                Ok(())
            }
            Step::Delete(_) => {
                let what = format!("delete(key={}{fl})", show(&op.key));
                self.check(what, op.expect, sys::delete(&m.fd, key.as_deref(), flags))
            }
            _ => unreachable!("elem() is only called for element steps"),
        }
    }

    fn next_key(&mut self, m: &Map, op: &NextKeyOp) -> StepResult {
        let key = self.key(m, &op.key)?;
        let mut next = vec![0u8; m.key_size.max(1)];
        let what = format!("get_next_key(key={})", show(&op.key));
        let got = sys::get_next_key(&m.fd, key.as_deref(), &mut next);
        self.check(what.clone(), op.expect, got)?;
        if let (Outcome::Ok, Some(want)) = (got, &op.next) {
            let w = encode(want, m.key_size).map_err(|message| Verdict::Error { message })?;
            self.expected.push(format!("{what} next = {}", hex(&w)));
            if w != next[..m.key_size] {
                return Err(Verdict::Fail {
                    expected: format!("{what} next = {}", hex(&w)),
                    observed: format!("{what} next = {}", hex(&next[..m.key_size])),
                });
            }
            self.trace.push(format!("{what} next = {}", hex(&w)));
        }
        Ok(())
    }

    fn batch(&mut self, m: &Map, step: &Step, op: &BatchOp) -> StepResult {
        let flags = op.flags.value();
        let (what, got, n, keys_out) = match step {
            Step::LookupBatch(_) | Step::LookupAndDeleteBatch(_) => {
                let del = matches!(step, Step::LookupAndDeleteBatch(_));
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
            Step::UpdateBatch(_) => {
                let mut keys = Vec::new();
                let mut vals = Vec::new();
                for (i, k) in op.keys.iter().enumerate() {
                    keys.extend(
                        encode(k, m.key_size).map_err(|message| Verdict::Error { message })?,
                    );
                    vals.extend(self.value(m, op.values.get(i).unwrap_or(&Datum::Int(0)))?);
                }
                let (got, n) = sys::update_batch(&m.fd, &keys, &vals, op.keys.len() as u32, flags);
                (
                    format!("update_batch(keys={})", op.keys.len()),
                    got,
                    n,
                    None,
                )
            }
            Step::DeleteBatch(_) => {
                let mut keys = Vec::new();
                for k in &op.keys {
                    keys.extend(
                        encode(k, m.key_size).map_err(|message| Verdict::Error { message })?,
                    );
                }
                let (got, n) = sys::delete_batch(&m.fd, &keys, op.keys.len() as u32, flags);
                (
                    format!("delete_batch(keys={})", op.keys.len()),
                    got,
                    n,
                    None,
                )
            }
            _ => unreachable!("batch() is only called for batch steps"),
        };
        self.check(what.clone(), op.expect, got)?;
        if let Some(want) = op.processed {
            self.expected.push(format!("{what} count = {want}"));
            if want != n {
                return Err(mismatch(format!("{what} count"), want, n));
            }
        }
        if let (Some(want), Some(read)) = (&op.got_keys, keys_out) {
            let mut w: Vec<Vec<u8>> = want
                .iter()
                .map(|k| encode(k, m.key_size))
                .collect::<Result<_, _>>()
                .map_err(|message| Verdict::Error { message })?;
            let mut r = read;
            w.sort();
            r.sort();
            let fmt = |v: &Vec<Vec<u8>>| v.iter().map(|k| hex(k)).collect::<Vec<_>>().join(",");
            self.expected.push(format!("{what} keys = {{{}}}", fmt(&w)));
            if w != r {
                return Err(mismatch(
                    format!("{what} keys"),
                    format!("{{{}}}", fmt(&w)),
                    format!("{{{}}}", fmt(&r)),
                ));
            }
        }
        Ok(())
    }

    fn mmap(&mut self, m: &Map, op: &MmapOp) -> StepResult {
        let pages = op.pages.unwrap_or(1);
        let what = format!(
            "mmap(pages={pages}, offset={}, {})",
            op.offset_pages,
            if op.writable {
                "PROT_READ|PROT_WRITE"
            } else {
                "PROT_READ"
            }
        );
        match sys::mmap(&m.fd, op.writable, op.offset_pages, pages) {
            Ok(mapping) => {
                self.check(what, op.expect, Outcome::Ok)?;
                if let Some(v) = op.store {
                    // SAFETY: the mapping is at least one page, writable when store is set (lint).
                    unsafe { std::ptr::write_volatile(mapping.addr as *mut u64, v) };
                    self.trace
                        .push(format!("store {v} at offset 0 of the mapping"));
                }
                if let Some(want) = op.load {
                    // SAFETY: the mapping is at least one readable page.
                    let got = unsafe { std::ptr::read_volatile(mapping.addr as *const u64) };
                    let what = "load at offset 0 of the mapping".to_string();
                    self.trace.push(format!("{what} = {got}"));
                    self.expected.push(format!("{what} = {want}"));
                    if got != want {
                        return Err(Verdict::Fail {
                            expected: format!("{what} = {want}"),
                            observed: format!("{what} = {got}"),
                        });
                    }
                }
                if op.keep {
                    self.trace.push("mapping kept until the check ends".into());
                    self.mappings.push(mapping);
                }
                Ok(())
            }
            Err(e) => self.check(what, op.expect, e),
        }
    }

    fn fill(&mut self, m: &Map, start: u64, count: Option<u64>) -> StepResult {
        let count = count.unwrap_or(m.max_entries as u64);
        for k in start..start + count {
            let key = if m.key_size == 0 {
                None
            } else {
                Some(
                    encode(&Datum::Int(k), m.key_size)
                        .map_err(|message| Verdict::Error { message })?,
                )
            };
            let v = self.value(m, &Datum::Int(k))?;
            let got = sys::update(&m.fd, key.as_deref(), &v, 0);
            if got != Outcome::Ok {
                return Err(Verdict::Error {
                    message: format!("fill: update(key={k}) -> {got}"),
                });
            }
        }
        self.trace.push(format!(
            "fill: update keys {start}..{} -> ok",
            start + count
        ));
        Ok(())
    }

    fn keys(&mut self, m: &Map, op: &KeysOp) -> StepResult {
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
            .map_err(|message| Verdict::Error { message })?;
        if let Some(max) = op.at_most {
            let fmt = |v: &Vec<Vec<u8>>| v.iter().map(|k| hex(k)).collect::<Vec<_>>().join(", ");
            let mut distinct = seen.clone();
            distinct.sort();
            distinct.dedup();
            let missing: Vec<Vec<u8>> =
                want.iter().filter(|k| !seen.contains(k)).cloned().collect();
            let expected = format!(
                "at most {max} distinct keys including [{}], then ENOENT",
                fmt(&want)
            );
            // Sorted: which keys an LRU map keeps, and the order a hash
            // walks them in, vary from run to run; the claim is about the set.
            let mut sorted = seen.clone();
            sorted.sort();
            let observed = format!("{} keys [{}], then {end}", seen.len(), fmt(&sorted));
            self.trace
                .push(format!("keys via get_next_key: {observed}"));
            self.expected.push(expected.clone());
            if seen.len() > max as usize
                || distinct.len() != seen.len()
                || !missing.is_empty()
                || end != Outcome::Err(Errno::ENOENT)
            {
                return Err(Verdict::Fail { expected, observed });
            }
            return Ok(());
        }
        let mut got = seen.clone();
        if !op.ordered {
            want.sort();
            got.sort();
        }
        let fmt = |v: &Vec<Vec<u8>>| v.iter().map(|k| hex(k)).collect::<Vec<_>>().join(", ");
        let what = if op.ordered {
            "keys in get_next_key order"
        } else {
            "set of keys via get_next_key"
        };
        // `got` is sorted unless the order is the claim: the walk order of
        // a hash map changes with its random seed.
        self.trace
            .push(format!("{what}: [{}], then {end}", fmt(&got)));
        self.expected
            .push(format!("{what}: [{}], then ENOENT", fmt(&want)));
        if want != got || end != Outcome::Err(Errno::ENOENT) {
            return Err(Verdict::Fail {
                expected: format!("{what}: [{}], then ENOENT", fmt(&want)),
                observed: format!("{what}: [{}], then {end}", fmt(&got)),
            });
        }
        Ok(())
    }

    /// A writer thread flips the element between two uniform patterns while
    /// a reader thread checks that every read is uniform.
    fn torn(&mut self, m: &Map, op: &TornOp) -> StepResult {
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
        self.check(
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
                crate::progs::allow_all_cpus();
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
        self.measurement = Some(serde_json::json!({
            "budget_ms": op.budget_ms, "reads": reads, "writes": writes, "torn_reads": torn,
            "read_errors": read_err, "write_errors": write_err,
        }));
        // Counts go to the measurement; the trace reads the same on every
        // run with the same verdict (see progs::torn_verdict).
        let what = format!("lookups against updates for {} ms", op.budget_ms);
        self.trace.push(format!(
            "{what}: {} (counts in the measurement)",
            crate::progs::torn_verdict(torn, op.torn_at_least, op.torn_at_most)
        ));
        if read_err > 0 || write_err > 0 || reads == 0 || writes == 0 {
            return Err(Verdict::Fail {
                expected: "every concurrent lookup and update succeeds".into(),
                observed: format!("{what}: {read_err} lookup errors, {write_err} update errors"),
            });
        }
        check_bounds(
            &mut self.expected,
            &what,
            (torn, "torn reads", None),
            op.torn_at_least,
            op.torn_at_most,
        )
    }

    fn step(&mut self, m: &Map, step: &Step) -> StepResult {
        match step {
            Step::Update(op) | Step::Lookup(op) | Step::Delete(op) | Step::LookupAndDelete(op) => {
                self.elem(m, step, op)
            }
            Step::GetNextKey(op) => self.next_key(m, op),
            Step::LookupBatch(op)
            | Step::UpdateBatch(op)
            | Step::DeleteBatch(op)
            | Step::LookupAndDeleteBatch(op) => self.batch(m, step, op),
            Step::Freeze(op) => self.check("freeze()".into(), op.expect, sys::freeze(&m.fd)),
            Step::Mmap(op) => self.mmap(m, op),
            Step::Fill(op) => self.fill(m, op.start, op.count),
            Step::Keys(op) => self.keys(m, op),
            Step::TornRead(op) => self.torn(m, op),
            Step::ProgLoad(_) | Step::ProgRun(_) | Step::ProgRace(_) | Step::ProgTorn(_) => {
                let map = crate::progs::MapRef {
                    fd: m.fd.as_fd(),
                    key_size: m.key_size,
                    value_size: m.value_size,
                    percpu: m.percpu,
                    ncpu: m.ncpu,
                };
                let mut rec = crate::progs::Record {
                    trace: &mut self.trace,
                    expected: &mut self.expected,
                    measurement: &mut self.measurement,
                };
                crate::progs::step(&map, step, &mut rec)
            }
        }
    }
}

fn fixture_verdict(e: FixtureError) -> Verdict {
    match e {
        FixtureError::Unavailable { .. } => Verdict::Skip {
            reason: e.to_string(),
        },
        FixtureError::Failed { .. } => Verdict::Error {
            message: e.to_string(),
        },
    }
}

/// Replace a datum that names a live object (`{fd: ..}`, `{id: ..}`,
/// `{ifindex: ..}`, `{cookie: ..}`, `{map: ..}`, also inside `{u32s: ..}`)
/// by its number, creating the object as a fixture of this check.
fn resolve_datum(
    d: &mut Datum,
    fx: &mut Fixtures,
    trace: &mut Vec<String>,
    aliases: &mut Vec<(u64, String)>,
) -> Result<(), Verdict> {
    let n: u64 = match d {
        Datum::Fd { fd } => {
            let raw = fx.fd(fd).map_err(fixture_verdict)?;
            trace.push(format!("fixture {fd} = fd {raw}"));
            raw as u64
        }
        Datum::Id { id } => {
            let v = fx.id(id).map_err(fixture_verdict)?;
            // Ids and cookies are counters the kernel hands out; the trace
            // names them, so that reruns read the same (see Runner::show).
            trace.push(format!("fixture {id}: id read as id({id})"));
            aliases.push((v as u64, format!("id({id})")));
            v as u64
        }
        Datum::Ifindex { ifindex } => {
            let v = crate::fixtures::ifindex(ifindex).map_err(fixture_verdict)?;
            trace.push(format!("ifindex of {ifindex} = {v}"));
            v as u64
        }
        Datum::Cookie { cookie } => {
            let v = fx.cookie(cookie).map_err(fixture_verdict)?;
            trace.push(format!(
                "fixture {cookie}: SO_COOKIE read as cookie({cookie})"
            ));
            aliases.push((v, format!("cookie({cookie})")));
            v
        }
        Datum::Map { map } => {
            let fd = sys::map_create(&template_args(map)).map_err(|e| Verdict::Error {
                message: format!(
                    "creating a map of type {} for a value failed with {e}",
                    map.type_value
                ),
            })?;
            let raw = fx.hold(fd);
            trace.push(format!("map of type {} = fd {raw}", map.type_value));
            raw as u64
        }
        Datum::U32s { u32s } => {
            for w in u32s.iter_mut() {
                resolve_datum(w, fx, trace, aliases)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    *d = Datum::Int(n);
    Ok(())
}

/// Replace every `{fd: NAME}` in the steps with the fd of a live fixture.
fn resolve_fixtures(
    steps: &mut [Step],
    fx: &mut Fixtures,
    trace: &mut Vec<String>,
    aliases: &mut Vec<(u64, String)>,
) -> Result<(), Verdict> {
    for step in steps {
        match step {
            Step::Update(o) | Step::Lookup(o) | Step::Delete(o) | Step::LookupAndDelete(o) => {
                for d in o
                    .key
                    .iter_mut()
                    .chain(o.value.iter_mut())
                    .chain(o.input.iter_mut())
                    .chain(o.per_cpu.iter_mut().flatten())
                {
                    resolve_datum(d, fx, trace, aliases)?;
                }
            }
            Step::GetNextKey(o) => {
                for d in o.key.iter_mut().chain(o.next.iter_mut()) {
                    resolve_datum(d, fx, trace, aliases)?;
                }
            }
            Step::LookupBatch(o)
            | Step::UpdateBatch(o)
            | Step::DeleteBatch(o)
            | Step::LookupAndDeleteBatch(o) => {
                for d in o
                    .keys
                    .iter_mut()
                    .chain(o.values.iter_mut())
                    .chain(o.got_keys.iter_mut().flatten())
                {
                    resolve_datum(d, fx, trace, aliases)?;
                }
            }
            Step::ProgRun(o) => {
                for d in o
                    .key
                    .iter_mut()
                    .chain(o.value.iter_mut())
                    .chain(o.out.iter_mut())
                {
                    resolve_datum(d, fx, trace, aliases)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Inode, task, cgroup and socket storage: elements live in their owner,
/// not in the map.
const LOCAL_STORAGE: [u32; 4] = [
    libbpf_sys::BPF_MAP_TYPE_SK_STORAGE,
    libbpf_sys::BPF_MAP_TYPE_INODE_STORAGE,
    libbpf_sys::BPF_MAP_TYPE_TASK_STORAGE,
    libbpf_sys::BPF_MAP_TYPE_CGRP_STORAGE,
];

/// Run one program. The maps and fixtures it creates are closed before
/// this returns.
pub fn execute(program: &Program, env: &Env) -> Execution {
    let mut r = Runner {
        env,
        trace: Vec::new(),
        expected: Vec::new(),
        measurement: None,
        _btf: None,
        fixtures: Fixtures::default(),
        mappings: Vec::new(),
        refusal: program.refusal,
        aliases: Vec::new(),
    };
    let mut program = program.clone();
    let verdict = (|| -> Result<(), Verdict> {
        resolve_fixtures(
            &mut program.steps,
            &mut r.fixtures,
            &mut r.trace,
            &mut r.aliases,
        )?;
        if let Some(d) = program.attrs.inner_map_fd.as_mut() {
            resolve_datum(d, &mut r.fixtures, &mut r.trace, &mut r.aliases)?;
        }
        let program = &program;
        let Some(map) = r.create(program)? else {
            if !program.steps.is_empty() {
                return Err(Verdict::Error {
                    message: "map creation was expected to fail, but steps follow".into(),
                });
            }
            return Ok(());
        };
        let steps = program.steps.iter().try_for_each(|step| r.step(&map, step));
        if LOCAL_STORAGE.contains(&program.type_value) {
            r.fixtures.release_owned_storage(&map.fd);
        }
        steps
    })();
    Execution {
        verdict: verdict.err().unwrap_or(Verdict::Pass),
        trace: r.trace,
        expected: r.expected,
        measurement: r.measurement,
    }
}

/// Flags rendered for messages.
pub fn flag_names(f: &Flags) -> String {
    f.names()
}

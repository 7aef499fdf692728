//! Kernel-side steps: the suite's BPF programs (`conformance/bpf/*.bpf.c`),
//! loaded against a claim's map and run with BPF_PROG_TEST_RUN.
//!
//! # Build approach: clang plus libbpf's object loader, not skeletons
//!
//! `build.rs` compiles every `.bpf.c` with clang (`-target bpf -mcpu=v2`)
//! and embeds the objects with `include_bytes!`, so the static runner that
//! boots as `/init` in the kernel matrix carries them. At run time the
//! objects are opened from memory with libbpf-rs
//! (`ObjectBuilder::open_memory`). We chose this over libbpf-cargo
//! skeletons because:
//! - the specs name programs as data (`program: counter_atomic`), so the
//!   runner looks programs up by name at run time; a skeleton's generated,
//!   statically typed accessors buy nothing here;
//! - every check loads exactly one program with the object's `target` map
//!   replaced by the claim's own map (`bpf_map__reuse_fd`), and verifier
//!   claims expect some loads to fail: that is per-load `set_autoload` and
//!   `reuse_fd`, the same with either approach, but skeletons would add
//!   libbpf-cargo and its generator to the build for no gain;
//! - the clang command line is in one visible place (build.rs), and the only
//!   build-time tools are Debian's clang and libbpf-dev headers.
//!
//! libbpf-rs owns the open object; loading and BPF_PROG_TEST_RUN go through
//! libbpf-sys so that the errno is exact (libbpf-rs folds errnos into
//! `ErrorKind`s).

use crate::exec::Verdict;
use mapspec_spec::{Datum, Errno, Outcome, ProgRaceOp, ProgRunOp, ProgTornOp, Step};
use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

include!(concat!(env!("OUT_DIR"), "/bpf_objects.rs"));

/// Size of `struct mapspec_args` in conformance/bpf/mapspec.h.
const KEY_MAX: usize = 64;
const VALUE_MAX: usize = 64;
const OFF_FLAGS: usize = 0;
const OFF_RET: usize = 8;
const OFF_KEY: usize = 16;
const OFF_VALUE: usize = OFF_KEY + KEY_MAX;
const ARGS_SIZE: usize = OFF_VALUE + VALUE_MAX;

/// What a kernel-side step needs to know about the claim's map.
pub struct MapRef<'a> {
    pub fd: BorrowedFd<'a>,
    pub key_size: usize,
    pub value_size: usize,
    pub percpu: bool,
    pub ncpu: usize,
}

impl MapRef<'_> {
    fn stride(&self) -> usize {
        self.value_size.div_ceil(8) * 8
    }
    /// Size of the value a program exchanges through the argument packet:
    /// the map's value_size, or a u64 for maps without values (ring
    /// buffers), whose programs pass records and counts there.
    fn arg_value_size(&self) -> usize {
        if self.value_size == 0 {
            8
        } else {
            self.value_size
        }
    }
    fn user_value_size(&self) -> usize {
        if self.percpu {
            self.stride() * self.ncpu
        } else {
            self.value_size
        }
    }
}

/// Where a step records what happened.
pub struct Record<'a> {
    pub trace: &'a mut Vec<String>,
    pub expected: &'a mut Vec<String>,
    pub measurement: &'a mut Option<serde_json::Value>,
}

type StepResult = Result<(), Verdict>;

/// The object that defines `program`, by file stem.
pub fn object_of(program: &str) -> Option<&'static str> {
    static INDEX: std::sync::OnceLock<Vec<(String, &'static str)>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut v = Vec::new();
        for (stem, bytes) in OBJECTS {
            if let Ok(obj) = libbpf_rs::ObjectBuilder::default().open_memory(bytes) {
                for p in obj.progs() {
                    v.push((p.name().to_string_lossy().into_owned(), *stem));
                }
            }
        }
        v
    });
    index
        .iter()
        .find(|(p, _)| p == program)
        .map(|(_, stem)| *stem)
}

/// Every program name in the embedded objects.
pub fn program_names() -> Vec<String> {
    let mut v = Vec::new();
    for (_, bytes) in OBJECTS {
        if let Ok(obj) = libbpf_rs::ObjectBuilder::default().open_memory(bytes) {
            v.extend(obj.progs().map(|p| p.name().to_string_lossy().into_owned()));
        }
    }
    v
}

/// libbpf's messages (the verifier log among them) are captured here
/// instead of going to stderr.
static LOG: Mutex<String> = Mutex::new(String::new());

fn capture(_level: libbpf_rs::PrintLevel, msg: String) {
    if let Ok(mut l) = LOG.lock() {
        if l.len() < 1 << 20 {
            l.push_str(&msg);
        }
    }
}

fn take_log() -> String {
    LOG.lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

/// The verifier's last word: the last line of its log before the
/// statistics that BPF_LOG_STATS appends. Those start with "verification
/// time" on every kernel since 5.2; the lines after it change between
/// releases (7.2 added "insns processed N").
fn verifier_reason(log: &str) -> Option<String> {
    log.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("verification time"))
        .filter(|l| !l.starts_with("processed ") && !l.is_empty())
        .last()
        .map(str::to_string)
}

/// Room for a BPF_LOG_STATS log: the error and three lines of statistics.
/// Kernels before 6.4 fail a load with ENOSPC when the log overflows, so
/// this is generous.
const VERIFIER_LOG_SIZE: usize = 64 << 10;

/// A loaded object with one program; closed (program and all) on drop.
pub struct Loaded {
    obj: NonNull<libbpf_sys::bpf_object>,
    prog_fd: i32,
    /// A BPF_PROG_TYPE_SYSCALL program (`SEC("syscall")`, sleepable): the
    /// argument block is its context, not a packet.
    syscall: bool,
}

// SAFETY: a loaded bpf_object is only read (program fd) after loading;
// BPF_PROG_TEST_RUN on the fd is safe from any thread.
unsafe impl Send for Loaded {}
unsafe impl Sync for Loaded {}

impl Drop for Loaded {
    fn drop(&mut self) {
        // SAFETY: obj came from bpf_object__open_mem and is closed once.
        unsafe { libbpf_sys::bpf_object__close(self.obj.as_ptr()) };
    }
}

/// Load `program` with the object's `target` map bound to `map`. On
/// failure: the errno of the load and the verifier's reason, if any.
pub fn load(program: &str, map: BorrowedFd<'_>) -> Result<Loaded, (Outcome, String)> {
    let stem = object_of(program).ok_or_else(|| {
        (
            Outcome::Err(Errno::ENOENT),
            format!("no embedded BPF object defines program `{program}`"),
        )
    })?;
    let bytes = OBJECTS
        .iter()
        .find(|(s, _)| *s == stem)
        .map(|(_, b)| *b)
        .unwrap_or_default();
    static PRINT: std::sync::Once = std::sync::Once::new();
    PRINT.call_once(|| {
        libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Warn, capture)));
    });
    let mut open = libbpf_rs::ObjectBuilder::default()
        .open_memory(bytes)
        .map_err(|e| {
            (
                Outcome::Err(Errno::EINVAL),
                format!("opening {stem}.bpf.o: {e}"),
            )
        })?;
    for mut p in open.progs_mut() {
        let this = p.name() == program;
        p.set_autoload(this);
    }
    for mut m in open.maps_mut() {
        if m.name() == "target" {
            m.reuse_fd(map)
                .map_err(|e| (Outcome::Err(Errno::EINVAL), format!("reuse_fd: {e}")))?;
        }
    }
    let obj = open.take_ptr();
    let _ = take_log();
    let name = CString::new(program).unwrap_or_default();
    // The verifier runs once, at BPF_LOG_STATS (4). libbpf would otherwise
    // load at level 0 and, on failure, verify again at level 1, which
    // formats every instruction: a third of the suite's time under TCG,
    // where most loads are expected rejections. Level 4 still logs the
    // error message, and only that and the statistics.
    let mut vlog = vec![0u8; VERIFIER_LOG_SIZE];
    // SAFETY: obj is an opened, not yet loaded object that we own; vlog
    // outlives the load, the only time libbpf and the kernel write to it.
    let ret = unsafe {
        let p = libbpf_sys::bpf_object__find_program_by_name(obj.as_ptr(), name.as_ptr());
        if !p.is_null() {
            libbpf_sys::bpf_program__set_log_level(p, 4);
            libbpf_sys::bpf_program__set_log_buf(p, vlog.as_mut_ptr().cast(), vlog.len() as _);
        }
        libbpf_sys::bpf_object__load(obj.as_ptr())
    };
    // Owns the object from here on: dropped (and closed) on every return.
    let mut loaded = Loaded {
        obj,
        prog_fd: -1,
        syscall: false,
    };
    if ret < 0 {
        let _ = take_log();
        let log = std::ffi::CStr::from_bytes_until_nul(&vlog)
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default();
        let why = verifier_reason(&log).unwrap_or_default();
        return Err((Outcome::from_ret(ret), why));
    }
    // SAFETY: obj is loaded; the program pointer lives as long as obj.
    let (fd, syscall) = unsafe {
        let p = libbpf_sys::bpf_object__find_program_by_name(obj.as_ptr(), name.as_ptr());
        if p.is_null() {
            (-1, false)
        } else {
            (
                libbpf_sys::bpf_program__fd(p),
                libbpf_sys::bpf_program__type(p) == libbpf_sys::BPF_PROG_TYPE_SYSCALL,
            )
        }
    };
    if fd < 0 {
        return Err((
            Outcome::Err(Errno::ENOENT),
            "program not found after load".into(),
        ));
    }
    loaded.prog_fd = fd;
    loaded.syscall = syscall;
    Ok(loaded)
}

/// One BPF_PROG_TEST_RUN: the outcome, the program's return value and the
/// packet as the program left it.
pub fn test_run(l: &Loaded, data: &[u8], repeat: u32) -> (Outcome, u32, Vec<u8>) {
    if l.syscall {
        // The context goes in as ctx_in and comes back in the same
        // buffer; syscall programs take no packet and no repeat.
        let mut ctx = data.to_vec();
        let mut opts = libbpf_sys::bpf_test_run_opts {
            sz: std::mem::size_of::<libbpf_sys::bpf_test_run_opts>() as _,
            ctx_in: ctx.as_mut_ptr() as _,
            ctx_size_in: ctx.len() as _,
            ..Default::default()
        };
        // SAFETY: ctx outlives the call and its size is given.
        let ret = unsafe { libbpf_sys::bpf_prog_test_run_opts(l.prog_fd, &mut opts) };
        return (Outcome::from_ret(ret), opts.retval, ctx);
    }
    let mut out = vec![0u8; data.len()];
    let mut opts = libbpf_sys::bpf_test_run_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_test_run_opts>() as _,
        data_in: data.as_ptr() as _,
        data_size_in: data.len() as _,
        data_out: out.as_mut_ptr() as _,
        data_size_out: out.len() as _,
        repeat: repeat as _,
        ..Default::default()
    };
    // SAFETY: the buffers outlive the call and their sizes are given.
    let ret = unsafe { libbpf_sys::bpf_prog_test_run_opts(l.prog_fd, &mut opts) };
    (Outcome::from_ret(ret), opts.retval, out)
}

/// Pin the calling thread to one CPU.
fn pin(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Online CPUs of the machine, not of this thread's affinity mask: the
/// matrix guest pins its main thread to CPU 0, and the concurrency checks
/// must still spread their threads over every CPU.
pub(crate) fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Let the calling thread run on every online CPU (threads inherit their
/// creator's mask, which may be one CPU).
pub(crate) fn allow_all_cpus() {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for c in 0..online_cpus().min(libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The calling thread's affinity mask, to put back after pinning it.
fn affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: a zeroed cpu_set_t is valid and sched_getaffinity fills it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0)
            .then_some(set)
    }
}

fn encode(d: &Datum, size: usize) -> Result<Vec<u8>, Verdict> {
    crate::exec::encode(d, size).map_err(|message| Verdict::Error { message })
}

fn args_packet(m: &MapRef, op: &ProgRunOp) -> Result<Vec<u8>, Verdict> {
    let mut pkt = vec![0u8; ARGS_SIZE];
    pkt[OFF_FLAGS..OFF_FLAGS + 8].copy_from_slice(&op.flags.value().to_le_bytes());
    if let Some(k) = &op.key {
        let k = encode(k, m.key_size.min(KEY_MAX))?;
        pkt[OFF_KEY..OFF_KEY + k.len()].copy_from_slice(&k);
    }
    if let Some(v) = &op.value {
        let v = encode(v, m.arg_value_size().min(VALUE_MAX))?;
        pkt[OFF_VALUE..OFF_VALUE + v.len()].copy_from_slice(&v);
    }
    Ok(pkt)
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

fn mismatch(what: &str, expected: String, observed: String) -> Verdict {
    Verdict::Fail {
        expected: format!("{what} -> {expected}"),
        observed: format!("{what} -> {observed}"),
    }
}

fn check(r: &mut Record, what: String, expect: Outcome, got: Outcome) -> StepResult {
    r.trace.push(format!("{what} -> {got}"));
    r.expected.push(format!("{what} -> {expect}"));
    if expect == got {
        Ok(())
    } else {
        Err(mismatch(&what, expect.to_string(), got.to_string()))
    }
}

/// The map type of a map fd, from BPF_OBJ_GET_INFO_BY_FD.
fn map_type_of(fd: BorrowedFd<'_>) -> Option<u32> {
    // SAFETY: info is plain data sized by len; the fd is valid while borrowed.
    unsafe {
        let mut info: libbpf_sys::bpf_map_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libbpf_sys::bpf_map_info>() as u32;
        let rc = libbpf_sys::bpf_map_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len);
        (rc == 0).then_some(info.type_)
    }
}

fn load_checked(
    m: &MapRef,
    program: &str,
    expect: Outcome,
    r: &mut Record,
) -> Result<Option<Loaded>, Verdict> {
    let what = format!("BPF_PROG_LOAD({program}, target = the claim's map)");
    if map_type_of(m.fd) == Some(libbpf_sys::BPF_MAP_TYPE_STRUCT_OPS) {
        // libbpf treats a struct_ops map in an object as one it must fill
        // from the object's own struct_ops section, which a rebound map
        // lacks: bpf_object__load() then dereferences NULL. An error,
        // never a verdict: no program was loaded.
        return Err(Verdict::Error {
            message: format!(
                "{what}: libbpf cannot bind a struct_ops map into a program object; no kernel-side check can use one"
            ),
        });
    }
    match load(program, m.fd) {
        Ok(l) => {
            check(r, what, expect, Outcome::Ok)?;
            Ok(Some(l))
        }
        Err((got, why)) => {
            if !why.is_empty() {
                r.trace.push(format!("verifier: {why}"));
            }
            check(r, what, expect, got)?;
            Ok(None)
        }
    }
}

fn describe(op: &ProgRunOp) -> String {
    let mut parts = vec![op.program.clone()];
    let show = |d: &Datum| match d {
        Datum::Int(v) => v.to_string(),
        other => format!("{other:?}"),
    };
    if let Some(k) = &op.key {
        parts.push(format!("key={}", show(k)));
    }
    if let Some(v) = &op.value {
        parts.push(format!("value={}", show(v)));
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

fn prog_run(m: &MapRef, op: &ProgRunOp, r: &mut Record) -> StepResult {
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
    let loaded = match load(&op.program, m.fd) {
        Ok(l) => l,
        Err((got, why)) => {
            if !why.is_empty() {
                r.trace.push(format!("verifier: {why}"));
            }
            return check(r, format!("{what}: load"), load_expect, got);
        }
    };
    let threads = op.threads.unwrap_or(1).max(1) as usize;
    let repeat = op.repeat.unwrap_or(1);
    let online = online_cpus();
    if let Some(cpu) = op.cpu {
        if cpu as usize >= online {
            return Err(Verdict::Skip {
                reason: format!("needs CPU {cpu}; this machine has {online} online CPUs"),
            });
        }
    }
    let results: Vec<(Outcome, u32, Vec<u8>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (loaded, pkt) = (&loaded, &pkt);
                let cpu = op.cpu.map(|c| c as usize).unwrap_or(i % online);
                let pinned = op.cpu.is_some() || threads > 1;
                s.spawn(move || {
                    if pinned && !pin(cpu) {
                        return (Outcome::Err(Errno::EINVAL), 0, Vec::new());
                    }
                    test_run(loaded, pkt, repeat)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or((Outcome::Err(Errno::EIO), 0, Vec::new()))
            })
            .collect()
    });
    let (got, retval, out) = results
        .iter()
        .find(|(o, _, _)| !o.is_ok())
        .cloned()
        .unwrap_or_else(|| results[0].clone());
    check(r, what.clone(), expect_run, got)?;
    if !got.is_ok() {
        return Ok(());
    }
    if let Some(want) = op.retval {
        r.expected.push(format!("{what} retval = {want}"));
        r.trace.push(format!("{what} retval = {retval}"));
        if want != retval {
            return Err(mismatch(
                &format!("{what} retval"),
                want.to_string(),
                retval.to_string(),
            ));
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
        r.expected.push(format!("{w} {want}"));
        r.trace.push(format!("{w} {seen} ({ret})"));
        if want != seen {
            return Err(mismatch(&w, want.to_string(), format!("{seen} ({ret})")));
        }
    }
    if let Some(want) = &op.out {
        // map_lookup copies the first 8 bytes through the pointer; pop
        // and peek copy the whole value: compare the first u64.
        let n = m.arg_value_size().min(8);
        let w = encode(want, n)?;
        let seen = &out[OFF_VALUE..OFF_VALUE + n];
        let what = format!("{what}: value the program read");
        r.expected.push(format!("{what} = {}", hex(&w)));
        r.trace.push(format!("{what} = {}", hex(seen)));
        if w != seen {
            return Err(mismatch(&what, hex(&w), hex(seen)));
        }
    }
    Ok(())
}

/// The u64 at offset 0 of key 0's value, summed over CPUs for per-CPU maps.
fn read_counter(m: &MapRef) -> Result<u64, Outcome> {
    let key = vec![0u8; m.key_size];
    let mut buf = vec![0u8; m.user_value_size()];
    // SAFETY: key and buf are sized from the map's attributes.
    let ret = unsafe {
        libbpf_sys::bpf_map_lookup_elem(m.fd.as_raw_fd(), key.as_ptr() as _, buf.as_mut_ptr() as _)
    };
    if ret < 0 {
        return Err(Outcome::from_ret(ret));
    }
    let slots = if m.percpu { m.ncpu } else { 1 };
    Ok((0..slots)
        .map(|c| {
            let o = c * m.stride();
            u64::from_le_bytes(buf[o..o + 8].try_into().unwrap_or([0; 8]))
        })
        .sum())
}

fn reset_counter(m: &MapRef) -> Outcome {
    let key = vec![0u8; m.key_size];
    let buf = vec![0u8; m.user_value_size()];
    // SAFETY: as above.
    Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_update_elem(m.fd.as_raw_fd(), key.as_ptr() as _, buf.as_ptr() as _, 0)
    })
}

fn prog_race(m: &MapRef, op: &ProgRaceOp, r: &mut Record) -> StepResult {
    let Some(loaded) = load_checked(m, &op.program, Outcome::Ok, r)? else {
        return Ok(());
    };
    if m.value_size < 8 {
        return Err(Verdict::Error {
            message: "prog_race needs a value of at least 8 bytes (a u64 counter)".into(),
        });
    }
    let online = online_cpus();
    let threads = op.threads.max(1) as usize;
    let budget = Duration::from_millis(op.budget_ms);
    let start = Instant::now();
    let pkt = vec![0u8; ARGS_SIZE];
    let (mut rounds, mut runs, mut counted, mut lost, mut worst) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    while rounds == 0 || start.elapsed() < budget {
        let reset = reset_counter(m);
        if !reset.is_ok() {
            return Err(Verdict::Error {
                message: format!("resetting the counter at key 0 -> {reset}"),
            });
        }
        let outs: Vec<Outcome> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|i| {
                    let (loaded, pkt) = (&loaded, &pkt);
                    s.spawn(move || {
                        if !pin(i % online) {
                            return Outcome::Err(Errno::EINVAL);
                        }
                        test_run(loaded, pkt, op.repeat).0
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or(Outcome::Err(Errno::EIO)))
                .collect()
        });
        failures.extend(outs.into_iter().filter(|o| !o.is_ok()));
        let count = read_counter(m).map_err(|e| Verdict::Error {
            message: format!("reading the counter at key 0 -> {e}"),
        })?;
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
    *r.measurement = Some(serde_json::json!({
        "program": op.program, "threads": threads, "repeat": op.repeat,
        "budget_ms": op.budget_ms, "elapsed_ms": elapsed, "rounds": rounds,
        "runs": runs, "counted": counted, "lost": lost, "worst_round_lost": worst,
        "percpu": m.percpu,
    }));
    // The counts vary from run to run and live in the measurement; what is
    // traced must read the same on every run with the same verdict, or the
    // matrix's --check could never be clean.
    let what = format!(
        "{} from {threads} threads x {} runs per round, budget {} ms",
        op.program, op.repeat, op.budget_ms
    );
    r.trace.push(format!(
        "{what}: {} (counts in the measurement)",
        match (op.lost_at_least, op.lost_at_most) {
            (Some(min), _) if lost >= min => format!("at least {min} lost"),
            (_, Some(max)) if lost <= max => format!("at most {max} lost"),
            _ => "bound not met".to_string(),
        }
    ));
    if let Some(f) = failures.first() {
        return Err(mismatch(
            &format!("{what}: BPF_PROG_TEST_RUN"),
            "ok".into(),
            f.to_string(),
        ));
    }
    crate::exec::check_bounds(
        r.expected,
        &what,
        (lost, "lost", Some(runs)),
        op.lost_at_least,
        op.lost_at_most,
    )
}

/// A torn-read count in words that do not change from run to run while the
/// verdict does not.
pub(crate) fn torn_verdict(torn: u64, at_least: Option<u64>, at_most: Option<u64>) -> String {
    match (at_least, at_most) {
        (Some(min), _) if torn >= min => format!("at least {min} torn reads"),
        (_, Some(max)) if torn <= max => format!("at most {max} torn reads"),
        (None, None) => "torn reads counted, no bound".to_string(),
        _ => "bound not met".to_string(),
    }
}

fn prog_torn(m: &MapRef, op: &ProgTornOp, r: &mut Record) -> StepResult {
    let Some(loaded) = load_checked(m, &op.program, Outcome::Ok, r)? else {
        return Ok(());
    };
    let online = online_cpus();
    if online < 2 {
        return Err(Verdict::Skip {
            reason: "needs 2 online CPUs".into(),
        });
    }
    let flags = op.flags.value();
    let key = vec![0u8; m.key_size];
    let size = m.user_value_size();
    let zero = vec![0u8; size];
    // SAFETY: key and value are sized from the map's attributes.
    let first = Outcome::from_ret(unsafe {
        libbpf_sys::bpf_map_update_elem(
            m.fd.as_raw_fd(),
            key.as_ptr() as _,
            zero.as_ptr() as _,
            flags,
        )
    });
    check(r, "update(key=0, value=0)".into(), Outcome::Ok, first)?;
    let skip = (op.skip_bytes as usize).min(size);
    let stop = AtomicBool::new(false);
    let runs = AtomicU64::new(0);
    let run_err = Mutex::new(None::<Outcome>);
    let budget = Duration::from_millis(op.budget_ms);
    let pkt = vec![0u8; ARGS_SIZE];
    let before = affinity();
    let (reads, torn, read_err) = std::thread::scope(|s| {
        s.spawn(|| {
            pin(1);
            while !stop.load(Ordering::Relaxed) {
                let (o, _, _) = test_run(&loaded, &pkt, 64);
                if !o.is_ok() {
                    *run_err.lock().unwrap() = Some(o);
                    break;
                }
                runs.fetch_add(64, Ordering::Relaxed);
            }
        });
        pin(0);
        let start = Instant::now();
        let (mut reads, mut torn, mut errs) = (0u64, 0u64, 0u64);
        let mut buf = vec![0u8; size];
        while start.elapsed() < budget {
            // SAFETY: as above.
            let ret = unsafe {
                libbpf_sys::bpf_map_lookup_elem_flags(
                    m.fd.as_raw_fd(),
                    key.as_ptr() as _,
                    buf.as_mut_ptr() as _,
                    flags,
                )
            };
            if ret < 0 {
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
    // Put the main thread's mask back as it was.
    if let Some(set) = before {
        // SAFETY: a mask sched_getaffinity returned.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    }
    let runs = runs.load(Ordering::Relaxed);
    *r.measurement = Some(serde_json::json!({
        "program": op.program, "budget_ms": op.budget_ms, "program_runs": runs,
        "reads": reads, "torn_reads": torn, "read_errors": read_err,
    }));
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
    r.trace.push(format!(
        "{what}: {} (counts in the measurement)",
        torn_verdict(torn, op.torn_at_least, op.torn_at_most)
    ));
    if let Some(e) = *run_err.lock().unwrap() {
        return Err(mismatch(
            &format!("{what}: BPF_PROG_TEST_RUN"),
            "ok".into(),
            e.to_string(),
        ));
    }
    if read_err > 0 || reads == 0 || runs == 0 {
        return Err(Verdict::Fail {
            expected: "every lookup and program run succeeds".into(),
            observed: format!("{what}: {read_err} lookup errors"),
        });
    }
    crate::exec::check_bounds(
        r.expected,
        &what,
        (torn, "torn reads", None),
        op.torn_at_least,
        op.torn_at_most,
    )
}

/// Run one kernel-side step.
pub fn step(m: &MapRef, step: &Step, r: &mut Record) -> StepResult {
    match step {
        Step::ProgLoad(op) => load_checked(m, &op.program, op.expect, r).map(|_| ()),
        Step::ProgRun(op) => prog_run(m, op, r),
        Step::ProgRace(op) => prog_race(m, op, r),
        Step::ProgTorn(op) => prog_torn(m, op, r),
        other => Err(Verdict::Error {
            message: format!("{} is not a kernel-side step", other.name()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::verifier_reason;

    #[test]
    fn the_reason_is_the_line_before_the_statistics() {
        let v72 = "cannot pass map_type 2 into func bpf_map_push_elem#87\n\
                   verification time 6659 usec\nstack depth 208 max 0\n\
                   insns processed 250\nprocessed 250 insns (limit 1000000) \
                   max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
        assert_eq!(
            verifier_reason(v72).as_deref(),
            Some("cannot pass map_type 2 into func bpf_map_push_elem#87")
        );
        let v510 = "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n\
                    invalid zero-sized read\nverification time 653 usec\n\
                    stack depth 208\nprocessed 250 insns (limit 1000000)\n";
        assert_eq!(
            verifier_reason(v510).as_deref(),
            Some("invalid zero-sized read")
        );
        assert_eq!(verifier_reason("verification time 1 usec\n"), None);
        assert_eq!(verifier_reason(""), None);
    }
}

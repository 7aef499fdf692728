//! The suite's BPF programs (`conformance/bpf/*.bpf.c`): loaded against a
//! claim's map and run with BPF_PROG_TEST_RUN, errno-exact.
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

use mapspec_spec::{Errno, Outcome};
use std::ffi::CString;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::Mutex;

include!(concat!(env!("OUT_DIR"), "/bpf_objects.rs"));

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

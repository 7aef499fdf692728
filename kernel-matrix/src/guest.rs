//! The guest side: the static `mapspec` binary running as PID 1 of a
//! freshly booted kernel. It sets up the few filesystems the runner needs,
//! runs the specs shipped in the initramfs, writes the report to ttyS1 and
//! powers the machine off with an exit code qemu passes on.
//!
//! Run anywhere else (on a host, as a container's init) it does nothing and
//! exits 2: [`enter`] checks first, and what mounts, reboots or touches I/O
//! ports needs the token only `enter` gives.
//!
//! PID 1 must never return or panic: the kernel would panic in turn ("Attempted
//! to kill init") and the host would only see a timeout or a panic. Every
//! failure after `enter` is printed to the console and ends in `power_off`.

use std::ffi::CString;
use std::io::Write;
use std::path::Path;

use mapspec_spec::results::{RunReport, Status};
use mapspec_spec::MapSpec;

use crate::protocol::{
    claim_line, frame, has_guest_marker, GUEST_CLAIMS_FAILED, GUEST_ERROR, GUEST_OK, SAY_PREFIX,
};

pub use crate::protocol::ERROR_PREFIX;

/// Proof that this process is PID 1 of a matrix guest. Only [`enter`]
/// makes one, and everything here that mounts, powers off or touches I/O
/// ports takes it: run on a host, `matrix __guest` cannot reach them.
pub struct InGuest(());

/// The guard of `matrix __guest`, checked before anything else: PID 1, and
/// the marker that only the matrix's qemu command line puts on the kernel
/// command line. The error says why not.
pub fn enter() -> Result<InGuest, String> {
    const WHAT: &str = "`mapspec matrix __guest` is the /init of a matrix guest";
    if std::process::id() != 1 {
        return Err(format!(
            "{WHAT} and only runs as PID 1 of one (this is PID {}); it did nothing",
            std::process::id()
        ));
    }
    let cmdline = read_cmdline()?;
    if !has_guest_marker(&cmdline) {
        return Err(format!(
            "{WHAT}, but the kernel command line lacks its marker `{}`: this is PID 1 of \
             some other system (a container?); it did nothing",
            crate::protocol::GUEST_MARKER
        ));
    }
    Ok(InGuest(()))
}

/// /proc/cmdline. Nothing has mounted /proc yet in a fresh guest; as PID 1
/// we may mount it (the guest's setup would anyway).
fn read_cmdline() -> Result<String, String> {
    const PATH: &str = "/proc/cmdline";
    match std::fs::read_to_string(PATH) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            mount("proc", "/proc", "proc")?;
            std::fs::read_to_string(PATH).map_err(|e| format!("cannot read {PATH}: {e}"))
        }
        Err(e) => Err(format!("cannot read {PATH}: {e}")),
    }
}

/// Print the claim about to run on the console: if the kernel dies in it,
/// the console log names it. One short line, one write.
pub fn announce(_: &InGuest, claim: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", claim_line(claim));
}

fn say(msg: &str) {
    // The console is /dev/console (ttyS0). If it is gone, nothing can be
    // reported anyway, so write errors are ignored.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{SAY_PREFIX} {msg}");
    let _ = out.flush();
}

fn mount(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let c = |s: &str| CString::new(s).map_err(|e| e.to_string());
    let (src, tgt, fs) = (c(source)?, c(target)?, c(fstype)?);
    let _ = std::fs::create_dir_all(target);
    // SAFETY: valid NUL-terminated strings; no data argument.
    let rc = unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), fs.as_ptr(), 0, std::ptr::null()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "mount {fstype} on {target}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Map memory is charged to RLIMIT_MEMLOCK before 5.11 (memcg after), and
/// init starts with the 64 KiB default, far too little for the specs.
fn raise_memlock() {
    let inf = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain struct argument.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &inf) } != 0 {
        say(&format!(
            "warning: setrlimit(MEMLOCK): {}",
            std::io::Error::last_os_error()
        ));
    }
}

/// Whether /dev could be mounted (a kernel without devtmpfs has no ttyS1).
fn setup(_: &InGuest) -> bool {
    // Order matters: /sys/fs/cgroup and /sys/fs/bpf exist only once sysfs
    // is mounted. devtmpfs gives /dev/ttyS1; cgroup2 and bpffs are for
    // claims that pin maps or attach to cgroups. /proc is there: `enter`
    // read the command line from it.
    let mut devtmpfs = true;
    for (src, tgt, fs) in [
        ("sysfs", "/sys", "sysfs"),
        ("devtmpfs", "/dev", "devtmpfs"),
        ("cgroup2", "/sys/fs/cgroup", "cgroup2"),
        ("bpf", "/sys/fs/bpf", "bpf"),
        ("tmpfs", "/tmp", "tmpfs"),
        ("securityfs", "/sys/kernel/security", "securityfs"),
    ] {
        if let Err(e) = mount(src, tgt, fs) {
            say(&format!("warning: {e}"));
            devtmpfs &= fs != "devtmpfs";
        }
    }
    raise_memlock();
    pin_to_cpu0();
    if let Err(e) = loopback_up() {
        say(&format!("warning: cannot bring lo up: {e}"));
    }
    devtmpfs
}

/// The runner's own thread stays on CPU 0, so that what a check observes
/// does not depend on where the scheduler put it: LRU maps keep per-CPU
/// free lists, and which keys survive eviction changed from boot to boot.
/// The concurrency checks place their threads on CPUs themselves.
fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET(0) stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            say("warning: cannot pin the runner to CPU 0");
        }
    }
}

/// Nothing configures the network in the guest, and socket fixtures
/// connect over loopback; the kernel gives `lo` 127.0.0.1 as it comes up.
fn loopback_up() -> Result<(), String> {
    // SAFETY: plain socket(2); the fd is closed below.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if sock < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: ifreq is plain data; the name fits with its NUL; the ioctls
    // read and write only this struct.
    let rc = unsafe {
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *s as libc::c_char;
        }
        let mut rc = libc::ioctl(sock, libc::SIOCGIFFLAGS, &mut ifr);
        if rc == 0 {
            ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            rc = libc::ioctl(sock, libc::SIOCSIFFLAGS, &ifr);
        }
        rc
    };
    let err = std::io::Error::last_os_error();
    // SAFETY: sock is ours.
    unsafe { libc::close(sock) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("SIOCSIFFLAGS: {err}"))
    }
}

/// Send the framed report over ttyS1 in raw mode (no \n -> \r\n) and wait
/// until the UART has sent it, since power-off would cut it short.
fn send_report(json: &str) -> Result<(), String> {
    let path = "/dev/ttyS1";
    let f = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags_noctty()
        .open(path)
        .map_err(|e| format!("open {path}: {e}"))?;
    use std::os::fd::AsRawFd;
    let fd = f.as_raw_fd();
    // SAFETY: termios is plain data, filled by tcgetattr on a valid fd.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
    }
    let mut f = f;
    f.write_all(&frame(json))
        .map_err(|e| format!("write {path}: {e}"))?;
    // SAFETY: valid fd.
    unsafe { libc::tcdrain(fd) };
    Ok(())
}

trait NoCtty {
    fn custom_flags_noctty(&mut self) -> &mut Self;
}

impl NoCtty for std::fs::OpenOptions {
    /// Opening a tty as PID 1 without O_NOCTTY would make it our
    /// controlling terminal, and a hangup on it would signal init.
    fn custom_flags_noctty(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOCTTY)
    }
}

/// Leave through isa-debug-exit (qemu exits with `(value << 1) | 1`), or,
/// if that port is not there, a plain power-off (qemu exits 0).
pub fn power_off(_: &InGuest, value: u8) -> ! {
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: ioperm grants this process access to the 4 debug-exit ports;
    // the out instruction only touches that port. As PID 1 we are root.
    unsafe {
        if libc::ioperm(0xf4, 4, 1) == 0 {
            std::arch::asm!("out dx, al", in("dx") 0xf4u16, in("al") value, options(nomem, nostack));
        }
    }
    // SAFETY: reboot(2) with a valid command; it only returns on failure.
    unsafe { libc::reboot(libc::RB_POWER_OFF) };
    // Returning from PID 1 would panic the kernel; wait to be killed.
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

fn fail(g: &InGuest, msg: &str) -> ! {
    say(&format!(
        "{} {msg}",
        ERROR_PREFIX.trim_start_matches("mapspec-guest: ")
    ));
    // The console is a UART too: power-off would cut the message short
    // (seen: a guest that failed before the suite left no line at all).
    // SAFETY: tcdrain on fd 1 only waits; an fd that is no tty fails.
    unsafe { libc::tcdrain(1) };
    power_off(g, GUEST_ERROR)
}

/// The whole guest. `run` is the conformance runner (passed in so that this
/// crate does not depend on it); it calls its second argument with each
/// claim's id before running the claim. Outside a matrix guest this prints
/// why and exits 2, having done nothing.
pub fn main_as_init(
    specs_json: &Path,
    run: impl FnOnce(&[MapSpec], &mut dyn FnMut(&str)) -> RunReport,
) -> ! {
    let g = match enter() {
        Ok(g) => g,
        Err(why) => {
            eprintln!("mapspec matrix __guest: {why}");
            std::process::exit(2)
        }
    };
    let g = &g;
    let devtmpfs = setup(g);
    let needs = crate::runner_needs::missing(&crate::runner_needs::probe(!devtmpfs));
    if let Some(msg) = crate::runner_needs::message(&needs) {
        fail(g, &msg);
    }
    let loading = std::time::Instant::now();
    let specs = match std::fs::read(specs_json)
        .map_err(|e| e.to_string())
        .and_then(|b| mapspec_spec::bundle::from_json(&b).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => fail(
            g,
            &format!("cannot load the specs from {}: {e}", specs_json.display()),
        ),
    };
    say(&format!(
        "running {} (loaded in {} ms)",
        crate::table::count(specs.len(), "spec", "specs"),
        loading.elapsed().as_millis()
    ));
    let mut before_claim = |claim: &str| announce(g, claim);
    let report = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&specs, &mut before_claim)
    })) {
        // Timings travel to the host for `matrix --timings`; the host
        // strips them before anything is written or compared.
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            fail(g, &format!("the runner panicked: {msg}"))
        }
    };
    let s = &report.summary;
    say(&format!(
        "done on {}: {} pass, {} fail, {} skip, {} error",
        report.kernel.release, s.pass, s.fail, s.skip, s.error
    ));
    let compact = serde_json::to_string(&report).unwrap_or_default();
    if let Err(e) = send_report(&compact) {
        fail(g, &e);
    }
    let failed = report
        .results
        .iter()
        .any(|r| matches!(r.status, Status::Fail | Status::Error));
    power_off(
        g,
        if failed {
            GUEST_CLAIMS_FAILED
        } else {
            GUEST_OK
        },
    )
}

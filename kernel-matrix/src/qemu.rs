//! One guest boot: qemu with the kernel console on the first serial port
//! and the results on the second, a timeout, and the reading of what came
//! out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mapspec_spec::results::RunReport;

use crate::MatrixError;

pub use crate::protocol::{
    frame, qemu_exit_code, unframe, BEGIN, END, GUEST_ARGS, GUEST_CLAIMS_FAILED, GUEST_ERROR,
    GUEST_MARKER, GUEST_OK,
};

pub fn default_append() -> String {
    // panic=-1 with -no-reboot turns a panic into a prompt qemu exit rather
    // than a wait for the timeout; oops=panic does the same for an oops in
    // a map operation, which would otherwise leave init stuck.
    // rcupdate.rcu_expedited=1: map and program teardown, map-in-map
    // updates and more wait for RCU grace periods; a normal one lasts
    // several guest ticks, in which the guest sits idle. Expedited ones
    // take an IPI round; the suite runs about 10% faster.
    // tsc=unstable: otherwise the kernel flips the __sched_clock_stable
    // static key while both vCPUs run, once at late init and again when
    // the clocksource watchdog, starved on a busy host, gives up on the
    // TSC. Under multi-threaded TCG the other vCPU can then execute a
    // stale translation of the half-patched code and die of an int3 in
    // sched_clock_cpu or __schedule. Marked unstable from the start, the
    // key is never patched.
    // cryptomgr.notests: Debian kernels self-test every crypto algorithm
    // at boot (crypto_algapi_init waits for them); under TCG that was the
    // slowest initcall, 3 s of a 6.1 boot. No claim uses the kernel's
    // crypto, and an algorithm that failed its test would not change what
    // a map does.
    // no_timer_check: the IO-APIC timer check counts ticks in a busy
    // loop; on a loaded host the emulated CPU misses them and the 6.1
    // kernel panicked with "IO-APIC + timer doesn't work" before any
    // claim ran.
    // rodata=off: marking the kernel's text and rodata read-only walks and
    // splits the page tables, and Debian's CONFIG_DEBUG_WX then walks them
    // all again; under TCG that took 1 to 1.5 s of guest time before init
    // (7.2). The protection guards the kernel against its own bugs, not
    // anything a map does: JIT images and map memory get their page
    // protections from the BPF code itself, with or without it.
    format!(
        "console=ttyS0 quiet panic=-1 oops=panic mitigations=off tsc=unstable \
         rcupdate.rcu_expedited=1 cryptomgr.notests no_timer_check rodata=off \
         {GUEST_MARKER} -- {GUEST_ARGS}"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Tcg,
    Kvm,
}

impl Accel {
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }
}

pub struct Boot<'a> {
    pub qemu: &'a str,
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub append: String,
    pub accel: Accel,
    pub timeout: Duration,
    /// Receives console.log and results.txt.
    pub workdir: &'a Path,
    pub smp: u32,
    pub memory_mb: u32,
    /// Which of the concurrent boots this is (0..jobs): vCPU n goes to
    /// host CPU (n + slot) mod CPUs, so the busy vCPU 0 of two guests
    /// running side by side never shares a core.
    pub slot: usize,
}

#[derive(Debug)]
pub struct BootOutput {
    /// None when the guest was killed at the timeout.
    pub exit_code: Option<i32>,
    pub elapsed: Duration,
    pub console_log: PathBuf,
    pub console: String,
    pub results: Vec<u8>,
    pub stderr: String,
}

/// Is `qemu` runnable at all? Gives the install hint when it is missing,
/// and says what went wrong when it is there but does not work.
pub fn check_qemu(qemu: &str) -> Result<(), MatrixError> {
    let unusable = |reason: String| MatrixError::QemuUnusable {
        program: qemu.into(),
        reason,
    };
    match Command::new(qemu)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let stderr = stderr.trim();
            Err(unusable(format!(
                "`{qemu} --version` {}{}",
                match o.status.code() {
                    Some(c) => format!("exited with status {c}"),
                    None => "was killed by a signal".into(),
                },
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(": {}", crate::qemu::tail(stderr, 3))
                }
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(MatrixError::MissingTool {
            program: qemu.into(),
            hint: "install QEMU (Debian/Ubuntu: `apt-get install qemu-system-x86`), or name the \
                   binary with MAPSPEC_QEMU"
                .into(),
        }),
        Err(e) => Err(unusable(format!("it cannot be run: {e}"))),
    }
}

/// Run the guest to completion or to the timeout. `tick` is called a few
/// times a second with the last line of the console, for progress display.
pub fn boot(b: &Boot<'_>, tick: impl FnMut(&str)) -> Result<BootOutput, MatrixError> {
    boot_until(b, &AtomicUsize::new(0), tick)
}

/// As [`boot`], killing qemu as soon as `stop` is non-zero (the number of
/// the signal mapspec received) and returning `MatrixError::Interrupted`.
pub fn boot_until(
    b: &Boot<'_>,
    stop: &AtomicUsize,
    mut tick: impl FnMut(&str),
) -> Result<BootOutput, MatrixError> {
    let console_log = b.workdir.join("console.log");
    let results = b.workdir.join("results.txt");
    for p in [&console_log, &results] {
        // qemu appends to an existing file; a stale report must not count.
        let _ = std::fs::remove_file(p);
    }
    let mut cmd = Command::new(b.qemu);
    cmd.args(["-accel", b.accel.as_str()])
        .args([
            "-smp",
            &b.smp.to_string(),
            "-m",
            &format!("{}M", b.memory_mb),
        ])
        .args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
            // Names the vCPU threads (`CPU n/TCG`) so pin_vcpus finds them.
            "-name",
            "mapspec,debug-threads=on",
        ])
        .arg("-kernel")
        .arg(b.kernel)
        .arg("-initrd")
        .arg(b.initrd)
        .args(["-append", &b.append])
        .arg("-serial")
        .arg(format!("file:{}", console_log.display()))
        .arg("-serial")
        .arg(format!("file:{}", results.display()))
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    tie_to_this_process(&mut cmd);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            MatrixError::MissingTool {
                program: b.qemu.into(),
                hint: "install QEMU (Debian/Ubuntu: `apt-get install qemu-system-x86`)".into(),
            }
        } else {
            MatrixError::Io {
                what: "start",
                path: b.qemu.into(),
                source: e,
            }
        }
    })?;
    // Drain stderr on a thread so a chatty qemu cannot block on a full pipe.
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut e) = stderr {
            use std::io::Read;
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let mut pinned = false;
    let exit_code = loop {
        if !pinned && b.accel == Accel::Tcg {
            pinned = pin_vcpus(child.id(), b.slot) >= b.smp as usize;
        }
        match child.try_wait() {
            Ok(Some(st)) => break st.code(),
            Ok(None) => {}
            Err(_) => break None,
        }
        if start.elapsed() >= b.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        let signal = stop.load(Ordering::Relaxed);
        if signal != 0 {
            let _ = child.kill();
            let _ = child.wait();
            let _ = reader.join();
            return Err(MatrixError::Interrupted {
                signal: signal as i32,
            });
        }
        tick(&last_line(&console_log));
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = start.elapsed();
    let stderr = reader.join().unwrap_or_default();
    let console =
        String::from_utf8_lossy(&std::fs::read(&console_log).unwrap_or_default()).into_owned();
    Ok(BootOutput {
        exit_code,
        elapsed,
        console_log,
        console,
        results: std::fs::read(&results).unwrap_or_default(),
        stderr,
    })
}

/// qemu lives no longer than mapspec. It gets its own process group, so
/// that a Ctrl-C at the terminal reaches mapspec alone, which then kills
/// and reaps it; and the kernel sends it SIGKILL when the thread that
/// started it ends (PR_SET_PDEATHSIG), which covers a mapspec killed with
/// SIGKILL. That thread is the one waiting for the guest, so it ends only
/// after the guest did.
pub fn tie_to_this_process(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = rustix::process::getpid();
    cmd.process_group(0);
    // SAFETY: the closure runs between fork and exec and makes only two
    // async-signal-safe system calls; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            // mapspec may have died between fork and prctl; then no signal
            // would ever come.
            if rustix::process::getppid() != Some(parent) {
                return Err(std::io::Error::other("mapspec exited while starting qemu"));
            }
            Ok(())
        });
    }
}

/// Put vCPU n of a TCG guest on host CPU n + offset (modulo the host's CPUs).
/// Without it, the host scheduler balances threads by count and may keep
/// both vCPUs of one guest on one core for seconds while another guest
/// has the other: the guest's two CPUs then never run at the same time,
/// and races the concurrency claims rely on (two programs incrementing
/// one counter) cannot happen at all. Returns how many vCPU threads
/// (named `CPU n/TCG` by qemu) were found and pinned.
fn pin_vcpus(pid: u32, offset: usize) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    let host_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut found = 0;
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let Some(n) = comm
            .trim()
            .strip_prefix("CPU ")
            .and_then(|r| r.split('/').next())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: cpu_set_t is plain data; sched_setaffinity only reads it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET((n + offset) % host_cpus, &mut set);
            libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
        found += 1;
    }
    found
}

fn last_line(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(512)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let s = String::from_utf8_lossy(&buf);
    s.lines()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// The last `n` lines of a console log.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Turn a finished boot into a report, or into the clearest error we can
/// give: timeout, kernel panic, guest-side error, qemu failure.
pub fn interpret(kernel: &str, b: &Boot<'_>, out: &BootOutput) -> Result<RunReport, MatrixError> {
    let unframed = unframe(&out.results);
    let fail = |reason: String| MatrixError::Guest {
        kernel: kernel.into(),
        reason,
        log: out.console_log.clone(),
        tail: tail(&out.console, 25),
    };
    let panic_line = crate::protocol::panic_line(&out.console);
    let guest_error = out
        .console
        .lines()
        .find(|l| l.contains(crate::protocol::ERROR_PREFIX))
        .map(|l| l.trim().to_string());
    match (out.exit_code, unframed) {
        (Some(c), Ok(report)) if c == qemu_exit_code(GUEST_OK) || c == qemu_exit_code(GUEST_CLAIMS_FAILED) => {
            Ok(report)
        }
        // Powered off by reboot(2) after the debug-exit port failed.
        (Some(0), Ok(report)) => Ok(report),
        (None, _) => Err(fail(match panic_line {
            Some(p) => format!("the guest hung after a kernel panic ({p}) and was killed after {} s", b.timeout.as_secs()),
            None => format!(
                "the guest did not finish within {} s and was killed (hung? raise --timeout if it is just slow)",
                b.timeout.as_secs()
            ),
        })),
        (Some(_), _) if panic_line.is_some() => Err(fail(format!(
            "the kernel panicked: {}",
            panic_line.unwrap_or_default()
        ))),
        (Some(c), _) if c == qemu_exit_code(GUEST_ERROR) => Err(fail(format!(
            "the guest runner failed: {}",
            guest_error.unwrap_or_else(|| "(no message on the console)".into())
        ))),
        (Some(c), Err(why)) if c == qemu_exit_code(GUEST_OK) || c == qemu_exit_code(GUEST_CLAIMS_FAILED) || c == 0 => {
            Err(fail(format!("the guest finished but {why}")))
        }
        (Some(c), r) => {
            let why = match r {
                Ok(_) => String::new(),
                Err(w) => format!("; {w}"),
            };
            let stderr = out.stderr.trim();
            Err(fail(if out.console.trim().is_empty() && !stderr.is_empty() {
                format!("qemu failed (exit {c}) before the kernel printed anything: {stderr}")
            } else {
                format!("qemu exited with status {c} unexpectedly{why}")
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::results::{KernelInfo, Summary};

    fn report() -> RunReport {
        RunReport {
            format_version: 1,
            tool_version: "0.1.0".into(),
            kernel: KernelInfo {
                release: "6.1.0-50-amd64".into(),
                version: "6.1.176".into(),
                upstream: mapspec_spec::KernelVersion::new(6, 1, 176),
                machine: "x86_64".into(),
                possible_cpus: 2,
                online_cpus: 2,
                local_image: None,
            },
            quick: false,
            summary: Summary::default(),
            results: vec![],
            duration_ms: None,
        }
    }

    #[test]
    fn frame_roundtrip_with_noise() {
        let json = report().to_json();
        let mut wire = b"\x00\xffgarbage\r\n".to_vec();
        wire.extend(frame(&json));
        wire.extend(b"trailing noise");
        assert_eq!(unframe(&wire).unwrap(), report());
    }

    #[test]
    fn unframe_detects_damage() {
        let json = report().to_json();
        let wire = frame(&json);
        assert!(unframe(b"nothing here").unwrap_err().contains("no results"));
        let cut = &wire[..wire.len() - END.len() - 8];
        assert!(unframe(cut).unwrap_err().contains("cut off"));
        let mut flipped = wire.clone();
        // A byte of the compressed body, just before the end marker.
        let i = wire.len() - END.len() - 4;
        flipped[i] ^= 1;
        assert!(unframe(&flipped).unwrap_err().contains("checksum"));
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\r\nb\r\nc\r\n", 2), "b\nc");
        assert_eq!(tail("", 3), "");
    }

    fn out(code: Option<i32>, console: &str, results: Vec<u8>) -> BootOutput {
        BootOutput {
            exit_code: code,
            elapsed: Duration::from_secs(1),
            console_log: "console.log".into(),
            console: console.into(),
            results,
            stderr: String::new(),
        }
    }

    fn boot_cfg<'a>() -> Boot<'a> {
        Boot {
            qemu: "qemu-system-x86_64",
            kernel: Path::new("k"),
            initrd: Path::new("i"),
            append: default_append(),
            accel: Accel::Tcg,
            timeout: Duration::from_secs(7),
            workdir: Path::new("."),
            smp: 2,
            memory_mb: 512,
            slot: 0,
        }
    }

    #[test]
    fn classifies_outcomes() {
        let b = boot_cfg();
        let good = frame(&report().to_json());
        assert!(interpret("6.1", &b, &out(Some(33), "", good.clone())).is_ok());
        assert!(interpret("6.1", &b, &out(Some(0), "", good)).is_ok());
        let e = interpret("6.1", &b, &out(None, "booting\n", vec![]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("did not finish within 7 s") && e.contains("booting"),
            "{e}"
        );
        let e = interpret(
            "6.1",
            &b,
            &out(
                Some(0),
                "x\n[ 1.0] Kernel panic - not syncing: VFS\n",
                vec![],
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("panicked") && e.contains("VFS"), "{e}");
        let console = format!("{} cannot load specs\n", crate::protocol::ERROR_PREFIX);
        let e = interpret("6.1", &b, &out(Some(37), &console, vec![]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot load specs"), "{e}");
        let e = interpret("6.1", &b, &out(Some(33), "", b"junk".to_vec()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no results"), "{e}");
    }
}

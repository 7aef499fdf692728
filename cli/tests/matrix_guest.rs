//! `mapspec matrix __guest` is the /init of a matrix guest; run anywhere
//! else it must do nothing, least of all power the machine off. Each run is
//! under strace, which records every reboot(2), ioperm(2) and iopl(2) and
//! makes them fail, so that even a regression cannot power this machine
//! off or reach its I/O ports. scripts/setup.sh installs strace.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DANGEROUS: &str = "reboot,ioperm,iopl";

/// Runs `cmd` under strace with the dangerous calls traced and failed.
/// Returns the output and the trace. A process still running after 20 s
/// (the old guest code slept forever after a failed power-off) is killed
/// with its whole process group, and the test fails.
fn traced(cmd: &[&str], trace: &Path) -> (Output, String) {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(trace)
        .args(["-e", &format!("trace={DANGEROUS}")])
        .args(["-e", &format!("inject={DANGEROUS}:error=EPERM")])
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("this test needs strace (scripts/setup.sh installs it)");
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(20) {
            // SAFETY: kill(2) on the process group this test created.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!(
                "still running after 20 s; trace:\n{}",
                std::fs::read_to_string(trace).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out, std::fs::read_to_string(trace).unwrap_or_default())
}

fn assert_refused(out: &Output, trace: &str, why: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr:\n{stderr}\ntrace:\n{trace}"
    );
    assert!(stderr.contains(why), "stderr:\n{stderr}");
    for call in ["reboot(", "ioperm(", "iopl("] {
        assert!(!trace.contains(call), "{call} was called:\n{trace}");
    }
}

#[test]
fn guest_entry_on_the_host_exits_2_without_reboot_or_ioperm() {
    let d = tempfile::tempdir().unwrap();
    let trace = d.path().join("trace");
    let bin = env!("CARGO_BIN_EXE_mapspec");
    let (out, trace) = traced(&[bin, "matrix", "__guest"], &trace);
    assert_refused(&out, &trace, "only runs as PID 1");
}

/// PID 1 of a fresh PID namespace (a container's init) is not a matrix
/// guest either: the kernel command line lacks the marker.
#[test]
fn root_guest_entry_as_pid_1_without_the_marker_exits_2_without_reboot_or_ioperm() {
    let d = tempfile::tempdir().unwrap();
    let trace = d.path().join("trace");
    let bin = env!("CARGO_BIN_EXE_mapspec");
    let unshare = [
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        bin,
        "matrix",
        "__guest",
    ];
    let (out, trace) = traced(&unshare, &trace);
    assert_refused(&out, &trace, "lacks its marker");
}

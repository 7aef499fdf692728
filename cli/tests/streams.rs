//! Standard output that goes away or fills up: a reader that closes the
//! pipe ends mapspec quietly by SIGPIPE (as it ends `ls | head`), a full
//! disk is a message and exit 2, and neither is ever a panic (exit 101) or
//! a backtrace. Tests that drive bpf(2) start with `root_`.

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn mapspec(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mapspec"));
    c.args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        // A backtrace is what we must never show; ask for one to be sure.
        .env("RUST_BACKTRACE", "1");
    c
}

/// The write end of a pipe whose read end is already closed: the first
/// write gets EPIPE.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds, which we own from here on.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds from pipe2.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(r);
    w
}

fn into_closed_pipe(args: &[&str]) -> Output {
    mapspec(args)
        .stdout(Stdio::from(closed_pipe()))
        .stderr(Stdio::piped())
        .output()
        .expect("run mapspec")
}

fn assert_quiet_sigpipe(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "expected death by SIGPIPE like `ls | head`, got {:?}; stderr:\n{stderr}",
        out.status
    );
    assert!(stderr.is_empty(), "not quiet:\n{stderr}");
}

#[test]
fn stream_lint_into_a_closed_pipe_ends_quietly() {
    let out = into_closed_pipe(&["lint"]);
    assert_quiet_sigpipe(&out);
}

#[test]
fn stream_help_into_a_closed_pipe_ends_quietly() {
    let out = into_closed_pipe(&["run", "--help"]);
    assert_quiet_sigpipe(&out);
}

#[test]
fn root_stream_run_into_a_closed_pipe_ends_quietly_at_the_first_write() {
    // Without --quick the statistical checks alone take over a second.
    // Death by SIGPIPE can only come from the first write, the heading
    // printed after the first claim: nothing runs after the reader left.
    let out = into_closed_pipe(&["run", "--map", "hash"]);
    assert_quiet_sigpipe(&out);
}

#[test]
fn root_stream_run_through_head_prints_one_line() {
    let out = Command::new("sh")
        .args([
            "-c",
            &format!(
                "'{}' run --quick --map hash | head -1",
                env!("CARGO_BIN_EXE_mapspec")
            ),
        ])
        .env("RUST_BACKTRACE", "1")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "BPF_MAP_TYPE_HASH\n");
    assert!(stderr.is_empty(), "not quiet:\n{stderr}");
}

fn to_dev_full(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    mapspec(args)
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn assert_full_disk_error(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("cannot write to standard output: No space left on device"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn stream_lint_to_a_full_disk_is_exit_2() {
    assert_full_disk_error(&to_dev_full(&["lint"]));
}

#[test]
fn stream_help_to_a_full_disk_is_exit_2() {
    assert_full_disk_error(&to_dev_full(&["lint", "--help"]));
}

#[test]
fn root_stream_run_to_a_full_disk_is_exit_2() {
    assert_full_disk_error(&to_dev_full(&["run", "--quick", "--map", "hash"]));
    assert_full_disk_error(&to_dev_full(&[
        "run", "--quick", "--map", "hash", "--format", "json",
    ]));
}

#[test]
fn stream_a_println_elsewhere_is_no_panic_either() {
    // `docs` still prints with println!: the panic hook takes over there.
    let out = to_dev_full(&["docs", "--check"]);
    assert_full_disk_error(&out);
    let out = into_closed_pipe(&["docs", "--check"]);
    assert_quiet_sigpipe(&out);
}

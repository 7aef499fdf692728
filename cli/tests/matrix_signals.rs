//! A signal to `mapspec matrix` mid-boot, with real qemu (hence `qemu_`):
//! SIGTERM leaves no qemu, no temporary directory and no results, and
//! exits 143; even SIGKILL leaves no qemu behind. They need
//! qemu-system-x86_64, the static runner (MAPSPEC_RUNNER, or built by
//! kernel-matrix/build-runner.sh) and the locked 5.10 image (cached, or
//! downloaded here first).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{cached_kernel, matrix, top};

/// The locked 5.10 image in the user's cache, fetched when missing (before
/// any timing starts).
fn cache_with_5_10() -> PathBuf {
    cached_kernel("5.10").cache
}

/// `mapspec matrix --only 5.10` with its temporary files under `tmp`. One
/// small spec: the guest is stopped long before it would run them.
fn start(tmp: &Path, out: &Path, extra: &[&str]) -> Child {
    let specs = tmp.with_file_name("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::copy(top().join("spec/maps/queue.yaml"), specs.join("queue.yaml")).unwrap();
    matrix()
        .args(["--only", "5.10", "--timeout", "60"])
        .arg("--out")
        .arg(out)
        .arg("--specs")
        .arg(specs)
        .args(extra)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Live qemu processes booting an initramfs under `tmp`.
fn guests_under(tmp: &Path) -> Vec<i32> {
    let needle = tmp.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            cmd.contains("qemu") && cmd.contains(&needle) && cmd.contains("initramfs")
        })
        .collect()
}

fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a process this test started or found booting
    // its own temporary files.
    unsafe { libc::kill(pid, sig) };
}

/// Kills what a failed test left, so that a regression costs no more than
/// the failure.
struct Leftovers<'a>(&'a Path);

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        for pid in guests_under(self.0) {
            kill(pid, libc::SIGKILL);
        }
    }
}

#[test]
fn qemu_sigterm_mid_boot_kills_qemu_removes_temp_dirs_and_exits_143() {
    let cache = cache_with_5_10();
    let d = tempfile::tempdir().unwrap();
    let (tmp, out) = (d.path().join("tmp"), d.path().join("results"));
    std::fs::create_dir(&tmp).unwrap();
    let _leftovers = Leftovers(&tmp);
    // --accel auto, the default: the KVM probe is interruptible too, and
    // is over by the time the guest boots.
    let mut child = start(&tmp, &out, &[]);
    let booting = wait_until(Duration::from_secs(30), || {
        Some(guests_under(&tmp)).filter(|g| !g.is_empty())
    });
    assert!(booting.is_some(), "no qemu started");
    kill(child.id() as i32, libc::SIGTERM);
    let status = wait_until(Duration::from_secs(10), || child.try_wait().unwrap());
    if status.is_none() {
        let _ = child.kill();
    }
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(143),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted by SIGTERM"),
        "stderr:\n{stderr}"
    );
    // --accel auto, the default, said which accelerator and why first.
    assert!(
        stderr.contains("accel: tcg, since ") || stderr.contains("accel: kvm, since "),
        "stderr:\n{stderr}"
    );
    let gone = wait_until(Duration::from_secs(2), || {
        Some(()).filter(|_| guests_under(&tmp).is_empty())
    });
    assert!(
        gone.is_some(),
        "qemu still running: {:?}",
        guests_under(&tmp)
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    let run_dir = cache.join(format!("runs/5.10-{}", child.id()));
    assert!(!run_dir.exists(), "{} left", run_dir.display());
    assert!(!out.exists(), "results written");
}

#[test]
fn qemu_sigkill_of_mapspec_leaves_no_qemu() {
    let cache = cache_with_5_10();
    let d = tempfile::tempdir().unwrap();
    let (tmp, out) = (d.path().join("tmp"), d.path().join("results"));
    std::fs::create_dir(&tmp).unwrap();
    let _leftovers = Leftovers(&tmp);
    let mut child = start(&tmp, &out, &["--accel", "tcg"]);
    let booting = wait_until(Duration::from_secs(30), || {
        Some(guests_under(&tmp)).filter(|g| !g.is_empty())
    });
    assert!(booting.is_some(), "no qemu started");
    kill(child.id() as i32, libc::SIGKILL);
    let _ = child.wait();
    let gone = wait_until(Duration::from_secs(3), || {
        Some(()).filter(|_| guests_under(&tmp).is_empty())
    });
    // What a SIGKILL cannot clean: the run directory (the test's own
    // temporary directory goes with `d`).
    let _ = std::fs::remove_dir_all(cache.join(format!("runs/5.10-{}", child.id())));
    assert!(
        gone.is_some(),
        "qemu outlived mapspec: {:?}",
        guests_under(&tmp)
    );
}

//! `mapspec matrix` against a fake qemu: a script that writes the console
//! log and the results port a scenario prescribes, boot by boot. This
//! checks what the host makes of panics, a wrong release and failures,
//! in well under a second each, without booting anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mapspec_kernel_matrix::protocol::{claim_line, frame, qemu_exit_code, GUEST_OK};
use mapspec_spec::results::{KernelInfo, RunReport, Summary};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Boot n copies console-n and results-n to the two serial files and
/// exits with exit-n.
const FAKE_QEMU: &str = r#"#!/bin/sh
if [ "$1" = --version ]; then echo "QEMU emulator version 0 (fake)"; exit 0; fi
d="$FAKE_QEMU_DIR"
n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 ))
echo $n > "$d/count"
console=; results=
while [ $# -gt 0 ]; do
  if [ "$1" = -serial ]; then
    f=${2#file:}
    if [ -z "$console" ]; then console=$f; else results=$f; fi
    shift
  fi
  shift
done
cat "$d/console-$n" > "$console"
[ -f "$d/results-$n" ] && cat "$d/results-$n" > "$results"
[ -f "$d/stderr-$n" ] && cat "$d/stderr-$n" >&2
echo $$ > "$d/pid-$n"
if [ "$(cat "$d/exit-$n")" = hang ]; then while :; do sleep 0.1; done; fi
exit $(cat "$d/exit-$n")
"#;

const PANIC: &str = "[    9.2] Kernel panic - not syncing: Fatal exception in interrupt";

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    /// A kernels file with one kernel, `junk` (release `junk`), whose
    /// cached image is a few bytes that match its lock entry, a runner that
    /// is a minimal static ELF, and the fake qemu.
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let images = d.join("cache/mapspec/kernels/images");
        std::fs::create_dir_all(&images).unwrap();
        let image = images.join("linux-image-junk_1.vmlinuz");
        std::fs::write(&image, b"not a kernel").unwrap();
        let sha = mapspec_kernel_matrix::protocol::sha256_hex(b"not a kernel");
        std::fs::write(
            d.join("kernels.yaml"),
            "kernels:\n  - name: junk\n    suites: [bookworm]\n    package: linux-image-junk\n    \
             image: boot/vmlinuz-*\n",
        )
        .unwrap();
        std::fs::write(
            d.join("kernels.lock"),
            format!(
                "kernels:\n- name: junk\n  package: linux-image-junk\n  version: '1'\n  image: \
                 boot/vmlinuz-junk\n  release: junk\n  deb_sha256: '{}'\n  image_sha256: '{sha}'\n",
                "0".repeat(64)
            ),
        )
        .unwrap();
        // ELF64, little-endian, x86-64, one PT_LOAD and no PT_INTERP.
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[16] = 2;
        elf[18] = 62;
        elf[32..40].copy_from_slice(&64u64.to_le_bytes());
        elf[54..56].copy_from_slice(&56u16.to_le_bytes());
        elf[56..58].copy_from_slice(&1u16.to_le_bytes());
        elf[64] = 1;
        std::fs::write(d.join("runner"), elf).unwrap();
        let qemu = d.join("qemu");
        std::fs::write(&qemu, FAKE_QEMU).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&qemu, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(d.join("boots")).unwrap();
        // One small spec: loading all of them would take most of the time.
        std::fs::create_dir(d.join("specs")).unwrap();
        std::fs::copy(
            top().join("spec/maps/queue.yaml"),
            d.join("specs/queue.yaml"),
        )
        .unwrap();
        Fake { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// What boot `n` (from 1) shows.
    fn boot(&self, n: u32, console: &str, results: Option<&[u8]>, exit: impl ToString) {
        let b = self.path("boots");
        std::fs::write(b.join(format!("console-{n}")), console).unwrap();
        if let Some(r) = results {
            std::fs::write(b.join(format!("results-{n}")), r).unwrap();
        }
        std::fs::write(b.join(format!("exit-{n}")), exit.to_string()).unwrap();
    }

    fn run(&self) -> Output {
        self.command().output().unwrap()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mapspec"));
        c.arg("matrix")
            .arg("--kernels")
            .arg(self.path("kernels.yaml"))
            .arg("--out")
            .arg(self.path("results"))
            .arg("--runner")
            .arg(self.path("runner"))
            .arg("--qemu")
            .arg(self.path("qemu"))
            .args(["--accel", "tcg", "--timeout", "20", "--specs"])
            .arg(self.path("specs"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("FAKE_QEMU_DIR", self.path("boots"))
            .current_dir(top());
        c
    }

    fn results(&self) -> Vec<String> {
        std::fs::read_dir(self.path("results"))
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// A framed report from a guest that booted `release`.
fn wire(release: &str) -> Vec<u8> {
    let report = RunReport {
        format_version: 1,
        tool_version: "0.1.0".into(),
        kernel: KernelInfo {
            release: release.into(),
            version: "6.1.170".into(),
            upstream: mapspec_spec::KernelVersion::new(6, 1, 170),
            machine: "x86_64".into(),
            possible_cpus: 2,
            online_cpus: 2,
            local_image: None,
        },
        quick: false,
        summary: Summary::default(),
        results: vec![],
        duration_ms: None,
    };
    frame(&report.to_json())
}

fn panicking_console(claims: &[&str]) -> String {
    let mut c = String::from("[    0.0] Linux version junk\r\n");
    for id in claims {
        c += &claim_line(id);
        c += "\r\n";
    }
    c + PANIC + "\r\n"
}

/// The paths after `console log: ` (or `console logs: a, b`) in a line.
fn logs_named(line: &str) -> Vec<PathBuf> {
    line.split("console log")
        .skip(1)
        .flat_map(|rest| {
            let list = rest.trim_start_matches(['s', ':', ' ']);
            let list = list.split([';', '\n']).next().unwrap_or_default();
            list.split(", ")
                .map(|p| PathBuf::from(p.trim()))
                .collect::<Vec<_>>()
        })
        .filter(|p| p.is_absolute())
        .collect()
}

#[test]
fn matrix_panic_whose_retry_passes_keeps_its_log_naming_claim_and_retry() {
    let f = Fake::new();
    f.boot(1, &panicking_console(&["hash/a", "hash/b"]), None, 0);
    f.boot(
        2,
        "[    0.0] Linux version junk\r\n",
        Some(&wire("junk")),
        qemu_exit_code(GUEST_OK),
    );
    let out = f.run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains("the retry passed"))
        .unwrap_or_else(|| panic!("no summary line for the panic:\n{stderr}"));
    assert!(
        summary.starts_with("kernel junk: the kernel panicked while running hash/b")
            && summary.contains("Fatal exception in interrupt"),
        "{summary}"
    );
    let logs = logs_named(summary);
    assert_eq!(logs.len(), 1, "{summary}");
    let kept = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(
        kept.contains("Kernel panic") && kept.contains("hash/b"),
        "{kept}"
    );
    // Only the evidence stays: the good boot's log goes.
    let run_dir: Vec<_> = std::fs::read_dir(logs[0].parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(run_dir, ["panic-1-console.log"]);
    assert_eq!(f.results(), ["junk.json"]);
}

#[test]
fn matrix_panic_recurring_in_one_claim_is_a_finding() {
    let f = Fake::new();
    f.boot(1, &panicking_console(&["hash/a", "hash/b"]), None, 0);
    f.boot(2, &panicking_console(&["hash/a", "hash/b"]), None, 0);
    let out = f.run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("kernel junk: claim hash/b panicked the kernel on both boots"),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("the retry panicked in the same claim: reported as a finding"),
        "stderr:\n{stderr}"
    );
    let finding = stderr
        .lines()
        .find(|l| l.starts_with("kernel junk: claim hash/b"))
        .unwrap();
    let logs = logs_named(finding);
    assert_eq!(logs.len(), 2, "{finding}");
    for l in &logs {
        assert!(
            std::fs::read_to_string(l).unwrap().contains("Kernel panic"),
            "{l:?}"
        );
    }
    assert!(f.results().is_empty());
}

#[test]
fn matrix_guest_reporting_another_release_writes_no_results() {
    let f = Fake::new();
    f.boot(
        1,
        "",
        Some(&wire("6.1.0-50-amd64")),
        qemu_exit_code(GUEST_OK),
    );
    let out = f.run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("kernel junk: the guest ran kernel release 6.1.0-50-amd64")
            && stderr.contains("kernels.lock pins junk"),
        "stderr:\n{stderr}"
    );
    assert!(f.results().is_empty(), "{:?}", f.results());
    assert!(!f.path("cache/mapspec/kernels/runs").exists());
}

#[test]
fn matrix_kernel_errors_name_the_kernel_once_and_plurals_agree() {
    let f = Fake::new();
    f.boot(1, "", None, 1);
    std::fs::write(
        f.path("boots/stderr-1"),
        "qemu: cannot set up guest memory\n",
    )
    .unwrap();
    let out = f.run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("kernel junk: qemu failed"),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("junk: kernel junk"), "stderr:\n{stderr}");
    assert!(!stderr.contains("FAILED: kernel junk"), "stderr:\n{stderr}");
    assert!(
        stdout.contains("0 of 1 kernel ran in "),
        "stdout:\n{stdout}"
    );
}

#[test]
fn matrix_with_a_qemu_that_runs_but_fails_does_not_call_it_missing() {
    let f = Fake::new();
    let out = Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .arg("matrix")
        .arg("--kernels")
        .arg(f.path("kernels.yaml"))
        .arg("--runner")
        .arg(f.path("runner"))
        .args(["--qemu", "/bin/false", "--accel", "tcg"])
        .env("XDG_CACHE_HOME", f.path("cache"))
        .current_dir(top())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(!stderr.contains("not found"), "stderr:\n{stderr}");
    assert!(
        stderr.contains("`/bin/false --version` exited with status 1"),
        "stderr:\n{stderr}"
    );
}

/// A guest that hangs, and the user gives up: SIGINT (Ctrl-C) and SIGHUP
/// (the terminal closed) stop the run at once with the shell's exit codes,
/// the qemu gone, no temporary directory left, nothing written.
#[test]
fn matrix_sigint_and_sighup_stop_a_hanging_guest_cleanly() {
    for (sig, name, code) in [(libc::SIGINT, "SIGINT", 130), (libc::SIGHUP, "SIGHUP", 129)] {
        let f = Fake::new();
        f.boot(1, "[    0.0] Linux version junk\r\n", None, "hang");
        let tmp = f.path("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let mut child = f
            .command()
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid_file = f.path("boots/pid-1");
        let fake = wait(Duration::from_secs(20), || {
            std::fs::read_to_string(&pid_file)
                .ok()?
                .trim()
                .parse::<i32>()
                .ok()
        })
        .expect("the fake qemu started");
        // SAFETY: kill(2) on the child this test started.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = wait(Duration::from_secs(5), || child.try_wait().unwrap());
        let alive = std::path::Path::new(&format!("/proc/{fake}")).exists();
        // SAFETY: the fake qemu of this test, should it have survived.
        unsafe { libc::kill(fake, libc::SIGKILL) };
        let _ = child.kill();
        let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(code),
            "{name}: stderr:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("interrupted by {name}")),
            "stderr:\n{stderr}"
        );
        assert!(!alive, "{name}: the fake qemu outlived the run");
        let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
        assert!(left.is_empty(), "{name}: temporary files left: {left:?}");
        let runs = f.path("cache/mapspec/kernels/runs");
        assert!(!runs.exists(), "{name}: {} left", runs.display());
        assert!(f.results().is_empty());
    }
}

fn wait<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < limit {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

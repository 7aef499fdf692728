//! `mapspec run` and its environment: what the machine lacks is exit 2
//! naming the cause, found before the first claim; an invalid spec is exit
//! 1 as in `lint`; a signal stops the run cleanly (exit 128 + signal) with
//! every fixture removed; and a later run removes what a killed one left.
//! Tests that need root start with `root_`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mapspec")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mapspec(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run mapspec")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn env_run_over_a_directory_without_specs_is_exit_2() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("maps")).unwrap();
    let dir = d.path().to_str().unwrap();
    for args in [
        vec!["run", "--quick", "--specs", dir],
        vec!["lint", "--specs", dir],
    ] {
        let out = mapspec(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("no specs in"), "{args:?}: {stderr}");
    }
}

#[test]
fn env_run_on_an_invalid_spec_exits_1_like_lint() {
    let d = tempfile::tempdir().unwrap();
    let maps = d.path().join("maps");
    std::fs::create_dir(&maps).unwrap();
    let hash = std::fs::read_to_string(repo().join("spec/maps/hash.yaml")).unwrap();
    std::fs::write(
        maps.join("hash.yaml"),
        hash.replacen("expect: EEXIST", "expect: EEXISTS", 1),
    )
    .unwrap();
    let dir = d.path().to_str().unwrap();
    let lint = mapspec(&["lint", "--specs", dir]);
    let run = mapspec(&["run", "--quick", "--specs", dir]);
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint.stderr));
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("did you mean `EEXIST`"));
}

#[test]
fn root_env_run_without_cap_bpf_and_cap_sys_admin_is_exit_2_naming_them() {
    let out = Command::new("setpriv")
        .args([
            "--inh-caps=-bpf,-sys_admin",
            "--bounding-set=-bpf,-sys_admin",
            "--",
            bin(),
            "run",
            "--quick",
        ])
        .current_dir(repo())
        .output()
        .expect("setpriv (util-linux) runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("missing capabilities CAP_SYS_ADMIN, CAP_BPF"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "a claim ran: {}", text(&out.stdout));
}

#[test]
fn root_env_run_without_cap_net_admin_is_exit_2_naming_it() {
    let out = Command::new("setpriv")
        .args([
            "--inh-caps=-net_admin",
            "--bounding-set=-net_admin",
            "--",
            bin(),
            "run",
            "--quick",
            "--map",
            "hash",
        ])
        .current_dir(repo())
        .output()
        .expect("setpriv (util-linux) runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("missing capability CAP_NET_ADMIN"),
        "{stderr}"
    );
}

/// Every run removes the leftovers of dead processes, including those a
/// test plants, so the tests that run the suite take turns.
static RUNS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    RUNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The cgroup v2 hierarchy's mount point, as the runner finds it.
fn cgroup_root() -> PathBuf {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines()
        .find_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            (post.split_whitespace().next()? == "cgroup2")
                .then(|| PathBuf::from(pre.split_whitespace().nth(4).unwrap()))
        })
        .expect("cgroup2 is mounted on this machine")
}

/// Cgroups named for process `pid` (`mapspec-<pid>-<n>`).
fn cgroups_of(pid: u32) -> Vec<String> {
    let prefix = format!("mapspec-{pid}-");
    std::fs::read_dir(cgroup_root())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

/// Read what is left of `child`'s stdout and stderr, and wait for it.
fn finish(mut child: Child, stdout: impl BufRead) -> Output {
    let rest: Vec<String> = stdout.lines().map_while(Result::ok).collect();
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_end(&mut e, &mut stderr).unwrap();
    }
    Output {
        status: child.wait().unwrap(),
        stdout: rest.join("\n").into_bytes(),
        stderr,
    }
}

fn start_run(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// A run of the cgroup map types, sent `sig` while one of its claims holds
/// a cgroup: the moment a run that dies on the spot leaves it behind. A
/// claim holds its cgroup for a millisecond or less, so the run goes under
/// strace, which holds every mkdir for 0.3 s after it made the directory.
/// Returns how it ended and the run's pid.
fn signal_while_a_cgroup_exists(sig: i32) -> (Output, u32) {
    let tracer = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "trace=mkdir,mkdirat",
            "-e",
            "inject=mkdir,mkdirat:delay_exit=300000",
            bin(),
            "run",
            "--map",
            "cgroup_array",
            "--map",
            "cgrp_storage",
        ])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strace runs (scripts/setup.sh installs it)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let children = format!("/proc/{0}/task/{0}/children", tracer.id());
    let pid: u32 = loop {
        // strace also forks short-lived children of its own to probe
        // ptrace features: the run is the one that became mapspec.
        let c = std::fs::read_to_string(&children).unwrap_or_default();
        let run = c.split_whitespace().find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|n| n == "mapspec\n")
        });
        if let Some(p) = run {
            break p.parse().unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "strace started nothing"
        );
    };
    // mapspec-<pid>-0 may be the check that a cgroup can be made at all,
    // before the first claim: wait for a claim's.
    let root = cgroup_root();
    let names: Vec<PathBuf> = (1..256)
        .map(|n| root.join(format!("mapspec-{pid}-{n}")))
        .collect();
    loop {
        if names.iter().any(|p| p.exists()) {
            // SAFETY: signalling our own grandchild.
            unsafe { libc::kill(pid as i32, sig) };
            break;
        }
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists()
                && std::time::Instant::now() < deadline,
            "never saw a cgroup of the run"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    (finish(tracer, std::io::empty()), pid)
}

#[test]
fn root_signal_sigint_stops_the_run_with_130_and_leaves_no_cgroup() {
    let _turn = one_at_a_time();
    let (out, pid) = signal_while_a_cgroup_exists(libc::SIGINT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert_eq!(cgroups_of(pid), Vec::<String>::new());
}

#[test]
fn root_signal_sigterm_stops_the_run_with_143_and_saves_nothing() {
    let _turn = one_at_a_time();
    let d = tempfile::tempdir().unwrap();
    let save = d.path().join("saved.json");
    std::fs::write(&save, "earlier results\n").unwrap();
    let (child, mut stdout) = start_run(&["run", "--save", save.to_str().unwrap()]);
    let pid = child.id();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "the run printed nothing");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let out = finish(child, stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "stderr:\n{stderr}");
    assert_eq!(
        std::fs::read_to_string(&save).unwrap(),
        "earlier results\n",
        "an interrupted run replaced the saved results"
    );
    assert_eq!(cgroups_of(pid), Vec::<String>::new());
}

/// A pid that no process has now: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn root_signal_a_later_run_removes_what_a_killed_run_left() {
    let _turn = one_at_a_time();
    let root = cgroup_root();
    let dead = dead_pid();
    let left = root.join(format!("mapspec-{dead}-0"));
    std::fs::create_dir(&left).unwrap();
    // A live process's cgroup is in use: it must stay.
    let mut live = Command::new("sleep").arg("30").spawn().unwrap();
    let in_use = root.join(format!("mapspec-{}-0", live.id()));
    std::fs::create_dir(&in_use).unwrap();
    // Not ours by name: must stay whatever its number says.
    let other = root.join(format!("mapspec-{dead}-x"));
    std::fs::create_dir(&other).unwrap();
    // A private cgroup2 mount of the killed run.
    let mnt = std::env::temp_dir().join(format!("mapspec-cgroup2-{dead}-0"));
    std::fs::create_dir_all(&mnt).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "cgroup2", "cgroup2", mnt.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(ok.success());

    let out = mapspec(&["run", "--quick", "--map", "hash"]);
    let stderr = text(&out.stderr);
    let still = (left.exists(), in_use.exists(), other.exists(), mnt.exists());
    let _ = std::fs::remove_dir(&in_use);
    let _ = std::fs::remove_dir(&other);
    let _ = std::fs::remove_dir(&left);
    let _ = Command::new("umount")
        .arg(&mnt)
        .stderr(Stdio::null())
        .status();
    let _ = std::fs::remove_dir(&mnt);
    let _ = live.kill();
    let _ = live.wait();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        still,
        (false, true, true, false),
        "(dead run's cgroup, live process's cgroup, foreign name, dead run's mount) still there; stderr:\n{stderr}"
    );
    assert!(stderr.contains(&format!("mapspec-{dead}-0")), "{stderr}");
}

#[test]
fn root_signal_sigkill_mid_run_then_a_later_run_leaves_no_cgroup() {
    let _turn = one_at_a_time();
    let (_, pid) = signal_while_a_cgroup_exists(libc::SIGKILL);
    let out = mapspec(&["run", "--quick", "--map", "hash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(cgroups_of(pid), Vec::<String>::new());
}

//! A kernel without what the runner itself needs gets one error naming
//! the options. Booted for real (hence `qemu_`): the locked 5.10 kernel on
//! a machine with one serial port, so /dev/ttyS1, which the report travels
//! on, cannot be opened, as on a kernel built with
//! CONFIG_SERIAL_8250_RUNTIME_UARTS=1. (`8250.nr_uarts=1` on the command
//! line would do it too, but it also silences the console, so the guest's
//! message is lost.) Needs qemu-system-x86_64, the static runner
//! (MAPSPEC_RUNNER, or kernel-matrix/build-runner.sh) and the locked 5.10
//! image (cached, or downloaded here).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use mapspec_kernel_matrix::config::{self, KernelsFile, LockFile};
use mapspec_kernel_matrix::qemu::{self, Accel, Boot};
use mapspec_kernel_matrix::{fetch, initramfs, pvh, runner_needs, MatrixError};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn runner() -> PathBuf {
    if let Some(r) = std::env::var_os("MAPSPEC_RUNNER") {
        return PathBuf::from(r);
    }
    let top = manifest().join("..");
    let out = Command::new(top.join("kernel-matrix/build-runner.sh"))
        .output()
        .expect("kernel-matrix/build-runner.sh runs");
    assert!(out.status.success(), "building the static runner failed");
    top.join(String::from_utf8(out.stdout).unwrap().trim())
}

fn kernel_5_10() -> PathBuf {
    let k = manifest().join("kernels.yaml");
    let file = KernelsFile::load(&k).unwrap();
    let lock = LockFile::load(&k.with_extension("lock")).unwrap();
    let spec = file.kernels.iter().find(|k| k.name == "5.10").unwrap();
    let entry = lock.get("5.10").expect("5.10 is locked");
    let cache = config::cache_dir().unwrap();
    let image = fetch::ensure_image(&cache, spec, entry, &Default::default())
        .unwrap()
        .0;
    pvh::cached_vmlinux(&image, &entry.image_sha256).unwrap_or(image)
}

#[test]
fn qemu_a_kernel_without_a_second_serial_port_is_named_by_its_options() {
    qemu::check_qemu("qemu-system-x86_64").expect("this test needs qemu-system-x86_64");
    let kernel = kernel_5_10();
    let d = tempfile::tempdir().unwrap();
    let specs_dir = d.path().join("specs");
    std::fs::create_dir(&specs_dir).unwrap();
    std::fs::copy(
        manifest().join("../spec/maps/queue.yaml"),
        specs_dir.join("queue.yaml"),
    )
    .unwrap();
    let specs = initramfs::load_specs(&specs_dir).unwrap();
    let initrd = d.path().join("initrd.gz");
    std::fs::write(&initrd, initramfs::build(&runner(), &specs).unwrap()).unwrap();
    // qemu with one serial port only: a wrapper drops the second
    // `-serial` (the report's), as a machine or kernel without a second
    // 8250 port would be.
    let qemu = d.path().join("qemu-one-serial");
    std::fs::write(
        &qemu,
        "#!/bin/sh\nn=0\nfor a in \"$@\"; do shift\n  if [ \"$a\" = -serial ]; then n=$((n+1)); fi\n  \
         if [ $n -eq 2 ]; then n=3; skip=1; continue; fi\n  \
         if [ \"${skip:-0}\" = 1 ]; then skip=0; continue; fi\n  set -- \"$@\" \"$a\"\ndone\n\
         exec qemu-system-x86_64 \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&qemu, std::fs::Permissions::from_mode(0o755)).unwrap();
    let b = Boot {
        qemu: qemu.to_str().unwrap(),
        kernel: &kernel,
        initrd: &initrd,
        append: qemu::default_append(),
        accel: Accel::Tcg,
        timeout: Duration::from_secs(60),
        workdir: d.path(),
        smp: 2,
        memory_mb: 512,
        slot: 0,
    };
    let out = qemu::boot(&b, |_| {}).unwrap();
    let err = qemu::interpret("5.10", &b, &out).unwrap_err();
    let MatrixError::Guest { reason, .. } = &err else {
        panic!("{err}");
    };
    let missing = runner_needs::parse_report(reason).unwrap_or_else(|| panic!("{err}"));
    assert!(
        missing.contains("CONFIG_SERIAL_8250_RUNTIME_UARTS") && !missing.contains("BPF_SYSCALL"),
        "{missing}"
    );
    // Found before the suite: no claim ran.
    assert!(
        mapspec_kernel_matrix::protocol::claim_in_flight(&out.console).is_none(),
        "{}",
        out.console
    );
}

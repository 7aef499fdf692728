//! A kernel without what the runner itself needs gets one error naming
//! the options. Booted for real (hence `qemu_`): the locked 5.10 kernel
//! with `8250.nr_uarts=1` on its command line, which leaves it without the
//! second serial port the report travels on, as a kernel built with
//! CONFIG_SERIAL_8250_RUNTIME_UARTS=1 would be. Needs qemu-system-x86_64,
//! the static runner (MAPSPEC_RUNNER, or kernel-matrix/build-runner.sh)
//! and the locked 5.10 image (cached, or downloaded here).

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
    // Kernel parameters go before the `--` that starts init's arguments.
    let append = qemu::default_append().replacen(" -- ", " 8250.nr_uarts=1 -- ", 1);
    assert!(append.contains("8250.nr_uarts=1 --"), "{append}");
    let b = Boot {
        qemu: "qemu-system-x86_64",
        kernel: &kernel,
        initrd: &initrd,
        append,
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

//! The guest side in a real guest (hence `qemu_`): the static runner, booted
//! with the matrix's command line, passes its entry guard, announces every
//! claim on the console before running it (what names the claim in flight
//! when a kernel panics), and reports. Needs qemu-system-x86_64, the static
//! runner (MAPSPEC_RUNNER, or built by kernel-matrix/build-runner.sh) and
//! the locked 5.10 image (cached, or downloaded here).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mapspec_kernel_matrix::config::{self, KernelsFile, LockFile};
use mapspec_kernel_matrix::protocol::{claim_in_flight, claim_line};
use mapspec_kernel_matrix::qemu::{self, Accel, Boot};
use mapspec_kernel_matrix::{fetch, initramfs, pvh};

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

/// The locked 5.10 kernel, unpacked for PVH boot when possible.
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
fn qemu_guest_announces_each_claim_before_running_it() {
    qemu::check_qemu("qemu-system-x86_64").expect("this test needs qemu-system-x86_64");
    let kernel = kernel_5_10();
    let d = tempfile::tempdir().unwrap();
    let specs_dir = d.path().join("specs");
    std::fs::create_dir(&specs_dir).unwrap();
    let spec = manifest().join("../spec/maps/rhash.yaml");
    std::fs::copy(&spec, specs_dir.join("rhash.yaml")).unwrap();
    let specs = initramfs::load_specs(&specs_dir).unwrap();
    let initrd = d.path().join("initrd.gz");
    std::fs::write(&initrd, initramfs::build(&runner(), &specs).unwrap()).unwrap();
    let b = Boot {
        qemu: "qemu-system-x86_64",
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
    let report = qemu::interpret("5.10", &b, &out).unwrap();
    assert!(!report.results.is_empty());
    // Every claim, in the order it ran, was announced on the console.
    let announced: Vec<String> = out
        .console
        .lines()
        .filter_map(|l| l.trim_end_matches('\r').strip_prefix(&claim_line("")))
        .map(str::to_string)
        .collect();
    let ran: Vec<String> = report.results.iter().map(|r| r.claim.clone()).collect();
    assert_eq!(announced, ran, "console:\n{}", out.console);
    assert_eq!(claim_in_flight(&out.console).as_ref(), ran.last());
    assert!(Path::new(&out.console_log).exists());
}

//! What the `qemu_` tests share: the static runner, the locked kernels of
//! kernels.yaml, and an initramfs holding one spec.

#![allow(dead_code)] // each test binary uses a part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mapspec_kernel_matrix::config::{self, KernelsFile, LockFile};
use mapspec_kernel_matrix::qemu::{self, Accel, Boot};
use mapspec_kernel_matrix::{fetch, initramfs, pvh};

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The static runner: MAPSPEC_RUNNER, else built by
/// kernel-matrix/build-runner.sh (a release build: slow the first time).
pub fn runner() -> PathBuf {
    if let Some(r) = std::env::var_os("MAPSPEC_RUNNER") {
        return PathBuf::from(r);
    }
    let top = manifest().join("..");
    let out = Command::new(top.join("kernel-matrix/build-runner.sh"))
        .output()
        .expect("kernel-matrix/build-runner.sh runs");
    assert!(
        out.status.success(),
        "building the static runner failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    top.join(String::from_utf8(out.stdout).unwrap().trim())
}

/// The locked image of kernel `name` (from the cache, or downloaded and
/// verified) and its sha256.
pub fn locked_image(name: &str) -> (PathBuf, String) {
    let k = manifest().join("kernels.yaml");
    let file = KernelsFile::load(&k).unwrap();
    let lock = LockFile::load(&k.with_extension("lock")).unwrap();
    let spec = file.kernels.iter().find(|k| k.name == name).unwrap();
    let entry = lock
        .get(name)
        .unwrap_or_else(|| panic!("{name} is locked in kernels.lock"));
    let cache = config::cache_dir().unwrap();
    let image = fetch::ensure_image(&cache, spec, entry, &Default::default())
        .unwrap()
        .0;
    (image, entry.image_sha256.clone())
}

/// [`locked_image`], unpacked for PVH boot when possible.
pub fn pvh_kernel(name: &str) -> PathBuf {
    let (image, sha) = locked_image(name);
    pvh::cached_vmlinux(&image, &sha).unwrap_or(image)
}

/// `dir/initrd.gz`: the runner as /init and the one spec `spec/maps/<spec>.yaml`.
pub fn initrd_with_spec(dir: &Path, spec: &str) -> PathBuf {
    let specs_dir = dir.join("specs");
    std::fs::create_dir(&specs_dir).unwrap();
    let file = format!("{spec}.yaml");
    std::fs::copy(
        manifest().join("../spec/maps").join(&file),
        specs_dir.join(&file),
    )
    .unwrap();
    let specs = initramfs::load_specs(&specs_dir).unwrap();
    let initrd = dir.join("initrd.gz");
    std::fs::write(&initrd, initramfs::build(&runner(), &specs).unwrap()).unwrap();
    initrd
}

/// A boot as the matrix makes it (its command line), under TCG with two
/// CPUs, 512 MiB and a 60 s timeout.
pub fn tcg_boot<'a>(
    qemu: &'a str,
    kernel: &'a Path,
    initrd: &'a Path,
    workdir: &'a Path,
) -> Boot<'a> {
    Boot {
        qemu,
        kernel,
        initrd,
        append: qemu::default_append(),
        accel: Accel::Tcg,
        timeout: Duration::from_secs(60),
        workdir,
        smp: 2,
        memory_mb: 512,
        slot: 0,
    }
}

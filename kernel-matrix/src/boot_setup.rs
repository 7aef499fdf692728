//! What a matrix run and an `--image` run do before their first boot: check
//! their inputs, then make a private temporary directory, the initramfs
//! written into it, and the accelerator (the KVM probe, a few seconds at
//! most, overlaps packing the initramfs).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

use mapspec_spec::MapSpec;

use crate::qemu::{self, Accel};
use crate::{accel, config, elf, initramfs, MatrixError};

/// What both kinds of run check and read before anything else: qemu is
/// there, the runner is static, the specs load; and the kernel cache
/// (`cache`, else `config::cache_dir()`).
pub fn inputs(
    qemu: &str,
    runner: &Path,
    specs_dir: &Path,
    cache: Option<&Path>,
) -> Result<(Vec<MapSpec>, PathBuf), MatrixError> {
    qemu::check_qemu(qemu)?;
    elf::check_static(runner)?;
    let specs = initramfs::load_specs(specs_dir)?;
    let cache = match cache {
        Some(c) => c.to_path_buf(),
        None => config::cache_dir()?,
    };
    Ok((specs, cache))
}

pub struct Prepared {
    /// Removed when dropped, with the initramfs in it.
    pub tmp: tempfile::TempDir,
    pub initrd: PathBuf,
    pub accel: Accel,
    /// Why `--accel auto` chose `accel`; None when the user chose it.
    pub why: Option<String>,
}

pub fn prepare_boot(
    runner: &Path,
    specs: &[MapSpec],
    choice: accel::Choice,
    qemu: &str,
    stop: &AtomicUsize,
) -> Result<Prepared, MatrixError> {
    let tmp = tempfile::Builder::new()
        .prefix("mapspec-matrix-")
        .tempdir()
        .map_err(|source| MatrixError::Io {
            what: "create a temporary directory in",
            path: std::env::temp_dir(),
            source,
        })?;
    let initrd = tmp.path().join("initramfs.cpio.gz");
    let (accel, archive) = std::thread::scope(|s| {
        let probe = s.spawn(|| accel::resolve(choice, qemu, stop));
        let archive = initramfs::build(runner, specs);
        let accel = probe.join().unwrap_or(Ok((Accel::Tcg, None)));
        (accel, archive)
    });
    let (accel, why) = accel?;
    mapspec_safefs::write_io(&initrd, &archive?, Default::default()).map_err(|source| {
        MatrixError::Io {
            what: "write",
            path: initrd.clone(),
            source,
        }
    })?;
    Ok(Prepared {
        tmp,
        initrd,
        accel,
        why,
    })
}

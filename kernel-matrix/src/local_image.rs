//! `mapspec matrix --image PATH`: a kernel a developer built, booted from
//! disk with the same runner, initramfs and qemu command line as the
//! Debian kernels of the lock. There is no lock to check it against: the
//! results record the image's sha256 (and the guest's `uname -r`, as
//! always) and are marked as those of a local image.
//!
//! A bzImage is booted through the PVH entry of the kernel inside it when
//! it has one (unpacked once into the cache, as for the Debian kernels),
//! else as it is; a `vmlinux` ELF only when it carries the PVH note.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mapspec_spec::results::{LocalImage, RunReport};

use crate::qemu::{self, Accel, Boot};
use crate::{accel, boot_setup, compare, fetch, pvh, MatrixError};

pub struct LocalOptions {
    pub images: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub timeout: Duration,
    pub runner: PathBuf,
    pub specs_dir: PathBuf,
    pub accel: accel::Choice,
    pub qemu: String,
    /// Defaults to `config::cache_dir()`; unpacked kernels go to `local/`.
    pub cache: Option<PathBuf>,
    pub memory_mb: u32,
    pub smp: u32,
}

pub struct LocalResult {
    /// The image as given on the command line.
    pub image: PathBuf,
    pub outcome: Result<RunReport, MatrixError>,
    pub elapsed: Duration,
    pub results_file: Option<PathBuf>,
}

/// How an image file is booted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// The unpacked PVH kernel of a bzImage (cached), or a PVH vmlinux.
    Pvh(PathBuf),
    /// A bzImage without a usable PVH kernel inside, booted as it is; the
    /// reason is shown once.
    BzImage { path: PathBuf, why: String },
}

impl Prepared {
    pub fn kernel(&self) -> &Path {
        match self {
            Prepared::Pvh(p) | Prepared::BzImage { path: p, .. } => p,
        }
    }
}

fn unusable(path: &Path, reason: impl Into<String>) -> MatrixError {
    MatrixError::LocalImage {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// What to hand qemu for `image` (with `sha256`, its digest), unpacking
/// a bzImage's kernel into `cache/local/` on first use.
pub fn prepare(
    image: &Path,
    bytes: &[u8],
    sha256: &str,
    cache: &Path,
) -> Result<Prepared, MatrixError> {
    if bytes.starts_with(b"\x7fELF") {
        return match pvh::has_pvh_note(bytes) {
            Ok(true) => Ok(Prepared::Pvh(image.to_path_buf())),
            Ok(false) => Err(unusable(
                image,
                "this vmlinux has no PVH entry point (CONFIG_PVH is off): enable CONFIG_PVH \
                 (kernel-matrix/mapspec.config does) or pass arch/x86/boot/bzImage",
            )),
            Err(e) => Err(unusable(image, e.to_string())),
        };
    }
    if let Err(e @ pvh::PvhError::NotBzImage) = pvh::payload(bytes) {
        return Err(unusable(
            image,
            format!("{e}, nor an ELF vmlinux: pass arch/x86/boot/bzImage or vmlinux"),
        ));
    }
    // The cache entry is named by the digest, so a rebuilt image never
    // meets the kernel unpacked from the last one.
    let dir = cache.join("local");
    let short = sha256.get(..16).unwrap_or(sha256);
    let copy = dir.join(format!("{short}.bzImage"));
    let copied = std::fs::create_dir_all(&dir)
        .and_then(|()| mapspec_safefs::write_io(&copy, bytes, Default::default()));
    let unpacked = match copied {
        Ok(()) => pvh::cached_vmlinux(&copy, sha256).map_err(|e| e.to_string()),
        Err(e) => Err(format!("cannot cache it in {}: {e}", dir.display())),
    };
    let _ = std::fs::remove_file(&copy);
    prune(&dir, short);
    match unpacked {
        Ok(p) => Ok(Prepared::Pvh(p)),
        Err(why) => Ok(Prepared::BzImage {
            path: image.to_path_buf(),
            why,
        }),
    }
}

/// A developer rebuilds often, and each unpacked kernel is 50-100 MB:
/// only the last few stay.
fn prune(dir: &Path, keep: &str) {
    const KEEP: usize = 3;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut kernels: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pvh-vmlinux"))
        .filter(|p| !p.to_string_lossy().contains(keep))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    kernels.sort();
    let n = kernels.len().saturating_sub(KEEP - 1);
    for (_, p) in kernels.into_iter().take(n) {
        for suffix in ["", ".sha256", ".lock"] {
            let mut s = p.as_os_str().to_owned();
            s.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(s));
        }
    }
}

/// The guest's word for a kernel without what the runner itself needs;
/// see [`crate::runner_needs`].
fn missing_options(e: MatrixError, image: &Path) -> MatrixError {
    match &e {
        MatrixError::Guest { reason, .. } => match crate::runner_needs::parse_report(reason) {
            Some(missing) => MatrixError::KernelLacks {
                image: image.to_path_buf(),
                missing,
            },
            None => e,
        },
        _ => e,
    }
}

/// Boot every image in turn (one at a time: local runs are one or two
/// images, and a developer's machine has other work), write each report
/// to `out_dir`, and return what each did. `Err` only for what stops the
/// whole run.
pub fn run_until(opts: &LocalOptions, stop: &AtomicUsize) -> Result<Vec<LocalResult>, MatrixError> {
    let (specs, cache) = boot_setup::inputs(
        &opts.qemu,
        &opts.runner,
        &opts.specs_dir,
        opts.cache.as_deref(),
    )?;
    let prepared = boot_setup::prepare_boot(&opts.runner, &specs, opts.accel, &opts.qemu, stop)?;
    let (accel, initrd) = (prepared.accel, &prepared.initrd);
    if let Some(why) = &prepared.why {
        eprintln!("accel: {}, since {why}", accel.as_str());
    }
    let mut out = Vec::new();
    for (i, image) in opts.images.iter().enumerate() {
        if let s @ 1.. = stop.load(Ordering::Relaxed) {
            return Err(MatrixError::Interrupted { signal: s as i32 });
        }
        let t0 = Instant::now();
        let workdir = cache
            .join("runs")
            .join(format!("local-{i}-{}", std::process::id()));
        let outcome = one_image(opts, accel, &cache, initrd, image, &workdir, stop);
        if let Err(MatrixError::Interrupted { signal }) = outcome {
            let _ = std::fs::remove_dir_all(&workdir);
            return Err(MatrixError::Interrupted { signal });
        }
        if outcome.is_ok() {
            let _ = std::fs::remove_dir_all(&workdir);
            let _ = std::fs::remove_dir(cache.join("runs"));
        }
        let mut r = LocalResult {
            image: image.clone(),
            outcome,
            elapsed: t0.elapsed(),
            results_file: None,
        };
        if let Ok(report) = &r.outcome {
            match compare::file_name(report) {
                Ok(name) => {
                    let path = opts.out_dir.join(name);
                    // results/local/ is made on first use.
                    let parent = mapspec_safefs::Parent::CreateAll;
                    crate::matrix::write_results(&path, report, parent)?;
                    r.results_file = Some(path);
                }
                Err(e) => r.outcome = Err(e),
            }
        }
        out.push(r);
    }
    Ok(out)
}

fn one_image(
    opts: &LocalOptions,
    accel: Accel,
    cache: &Path,
    initrd: &Path,
    image: &Path,
    workdir: &Path,
    stop: &AtomicUsize,
) -> Result<RunReport, MatrixError> {
    let name = image.display().to_string();
    let bytes = std::fs::read(image).map_err(|source| MatrixError::Io {
        what: "read",
        path: image.to_path_buf(),
        source,
    })?;
    let sha256 = fetch::sha256_hex(&bytes);
    let prepared = prepare(image, &bytes, &sha256, cache)?;
    drop(bytes);
    if let Prepared::BzImage { why, .. } = &prepared {
        eprintln!(
            "note: {name}: booting the bzImage itself, which unpacks the kernel in the guest \
             (slower under TCG): {why}"
        );
    }
    std::fs::create_dir_all(workdir).map_err(|source| MatrixError::Io {
        what: "create",
        path: workdir.to_path_buf(),
        source,
    })?;
    let boot = Boot {
        qemu: &opts.qemu,
        kernel: prepared.kernel(),
        initrd,
        append: qemu::default_append(),
        accel,
        timeout: opts.timeout,
        workdir,
        smp: opts.smp,
        memory_mb: opts.memory_mb,
        slot: 0,
    };
    eprintln!("{name}: booting");
    let out = qemu::boot_until(&boot, stop, |_| {})?;
    let first = qemu::interpret(&name, &boot, &out);
    // A panic under TCG is now and then the emulator's (see kernel_boot);
    // one more boot tells it from the kernel's, as for Debian kernels.
    let report = match first {
        Err(MatrixError::Guest { ref reason, .. }) if reason.starts_with("the kernel panicked") => {
            let kept = workdir.join("panic-1-console.log");
            let _ = std::fs::rename(&out.console_log, &kept);
            eprintln!(
                "warning: {name}: the kernel panicked; console log kept in {}; booting it once \
                 more",
                kept.display()
            );
            let out = qemu::boot_until(&boot, stop, |_| {})?;
            qemu::interpret(&name, &boot, &out)
        }
        other => other,
    };
    let mut report = report.map_err(|e| missing_options(e, image))?;
    report.kernel.local_image = Some(LocalImage {
        sha256,
        file: image
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_elf_without_the_pvh_note_or_a_random_file_is_refused_naming_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[18..20].copy_from_slice(&62u16.to_le_bytes());
        let p = Path::new("vmlinux");
        let e = prepare(p, &elf, "ab", dir.path()).unwrap_err();
        assert!(e.to_string().contains("CONFIG_PVH"), "{e}");
        assert!(e.is_environment());
        let e = prepare(Path::new("notes.txt"), b"hello", "cd", dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a bzImage"), "{e}");
    }

    #[test]
    fn a_bzimage_whose_kernel_cannot_be_unpacked_is_booted_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut bz = vec![0u8; 3 * 512 + 64];
        bz[0x1f1] = 2;
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        bz[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
        bz[0x24c..0x250].copy_from_slice(&32u32.to_le_bytes());
        let p = Path::new("bzImage");
        match prepare(p, &bz, &fetch::sha256_hex(&bz), dir.path()).unwrap() {
            Prepared::BzImage { path, why } => {
                assert_eq!(path, p);
                assert!(why.contains("compress"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        // The copy made for unpacking does not stay.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("local"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "bzImage"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

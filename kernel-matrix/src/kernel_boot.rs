//! One kernel of a matrix run: its image, its boot (and one more after a
//! kernel panic), the evidence a panic leaves, and the check that the
//! guest ran the locked release.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::ProgressBar;
use mapspec_spec::results::RunReport;

use crate::config::{KernelSpec, LockEntry};
use crate::qemu::{self, Accel, Boot, BootOutput};
use crate::{fetch, protocol, pvh, MatrixError};

/// What every boot of one matrix run shares.
pub(crate) struct Shared<'a> {
    pub opts: &'a crate::options::Options,
    pub accel: Accel,
    pub cache: &'a Path,
    pub initrd: &'a Path,
    /// apt locks its lists directory; downloads of kernels sharing suites
    /// must not overlap, and the network is not the bottleneck anyway.
    pub apt_lock: &'a Mutex<()>,
    pub mirror: &'a crate::mirror::MirrorOverride,
    /// The number of the signal that asks the run to stop (0: none).
    pub stop: &'a AtomicUsize,
}

/// A kernel panic seen in one boot: kept, because a panic in the same
/// claim twice is a kernel bug the claim triggers, and a single one may be
/// one too (or a TCG artefact; the log lets a human tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanicEvidence {
    /// The boot's console log, kept in the run directory.
    pub log: PathBuf,
    /// The claim the guest had announced last (None: before the suite).
    pub claim: Option<String>,
    /// The `Kernel panic - ...` line.
    pub line: String,
}

impl PanicEvidence {
    fn of(out: &BootOutput, log: PathBuf) -> PanicEvidence {
        PanicEvidence {
            log,
            claim: protocol::claim_in_flight(&out.console),
            line: protocol::panic_line(&out.console).unwrap_or_default(),
        }
    }

    fn place(&self) -> String {
        match &self.claim {
            Some(c) => format!("while running {c}"),
            None => "before the suite started".into(),
        }
    }
}

/// The summary lines for a kernel's panics: where each happened, its kept
/// console log, and what the boot after the first one did.
pub fn panic_summary(
    kernel: &str,
    panics: &[PanicEvidence],
    outcome: &Result<RunReport, MatrixError>,
) -> Vec<String> {
    let Some(first) = panics.first() else {
        return vec![];
    };
    let retry = match (outcome, panics.get(1)) {
        (Ok(_), _) => "the retry passed".to_string(),
        (Err(MatrixError::ClaimPanicked { .. }), _) => {
            "the retry panicked in the same claim: reported as a finding".into()
        }
        (Err(_), Some(second)) => format!(
            "the retry panicked too, {} (console log: {})",
            second.place(),
            second.log.display()
        ),
        (Err(MatrixError::Interrupted { .. }), None) => "the retry was interrupted".into(),
        (Err(e), None) => format!(
            "the retry failed: {}",
            e.reason_for(kernel).lines().next().unwrap_or_default()
        ),
    };
    vec![format!(
        "kernel {kernel}: the kernel panicked {} ({}); console log: {}; {retry}",
        first.place(),
        first.line,
        first.log.display()
    )]
}

/// A guest reports the release it booted (`uname -r`); results are filed
/// under it. Anything but the locked release (a wrong image in the cache,
/// say) must not become results under another kernel's name.
pub fn check_release(kernel: &str, e: &LockEntry, report: &RunReport) -> Result<(), MatrixError> {
    if report.kernel.release == e.release {
        Ok(())
    } else {
        Err(MatrixError::WrongRelease {
            kernel: kernel.into(),
            expected: e.release.clone(),
            actual: report.kernel.release.clone(),
        })
    }
}

/// Whether a boot ended in a kernel panic (an oops with panic_on_oops).
/// Under TCG this happens now and then while a kernel patches its own code
/// (static keys, alternatives: a stray int3 in __schedule or a torn nop in
/// sched_clock_cpu, seen in about one in twenty matrix runs, on 6.12 and
/// 7.2, both at boot and mid-suite); it may also be a bug a claim hits.
fn panicked(r: &Result<RunReport, MatrixError>) -> bool {
    matches!(r, Err(MatrixError::Guest { reason, .. }) if reason.starts_with("the kernel panicked"))
}

pub(crate) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

/// Fetch (if needed) and boot one kernel. The panics seen come back even
/// when the retry passed.
pub(crate) fn one_kernel(
    sh: &Shared<'_>,
    k: &KernelSpec,
    e: &LockEntry,
    pb: &ProgressBar,
    slot: usize,
) -> (Result<RunReport, MatrixError>, Vec<PanicEvidence>) {
    // One directory per process: two matrix runs on one machine (a test
    // and a developer, or two CI shards) must not share a console log.
    let workdir = sh
        .cache
        .join("runs")
        .join(format!("{}-{}", k.name, std::process::id()));
    let mut panics = Vec::new();
    let outcome = boots(sh, k, e, pb, slot, &workdir, &mut panics);
    match &outcome {
        Err(MatrixError::Interrupted { .. }) => {
            // Nothing of an interrupted run is kept.
            let _ = std::fs::remove_dir_all(&workdir);
            let _ = std::fs::remove_dir(sh.cache.join("runs"));
            panics.clear();
        }
        // Logs of boots that ran to the end are not worth keeping, a
        // panic's are.
        Ok(_) | Err(MatrixError::WrongRelease { .. }) if panics.is_empty() => {
            let _ = std::fs::remove_dir_all(&workdir);
            let _ = std::fs::remove_dir(sh.cache.join("runs"));
        }
        Ok(_) | Err(MatrixError::WrongRelease { .. }) => {
            for f in ["console.log", "results.txt"] {
                let _ = std::fs::remove_file(workdir.join(f));
            }
        }
        // Failed boots keep their directory, for the error's log.
        Err(_) => {}
    }
    (outcome, panics)
}

fn boots(
    sh: &Shared<'_>,
    k: &KernelSpec,
    e: &LockEntry,
    pb: &ProgressBar,
    slot: usize,
    workdir: &Path,
    panics: &mut Vec<PanicEvidence>,
) -> Result<RunReport, MatrixError> {
    let (opts, cache) = (sh.opts, sh.cache);
    let image = match fetch::cached_image(cache, e) {
        Some(p) => p,
        None => {
            pb.set_message(format!(
                "waiting for apt, to fetch {} {}",
                e.package, e.version
            ));
            let _guard = sh.apt_lock.lock();
            pb.set_message(format!("fetching {} {}", e.package, e.version));
            let fetched = fetch::ensure_image(cache, k, e, sh.mirror);
            interrupted(sh.stop)?;
            fetched?.0
        }
    };
    let kernel = match pvh::cached_vmlinux(&image, &e.image_sha256) {
        Ok(p) => p,
        Err(why) => {
            eprintln!(
                "note: kernel {}: booting the bzImage itself, which unpacks the kernel in the \
                 guest (slower under TCG): {why}",
                k.name
            );
            image
        }
    };
    interrupted(sh.stop)?;
    std::fs::create_dir_all(workdir).map_err(|source| MatrixError::Io {
        what: "create",
        path: workdir.to_path_buf(),
        source,
    })?;
    let boot = Boot {
        qemu: &opts.qemu,
        kernel: &kernel,
        initrd: sh.initrd,
        append: qemu::default_append(),
        accel: sh.accel,
        timeout: opts.timeout,
        workdir,
        smp: opts.smp,
        memory_mb: opts.memory_mb,
        slot,
    };
    let tick = |line: &str| pb.set_message(short(line, 90));
    pb.set_message(format!("booting {}", e.release));
    let out = qemu::boot_until(&boot, sh.stop, tick)?;
    let first = qemu::interpret(&k.name, &boot, &out);
    let report = if panicked(&first) {
        // Keep the log under a name the second boot does not overwrite.
        let kept = workdir.join("panic-1-console.log");
        let log = match std::fs::rename(&out.console_log, &kept) {
            Ok(()) => kept,
            Err(_) => out.console_log.clone(),
        };
        let p1 = PanicEvidence::of(&out, log);
        eprintln!(
            "warning: kernel {}: the kernel panicked {} ({}); console log kept in {}; booting \
             it once more",
            k.name,
            p1.place(),
            p1.line,
            p1.log.display()
        );
        panics.push(p1);
        pb.set_message(format!("{}: panicked; booting once more", e.release));
        let out = qemu::boot_until(&boot, sh.stop, tick)?;
        let second = qemu::interpret(&k.name, &boot, &out);
        if panicked(&second) {
            let p2 = PanicEvidence::of(&out, out.console_log.clone());
            let same = p2.claim.is_some() && p2.claim == panics[0].claim;
            panics.push(p2);
            if same {
                return Err(MatrixError::ClaimPanicked {
                    kernel: k.name.clone(),
                    claim: panics[1].claim.clone().unwrap_or_default(),
                    line: panics[1].line.clone(),
                    logs: panics.iter().map(|p| p.log.clone()).collect(),
                });
            }
        }
        second?
    } else {
        first?
    };
    check_release(&k.name, e, &report)?;
    Ok(report)
}

fn interrupted(stop: &AtomicUsize) -> Result<(), MatrixError> {
    match stop.load(Ordering::Relaxed) {
        0 => Ok(()),
        s => Err(MatrixError::Interrupted { signal: s as i32 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::results::{KernelInfo, Summary};

    fn guest_error(reason: &str) -> Result<RunReport, MatrixError> {
        Err(MatrixError::Guest {
            kernel: "7.2".into(),
            reason: reason.into(),
            log: PathBuf::from("console.log"),
            tail: String::new(),
        })
    }

    fn report(release: &str) -> RunReport {
        RunReport {
            format_version: 1,
            tool_version: "0.1.0".into(),
            kernel: KernelInfo {
                release: release.into(),
                version: "6.1.176".into(),
                upstream: mapspec_spec::KernelVersion::new(6, 1, 176),
                machine: "x86_64".into(),
                possible_cpus: 2,
                online_cpus: 2,
                local_image: None,
            },
            quick: false,
            summary: Summary::default(),
            results: vec![],
            duration_ms: None,
        }
    }

    fn lock(release: &str) -> LockEntry {
        LockEntry {
            name: "5.10".into(),
            package: "linux-image-5.10.0-1-amd64-unsigned".into(),
            version: "5.10.1-1".into(),
            image: "boot/vmlinuz-5.10.0-1-amd64".into(),
            release: release.into(),
            deb_sha256: "0".repeat(64),
            image_sha256: "0".repeat(64),
        }
    }

    #[test]
    fn only_a_kernel_panic_earns_a_second_boot() {
        assert!(panicked(&guest_error(
            "the kernel panicked: Fatal exception in interrupt"
        )));
        assert!(!panicked(&guest_error("timed out after 120 s")));
        assert!(!panicked(&guest_error("the guest runner failed: bad spec")));
    }

    #[test]
    fn a_guest_running_another_release_is_an_error_for_that_kernel() {
        let e = lock("5.10.0-1-amd64");
        assert!(check_release("5.10", &e, &report("5.10.0-1-amd64")).is_ok());
        let err = check_release("5.10", &e, &report("6.1.0-50-amd64")).unwrap_err();
        assert!(!err.is_environment());
        let msg = err.to_string();
        assert!(
            msg.starts_with("kernel 5.10: ")
                && msg.contains("6.1.0-50-amd64")
                && msg.contains("5.10.0-1-amd64"),
            "{msg}"
        );
    }

    #[test]
    fn panic_summary_names_log_claim_and_retry() {
        let p = PanicEvidence {
            log: "/c/runs/6.12-9/panic-1-console.log".into(),
            claim: Some("hash/x".into()),
            line: "Kernel panic - not syncing: Fatal exception in interrupt".into(),
        };
        let ok = panic_summary("6.12", std::slice::from_ref(&p), &Ok(report("r")));
        assert_eq!(ok.len(), 1);
        assert!(
            ok[0].contains("while running hash/x")
                && ok[0].contains("panic-1-console.log")
                && ok[0].contains("Fatal exception")
                && ok[0].ends_with("the retry passed"),
            "{ok:?}"
        );
        let timeout = panic_summary("7.2", &[p], &guest_error("did not finish within 9 s"));
        assert!(
            timeout[0].contains("the retry failed: did not finish"),
            "{timeout:?}"
        );
        assert!(panic_summary("6.12", &[], &Ok(report("r"))).is_empty());
    }
}

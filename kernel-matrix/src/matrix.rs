//! The host side of `mapspec matrix`: select kernels, make sure their
//! locked images are cached, boot them in parallel, and write or check the
//! results.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mapspec_spec::results::RunReport;

use crate::config::{self, KernelSpec, KernelsFile, LockEntry, LockFile};
use crate::kernel_boot::{one_kernel, short, PanicEvidence, Shared};
use crate::{boot_setup, compare, fetch, schedule, MatrixError};

pub use crate::options::Options;

/// A kernel's report as its results file: without timings, through safefs.
pub(crate) fn write_results(
    path: &Path,
    report: &RunReport,
    parent: mapspec_safefs::Parent,
) -> Result<(), MatrixError> {
    let json = report.clone().without_timings().to_json();
    mapspec_safefs::write_io(path, json.as_bytes(), parent).map_err(|source| MatrixError::Io {
        what: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// The lock file that goes with a kernels file: `kernels.yaml` -> `kernels.lock`.
pub fn lock_path(kernels_file: &Path) -> PathBuf {
    kernels_file.with_extension("lock")
}

pub struct KernelResult {
    pub name: String,
    pub outcome: Result<RunReport, MatrixError>,
    pub elapsed: Duration,
    /// `--check` only: how the run differs from the committed results.
    pub drift: Vec<String>,
    /// The results file written (normal mode) or compared (`--check`).
    pub results_file: Option<PathBuf>,
    /// Kernel panics seen, with their kept console logs, also when the
    /// boot after the first one passed.
    pub panics: Vec<PanicEvidence>,
}

pub struct Outcome {
    pub kernels: Vec<KernelResult>,
    /// Results files that no kernel of kernels.yaml produces: removed in a
    /// full run, reported as drift by a full `--check`.
    pub stale: Vec<PathBuf>,
    pub wall: Duration,
}

impl Outcome {
    pub fn table(&self) -> String {
        let cols: Vec<(String, Option<&RunReport>)> = self
            .kernels
            .iter()
            .map(|k| (k.name.clone(), k.outcome.as_ref().ok()))
            .collect();
        crate::table::render(&cols)
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>6} {spinner} {elapsed:>4} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Everything of a run; `Err` only for problems that stop the whole run
/// (setup, environment). A kernel that fails to fetch or boot is an `Err`
/// in its own `KernelResult`, and the others go on.
pub fn run(opts: &Options) -> Result<Outcome, MatrixError> {
    run_until(opts, &AtomicUsize::new(0))
}

/// As [`run`], stopping as soon as `stop` is non-zero (the number of a
/// signal received): every qemu is killed, this run's temporary directory
/// and run directories are removed, nothing is written, and the result is
/// `MatrixError::Interrupted`.
pub fn run_until(opts: &Options, stop: &AtomicUsize) -> Result<Outcome, MatrixError> {
    let started = Instant::now();
    let file = KernelsFile::load(&opts.kernels_file)?;
    let mirror = file.mirror_override(&opts.mirror);
    let lock_file = lock_path(&opts.kernels_file);
    let mut lock = LockFile::load(&lock_file)?;
    let selected: Vec<KernelSpec> = config::select(&file, &opts.only, opts.shard)?
        .into_iter()
        .cloned()
        .collect();
    let full_run = opts.only.is_empty() && opts.shard.is_none();
    if selected.is_empty() {
        return Ok(Outcome {
            kernels: vec![],
            stale: vec![],
            wall: started.elapsed(),
        });
    }
    let (specs, cache) = boot_setup::inputs(
        &opts.qemu,
        &opts.runner,
        &opts.specs_dir,
        opts.cache.as_deref(),
    )?;

    let mp = MultiProgress::new();
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        mp.set_draw_target(ProgressDrawTarget::hidden());
    }
    let note = |msg: String| {
        if mp.is_hidden() {
            eprintln!("{msg}");
        } else {
            let _ = mp.println(msg);
        }
    };

    if opts.update_lock {
        for k in &selected {
            let pb = mp.add(
                ProgressBar::new_spinner()
                    .with_style(bar_style())
                    .with_prefix(k.name.clone()),
            );
            pb.enable_steady_tick(Duration::from_millis(120));
            pb.set_message(format!("resolving {} in {}", k.package, k.suites.join("+")));
            let (entry, _) = fetch::resolve_lock(&cache, k, &mirror)?;
            let changed = lock.get(&k.name) != Some(&entry);
            pb.finish_with_message(format!(
                "locked {} {}{}",
                entry.package,
                entry.version,
                if changed { " (changed)" } else { "" }
            ));
            lock.upsert(entry, &file);
        }
        // apt is not interrupted; what it resolved after a signal is not
        // written.
        if let s @ 1.. = stop.load(Ordering::Relaxed) {
            return Err(MatrixError::Interrupted { signal: s as i32 });
        }
        lock.save(&lock_file)?;
        note(format!("wrote {}", lock_file.display()));
    }
    let mut work: Vec<(KernelSpec, LockEntry)> = Vec::new();
    for k in &selected {
        match lock.get(&k.name) {
            Some(e) => work.push((k.clone(), e.clone())),
            None => {
                return Err(MatrixError::NotLocked {
                    kernel: k.name.clone(),
                    lock: lock_file.clone(),
                })
            }
        }
    }

    let prepared = boot_setup::prepare_boot(&opts.runner, &specs, opts.accel, &opts.qemu, stop)?;
    let (accel, initrd) = (prepared.accel, &prepared.initrd);
    if let Some(why) = &prepared.why {
        note(format!("accel: {}, since {why}", accel.as_str()));
    }

    let bars: Vec<ProgressBar> = work
        .iter()
        .map(|(k, _)| {
            let pb = mp.add(
                ProgressBar::new_spinner()
                    .with_style(bar_style())
                    .with_prefix(k.name.clone()),
            );
            pb.set_message("waiting");
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        })
        .collect();
    let names: Vec<String> = work.iter().map(|(k, _)| k.name.clone()).collect();
    let jobs = opts.jobs.clamp(1, work.len());
    let queues = schedule::Queues::new(schedule::plan(
        &names,
        jobs,
        &schedule::load_durations(&cache),
    ));
    let slots: Mutex<Vec<Option<KernelResult>>> =
        Mutex::new((0..work.len()).map(|_| None).collect());
    let apt_lock = Mutex::new(());
    let shared = Shared {
        opts,
        accel,
        stop,
        cache: &cache,
        initrd,
        apt_lock: &apt_lock,
        mirror: &mirror,
    };
    std::thread::scope(|s| {
        for slot in 0..jobs {
            let (queues, slots, bars, work, shared, mp) =
                (&queues, &slots, &bars, &work, &shared, &mp);
            s.spawn(move || {
                // The guard is dropped before the boot: the queue is locked
                // only to take the next kernel.
                let next = || {
                    if stop.load(Ordering::Relaxed) != 0 {
                        return None;
                    }
                    queues.next(slot)
                };
                while let Some(i) = next() {
                    let (k, e) = &work[i];
                    let pb = &bars[i];
                    let t0 = Instant::now();
                    let (outcome, panics) = one_kernel(shared, k, e, pb, slot);
                    let elapsed = t0.elapsed();
                    match &outcome {
                        Ok(r) => pb.finish_with_message(format!(
                            "{}: {} pass, {} fail, {} skip, {} error ({:.1} s)",
                            r.kernel.release,
                            r.summary.pass,
                            r.summary.fail,
                            r.summary.skip,
                            r.summary.error,
                            elapsed.as_secs_f64()
                        )),
                        Err(MatrixError::Interrupted { .. }) => {
                            pb.finish_with_message("interrupted")
                        }
                        Err(err) => pb.finish_with_message(format!(
                            "FAILED: {}",
                            short(
                                err.reason_for(&k.name).lines().next().unwrap_or_default(),
                                100
                            )
                        )),
                    }
                    if mp.is_hidden() {
                        eprintln!("{:>6} {}", k.name, pb.message());
                    }
                    if let Ok(mut sl) = slots.lock() {
                        sl[i] = Some(KernelResult {
                            name: k.name.clone(),
                            outcome,
                            elapsed,
                            drift: vec![],
                            results_file: None,
                            panics,
                        });
                    }
                }
            });
        }
    });
    let mut results: Vec<KernelResult> = slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    // Interrupted: the boots have killed their qemu and removed their run
    // directories; `prepared.tmp` goes when this returns. Nothing is written.
    if let s @ 1.. = stop.load(Ordering::Relaxed) {
        return Err(MatrixError::Interrupted { signal: s as i32 });
    }
    // The next run's order (see `schedule`).
    let timed: Vec<(String, Duration)> = results
        .iter()
        .filter(|k| k.outcome.is_ok())
        .map(|k| (k.name.clone(), k.elapsed))
        .collect();
    schedule::save_durations(&cache, &timed);

    // Write or compare, after all boots so that a crash mid-run never
    // leaves a half-updated results directory.
    let mut produced = BTreeSet::new();
    for kr in &mut results {
        // The release comes from the guest: checked before it names a file.
        let name = match kr.outcome.as_ref().map(compare::file_name) {
            Ok(Ok(name)) => name,
            Ok(Err(e)) => {
                kr.outcome = Err(e);
                continue;
            }
            Err(_) => continue,
        };
        let Ok(report) = &kr.outcome else { continue };
        produced.insert(name.clone());
        let path = opts.out_dir.join(&name);
        kr.results_file = Some(path.clone());
        if opts.check {
            match RunReport::read(&path) {
                Ok(old) => {
                    kr.drift = compare::diff_reports(&old, report);
                    if compare::only_statistical_drift(&old, report) {
                        // A race not observed within its budget is not yet a
                        // changed kernel: one more boot decides.
                        if let Some(i) = work.iter().position(|(k, _)| k.name == kr.name) {
                            let (k, e) = &work[i];
                            note(format!(
                                "{}: only statistical claims differ; booting it once more",
                                k.name
                            ));
                            let (again, _) = one_kernel(&shared, k, e, &bars[i], 0);
                            if let Ok(r2) = again {
                                kr.drift = compare::diff_reports(&old, &r2);
                                kr.outcome = Ok(r2);
                            }
                        }
                    }
                }
                Err(e) => kr.drift = vec![format!("no committed results to compare with: {e}")],
            }
        } else {
            // The default directory is in the repository; `--out a` (a CI
            // shard) may be new, a typo higher up is an error.
            write_results(&path, report, mapspec_safefs::Parent::CreateOne)?;
        }
    }
    // A signal during a --check reboot (the only boots in the loop above;
    // --check writes nothing).
    if let s @ 1.. = stop.load(Ordering::Relaxed) {
        if opts.check {
            return Err(MatrixError::Interrupted { signal: s as i32 });
        }
    }
    let mut stale = Vec::new();
    if full_run {
        // Every release the lock names keeps its file, even if its boot
        // failed this time: losing results because of a flaky boot would
        // make docgen forget what the kernel does.
        let locked: BTreeSet<String> = lock
            .kernels
            .iter()
            .map(|e| format!("{}.json", e.release))
            .collect();
        stale = compare::stale_results(&opts.out_dir, &locked, &produced);
        if !opts.check {
            for f in &stale {
                let _ = std::fs::remove_file(f);
            }
        }
    }
    Ok(Outcome {
        kernels: results,
        stale,
        wall: started.elapsed(),
    })
}

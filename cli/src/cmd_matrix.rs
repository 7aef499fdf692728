//! `mapspec matrix`: boot Debian kernels in QEMU and run the suite in each.
//! The work is in the `mapspec_kernel_matrix` crate; this is argument
//! handling, reporting and exit codes. `matrix __guest` is the entry point
//! of the same binary booted as a guest's /init.

use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

use mapspec_kernel_matrix::config::Shard;
use mapspec_kernel_matrix::matrix::{self, Options};
use mapspec_kernel_matrix::{compare, guest, initramfs, kernel_boot, table, MatrixError};

use crate::{exit, matrix_exit, signals};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Merge the results directories of several shards (`--shard I/N`).
    Merge(MergeArgs),
    /// The guest side: run as /init inside a matrix VM (not for humans).
    #[command(name = "__guest", hide = true)]
    Guest,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The list of kernels; its lock file is the same path with `.lock`.
    #[arg(long, default_value = "kernel-matrix/kernels.yaml")]
    kernels: PathBuf,
    /// Only this kernel (a `name` of kernels.yaml); repeatable.
    #[arg(long = "only", value_name = "VERSION")]
    only: Vec<String>,
    /// Kernels booted at the same time (default: number of CPUs).
    #[arg(long)]
    jobs: Option<usize>,
    /// Where the results files go (or are compared from, with --check)
    /// [default: kernel-matrix/results; with --image: results/local].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Boot this kernel image instead of the Debian kernels (a bzImage, or
    /// a vmlinux with a PVH note; kernel-matrix/mapspec.config lists what
    /// it needs); repeatable.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["only", "check", "shard", "update_lock"])]
    image: Vec<PathBuf>,
    /// With --image: compare with a results file, or with the committed
    /// results of the newest release at or below VERSION (no value: the
    /// image's version); exit 1 when a claim's outcome differs.
    #[arg(long, value_name = "VERSION|FILE", num_args = 0..=1, default_missing_value = "", requires = "image")]
    baseline: Option<String>,
    /// A claim id whose change against --baseline is intended; repeatable.
    #[arg(long, value_name = "ID", num_args = 1.., requires = "baseline")]
    baseline_allow: Vec<String>,
    /// Re-run and fail if the results differ from the committed ones
    /// (ignoring `measurement`); writes nothing.
    #[arg(long)]
    check: bool,
    /// Run only shard I of N (1-based), for CI matrices; see `matrix merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Pin the newest Debian package of each selected kernel in the lock file.
    #[arg(long)]
    update_lock: bool,
    /// Seconds a guest may run before it is killed.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    timeout: u64,
    /// The static binary booted as /init (default: this binary if static,
    /// else in a checkout the one kernel-matrix/build-runner.sh builds).
    #[arg(long, value_name = "PATH", env = "MAPSPEC_RUNNER")]
    runner: Option<PathBuf>,
    /// The Debian archive the kernels come from (default: kernels.yaml's
    /// `mirror`, else this machine's apt sources).
    #[arg(long, value_name = "URL")]
    mirror: Option<String>,
    /// Debian's security archive (default: the apt sources' one, or
    /// `--mirror` with /debian replaced by /debian-security).
    #[arg(long, value_name = "URL")]
    security_mirror: Option<String>,
    // The specs shipped to the guests; help shared with every subcommand.
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    specs: PathBuf,
    /// auto: KVM when a probe boot under KVM finishes within 2 s, else
    /// TCG (/dev/kvm may exist and guests still hang there); or tcg, kvm.
    #[arg(long, default_value = "auto", value_parser = ["auto", "tcg", "kvm"], env = "MAPSPEC_ACCEL")]
    accel: String,
    /// The qemu binary.
    #[arg(long, default_value = "qemu-system-x86_64", env = "MAPSPEC_QEMU")]
    qemu: String,
    /// After the table: each kernel's run time in the guest and its N
    /// slowest claims (timings are never written to the results files).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10")]
    timings: Option<usize>,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// Results directories (or files) of the shards.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged results go.
    #[arg(long, default_value = "kernel-matrix/results")]
    out: PathBuf,
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    match a.sub {
        Some(Sub::Guest) => guest_main(),
        Some(Sub::Merge(m)) => merge(m),
        None => run(a.run),
    }
}

fn guest_main() -> ! {
    let opts = mapspec_conformance::RunOptions {
        quick: false,
        only: vec![],
        timings: true,
    };
    // main_as_init checks that this is PID 1 of a matrix guest before it
    // does anything, and otherwise exits 2.
    guest::main_as_init(
        std::path::Path::new(initramfs::GUEST_SPECS),
        |specs, before_claim| {
            let never = std::sync::atomic::AtomicUsize::new(0);
            mapspec_conformance::runner::run_each(specs, &opts, &never, before_claim, |_| {})
        },
    )
}

fn run(a: RunArgs) -> anyhow::Result<u8> {
    if !a.image.is_empty() {
        return crate::matrix_image::run(crate::matrix_image::ImageArgs {
            out: a.out.unwrap_or_else(|| "results/local".into()),
            results_dir: a.kernels.with_file_name("results"),
            images: a.image,
            timeout: Duration::from_secs(a.timeout),
            runner: a.runner,
            specs: a.specs,
            accel: a.accel,
            qemu: a.qemu,
            timings: a.timings,
            baseline: a.baseline,
            allow: a.baseline_allow,
        });
    }
    let out = a.out.unwrap_or_else(|| "kernel-matrix/results".into());
    let runner = crate::runner_bin::find(a.runner)?;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = Options {
        kernels_file: a.kernels,
        only: a.only,
        jobs,
        out_dir: out.clone(),
        check: a.check,
        shard: a.shard,
        update_lock: a.update_lock,
        timeout: Duration::from_secs(a.timeout),
        runner,
        specs_dir: a.specs,
        accel: a.accel.parse().map_err(anyhow::Error::msg)?,
        qemu: a.qemu,
        cache: None,
        mirror: mapspec_kernel_matrix::mirror::MirrorOverride {
            debian: a.mirror,
            security: a.security_mirror,
        },
        memory_mb: 1024,
        smp: 2,
    };
    // From here on SIGINT, SIGTERM and SIGHUP stop the run cleanly: every
    // qemu killed, temporary directories removed, nothing written.
    let stop = signals::Stop::install().context("cannot install the signal handlers")?;
    let outcome = match matrix::run_until(&opts, stop.flag()) {
        Ok(o) => o,
        Err(e) => {
            return Ok(matrix_exit::run_error(
                e,
                "every qemu it started was killed and its temporary files removed; no results \
                 were written",
            ))
        }
    };
    if outcome.kernels.is_empty() {
        println!("no kernel selected (empty shard?): nothing to do");
        return Ok(exit::OK);
    }
    println!("\n{}", outcome.table());
    if let Some(n) = a.timings {
        print_timings(&outcome, n);
    }
    let mut code = exit::OK;
    let worst = |code: &mut u8, c: u8| *code = (*code).max(c);
    for k in &outcome.kernels {
        for line in kernel_boot::panic_summary(&k.name, &k.panics, &k.outcome) {
            eprintln!("\n{line}");
        }
        match &k.outcome {
            Err(e) => {
                eprintln!("\n{}", e.kernel_message(&k.name));
                worst(
                    &mut code,
                    if e.is_environment() {
                        exit::ENV
                    } else {
                        exit::FAILED
                    },
                );
            }
            Ok(r) => {
                for c in r.results.iter().filter(|c| {
                    matches!(
                        c.status,
                        mapspec_spec::results::Status::Fail | mapspec_spec::results::Status::Error
                    )
                }) {
                    eprintln!(
                        "kernel {} ({}): {} {}: expected {}, observed {}",
                        k.name,
                        r.kernel.release,
                        c.status.as_str().to_uppercase(),
                        c.claim,
                        c.expected,
                        c.observed
                    );
                    worst(&mut code, exit::FAILED);
                }
                if !k.drift.is_empty() {
                    let file = k
                        .results_file
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    eprintln!("\nkernel {}: results differ from {file}:", k.name);
                    for d in &k.drift {
                        eprintln!("  {d}");
                    }
                    worst(&mut code, exit::FAILED);
                }
            }
        }
    }
    for s in &outcome.stale {
        if opts.check {
            eprintln!(
                "stale results file (no kernel of kernels.yaml produces it): {}",
                s.display()
            );
            worst(&mut code, exit::FAILED);
        } else {
            eprintln!("removed stale results file {}", s.display());
        }
    }
    let ok = outcome.kernels.iter().filter(|k| k.outcome.is_ok()).count();
    println!(
        "{ok} of {} ran in {:.1} s{}",
        table::count(outcome.kernels.len(), "kernel", "kernels"),
        outcome.wall.as_secs_f64(),
        if opts.check {
            if code == exit::OK {
                "; results match the committed ones"
            } else {
                ""
            }
        } else {
            ""
        }
    );
    if !opts.check && ok > 0 {
        println!("results in {}", out.display());
    }
    Ok(code)
}

/// The slowest claims of each kernel, as measured inside the guest (TCG
/// makes some operations, such as RCU grace periods, far slower than on
/// hardware, so the ranking differs from `mapspec run`'s).
fn print_timings(outcome: &matrix::Outcome, n: usize) {
    let ok: Vec<_> = outcome
        .kernels
        .iter()
        .filter_map(|k| Some((k, k.outcome.as_ref().ok()?)))
        .collect();
    // The sums say what the boots cost on their own, whatever the load and
    // the slots: the wall time is at least the boots' sum over the slots.
    println!(
        "{} kernels in {:.1} s; summed over them: boot to power-off {:.1} s, suite in the guest {:.1} s",
        ok.len(),
        outcome.wall.as_secs_f64(),
        ok.iter().map(|(k, _)| k.elapsed.as_secs_f64()).sum::<f64>(),
        ok.iter()
            .map(|(_, r)| r.duration_ms.unwrap_or(0) as f64 / 1000.0)
            .sum::<f64>()
    );
    for k in &outcome.kernels {
        let Ok(r) = &k.outcome else { continue };
        let total_ms = r.duration_ms.unwrap_or(0);
        println!(
            "\n{} ({}): boot to power-off {:.1} s, suite {:.1} s in the guest; slowest claims:",
            k.name,
            r.kernel.release,
            k.elapsed.as_secs_f64(),
            total_ms as f64 / 1000.0
        );
        let mut by_time: Vec<_> = r.results.iter().collect();
        by_time.sort_by_key(|c| std::cmp::Reverse(c.duration_us.unwrap_or(0)));
        for c in by_time.into_iter().take(n) {
            println!(
                "  {:>8.1} ms  {}",
                c.duration_us.unwrap_or(0) as f64 / 1000.0,
                c.claim
            );
        }
    }
}

fn merge(m: MergeArgs) -> anyhow::Result<u8> {
    let merged = match compare::merge(&m.dirs) {
        Ok(v) => v,
        Err(e @ MatrixError::MergeConflict { .. }) => {
            eprintln!("mapspec matrix merge: {e}");
            return Ok(exit::FAILED);
        }
        Err(e) => return Err(e).context("cannot read the shard results"),
    };
    // compare::merge has checked every release; a name is never a path.
    for (report, from) in &merged {
        let to = m.out.join(compare::file_name(report)?);
        let json = report.clone().without_timings().to_json();
        let opts = mapspec_safefs::Options {
            create_parent: mapspec_safefs::Parent::CreateOne,
        };
        mapspec_safefs::write_with(&to, json.as_bytes(), opts)
            .with_context(|| format!("merging {}", from.display()))?;
    }
    let cols: Vec<_> = merged
        .iter()
        .map(|(r, _)| (r.kernel.version.clone(), Some(r)))
        .collect();
    println!("{}", mapspec_kernel_matrix::table::render(&cols));
    println!(
        "merged {} results files into {}",
        merged.len(),
        m.out.display()
    );
    Ok(exit::OK)
}

//! `mapspec matrix --image PATH`: the suite on kernels a developer built,
//! optionally compared with a baseline (`--baseline`). The boots are
//! `mapspec_kernel_matrix::local_image`; this is reporting and exit codes.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use mapspec_kernel_matrix::local_image::{self, LocalOptions};
use mapspec_spec::results::Status;

use crate::{cmd_diff, exit, signals};

pub struct ImageArgs {
    pub images: Vec<PathBuf>,
    pub out: PathBuf,
    pub timeout: Duration,
    pub runner: Option<PathBuf>,
    pub specs: PathBuf,
    pub accel: String,
    pub qemu: String,
    pub timings: Option<usize>,
    /// `Some("")`: `--baseline` without a value.
    pub baseline: Option<String>,
    pub allow: Vec<String>,
    /// Where `--baseline VERSION` finds committed results.
    pub results_dir: PathBuf,
}

pub fn run(a: ImageArgs) -> anyhow::Result<u8> {
    let runner = crate::runner_bin::find(a.runner)?;
    let opts = LocalOptions {
        images: a.images,
        out_dir: a.out.clone(),
        timeout: a.timeout,
        runner,
        specs_dir: a.specs,
        accel: a.accel.parse().map_err(anyhow::Error::msg)?,
        qemu: a.qemu,
        cache: None,
        memory_mb: 1024,
        smp: 2,
    };
    let stop = signals::Stop::install().context("cannot install the signal handlers")?;
    let results = match local_image::run_until(&opts, stop.flag()) {
        Ok(r) => r,
        Err(e) => {
            return Ok(crate::matrix_exit::run_error(
                e,
                "qemu was killed and the temporary files removed",
            ))
        }
    };
    let mut code = exit::OK;
    let worst = |code: &mut u8, c: u8| *code = (*code).max(c);
    for r in &results {
        let name = r.image.display();
        let report = match &r.outcome {
            Ok(report) => report,
            // Every error names the image already.
            Err(e) => {
                eprintln!("mapspec matrix: {e}");
                worst(
                    &mut code,
                    if e.is_environment() {
                        exit::ENV
                    } else {
                        exit::FAILED
                    },
                );
                continue;
            }
        };
        let s = &report.summary;
        println!(
            "{name}: {}: {} pass, {} fail, {} skip, {} error ({:.1} s)",
            report.kernel.release,
            s.pass,
            s.fail,
            s.skip,
            s.error,
            r.elapsed.as_secs_f64()
        );
        if let Some(f) = &r.results_file {
            println!("results in {}", f.display());
        }
        if let Some(n) = a.timings {
            println!(
                "suite {:.1} s in the guest; slowest claims:",
                report.duration_ms.unwrap_or(0) as f64 / 1000.0
            );
            let mut by_time: Vec<_> = report.results.iter().collect();
            by_time.sort_by_key(|c| std::cmp::Reverse(c.duration_us.unwrap_or(0)));
            for c in by_time.into_iter().take(n) {
                println!(
                    "  {:>8.1} ms  {}",
                    c.duration_us.unwrap_or(0) as f64 / 1000.0,
                    c.claim
                );
            }
        }
        match &a.baseline {
            // Without a baseline a failing claim fails the run, as for the
            // Debian kernels; with one, only a change does.
            None => {
                for c in report
                    .results
                    .iter()
                    .filter(|c| matches!(c.status, Status::Fail | Status::Error))
                {
                    eprintln!(
                        "{name}: {} {}: expected {}, observed {}",
                        c.status.as_str().to_uppercase(),
                        c.claim,
                        c.expected,
                        c.observed
                    );
                    worst(&mut code, exit::FAILED);
                }
            }
            Some(arg) => match cmd_diff::baseline_for(arg, report, &a.results_dir) {
                Ok((path, base)) => {
                    println!("compared with {}:", path.display());
                    let cmp = mapspec_kernel_matrix::diff::compare(&base, report, &a.allow);
                    worst(&mut code, cmd_diff::print(&cmp));
                }
                Err(e) => {
                    eprintln!("mapspec matrix: --baseline: {e}");
                    worst(&mut code, exit::ENV);
                }
            },
        }
    }
    Ok(code)
}

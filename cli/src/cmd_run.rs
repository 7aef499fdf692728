//! `mapspec run`: every claim on the live kernel, reported as human text,
//! JSON or JUnit.

use crate::exit;
use crate::output::{count, escape, escape_with, out};
use crate::run_text;
use crate::signals::{self, Stop};
use anyhow::Context;
use mapspec_conformance::fixtures::cgroup::remove_leftovers;
use mapspec_conformance::runner::{environment_problems, run_until, RunOptions};
use mapspec_spec::results::{RunReport, Status};
use mapspec_spec::LoadError;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    pub specs: PathBuf,
    /// Only this map type (file stem like `hash`, or `BPF_MAP_TYPE_HASH`); repeatable.
    #[arg(long = "map", value_name = "TYPE")]
    pub maps: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here (atomically) instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Leave out the statistical concurrency checks.
    #[arg(long)]
    pub quick: bool,
    /// Leave timing fields out of JSON (for byte-identical reruns).
    #[arg(long)]
    pub no_timings: bool,
    /// Also save the JSON report, without timings, to this file (atomically),
    /// whatever `--format` shows. This is what docgen reads.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    let specs = match mapspec_spec::load_dir(&a.specs) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                eprintln!("{}", escape_with(&d.to_string(), true));
            }
            eprintln!("mapspec run: the specs are invalid (see `mapspec lint`)");
            return Ok(exit::FAILED);
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot load the specs")),
    };
    if specs.is_empty() {
        eprintln!(
            "mapspec run: no specs in {}: nothing to check (a spec directory holds maps/*.yaml)",
            escape(&a.specs.display().to_string())
        );
        return Ok(exit::ENV);
    }
    for m in &a.maps {
        let opts = RunOptions {
            only: vec![m.clone()],
            ..Default::default()
        };
        if !specs.iter().any(|s| opts.selects(s)) {
            eprintln!("mapspec run: no spec for map type `{}`", escape(m));
            return Ok(exit::ENV);
        }
    }
    if !is_root() {
        eprintln!("mapspec run: must run as root: creating BPF maps needs CAP_BPF/CAP_SYS_ADMIN (try `sudo mapspec run`)");
        return Ok(exit::ENV);
    }
    let opts = RunOptions {
        quick: a.quick,
        only: a.maps.clone(),
        timings: !a.no_timings,
    };
    // From here on a signal stops the run between claims (see signals.rs).
    let stop = Stop::install().context("cannot install the signal handlers")?;
    let problems = environment_problems(&specs, &opts);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("mapspec run: {p}");
        }
        return Ok(exit::ENV);
    }
    for p in remove_leftovers() {
        eprintln!(
            "mapspec run: removed {}, left by an earlier run that was killed",
            escape(&p.display().to_string())
        );
    }
    let live = a.format == Format::Human && a.output.is_none();
    let mut current = String::new();
    let report = run_until(&specs, &opts, stop.flag(), |r| {
        if live {
            if r.map_type != current {
                current = r.map_type.clone();
                out(&run_text::heading(&current));
            }
            out(&run_text::result_lines(r));
        }
    });
    if let Some(sig) = stop.signal() {
        eprintln!(
            "mapspec run: stopped by {} after {}; no report written",
            signals::name(sig),
            count(report.results.len() as u64, "claim", "claims")
        );
        return Ok(signals::exit_code(sig));
    }
    let text = match a.format {
        Format::Human => {
            if live {
                out(&run_text::summary(&report));
                String::new()
            } else {
                run_text::human(&report)
            }
        }
        Format::Json => report.to_json(),
        Format::Junit => junit(&report)?,
    };
    if let Some(path) = &a.save {
        let stable = report.clone().without_timings();
        mapspec_safefs::write(path, stable.to_json().as_bytes())
            .context("cannot save the results")?;
    }
    match &a.output {
        Some(path) => mapspec_safefs::write(path, text.as_bytes())?,
        None => {
            out(&text);
        }
    }
    let s = &report.summary;
    Ok(if s.fail > 0 || s.error > 0 {
        exit::FAILED
    } else {
        exit::OK
    })
}

fn junit(report: &RunReport) -> anyhow::Result<String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut rep = Report::new("mapspec");
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    for r in &report.results {
        let suite = suites
            .entry(r.map_type.clone())
            .or_insert_with(|| TestSuite::new(r.map_type.clone()));
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skip => {
                let mut s = TestCaseStatus::skipped();
                if let Some(reason) = &r.reason {
                    s.set_message(reason.clone());
                }
                s
            }
            Status::Fail | Status::Error => {
                let kind = if r.status == Status::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(format!(
                    "expected: {}; observed: {}",
                    r.expected, r.observed
                ));
                s
            }
        };
        let mut tc = TestCase::new(r.claim.clone(), status);
        tc.set_classname(r.map_type.clone());
        if let Some(us) = r.duration_us {
            tc.set_time(std::time::Duration::from_micros(us));
        }
        if let Some(m) = &r.measurement {
            tc.set_system_out(m.to_string());
        }
        suite.add_test_case(tc);
    }
    rep.add_test_suites(suites.into_values());
    Ok(rep.to_string()?)
}

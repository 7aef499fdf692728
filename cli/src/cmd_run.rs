//! `mapspec run`: every claim on the live kernel, reported as human text,
//! JSON or JUnit.

use crate::exit;
use anyhow::Context;
use mapspec_conformance::runner::{run_with, RunOptions};
use mapspec_spec::results::{RunReport, Status, Summary};
use mapspec_spec::LoadError;
use owo_colors::{OwoColorize, Stream};
use std::collections::BTreeMap;
use std::io::Write;
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
    if !is_root() {
        eprintln!("mapspec run: must run as root: creating BPF maps needs CAP_BPF/CAP_SYS_ADMIN (try `sudo mapspec run`)");
        return Ok(exit::ENV);
    }
    let specs = match mapspec_spec::load_dir(&a.specs) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!("mapspec run: the specs are invalid (see `mapspec lint`)");
            return Ok(exit::ENV);
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot load the specs")),
    };
    for m in &a.maps {
        let opts = RunOptions {
            only: vec![m.clone()],
            ..Default::default()
        };
        if !specs.iter().any(|s| opts.selects(s)) {
            eprintln!("mapspec run: no spec for map type `{m}`");
            return Ok(exit::ENV);
        }
    }
    let opts = RunOptions {
        quick: a.quick,
        only: a.maps.clone(),
        timings: !a.no_timings,
    };
    let live = a.format == Format::Human && a.output.is_none();
    let mut current = String::new();
    let report = run_with(&specs, &opts, |r| {
        if live {
            if r.map_type != current {
                current = r.map_type.clone();
                println!(
                    "{}",
                    current.if_supports_color(Stream::Stdout, |t| t.bold())
                );
            }
            print_result(r);
        }
    });
    let text = match a.format {
        Format::Human => {
            if live {
                print_summary(&report);
                String::new()
            } else {
                human(&report)
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
            std::io::stdout().write_all(text.as_bytes())?;
        }
    }
    let s = &report.summary;
    Ok(if s.fail > 0 || s.error > 0 {
        exit::FAILED
    } else {
        exit::OK
    })
}

fn status_word(s: Status) -> String {
    let w = format!("{:<5}", s.as_str().to_uppercase());
    match s {
        Status::Pass => w
            .if_supports_color(Stream::Stdout, |t| t.green())
            .to_string(),
        Status::Fail => w.if_supports_color(Stream::Stdout, |t| t.red()).to_string(),
        Status::Skip => w
            .if_supports_color(Stream::Stdout, |t| t.yellow())
            .to_string(),
        Status::Error => w
            .if_supports_color(Stream::Stdout, |t| t.magenta())
            .to_string(),
    }
}

fn result_lines(r: &mapspec_spec::results::ClaimResult) -> String {
    let mut s = format!("  {} {}  {}\n", status_word(r.status), r.claim, r.text);
    match r.status {
        Status::Fail | Status::Error => {
            s.push_str(&format!(
                "        expected: {}\n        observed: {}\n",
                r.expected, r.observed
            ));
        }
        Status::Skip => {}
        Status::Pass => {}
    }
    if let Some(reason) = &r.reason {
        s.push_str(&format!("        ({reason})\n"));
    }
    if let Some(m) = &r.measurement {
        s.push_str(&format!("        measured: {m}\n"));
    }
    s
}

fn print_result(r: &mapspec_spec::results::ClaimResult) {
    print!("{}", result_lines(r));
}

fn summary_line(label: &str, s: &Summary) -> String {
    format!(
        "{label}: {} passed, {} failed, {} skipped, {} errors",
        s.pass, s.fail, s.skip, s.error
    )
}

fn per_type(report: &RunReport) -> BTreeMap<String, Summary> {
    let mut m: BTreeMap<String, Vec<&mapspec_spec::results::ClaimResult>> = BTreeMap::new();
    for r in &report.results {
        m.entry(r.map_type.clone()).or_default().push(r);
    }
    m.into_iter().map(|(k, v)| (k, Summary::of(v))).collect()
}

fn print_summary(report: &RunReport) {
    println!();
    for (t, s) in per_type(report) {
        println!("{}", summary_line(&t, &s));
    }
    let total = summary_line(
        &format!(
            "total on {} ({} CPUs)",
            report.kernel.release, report.kernel.possible_cpus
        ),
        &report.summary,
    );
    let ok = report.summary.fail == 0 && report.summary.error == 0;
    if ok {
        println!("{}", total.if_supports_color(Stream::Stdout, |t| t.green()));
    } else {
        println!("{}", total.if_supports_color(Stream::Stdout, |t| t.red()));
    }
    if let Some(ms) = report.duration_ms {
        println!("finished in {ms} ms");
    }
}

fn human(report: &RunReport) -> String {
    let mut s = String::new();
    let mut current = String::new();
    for r in &report.results {
        if r.map_type != current {
            current = r.map_type.clone();
            s.push_str(&format!("{current}\n"));
        }
        s.push_str(&result_lines(r));
    }
    s.push('\n');
    for (t, sum) in per_type(report) {
        s.push_str(&summary_line(&t, &sum));
        s.push('\n');
    }
    s.push_str(&summary_line(
        &format!("total on {}", report.kernel.release),
        &report.summary,
    ));
    s.push('\n');
    s
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

//! `mapspec report`: the compatibility report, a static site of every claim
//! on every kernel with its evidence. mapspec-report renders it in memory;
//! the files are written here, through safefs.

use crate::exit;
use crate::output::count;
use anyhow::Context;
use mapspec_report::Package;
use mapspec_spec::results::RunReport;
use mapspec_spec::{LoadError, MapSpec};
use std::path::{Path, PathBuf};

/// The results `mapspec docs` reads: the kernel matrix's and this host's.
pub const DEFAULT_RESULTS: [&str; 2] = ["kernel-matrix/results", "results/host"];
/// Under target/, not report/ (the crate's sources): the site is generated,
/// git ignores target/, and `cargo clean` removes it with the rest.
const DEFAULT_OUT: &str = "target/report";

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    pub specs: PathBuf,
    /// A results file of `mapspec run --save`, or a directory of them
    /// (every *.json). Repeatable; a path that does not exist holds no
    /// results. Without it: kernel-matrix/results and results/host.
    #[arg(long = "results", value_name = "FILE_OR_DIR")]
    pub results: Vec<PathBuf>,
    /// Where the site goes (index.html and one page per map type).
    #[arg(long, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
}

/// What `report` and `show` render from.
pub type Inputs = (Vec<MapSpec>, Vec<RunReport>, Vec<Package>);

/// The specs, the results and the Debian packages of the kernels: what
/// both `report` and `show` render. `Ok(Err(code))` when the specs do not
/// lint (the problems are printed).
pub fn load(specs: &Path, results: &[PathBuf], who: &str) -> anyhow::Result<Result<Inputs, u8>> {
    if !specs.is_dir() {
        anyhow::bail!("the spec directory {} does not exist", specs.display());
    }
    let loaded = match mapspec_spec::load_dir(specs) {
        Ok(s) => s,
        Err(LoadError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!(
                "{} in the specs; run `mapspec lint --specs {}`",
                count(diagnostics.len() as u64, "problem", "problems"),
                specs.display()
            );
            return Ok(Err(exit::FAILED));
        }
        Err(e) => return Err(e).context("cannot read the specs"),
    };
    let defaults: Vec<PathBuf>;
    let results = if results.is_empty() {
        defaults = DEFAULT_RESULTS.iter().map(PathBuf::from).collect();
        &defaults[..]
    } else {
        results
    };
    let mut reports = Vec::new();
    for r in results {
        if !r.exists() {
            eprintln!(
                "mapspec {who}: {} does not exist: no results from it",
                r.display()
            );
            continue;
        }
        reports.extend(RunReport::read_all(r).context("cannot read the results")?);
    }
    Ok(Ok((loaded, reports, packages(specs))))
}

/// The packages kernels.lock pins, read from the checkout the specs live
/// in. Only labels: without a lock file the report says nothing of them.
fn packages(specs: &Path) -> Vec<Package> {
    let Some(root) = std::fs::canonicalize(specs)
        .ok()
        .and_then(|s| s.parent().map(Path::to_path_buf))
    else {
        return Vec::new();
    };
    let lock = root.join("kernel-matrix/kernels.lock");
    if !lock.is_file() {
        return Vec::new();
    }
    match mapspec_kernel_matrix::config::LockFile::load(&lock) {
        Ok(l) => l
            .kernels
            .into_iter()
            .map(|k| Package {
                release: k.release,
                name: k.package,
                version: k.version,
            })
            .collect(),
        Err(e) => {
            eprintln!("mapspec: note: {e}; the report names no Debian packages");
            Vec::new()
        }
    }
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    let (specs, reports, packages) = match load(&a.specs, &a.results, "report")? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let site =
        mapspec_report::render(&specs, &reports, &packages).context("cannot render the report")?;
    let opts = mapspec_safefs::Options {
        // The default lives under target/, which mapspec may create whole;
        // an explicit --out may be new, a typo higher up is an error.
        create_parent: if a.out == Path::new(DEFAULT_OUT) {
            mapspec_safefs::Parent::CreateAll
        } else {
            mapspec_safefs::Parent::CreateOne
        },
    };
    // The out directory first (a page's write may create it), then the
    // pages from a few threads: each write is fsynced, and on one core
    // after another forty fsyncs took longer than rendering the site.
    let mut files = site.iter();
    if let Some((name, text)) = files.next() {
        mapspec_safefs::write_with(&a.out.join(name), text.as_bytes(), opts)?;
    }
    let rest: Vec<(&String, &String)> = files.collect();
    let chunk = rest.len().div_ceil(8).max(1);
    let out = &a.out;
    std::thread::scope(|s| {
        let jobs: Vec<_> = rest
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    for (name, text) in part {
                        mapspec_safefs::write_with(&out.join(name), text.as_bytes(), opts)?;
                    }
                    Ok::<(), mapspec_safefs::Error>(())
                })
            })
            .collect();
        jobs.into_iter()
            .try_for_each(|j| j.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })?;
    crate::output::outln!(
        "{}: {} ({} x {}); open {}",
        a.out.display(),
        count(site.len() as u64, "file", "files"),
        count(specs.len() as u64, "map type", "map types"),
        count(reports.len() as u64, "kernel", "kernels"),
        a.out.join("index.html").display()
    );
    Ok(exit::OK)
}

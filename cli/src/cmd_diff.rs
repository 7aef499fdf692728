//! `mapspec diff A.json B.json`, and the `--baseline` comparison of
//! `mapspec matrix --image`: which claims' outcomes differ between two
//! results files. The comparison is `mapspec_kernel_matrix::diff`.

use std::path::{Path, PathBuf};

use mapspec_kernel_matrix::diff;
use mapspec_spec::results::RunReport;

use crate::exit;

#[derive(clap::Args)]
pub struct Args {
    /// The baseline results file.
    baseline: PathBuf,
    /// The results file compared with it.
    new: PathBuf,
    /// A claim id (`<spec>/<claim>`) whose change is intended; repeatable.
    #[arg(long, value_name = "ID", num_args = 1..)]
    allow: Vec<String>,
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    let read = |p: &Path| RunReport::read(p);
    let (base, new) = match (read(&a.baseline), read(&a.new)) {
        (Ok(b), Ok(n)) => (b, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("mapspec diff: {e}");
            return Ok(exit::ENV);
        }
    };
    let cmp = diff::compare(&base, &new, &a.allow);
    Ok(print(&cmp))
}

/// Print a comparison: the differing claims, then the counts. Exit 1 when
/// something differs that was not allowed.
pub fn print(cmp: &diff::Comparison) -> u8 {
    for line in cmp.lines() {
        println!("{line}");
    }
    if cmp.differs() {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// `--baseline`: the file named, or the committed results (in
/// `results_dir`) of the newest release at or below the version named,
/// or, given no value, at or below the image's own version.
pub fn baseline_for(
    arg: &str,
    report: &RunReport,
    results_dir: &Path,
) -> Result<(PathBuf, RunReport), mapspec_kernel_matrix::MatrixError> {
    if arg.is_empty() {
        diff::nearest(report.kernel.upstream, results_dir)
    } else {
        diff::resolve_baseline(arg, results_dir)
    }
}

//! `mapspec docs`: render Documentation/bpf from the specs and the recorded
//! results, or with `--check` compare it with what is committed.

use crate::exit;
use anyhow::Context;
use mapspec_docgen::DocError;
use mapspec_spec::LoadError;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The spec directory (holding maps/*.yaml) or a directory of YAML files.
    #[arg(long, default_value = "spec/maps")]
    pub specs: PathBuf,
    /// A results file of `mapspec run --save`, or a directory of them
    /// (every *.json). Repeatable; a path that does not exist holds no results.
    #[arg(long = "results", value_name = "FILE_OR_DIR")]
    pub results: Vec<PathBuf>,
    /// Where the pages go.
    #[arg(long, default_value = "Documentation/bpf")]
    pub out: PathBuf,
    /// Render into memory and compare with --out: exit 1 with a unified diff
    /// when a page is stale, missing, or no longer generated.
    #[arg(long)]
    pub check: bool,
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    if !a.specs.is_dir() {
        anyhow::bail!("the spec directory {} does not exist", a.specs.display());
    }
    let specs = match mapspec_docgen::load_specs(&a.specs) {
        Ok(s) => s,
        Err(DocError::Specs(LoadError::Invalid { diagnostics })) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!(
                "{} problem(s) in the specs; run `mapspec lint`",
                diagnostics.len()
            );
            return Ok(exit::FAILED);
        }
        Err(e) => return Err(e).context("cannot read the specs"),
    };
    for r in &a.results {
        if !r.exists() {
            eprintln!(
                "mapspec docs: {} does not exist: no results from it",
                r.display()
            );
        }
    }
    let reports = mapspec_docgen::load_results(&a.results).context("cannot read the results")?;
    let unknown = mapspec_docgen::unknown_claims(&specs, &reports);
    if !unknown.is_empty() {
        eprintln!(
            "mapspec docs: note: {} result(s) name claims no spec has (e.g. {}); they are not shown. Rerun the checks to refresh the results.",
            unknown.len(),
            unknown[0]
        );
    }
    let pages = match mapspec_docgen::render(&specs, &reports) {
        Ok(p) => p,
        // A spec's Markdown that cannot become RST is a spec problem.
        Err(e @ (DocError::Markdown { .. } | DocError::Inconsistent(_))) => {
            eprintln!("{e}");
            return Ok(exit::FAILED);
        }
        Err(e) => return Err(e).context("cannot render the pages"),
    };
    if a.check {
        let drift = mapspec_docgen::check(&a.out, &pages)?;
        if drift.is_empty() {
            println!("{}: {} pages up to date", a.out.display(), pages.len());
            return Ok(exit::OK);
        }
        for d in &drift {
            print!("{d}");
        }
        eprintln!(
            "{}: {} page(s) out of date; run `mapspec docs{}` and commit the result",
            a.out.display(),
            drift.len(),
            a.results
                .iter()
                .map(|r| format!(" --results {}", r.display()))
                .collect::<String>()
        );
        return Ok(exit::FAILED);
    }
    let touched = mapspec_docgen::write(&a.out, &pages)?;
    println!(
        "{}: {} pages, {} changed{}",
        a.out.display(),
        pages.len(),
        touched.len(),
        if touched.is_empty() {
            String::new()
        } else {
            format!(" ({})", touched.join(", "))
        }
    );
    Ok(exit::OK)
}

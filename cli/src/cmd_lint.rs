//! `mapspec lint`: validate every spec and print `file:line:col: message`.

use crate::exit;
use crate::output::{count, escape, escape_with, outln};
use anyhow::Context;
use mapspec_spec::LoadError;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    pub specs: PathBuf,
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    match mapspec_spec::load_dir(&a.specs) {
        Ok(specs) if specs.is_empty() => {
            eprintln!(
                "mapspec lint: no specs in {}: nothing to check (a spec directory holds maps/*.yaml)",
                escape(&a.specs.display().to_string())
            );
            Ok(exit::ENV)
        }
        Ok(specs) => {
            let problems = render_problems(&a.specs)?;
            if !problems.is_empty() {
                report(problems.iter().map(String::as_str));
                return Ok(exit::FAILED);
            }
            let claims: usize = specs.iter().map(|s| s.claims().len()).sum();
            outln!(
                "{}, {}: ok",
                count(specs.len() as u64, "spec", "specs"),
                count(claims as u64, "claim", "claims")
            );
            Ok(exit::OK)
        }
        Err(LoadError::Invalid { diagnostics }) => {
            let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            report(lines.iter().map(String::as_str));
            Ok(exit::FAILED)
        }
        Err(e @ LoadError::Io { .. }) => {
            Err(anyhow::Error::new(e).context("cannot read the specs"))
        }
    }
}

/// Problems on stderr, escaped (a diagnostic may quote the spec), then
/// their count.
fn report<'a>(problems: impl ExactSizeIterator<Item = &'a str>) {
    let n = problems.len();
    for p in problems {
        eprintln!("{}", escape_with(p, true));
    }
    eprintln!("{}", count(n as u64, "problem", "problems"));
}

/// What would make `mapspec docs` fail on specs that load: Markdown with no
/// faithful RST form, or specs that contradict each other on a page. Each
/// spec is rendered alone so that every file's problem is reported.
fn render_problems(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    use mapspec_docgen::DocError;
    let specs = mapspec_docgen::load_specs(dir).context("cannot read the specs")?;
    let problem = |r: Result<mapspec_docgen::Pages, DocError>| match r {
        Ok(_) => Ok(None),
        Err(e @ (DocError::Markdown { .. } | DocError::Inconsistent(_))) => Ok(Some(e.to_string())),
        Err(e) => Err(anyhow::Error::new(e).context("cannot render the specs")),
    };
    let mut problems = Vec::new();
    for one in &specs {
        problems.extend(problem(mapspec_docgen::render(
            std::slice::from_ref(one),
            &[],
        ))?);
    }
    if problems.is_empty() {
        problems.extend(problem(mapspec_docgen::render(&specs, &[]))?);
    }
    Ok(problems)
}

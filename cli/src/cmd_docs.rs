//! `mapspec docs`: render Documentation/bpf from the specs and the recorded
//! results, or with `--check` compare it with what is committed. docgen
//! renders and compares; the pages are written here, through safefs.

use crate::exit;
use anyhow::Context;
use mapspec_docgen::{DocError, Drift, Pages};
use mapspec_spec::LoadError;
use std::path::{Path, PathBuf};

/// Where the README's results live: the kernel matrix's and this host's.
/// The bare `mapspec docs` reads them, so that it reproduces the committed
/// pages instead of stripping every "Verified on" from them.
const DEFAULT_RESULTS: [&str; 2] = ["kernel-matrix/results", "results/host"];
const DEFAULT_OUT: &str = "Documentation/bpf";

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    pub specs: PathBuf,
    /// A results file of `mapspec run --save`, or a directory of them
    /// (every *.json). Repeatable; a path that does not exist holds no
    /// results. Without it: kernel-matrix/results and results/host.
    #[arg(long = "results", value_name = "FILE_OR_DIR")]
    pub results: Vec<PathBuf>,
    /// Where the pages go.
    #[arg(long, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Render into memory and compare with --out: exit 1 with a unified diff
    /// when a page is stale, missing, or no longer generated.
    #[arg(long, conflicts_with_all = ["kernel_tree", "patches"])]
    pub check: bool,
    /// A kernel source tree: write the pages into its Documentation/bpf
    /// (instead of --out), remove the stock pages they supersede and
    /// adjust the toctrees.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub kernel_tree: Option<PathBuf>,
    /// With --kernel-tree: leave the tree as it is and write the same
    /// changes as a `git format-patch` series into OUT, one patch per map
    /// page plus one for the overview.
    #[arg(long, value_name = "OUT", requires = "kernel_tree")]
    pub patches: Option<PathBuf>,
}

/// `mapspec docs` with the options of this run spelled out, so that the
/// advice we print repeats exactly what was rendered.
fn command(a: &Args) -> String {
    let mut c = String::from("mapspec docs");
    if a.specs != Path::new(crate::DEFAULT_SPECS) {
        c += &format!(" --specs {}", a.specs.display());
    }
    for r in &a.results {
        c += &format!(" --results {}", r.display());
    }
    if a.out != Path::new(DEFAULT_OUT) {
        c += &format!(" --out {}", a.out.display());
    }
    c
}

/// Whether the specs are the repository's whole set (the default
/// directory): only then may a page that no spec renders be removed. From
/// any other directory, which may hold a few specs only, the other pages
/// are not ours to judge.
fn full_spec_set(specs: &Path) -> bool {
    let maps = |d: &Path| {
        let d = if d.join("maps").is_dir() {
            d.join("maps")
        } else {
            d.to_path_buf()
        };
        std::fs::canonicalize(d).ok()
    };
    maps(specs).is_some_and(|s| Some(s) == maps(Path::new(crate::DEFAULT_SPECS)))
}

pub fn main(mut a: Args) -> anyhow::Result<u8> {
    if a.results.is_empty() {
        a.results = DEFAULT_RESULTS.iter().map(PathBuf::from).collect();
    }
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
                "{} in the specs; run `mapspec lint --specs {}`",
                crate::output::count(diagnostics.len() as u64, "problem", "problems"),
                a.specs.display()
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
            "mapspec docs: note: {} claims no spec has (e.g. {}); they are not shown. Rerun the checks to refresh the results.",
            crate::output::count(unknown.len() as u64, "result names", "results name"),
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
    let full = full_spec_set(&a.specs);
    if let Some(dir) = &a.kernel_tree {
        return crate::kernel_tree::main(dir, a.patches.as_deref(), &pages, &reports, full);
    }
    if a.check {
        check(&a, &pages, full)
    } else {
        write(&a, &pages, full)
    }
}

fn check(a: &Args, pages: &Pages, full: bool) -> anyhow::Result<u8> {
    let mut drift = mapspec_docgen::check(&a.out, pages)?;
    // A subset of the specs renders a subset of the pages.
    drift.retain(|d| full || !matches!(d, Drift::Extra { .. }));
    if drift.is_empty() {
        println!("{}: {} pages up to date", a.out.display(), pages.len());
        return Ok(exit::OK);
    }
    for d in &drift {
        print!("{d}");
    }
    eprintln!(
        "{}: {} out of date; run `{}` and commit the result",
        a.out.display(),
        crate::output::count(drift.len() as u64, "page", "pages"),
        command(a)
    );
    Ok(exit::FAILED)
}

fn write(a: &Args, pages: &Pages, full: bool) -> anyhow::Result<u8> {
    let plan = mapspec_docgen::plan(&a.out, pages)?;
    let mut touched = Vec::new();
    for name in &plan.write {
        let opts = mapspec_safefs::Options {
            // Documentation/ is in the repository; an explicit new --out
            // may be created, a typo higher up is an error.
            create_parent: mapspec_safefs::Parent::CreateOne,
        };
        mapspec_safefs::write_with(&a.out.join(name), pages[name].as_bytes(), opts)?;
        touched.push(name.clone());
    }
    if full {
        // plan.remove holds only pages with docgen's generated-file header.
        for name in &plan.remove {
            let path = a.out.join(name);
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale page {}", path.display()))?;
            touched.push(name.clone());
        }
    } else if !plan.remove.is_empty() {
        eprintln!(
            "mapspec docs: note: {} in {} not rendered from {} ({}); \
             kept, since those specs may be a subset (pages are removed only with the full \
             spec set, `mapspec docs` without --specs)",
            crate::output::count(
                plan.remove.len() as u64,
                "generated page is",
                "generated pages are"
            ),
            a.out.display(),
            a.specs.display(),
            plan.remove.join(", ")
        );
    }
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

//! docgen: kernel-style reStructuredText for `Documentation/bpf/`, rendered
//! from the spec files and the results files of `mapspec run` / the kernel
//! matrix. It never touches the kernel: [`render`] is a pure function of
//! its inputs, and the same inputs give byte-identical pages.
//!
//! The pipeline: [`load_specs`] and [`load_results`] read the inputs;
//! [`DocModel::new`] loads everything else the pages show (example
//! sources) and computes each claim's status once; [`DocModel::render`]
//! then builds one context per page (`page/`, `overview.rs`) out of small
//! RST pieces (`rst.rs`, `markdown.rs`, `wording.rs`, `usage.rs`) and fills
//! the Tera templates in `docgen/templates/`, reading no file;
//! [`check`] and [`plan`] compare the result with a directory. docgen
//! writes nothing: `mapspec docs` writes the pages a [`Plan`] names.

mod func;
pub mod kernel_tree;
pub mod markdown;
mod model;
mod overview;
mod page;
mod render;
pub mod rst;
mod targets;
mod templates;
pub mod tera_setup;
pub mod usage;
mod wording;

pub use model::DocModel;
pub use page::{Layout, PageStatement, Place, Placed};

use mapspec_spec::results::{ResultsError, RunReport};
use mapspec_spec::yaml::{self, Positions, Seg};
use mapspec_spec::{LoadError, MapSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything that can stop docgen.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The specs do not load or lint.
    #[error(transparent)]
    Specs(#[from] LoadError),
    /// Markdown in a spec that has no faithful RST form.
    #[error("{}:{line}: {message}", file.display())]
    Markdown {
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// A results file that cannot be read or is not a results file.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The specs contradict what a page needs (e.g. two types, one title).
    #[error("{0}")]
    Inconsistent(String),
    /// A bug in a template.
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One loaded spec with what docgen needs to point at its lines.
#[derive(Debug, Clone)]
pub struct SpecFile {
    pub spec: MapSpec,
    /// Where it was read from (for error messages).
    pub path: PathBuf,
    source: String,
    /// Where each YAML node is: parsed only when an error needs a line.
    positions: std::sync::OnceLock<Positions>,
}

impl From<mapspec_spec::SpecSource> for SpecFile {
    fn from(s: mapspec_spec::SpecSource) -> SpecFile {
        SpecFile {
            spec: s.spec,
            path: s.path,
            source: s.source,
            positions: std::sync::OnceLock::new(),
        }
    }
}

impl SpecFile {
    /// A spec from its text; `path` names it in errors.
    pub fn from_source(path: &Path, source: &str) -> Result<SpecFile, DocError> {
        let spec = mapspec_spec::load_str(path, source)
            .map_err(|diagnostics| LoadError::Invalid { diagnostics })?;
        Ok(SpecFile {
            spec,
            path: path.to_path_buf(),
            source: source.to_string(),
            positions: std::sync::OnceLock::new(),
        })
    }

    /// The path the pages name: where the spec lives in the repository.
    /// Independent of `--specs`, so pages do not depend on the caller's cwd.
    pub fn repo_path(&self) -> String {
        format!("spec/maps/{}.yaml", self.spec.name)
    }

    /// The 1-based spec line of line `md_line` of the string at `path`.
    pub(crate) fn line_of(&self, path: &[Seg], md_line: usize) -> usize {
        let positions = self.positions.get_or_init(|| {
            yaml::parse(&self.source)
                .map(|d| d.positions)
                .unwrap_or_default()
        });
        let (line, column) = positions.locate_value(path);
        let text = self
            .source
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("");
        let at = text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| &text[i..])
            .unwrap_or("");
        // A block scalar (`|`, `>`) starts on the line after its indicator.
        let block = at.starts_with('|') || at.starts_with('>');
        line + md_line - usize::from(!block)
    }

    fn md_error(&self, path: &[Seg], e: markdown::MdError) -> DocError {
        DocError::Markdown {
            file: self.path.clone(),
            line: self.line_of(path, e.line.max(1)),
            message: format!("{} (in `{}`)", e.message, yaml::render_path(path)),
        }
    }

    /// Markdown blocks of the field at `path` as RST.
    pub(crate) fn block(&self, path: &[Seg], text: &str) -> Result<markdown::Rst, DocError> {
        markdown::to_rst(text).map_err(|e| self.md_error(path, e))
    }

    /// One Markdown sentence of the field at `path` as inline RST.
    pub(crate) fn inline(&self, path: &[Seg], text: &str) -> Result<markdown::Rst, DocError> {
        markdown::inline_to_rst(text).map_err(|e| self.md_error(path, e))
    }
}

pub(crate) fn key(s: &str) -> Seg {
    Seg::Key(s.to_string())
}

/// Every spec under `dir` (a directory of `*.yaml`, or one holding `maps/`),
/// sorted by name, linted exactly like `mapspec lint`.
pub fn load_specs(dir: &Path) -> Result<Vec<SpecFile>, DocError> {
    // load_dir lints across files (duplicate types) and reports every
    // problem; it keeps each file's text for the line numbers of errors.
    let specs = mapspec_spec::load_dir_sources(dir)?;
    Ok(specs.into_iter().map(SpecFile::from).collect())
}

/// The reports of every `--results` argument: a file, or every `*.json` of
/// a directory. A path that does not exist holds no results (the matrix may
/// not have run yet); a file that is not a results file is an error naming it.
pub fn load_results(paths: &[PathBuf]) -> Result<Vec<RunReport>, DocError> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            continue;
        }
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|source| DocError::Io {
                    path: p.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| e == "json"))
                .collect();
            v.sort();
            files.extend(v);
        } else {
            files.push(p.clone());
        }
    }
    // Each file is a megabyte of JSON: parsed side by side, in order.
    let results = in_parallel(&files, |f| RunReport::read(f));
    Ok(results.into_iter().collect::<Result<Vec<_>, _>>()?)
}

/// `f` over `items` on up to as many threads as the machine has CPUs,
/// results in the order of `items`.
pub(crate) fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Claim ids that results files mention but no spec has (results from an
/// older spec, a renamed claim): they are not shown on any page.
pub fn unknown_claims(specs: &[SpecFile], reports: &[RunReport]) -> Vec<String> {
    let specs: Vec<MapSpec> = specs.iter().map(|s| s.spec.clone()).collect();
    wording::Results::new(reports).unknown_claims(&specs)
}

/// The rendered pages: file name (relative to the output directory) → text.
pub type Pages = BTreeMap<String, String>;

/// Render every page: [`DocModel::new`] then [`DocModel::render`].
/// Deterministic: the same inputs give byte-identical pages.
pub fn render(specs: &[SpecFile], reports: &[RunReport]) -> Result<Pages, DocError> {
    DocModel::new(specs, reports)?.render()
}

/// The marker every generated page carries in its header comment. Only
/// files with it are ever reported as stale or removed, so an output
/// directory may hold hand-written pages (a kernel tree's other pages).
pub const MARKER: &str = "Generated by mapspec from";

/// The marker of pages written before the one-line header, so that they
/// are still recognised (and removed when no spec renders them).
const OLD_MARKER: &str = "This file is generated by ``mapspec docs``";

fn is_generated(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| {
        t.lines()
            .take(8)
            .any(|l| l.contains(MARKER) || l.contains(OLD_MARKER))
    })
}

/// One difference between the rendered pages and a directory.
#[derive(Debug, Clone, PartialEq)]
pub enum Drift {
    /// A page whose text differs; `diff` is a unified diff (old → new).
    Changed { name: String, diff: String },
    /// A page that does not exist yet.
    Missing { name: String, diff: String },
    /// A generated-looking page no spec renders any more.
    Extra { name: String },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Changed { diff, .. } | Drift::Missing { diff, .. } => f.write_str(diff),
            Drift::Extra { name } => writeln!(
                f,
                "{name}: stale file, no spec renders it any more (remove it)"
            ),
        }
    }
}

fn generated_in(dir: &Path) -> Result<Vec<String>, DocError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DocError::Io {
                path: dir.into(),
                source,
            })
        }
    };
    let mut v: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".rst") && is_generated(&dir.join(n)))
        .collect();
    v.sort();
    Ok(v)
}

/// Compare the rendered pages with `dir`: changed, missing and stale pages.
pub fn check(dir: &Path, pages: &Pages) -> Result<Vec<Drift>, DocError> {
    let mut out = Vec::new();
    for (name, new) in pages {
        let path = dir.join(name);
        let label = format!("{}", path.display());
        match std::fs::read_to_string(&path) {
            Ok(old) if old == *new => {}
            Ok(old) => out.push(Drift::Changed {
                name: name.clone(),
                diff: unified_diff(&old, new, &label),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.push(Drift::Missing {
                name: name.clone(),
                diff: unified_diff("", new, &label),
            }),
            Err(source) => return Err(DocError::Io { path, source }),
        }
    }
    for name in generated_in(dir)? {
        if !pages.contains_key(&name) {
            out.push(Drift::Extra { name });
        }
    }
    Ok(out)
}

/// A unified diff from `old` to `new`, both labelled with `path`.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// What makes a directory hold exactly the rendered pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pages that are missing or differ, to be written.
    pub write: Vec<String>,
    /// Pages carrying [`MARKER`] that no spec renders any more. Removing
    /// them is right only when `pages` come from the full spec set: with a
    /// subset (`--specs` of a few files), the other pages are listed here
    /// too, and must stay.
    pub remove: Vec<String>,
}

/// What [`Plan`] brings `dir` up to date with `pages`. Only reads `dir`;
/// the writing is the caller's (`mapspec docs`, through `mapspec-safefs`),
/// so that docgen stays a function of its inputs.
pub fn plan(dir: &Path, pages: &Pages) -> Result<Plan, DocError> {
    let mut plan = Plan::default();
    for drift in check(dir, pages)? {
        match drift {
            Drift::Changed { name, .. } | Drift::Missing { name, .. } => plan.write.push(name),
            Drift::Extra { name } => plan.remove.push(name),
        }
    }
    Ok(plan)
}

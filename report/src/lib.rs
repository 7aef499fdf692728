//! The compatibility report: every claim of every spec on every kernel of
//! the results, with its evidence, as a static site (`mapspec report`), and
//! the same facts for the terminal (`mapspec show`, through [`Matrix`]).
//!
//! A pure renderer: [`render`] takes loaded specs and results and returns
//! the files of the site by name; the CLI writes them through
//! `mapspec-safefs`. The pages need nothing at run time: the CSS and the
//! filters' plain JavaScript are files beside them, and without JavaScript
//! every row shows.

mod html;
pub mod matrix;
pub mod versions;

pub use matrix::{Cell, Decisive, Group, Kernel, Mark, Matrix, Package, Row, TypeMatrix};

use mapspec_spec::results::RunReport;
use mapspec_spec::MapSpec;
use std::collections::BTreeMap;

/// The files of the site: name (no directories) to content.
pub type Site = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A bug in a template.
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    /// A spec name that cannot name a page.
    #[error("the spec name {0:?} cannot name a page (letters, digits, '_' and '-' only)")]
    BadName(String),
}

/// Render the whole site from the specs and the results; `packages` are
/// the Debian packages kernels.lock pins (may be empty).
pub fn render(
    specs: &[MapSpec],
    reports: &[RunReport],
    packages: &[Package],
) -> Result<Site, ReportError> {
    let m = Matrix::build(specs, reports, packages);
    html::render(&m)
}

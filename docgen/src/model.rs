//! The docgen model: everything the pages show, loaded and computed once.
//! [`DocModel::new`] compiles each spec's claims once, finds each claim's
//! YAML path, computes its verification status from the results once,
//! converts the `api:` texts, and reads every example region a page or a
//! template shows. Rendering ([`DocModel::render`]) only reads the model:
//! no file I/O, no recompilation (`docgen/tests/model.rs` keeps it so).

use crate::func::Func;
use crate::markdown::Target;
use crate::wording::{Marks, Results, Status};
use crate::{key, templates, DocError, SpecFile};
use mapspec_spec::results::RunReport;
use mapspec_spec::yaml::Seg;
use mapspec_spec::{Claim, ClaimKind, MapSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One claim with where it is written and what the results say about it.
pub(crate) struct ClaimDoc {
    pub claim: Claim,
    /// The YAML path of the list entry the claim comes from.
    pub path: Vec<Seg>,
    pub status: Status,
    /// Its version and failure marks, from the typed results.
    pub marks: Marks,
}

/// One spec and what its pages need of it.
pub(crate) struct SpecDoc<'a> {
    pub file: &'a SpecFile,
    /// In the order `MapSpec::claims` gives them.
    pub claims: Vec<ClaimDoc>,
    /// The `api:` helpers and kfuncs, text as inline RST, header set.
    pub helpers: Vec<Func>,
    /// The `api:` libbpf functions, text as inline RST, header set.
    pub userspace: Vec<Func>,
    /// Link targets of the `api:` texts.
    pub api_targets: Vec<Target>,
}

impl SpecDoc<'_> {
    pub fn spec(&self) -> &MapSpec {
        &self.file.spec
    }
}

/// The loaded inputs of every page.
pub struct DocModel<'a> {
    /// Sorted by map type number, then name (the order of every list).
    pub(crate) specs: Vec<SpecDoc<'a>>,
    pub(crate) results: Results,
    /// Example references (`PATH#REGION`) → the code they show, or why it
    /// cannot be shown (reported where the page or template uses it, so
    /// that errors come in page order, as the spec's line or template).
    pub(crate) code: BTreeMap<String, Result<String, String>>,
}

/// Where each claim's list entry is. `MapSpec::claims` makes one claim per
/// entry of the four lists, in order, after the implicit `exists` claim, so
/// counting is enough (no search by id).
fn claim_paths(claims: &[Claim]) -> Vec<Vec<Seg>> {
    let mut next: BTreeMap<&str, usize> = BTreeMap::new();
    claims
        .iter()
        .map(|c| {
            let list = match c.kind {
                ClaimKind::Exists => return vec![key("map_type")],
                ClaimKind::Create { .. } => "create",
                ClaimKind::Command { .. } => "commands",
                ClaimKind::UpdateFlag { .. } => "update_flags",
                ClaimKind::Scenario => "scenarios",
            };
            let n = next.entry(list).or_insert(0);
            *n += 1;
            vec![key(list), Seg::Index(*n - 1)]
        })
        .collect()
}

fn api_funcs(
    sf: &SpecFile,
    list: &str,
    funcs: &[mapspec_spec::api::ApiFunc],
    header: Option<&'static str>,
    targets: &mut Vec<Target>,
) -> Result<Vec<Func>, DocError> {
    funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = [key("api"), key(list), Seg::Index(i), key("text")];
            let r = sf.inline(&path, &f.text)?;
            targets.extend(r.targets);
            Ok(match header {
                Some(h) => Func {
                    name: format!("{}()", f.name),
                    prototype: f.prototype.clone(),
                    text: r.text,
                    header: Some(h),
                },
                None => crate::func::kfunc(&f.name, &f.prototype, &r.text),
            })
        })
        .collect()
}

impl<'a> SpecDoc<'a> {
    pub(crate) fn new(file: &'a SpecFile, results: &Results) -> Result<SpecDoc<'a>, DocError> {
        let spec = &file.spec;
        let claims = spec.claims();
        let paths = claim_paths(&claims);
        let claims = claims
            .into_iter()
            .zip(paths)
            .map(|(claim, path)| ClaimDoc {
                status: results.status(&claim),
                marks: results.marks(&claim),
                claim,
                path,
            })
            .collect();
        let mut api_targets = Vec::new();
        let mut helpers = api_funcs(
            file,
            "helpers",
            &spec.api.helpers,
            Some(crate::func::HELPERS_H),
            &mut api_targets,
        )?;
        helpers.extend(api_funcs(
            file,
            "kfuncs",
            &spec.api.kfuncs,
            None,
            &mut api_targets,
        )?);
        let userspace = api_funcs(
            file,
            "userspace",
            &spec.api.userspace,
            Some(crate::func::LIBBPF_H),
            &mut api_targets,
        )?;
        Ok(SpecDoc {
            file,
            claims,
            helpers,
            userspace,
            api_targets,
        })
    }
}

/// The directories that paths of example sources (`conformance/...`) are
/// relative to: the ancestors of the spec files, nearest first. Example
/// files are found in the repository the specs live in, whatever the cwd.
fn source_roots(specs: &[SpecFile]) -> Vec<PathBuf> {
    let mut dirs: Vec<&Path> = specs.iter().filter_map(|s| s.path.parent()).collect();
    dirs.sort();
    dirs.dedup();
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let d = std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
        for a in d.ancestors() {
            if !out.iter().any(|o| o == a) {
                out.push(a.to_path_buf());
            }
        }
    }
    out
}

/// Reads example sources, each file once.
struct Sources {
    roots: Vec<PathBuf>,
    files: BTreeMap<String, Option<String>>,
}

impl Sources {
    /// The code of example reference `r` (`PATH#REGION`, or a whole file).
    fn code(&mut self, r: &str) -> Result<String, String> {
        use mapspec_spec::prog::{example_region, split_example_ref};
        let (file, region) = split_example_ref(r);
        let roots = &self.roots;
        let src = self
            .files
            .entry(file.to_string())
            .or_insert_with(|| {
                roots
                    .iter()
                    .map(|d| d.join(file))
                    .find(|p| p.is_file())
                    .and_then(|p| std::fs::read_to_string(p).ok())
            })
            .as_deref()
            .ok_or_else(|| format!("example file `{file}` not found"))?;
        let code = match region {
            Some(name) => example_region(src, name).map_err(|m| format!("{file}: {m}"))?,
            None => src.to_string(),
        };
        Ok(code.trim_end().to_string())
    }
}

impl<'a> DocModel<'a> {
    /// Load everything the pages show. The only step that reads files (the
    /// example sources); every later step is a pure function of the model.
    pub fn new(specs: &'a [SpecFile], reports: &[RunReport]) -> Result<DocModel<'a>, DocError> {
        let results = Results::new(reports);
        let mut sorted: Vec<&SpecFile> = specs.iter().collect();
        sorted.sort_by(|a, b| {
            (a.spec.type_value, &a.spec.name).cmp(&(b.spec.type_value, &b.spec.name))
        });
        let docs = sorted
            .into_iter()
            .map(|sf| SpecDoc::new(sf, &results))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sources = Sources {
            roots: source_roots(specs),
            files: BTreeMap::new(),
        };
        let mut code = BTreeMap::new();
        let refs = templates::code_refs().into_iter().map(|(_, r)| r);
        let examples = docs.iter().flat_map(|d| {
            d.spec()
                .examples
                .iter()
                .flat_map(|e| e.kernel.iter().chain(e.user.iter()).cloned())
        });
        for r in refs.chain(examples) {
            if let std::collections::btree_map::Entry::Vacant(e) = code.entry(r) {
                let c = sources.code(e.key());
                e.insert(c);
            }
        }
        Ok(DocModel {
            specs: docs,
            results,
            code,
        })
    }
}

//! The context of one `map_<page>.rst`: every map type of the page group,
//! every claim of each with its verification status. Built from the model
//! only (`crate::model`): `claim` words one claim, `tables` the Semantics
//! of a type, `examples` the Examples chapter.

mod claim;
mod examples;
mod tables;

pub(crate) use crate::targets::Targets;
pub(crate) use claim::render_claim;

use crate::markdown::Target;
use crate::model::{DocModel, SpecDoc};
use crate::wording::Results;
use crate::{key, rst, usage, DocError, SpecFile};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Page {
    pub generated: String,
    pub title: String,
    pub since_note: String,
    pub intro: String,
    pub kernel_funcs: Vec<usage::Func>,
    pub userspace_intro: String,
    pub user_funcs: Vec<usage::Func>,
    pub concurrency: Vec<Part>,
    pub examples: Vec<ExampleCtx>,
    pub semantics_intro: String,
    pub types: Vec<TypeCtx>,
    /// Heading character of the subsections of Semantics.
    pub sub: &'static str,
    pub references: String,
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Part {
    pub heading: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct TypeCtx {
    pub heading: Option<String>,
    pub description: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Section {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ExampleCtx {
    pub title: String,
    pub text: String,
    pub blocks: Vec<CodeBlock>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CodeBlock {
    pub lang: &'static str,
    pub code: String,
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The context of the page of `specs` (one page group, in type order).
pub(crate) fn build(docs: &[&SpecDoc], model: &DocModel) -> Result<Page, DocError> {
    let specs: Vec<&SpecFile> = docs.iter().map(|d| d.file).collect();
    let mut targets = Targets::default();
    let types: Vec<&str> = specs.iter().map(|s| s.spec.map_type.as_str()).collect();
    let many = specs.len() > 1;
    let title = rst::escape(&join_and(
        &types.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
    ));

    let since_note = if many {
        let mut s = String::from(".. note::\n");
        for sf in &specs {
            s.push_str(&rst::wrap(
                &format!(
                    "{} was introduced in kernel version {}",
                    rst::literal(&sf.spec.map_type),
                    sf.spec.since
                ),
                "   - ",
                "     ",
            ));
        }
        s
    } else {
        let sf = specs[0];
        format!(
            ".. note:: {} was introduced in kernel version {}\n",
            rst::literal(&sf.spec.map_type),
            sf.spec.since
        )
    };

    let kernels = model.results.kernels();
    let verification = if kernels.is_empty() {
        "Each claim listed under Usage and Semantics is checked by ``mapspec run`` \
         against a running kernel through bpf(2). No results were recorded when \
         this page was generated, so every claim is marked as not yet verified."
            .to_string()
    } else {
        format!(
            "Each claim listed under Usage and Semantics is checked by ``mapspec run`` \
             against a running kernel through bpf(2), and names the kernels it was \
             verified on, out of the results recorded for {}. A claim that no kernel \
             confirmed is marked as not yet verified, and a claim that failed on a \
             kernel shows what that kernel did instead.",
            join_and(&kernels)
        )
    };

    let mut intro = String::new();
    if many {
        for sf in &specs {
            let r = sf.inline(&[key("summary")], &sf.spec.summary)?;
            targets.add(sf, r.targets)?;
            intro.push_str(&rst::wrap(
                &format!("{}: {}", rst::literal(&sf.spec.map_type), r.text),
                "- ",
                "  ",
            ));
        }
    } else {
        let sf = specs[0];
        let r = sf.block(&[key("description")], &sf.spec.description)?;
        targets.add(sf, r.targets)?;
        intro.push_str(&r.text);
    }
    intro.push('\n');
    intro.push_str(&rst::wrap(&verification, "", ""));

    for d in docs {
        targets.add(d.file, d.api_targets.clone())?;
    }
    let wrapped = |v: Vec<usage::Func>| -> Vec<usage::Func> {
        v.into_iter()
            .map(|mut f| {
                f.text = rst::wrap(&f.text, "", "");
                f
            })
            .collect()
    };
    let kernel_funcs = wrapped(usage::kernel_side(docs));
    let user_funcs = wrapped(usage::userspace(docs));
    let userspace_intro = rst::wrap(
        "libbpf wraps each ``bpf()`` command in a function of ``<bpf/bpf.h>``; \
         these are the ones that do something on this page's map types. Each \
         returns 0 or a file descriptor on success, and a negative errno on \
         failure; the outcome of each command in each situation is listed under \
         Semantics.",
        "",
        "",
    );

    let mut concurrency = Vec::new();
    let mut type_ctxs = Vec::new();
    for (sd, sf) in docs.iter().zip(&specs) {
        let (sections, atomicity) = tables::type_sections(sd, &mut targets)?;
        concurrency.push(Part {
            heading: many.then(|| rst::escape(&sf.spec.map_type)),
            body: atomicity,
        });
        let description = if many {
            let r = sf.block(&[key("description")], &sf.spec.description)?;
            targets.add(sf, r.targets)?;
            r.text
        } else {
            String::new()
        };
        type_ctxs.push(TypeCtx {
            heading: many.then(|| rst::escape(&sf.spec.map_type)),
            description,
            sections,
        });
    }

    let mut refs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sf in &specs {
        for r in &sf.spec.references {
            if seen.insert((r.title.clone(), r.url.clone())) {
                refs.push(rst::wrap(
                    &format!("`{} <{}>`__", r.title.replace(['`', '<', '>'], ""), r.url),
                    "- ",
                    "  ",
                ));
            }
        }
    }
    refs.push(rst::wrap(
        "The specs these claims come from: ``spec/maps/`` in the mapspec repository; \
         the page for the concepts common to all map types: :doc:`ebpf_maps`.",
        "- ",
        "  ",
    ));

    Ok(Page {
        generated: crate::templates::generated_comment(
            &specs.iter().map(|s| s.repo_path()).collect::<Vec<_>>(),
            if many {
                "edit the specs"
            } else {
                "edit the spec"
            },
        ),
        title,
        since_note,
        intro,
        kernel_funcs,
        userspace_intro,
        user_funcs,
        concurrency,
        examples: examples::examples(docs, model, &mut targets)?,
        semantics_intro: rst::wrap(
            "The tables give the outcome of each operation; below each table, \
             every claim is listed with the kernels it was verified on.",
            "",
            "",
        ),
        types: type_ctxs,
        sub: if many { "~" } else { "-" },
        references: refs.concat(),
        targets: targets.into_vec(),
    })
}

/// The inline RST of every claim of `sf`, for the coverage test.
pub(crate) fn claim_texts(sf: &SpecFile) -> Result<Vec<(String, String)>, DocError> {
    let sd = crate::model::SpecDoc::new(sf, &Results::default())?;
    let mut targets = Targets::default();
    sd.claims
        .iter()
        .map(|cd| {
            claim::rendered(sf, cd, &mut targets).map(|r| (cd.claim.global_id.clone(), r.text))
        })
        .collect()
}

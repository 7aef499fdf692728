//! The Examples chapter of a page: the regions of suite sources the specs
//! name, read by the model before rendering.

use super::claim::with;
use super::{CodeBlock, ExampleCtx};
use crate::model::{DocModel, SpecDoc};
use crate::targets::Targets;
use crate::{key, rst, DocError};
use mapspec_spec::model::Example;
use mapspec_spec::yaml::Seg;

/// The Examples chapter: regions of files the suite compiles and runs
/// (`spec::prog::example_region`), each shown once per page.
///
/// The types of a family page name the same example when it fits them all
/// (the hash types share one walk, the per-CPU types one per-CPU read), so
/// an example whose code another type of the page already showed is left
/// out. Two examples under one title with different code, or one example
/// under two titles or texts, are an error at the spec line: a page never
/// repeats an example per type, and never drops a spec's words silently.
pub(super) fn examples(
    specs: &[&SpecDoc],
    model: &DocModel,
    targets: &mut Targets,
) -> Result<Vec<ExampleCtx>, DocError> {
    let mut out: Vec<ExampleCtx> = Vec::new();
    // The examples shown so far, with the spec that named each first.
    let mut shown: Vec<(&Example, &str)> = Vec::new();
    for sd in specs {
        let sf = sd.file;
        for (i, e) in sf.spec.examples.iter().enumerate() {
            let path = [key("examples"), Seg::Index(i)];
            let fail = |field: &str, message: String| DocError::Markdown {
                file: sf.path.clone(),
                line: sf.line_of(&with(&path, field), 1),
                message,
            };
            let same_code = |x: &Example| x.kernel == e.kernel && x.user == e.user;
            if let Some((first, by)) = shown.iter().find(|(x, _)| same_code(x)) {
                if first.title != e.title || first.text != e.text {
                    return Err(fail(
                        "title",
                        format!(
                            "example `{}` shows the code of `{}` ({by}) on the same page: \
                             give it the same title and text, or drop one",
                            e.title, first.title
                        ),
                    ));
                }
                continue;
            }
            if let Some((first, by)) = shown.iter().find(|(x, _)| x.title == e.title) {
                return Err(fail(
                    "title",
                    format!(
                        "example `{}` of {by} has other code under the same title on the \
                         same page: show one example for the family, or give each its own title",
                        first.title
                    ),
                ));
            }
            shown.push((e, sf.spec.map_type.as_str()));
            let text = match &e.text {
                Some(t) => {
                    let r = sf.block(&with(&path, "text"), t)?;
                    targets.add(sf, r.targets)?;
                    r.text
                }
                None => String::new(),
            };
            let mut blocks = Vec::new();
            for (field, r) in [("kernel", &e.kernel), ("user", &e.user)] {
                let Some(r) = r else { continue };
                // The model read every example; a missing one is reported
                // here, at the spec line that names it.
                let code = match model.code.get(r) {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => return Err(fail(field, e.clone())),
                    None => return Err(fail(field, format!("example `{r}` was not loaded"))),
                };
                blocks.push(CodeBlock {
                    lang: "c",
                    code: code.clone(),
                });
            }
            out.push(ExampleCtx {
                title: rst::escape(&e.title),
                text,
                blocks,
            });
        }
    }
    Ok(out)
}

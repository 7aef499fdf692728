//! The Examples chapter of a page: the regions of suite sources the specs
//! name, read by the model before rendering.

use super::claim::with;
use super::{CodeBlock, ExampleCtx};
use crate::model::{DocModel, SpecDoc};
use crate::targets::Targets;
use crate::{key, rst, DocError};
use mapspec_spec::yaml::Seg;

/// The Examples chapter: regions of files the suite compiles and runs
/// (`spec::prog::example_region`). An example shared by several types of a
/// page (same code) is shown once.
pub(super) fn examples(
    specs: &[&SpecDoc],
    model: &DocModel,
    targets: &mut Targets,
) -> Result<Vec<ExampleCtx>, DocError> {
    let mut out: Vec<ExampleCtx> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sd in specs {
        let sf = sd.file;
        for (i, e) in sf.spec.examples.iter().enumerate() {
            if !seen.insert((e.kernel.clone(), e.user.clone())) {
                continue;
            }
            let path = [key("examples"), Seg::Index(i)];
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
                let fail = |message: String| DocError::Markdown {
                    file: sf.path.clone(),
                    line: sf.line_of(&with(&path, field), 1),
                    message,
                };
                let code = match model.code.get(r) {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => return Err(fail(e.clone())),
                    None => return Err(fail(format!("example `{r}` was not loaded"))),
                };
                blocks.push(CodeBlock {
                    lang: "c",
                    code: code.clone(),
                });
            }
            let mut title = e.title.clone();
            if out.iter().any(|x| x.title == rst::escape(&title)) {
                title = format!("{title} ({})", sf.spec.map_type);
            }
            out.push(ExampleCtx {
                title: rst::escape(&title),
                text,
                blocks,
            });
        }
    }
    Ok(out)
}

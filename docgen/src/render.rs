//! The render pass: the loaded [`DocModel`] in, every page out. Pure and
//! deterministic. It sits above the model and the page builders, which
//! read the model and never call back into rendering.

use crate::func::Func;
use crate::model::{DocModel, SpecDoc};
use crate::{templates, DocError, Pages};
use std::collections::BTreeMap;

/// The context of `maps.rst`: the overview's, and the checks of the
/// system call.
#[derive(serde::Serialize)]
struct MapsPage<'o> {
    #[serde(flatten)]
    overview: &'o crate::overview::Overview,
    syscall: String,
}

impl DocModel<'_> {
    /// Render every page. Pure and deterministic.
    pub fn render(&self) -> Result<Pages, DocError> {
        Ok(self.render_with_layouts()?.0)
    }

    /// Where each map page states each claim and statement: what the
    /// reachability and statement-kind tests check the pages against.
    pub fn layouts(&self) -> Result<Vec<crate::page::Layout>, DocError> {
        Ok(self.render_with_layouts()?.1)
    }

    fn render_with_layouts(&self) -> Result<(Pages, Vec<crate::page::Layout>), DocError> {
        let tera = templates::engine(&self.code)?;
        let mut groups: BTreeMap<&str, Vec<&SpecDoc>> = BTreeMap::new();
        for s in &self.specs {
            groups.entry(s.spec().page.as_str()).or_default().push(s);
        }
        let groups: Vec<(&str, Vec<&SpecDoc>)> = groups.into_iter().collect();
        // Pages are independent of each other: rendered side by side.
        let rendered = crate::in_parallel(&groups, |(name, group)| {
            let (ctx, layout) = crate::page::build(group, self)?;
            let text = templates::render(&tera, "map_page.rst", &ctx)?;
            Ok::<_, DocError>((format!("{name}.rst"), text, layout))
        });
        let mut pages = Pages::new();
        let mut layouts = Vec::new();
        for r in rendered {
            let (name, text, layout) = r?;
            pages.insert(name, text);
            layouts.push(layout);
        }
        let ctx = crate::overview::build(self)?;
        pages.insert(
            "ebpf_maps.rst".into(),
            templates::render(&tera, "ebpf_maps.rst", &ctx)?,
        );
        // maps.rst also states the system call's own checks, once for
        // every map type.
        let (syscall, layout) = crate::page::syscall::section(self)?;
        layouts.push(layout);
        let maps = MapsPage {
            overview: &ctx,
            syscall,
        };
        pages.insert(
            crate::page::syscall::PAGE.into(),
            templates::render(&tera, "maps.rst", &maps)?,
        );
        Ok((pages, layouts))
    }

    /// Every function the pages can print: the Usage entries of each spec
    /// alone and of all of them together, and `bpf_map_create()`. The
    /// code-block test compiles each against its header.
    pub fn catalogue(&self) -> Vec<Func> {
        let all: Vec<&SpecDoc> = self.specs.iter().collect();
        crate::usage::catalogue(&all)
    }
}

//! The checks the `bpf()` system call makes whatever the map type: the
//! scenario claims a spec gives `scope: syscall`. Each is run on its
//! spec's map type, but says nothing about that type, so it is stated once,
//! in a section of `maps.rst`, instead of on the type's page.

use super::{claim, join_and, Layout, Place, Placed};
use crate::model::DocModel;
use crate::targets::Targets;
use crate::{rst, DocError};
use mapspec_spec::{ClaimKind, Scope};

/// The page the section is on.
pub const PAGE: &str = "maps.rst";

/// The section's body (empty when no spec has such a claim), its link
/// targets included, and where it states each claim.
pub(crate) fn section(model: &DocModel) -> Result<(String, Layout), DocError> {
    let mut layout = Layout {
        page: PAGE.into(),
        ..Layout::default()
    };
    let mut targets = Targets::default();
    // (sentence, claims); the map types the checks ran on.
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let mut marks = Vec::new();
    for d in &model.specs {
        for cd in &d.claims {
            if !matches!(cd.claim.kind, ClaimKind::Scenario)
                || cd.claim.meta.scope != Scope::Syscall
            {
                continue;
            }
            if cd.claim.requires.statistical {
                layout.claims.push(Placed {
                    claim: cd.claim.global_id.clone(),
                    place: Place::Report,
                });
                continue;
            }
            let sentence = claim::sentence(d.file, cd, &mut targets)?;
            let id = cd.claim.global_id.clone();
            match items.iter_mut().find(|(s, _)| *s == sentence) {
                Some((_, ids)) => ids.push(id),
                None => items.push((sentence, vec![id])),
            }
            let t = rst::literal(&d.spec().map_type);
            if !types.contains(&t) {
                types.push(t);
            }
            marks.push(&cd.marks);
        }
    }
    if items.is_empty() {
        return Ok((String::new(), layout));
    }
    let kernels = model.results.checked_on(marks);
    let checked = if kernels.is_empty() {
        String::new()
    } else {
        format!(
            ", on Linux {} unless marked otherwise (a version \"seen on\" a \
             kernel is bracketed by those checks, the others come from the \
             kernel source)",
            join_and(&kernels)
        )
    };
    let mut body = rst::wrap(
        &format!(
            "The ``bpf()`` system call checks these before a map type's own \
             code runs, so they hold for every map type; they were checked \
             with {} maps{checked}.",
            join_and(&types)
        ),
        "",
        "",
    );
    body.push('\n');
    for (sentence, ids) in &items {
        for id in ids {
            layout.claims.push(Placed {
                claim: id.clone(),
                place: Place::Sentence(sentence.clone()),
            });
        }
        body.push_str(&rst::wrap(sentence, "- ", "  "));
    }
    // A version read from an upstream commit names the commit.
    let commits = super::upstream_commits(&model.specs, Scope::Syscall);
    if !commits.is_empty() {
        body.push('\n');
        for (version, commit, subject) in commits {
            body.push_str(&rst::wrap(
                &format!("Linux {version}: commit {commit} (\"{subject}\")."),
                "",
                "",
            ));
        }
    }
    let targets = targets.into_vec();
    if !targets.is_empty() {
        body.push('\n');
        for t in targets {
            body.push_str(&format!(".. _{}: {}\n", t.name, t.url));
        }
    }
    Ok((body, layout))
}

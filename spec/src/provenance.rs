//! Lint for `source`, where a claim's `since`/`until` comes from. A claim
//! without `since`/`until` is bracketed by the matrix (computed from
//! results, never typed); a version typed in a spec was read in the kernel
//! source, and `source` names the commit or the release, which the page
//! prints after "from the kernel source".

use crate::model::*;
use crate::yaml::Seg;

/// Why `id` is not an abbreviated upstream commit id (12 to 40 lowercase
/// hex digits), if it is not.
pub fn commit_id_problem(id: &str) -> Option<String> {
    let hex = id
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    (!(12..=40).contains(&id.len()) || !hex).then(|| {
        format!("commit `{id}` is not an upstream commit id: 12 to 40 lowercase hex digits")
    })
}

/// Problems with one claim's `source`.
pub fn source_problems(meta: &ClaimMeta) -> Vec<String> {
    let Some(source) = &meta.source else {
        // A version typed in a spec was read somewhere: the matrix's
        // bracket is computed from results, never typed.
        return if meta.since.is_some() || meta.until.is_some() {
            vec!["a `since`/`until` typed in a spec comes from the kernel source: say where with \
                  `source: {commit: <12-hex id>, subject: ...}` or `source: {release: \"Linux X.Y\"}` \
                  (the matrix's bracket is computed from results, never typed)"
                .into()]
        } else {
            Vec::new()
        };
    };
    let mut out = Vec::new();
    if meta.since.is_none() && meta.until.is_none() {
        out.push(
            "`source` says where `since`/`until` come from, and this claim has neither".into(),
        );
    }
    match source {
        VersionSource::Commit { commit, subject } => {
            out.extend(commit_id_problem(commit));
            if subject.trim().is_empty() || subject.contains('\n') {
                out.push("a commit's `subject` is its one-line subject".into());
            }
        }
        VersionSource::Release { release } => {
            let b = release.as_bytes();
            let names_version = (1..b.len().saturating_sub(1))
                .any(|i| b[i] == b'.' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit());
            if !names_version {
                out.push(format!(
                    "release `{release}` names no kernel version (e.g. `Linux 5.8`)"
                ));
            }
        }
    }
    out
}

/// Every problem with the claims' `source`s.
pub fn problems(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let metas = spec
        .create
        .iter()
        .map(|c| ("create", c.meta()))
        .chain(spec.commands.iter().map(|c| ("commands", c.meta())))
        .chain(spec.update_flags.iter().map(|c| ("update_flags", c.meta())))
        .chain(spec.scenarios.iter().map(|c| ("scenarios", c.meta())));
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (field, meta) in metas {
        let i = seen.iter().filter(|f| **f == field).count();
        seen.push(field);
        for m in source_problems(&meta) {
            let at = vec![
                Seg::Key(field.into()),
                Seg::Index(i),
                Seg::Key("source".into()),
            ];
            out.push((at, format!("claim `{}`: {m}", meta.id)));
        }
    }
    out
}

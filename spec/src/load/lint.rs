//! The semantic checks of a whole spec that its schema cannot express:
//! identity (file name, `map_type`, `type_value`), claim ids and versions,
//! situations, statement references, the kernel-tree names of notes'
//! figures and kernel-doc includes, and the passes of other modules
//! (bounds, evidence, wording, provenance, text).

use super::diag::{key, unknown_name, Ctx};
use super::steps::{attrs_problems, fixture_problems, validate_steps};
use crate::model::*;
use crate::names::did_you_mean;
use crate::version::FIRST_BPF;
use crate::yaml::Seg;
use std::collections::HashSet;

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A `requires: {config: [...]}` entry must be a kernel option's name as
/// `.config` spells it, or it could never be found there.
fn config_problem(o: &str) -> Option<String> {
    let ok = o.strip_prefix("CONFIG_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    });
    (!ok).then(|| format!("kernel option `{o}` must look like `CONFIG_NAME` (A-Z, 0-9, _)"))
}

/// Semantic checks the schema cannot express.
pub(super) fn validate(spec: &MapSpec, ctx: &mut Ctx) {
    check_identity(spec, ctx);
    for (path, message) in crate::api::problems(&spec.api) {
        ctx.at(&path, message);
    }
    if !spec.page.starts_with("map_")
        || !spec
            .page
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        ctx.at(
            &[key("page")],
            format!("page `{}` must look like `map_<name>`", spec.page),
        );
    }
    for (j, o) in spec.requires.config.iter().enumerate() {
        if let Some(m) = config_problem(o) {
            ctx.at(&[key("requires"), key("config"), Seg::Index(j)], m);
        }
    }
    if spec.since < FIRST_BPF {
        ctx.at(
            &[key("since")],
            format!(
                "impossible since {}: bpf(2) first appeared in {FIRST_BPF}",
                spec.since
            ),
        );
    }
    for (f, v) in [
        ("key_size", spec.base.key_size),
        ("value_size", spec.base.value_size),
        ("max_entries", spec.base.max_entries),
    ] {
        // With `vmlinux_value`, the value size is the vmlinux struct's.
        if f == "value_size" && spec.base.vmlinux_value.is_some() {
            continue;
        }
        if v.is_none() {
            ctx.at(&[key("base")], format!("base must give {f}"));
        }
    }
    if spec.summary.trim().is_empty() || spec.summary.contains('\n') {
        ctx.at(
            &[key("summary")],
            "summary must be one non-empty line".into(),
        );
    }

    let mut ids: HashSet<String> = HashSet::from(["exists".to_string()]);
    let sit_names: Vec<&str> = spec.situations.keys().map(|s| s.as_str()).collect();
    let mut all_ids: Vec<String> = vec!["exists".into()];
    let mut check_meta = |ctx: &mut Ctx, field: &str, i: usize, meta: ClaimMeta| {
        let base = vec![key(field), Seg::Index(i)];
        let at = |f: &str| {
            let mut p = base.clone();
            p.push(key(f));
            p
        };
        for (j, o) in meta.requires.config.iter().enumerate() {
            if let Some(m) = config_problem(o) {
                let mut p = at("requires");
                p.extend([key("config"), Seg::Index(j)]);
                ctx.at(&p, m);
            }
        }
        if !is_kebab(&meta.id) {
            ctx.at(
                &at("id"),
                format!("claim id `{}` must be kebab-case (a-z, 0-9, -)", meta.id),
            );
        }
        if !ids.insert(meta.id.clone()) {
            ctx.at(&at("id"), format!("duplicate claim id `{}`", meta.id));
        }
        all_ids.push(meta.id.clone());
        if meta.scope != Scope::Map && field != "scenarios" {
            ctx.at(
                &at("scope"),
                "only a scenario can be about the system call: a table cell is about its map type"
                    .into(),
            );
        }
        if meta.text.trim().is_empty() || meta.text.trim_end().contains('\n') {
            ctx.at(&at("text"), "text must be one sentence on one line".into());
        }
        if let Some(since) = &meta.since {
            let v = since.version();
            if v < spec.since {
                ctx.at(
                    &at("since"),
                    format!(
                        "impossible since {v}: the map type itself only exists since {}",
                        spec.since
                    ),
                );
            } else if v > spec.since && meta.before.is_none() {
                ctx.at(&at("since"), format!("since {v} is later than the type's {}: give `before`, the outcome on older kernels, so they are checked too", spec.since));
            }
            for b in since.backports() {
                if *b >= v {
                    ctx.at(&at("since"), format!("backport {b} is not older than {v}"));
                }
            }
        } else if meta.before.is_some() {
            ctx.at(&at("before"), "`before` needs a `since`".into());
        }
        if let Some(until) = meta.until {
            let from = meta
                .since
                .as_ref()
                .map(|s| s.version())
                .unwrap_or(spec.since);
            if until <= from {
                ctx.at(
                    &at("until"),
                    format!("impossible until {until}: not after since {from}"),
                );
            }
        } else if meta.after.is_some() {
            ctx.at(&at("after"), "`after` needs an `until`".into());
        }
        base
    };
    let check_sit = |ctx: &mut Ctx, base: &[Seg], name: &str| {
        if !spec.situations.contains_key(name) {
            let mut p = base.to_vec();
            p.push(key("situation"));
            let hint = did_you_mean(name, sit_names.iter().copied())
                .map(|s| format!(", did you mean `{s}`?"))
                .unwrap_or_else(|| format!(" (known: {})", sit_names.join(", ")));
            ctx.at(&p, format!("unknown situation `{name}`{hint}"));
        }
    };

    for (i, r) in spec.create.iter().enumerate() {
        check_meta(ctx, "create", i, r.meta());
    }
    for (i, c) in spec.commands.iter().enumerate() {
        let base = check_meta(ctx, "commands", i, c.meta());
        check_sit(ctx, &base, &c.situation);
        if c.input.is_some() && c.command != Command::Lookup {
            let mut p = base.clone();
            p.push(key("input"));
            ctx.at(&p, "`input` only applies to the lookup command".into());
        }
    }
    for (i, f) in spec.update_flags.iter().enumerate() {
        let base = check_meta(ctx, "update_flags", i, f.meta());
        check_sit(ctx, &base, &f.situation);
    }
    for (i, s) in spec.scenarios.iter().enumerate() {
        let meta = s.meta();
        let req = spec.requires.merged(&meta.requires);
        let attrs = spec.attrs_for(&meta.map);
        let base = check_meta(ctx, "scenarios", i, meta);
        let mut p = base.clone();
        p.push(key("steps"));
        if s.steps.is_empty() {
            ctx.at(&p, "a scenario needs at least one step".into());
        }
        validate_steps(spec, &s.steps, &p, &attrs, req.statistical, req.cpus, ctx);
    }
    for (name, sit) in &spec.situations {
        let p = vec![key("situations"), Seg::Key(name.clone()), key("setup")];
        let attrs = spec.attrs_for(&sit.map);
        validate_steps(spec, &sit.setup, &p, &attrs, false, None, ctx);
    }
    for m in attrs_problems(&spec.base) {
        ctx.at(&[key("base")], m);
    }
    let claim_maps = spec
        .create
        .iter()
        .map(|c| ("create", &c.map))
        .chain(spec.commands.iter().map(|c| ("commands", &c.map)))
        .chain(spec.update_flags.iter().map(|c| ("update_flags", &c.map)))
        .chain(spec.scenarios.iter().map(|c| ("scenarios", &c.map)));
    let mut seen: Vec<&str> = Vec::new();
    for (field, map) in claim_maps {
        let i = seen.iter().filter(|f| **f == field).count();
        seen.push(field);
        for m in attrs_problems(map) {
            ctx.at(&[key(field), Seg::Index(i), key("map")], m);
        }
    }
    for (name, sit) in &spec.situations {
        let p = vec![key("situations"), Seg::Key(name.clone())];
        for m in attrs_problems(&sit.map) {
            ctx.at(&p, m);
        }
        for d in sit.value.iter().chain(sit.key.iter()) {
            for m in fixture_problems(d) {
                ctx.at(&p, m);
            }
        }
    }
    for (field, st) in [
        ("value_layout", &spec.value_layout),
        ("iteration", &spec.iteration),
        ("atomicity", &spec.atomicity),
    ] {
        let named = st.checked_by.iter().map(|id| ("checked_by", id));
        let named = named.chain(st.observed_by.iter().map(|id| ("observed_by", id)));
        let mut index = std::collections::HashMap::new();
        for (list, id) in named {
            let i = {
                let n = index.entry(list).or_insert(0usize);
                *n += 1;
                *n - 1
            };
            if !all_ids.contains(id) {
                let hint = did_you_mean(id, all_ids.iter().map(|s| s.as_str()))
                    .map(|s| format!(", did you mean `{s}`?"))
                    .unwrap_or_default();
                ctx.at(
                    &[key(field), key(list), Seg::Index(i)],
                    format!("unknown claim id `{id}`{hint}"),
                );
            }
        }
    }
    for (at, m) in crate::bounds::claim_problems(spec) {
        match at {
            Some((field, i)) => ctx.at(&[key(field), Seg::Index(i), key("map")], m),
            None => ctx.at(&[key("base")], m),
        }
    }
    for (path, m) in crate::evidence::problems(spec)
        .into_iter()
        .chain(crate::wording::problems(spec))
        .chain(crate::wording::stated_problems(spec))
        .chain(crate::provenance::problems(spec))
    {
        ctx.at(&path, m);
    }
    // A note's figure and kernel-doc names become directive arguments.
    for (i, n) in spec.notes.iter().enumerate() {
        let fig = n
            .figure
            .iter()
            .flat_map(|f| f.problems())
            .map(|p| ("figure", p));
        let doc = n
            .kernel_doc
            .iter()
            .flat_map(|k| k.problems())
            .map(|p| ("kernel_doc", p));
        for (what, (field, m)) in fig.chain(doc) {
            ctx.at(&[key("notes"), Seg::Index(i), key(what), key(field)], m);
        }
    }
    for (path, m) in crate::text::control_characters(spec) {
        ctx.at(&path, m);
    }
}

/// The spec says which type it is three times: the file name
/// (`spec/maps/<type>.yaml`), `map_type` and `type_value`. They must agree,
/// or `run` would check one type and report another.
fn check_identity(spec: &MapSpec, ctx: &mut Ctx) {
    use crate::map_types::{map_type_value, MAP_TYPES};
    let Some(stem) = spec.map_type.strip_prefix("BPF_MAP_TYPE_") else {
        ctx.at(
            &[key("map_type")],
            format!("map_type `{}` must start with BPF_MAP_TYPE_", spec.map_type),
        );
        return;
    };
    let expected = format!("{}.yaml", stem.to_ascii_lowercase());
    let actual = ctx
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if actual != expected {
        ctx.at(
            &[key("map_type")],
            format!(
                "{} belongs in `{expected}`, not `{}`",
                spec.map_type,
                actual.escape_debug()
            ),
        );
    }
    match map_type_value(&spec.map_type) {
        Some(v) if v != spec.type_value => ctx.at(
            &[key("type_value")],
            format!(
                "type_value {} is not {}, which is {v} in the uapi enum bpf_map_type",
                spec.type_value, spec.map_type
            ),
        ),
        Some(_) => {}
        None => ctx.at(
            &[key("map_type")],
            unknown_name(
                "map type",
                &spec.map_type,
                &MAP_TYPES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ),
        ),
    }
}

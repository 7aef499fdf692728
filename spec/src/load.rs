//! Loading spec files and validating them, with every problem reported as
//! `file:line:column: message`.

use crate::model::*;
use crate::names::did_you_mean;
use crate::version::FIRST_BPF;
use crate::yaml::{self, Document, Positions, Seg};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{count} problem(s) in the specs", count = diagnostics.len())]
    Invalid { diagnostics: Vec<Diagnostic> },
}

const LIST_FIELDS: [&str; 4] = ["create", "commands", "update_flags", "scenarios"];

fn key(s: &str) -> Seg {
    Seg::Key(s.to_string())
}

struct Ctx<'a> {
    file: &'a Path,
    pos: &'a Positions,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&mut self, path: &[Seg], message: String) {
        let (line, column) = self.pos.locate_value(path);
        self.out.push(Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
        });
    }
    fn yaml(&mut self, e: yaml::YamlError) {
        let message = if e.path.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.path, e.message)
        };
        self.out.push(Diagnostic {
            file: self.file.to_path_buf(),
            line: e.line,
            column: e.column,
            message,
        });
    }
}

/// Parse and validate one spec from text. `file` names it in diagnostics;
/// its stem becomes the spec name.
pub fn load_str(file: &Path, src: &str) -> Result<MapSpec, Vec<Diagnostic>> {
    let doc = match yaml::parse(src) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![Diagnostic {
                file: file.to_path_buf(),
                line: e.line,
                column: e.column,
                message: format!("invalid YAML: {}", e.message),
            }])
        }
    };
    let mut ctx = Ctx {
        file,
        pos: &doc.positions,
        out: Vec::new(),
    };
    let spec = match yaml::deserialize::<MapSpec>(&doc.value, &[], &doc.positions) {
        Ok(mut s) => {
            s.name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(s)
        }
        Err(first) => {
            collect_structural(&doc, &mut ctx, first);
            None
        }
    };
    if let Some(spec) = &spec {
        validate(spec, &mut ctx);
    }
    if ctx.out.is_empty() {
        Ok(spec.expect("no diagnostics means the spec deserialized"))
    } else {
        ctx.out.sort_by_key(|d| (d.line, d.column));
        ctx.out.dedup();
        Err(ctx.out)
    }
}

/// serde stops at the first error; deserialize the pieces one by one so
/// that every broken claim is reported, not just the first.
fn collect_structural(doc: &Document, ctx: &mut Ctx, first: yaml::YamlError) {
    let Some(map) = doc.value.as_mapping() else {
        ctx.yaml(first);
        return;
    };
    let mut stripped = map.clone();
    let mut any_item_error = false;
    for field in LIST_FIELDS {
        let Some(items) = map.get(field).and_then(|v| v.as_sequence()) else {
            continue;
        };
        stripped.insert(field.into(), yaml::Value::Sequence(Vec::new()));
        for (i, item) in items.iter().enumerate() {
            let base = vec![key(field), Seg::Index(i)];
            let r = match field {
                "create" => {
                    yaml::deserialize::<CreateRule>(item, &base, &doc.positions).map(|_| ())
                }
                "commands" => {
                    yaml::deserialize::<CommandCell>(item, &base, &doc.positions).map(|_| ())
                }
                "update_flags" => {
                    yaml::deserialize::<FlagCell>(item, &base, &doc.positions).map(|_| ())
                }
                _ => yaml::deserialize::<Scenario>(item, &base, &doc.positions).map(|_| ()),
            };
            if let Err(e) = r {
                any_item_error = true;
                ctx.yaml(e);
            }
        }
    }
    if let Some(sits) = map.get("situations").and_then(|v| v.as_mapping()) {
        stripped.insert(
            "situations".into(),
            yaml::Value::Mapping(Default::default()),
        );
        for (k, v) in sits {
            let name = k.as_str().unwrap_or_default().to_string();
            let base = vec![key("situations"), Seg::Key(name)];
            if let Err(e) = yaml::deserialize::<Situation>(v, &base, &doc.positions) {
                any_item_error = true;
                ctx.yaml(e);
            }
        }
    }
    match yaml::deserialize::<MapSpec>(&yaml::Value::Mapping(stripped), &[], &doc.positions) {
        Err(e) => ctx.yaml(e),
        Ok(_) if !any_item_error => ctx.yaml(first),
        Ok(_) => {}
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn datum_len_ok(d: &Datum, size: Option<u32>) -> Result<(), String> {
    match (d, size) {
        (Datum::Bytes(b), Some(n)) if b.len() != n as usize => Err(format!(
            "{} bytes given but the field is {n} bytes",
            b.len()
        )),
        (Datum::Lpm { data, .. }, Some(n)) if data.len() + 4 != n as usize => Err(format!(
            "LPM key of {} bytes (4 + {}) but key_size is {n}",
            data.len() + 4,
            data.len()
        )),
        _ => Ok(()),
    }
}

fn unknown_name(kind: &str, name: &str, known: &[&str]) -> String {
    let hint = did_you_mean(name, known.iter().copied())
        .map(|s| format!(", did you mean `{s}`?"))
        .unwrap_or_else(|| format!(" (known: {})", known.join(", ")));
    format!("unknown {kind} `{name}`{hint}")
}

/// Fixture names in `d` (at any depth) that the runner does not know.
fn fixture_problems(d: &Datum) -> Vec<String> {
    // Fixture names are an enum: serde refuses an unknown one. Here: the
    // fixtures that have no id or no cookie.
    use crate::names::{ID_FIXTURES, SOCKET_FIXTURES};
    match d {
        Datum::Id { id } if !ID_FIXTURES.contains(&id.name()) => {
            vec![unknown_name(
                "program or map fixture",
                id.name(),
                ID_FIXTURES,
            )]
        }
        Datum::Cookie { cookie } if !SOCKET_FIXTURES.contains(&cookie.name()) => {
            vec![unknown_name(
                "socket fixture",
                cookie.name(),
                SOCKET_FIXTURES,
            )]
        }
        Datum::U32s { u32s } => u32s.iter().flat_map(fixture_problems).collect(),
        Datum::Map { map } => attrs_problems(&map.attrs),
        _ => Vec::new(),
    }
}

/// Unknown fixtures in create attributes.
fn attrs_problems(a: &CreateAttrs) -> Vec<String> {
    let mut out = Vec::new();
    // BTF recipes are an enum: serde refuses an unknown one.
    if let Some(d) = &a.inner_map_fd {
        out.extend(fixture_problems(d));
    }
    if let Some(inner) = &a.inner_map {
        out.extend(attrs_problems(&inner.attrs));
    }
    out
}

/// Every key and value a step mentions.
fn step_data(step: &Step) -> Vec<&Datum> {
    match step {
        Step::Update(o) | Step::Lookup(o) | Step::Delete(o) | Step::LookupAndDelete(o) => o
            .key
            .iter()
            .chain(o.value.iter())
            .chain(o.per_cpu.iter().flatten())
            .collect(),
        Step::GetNextKey(o) => o.key.iter().chain(o.next.iter()).collect(),
        Step::ById(o) => o.key.iter().chain(o.value.iter()).collect(),
        Step::LookupBatch(o)
        | Step::UpdateBatch(o)
        | Step::DeleteBatch(o)
        | Step::LookupAndDeleteBatch(o) => o
            .keys
            .iter()
            .chain(o.values.iter())
            .chain(o.got_keys.iter().flatten())
            .collect(),
        _ => Vec::new(),
    }
}

fn validate_steps(
    spec: &MapSpec,
    steps: &[Step],
    base: &[Seg],
    attrs: &CreateAttrs,
    statistical: bool,
    cpus: Option<u32>,
    ctx: &mut Ctx,
) {
    for (i, step) in steps.iter().enumerate() {
        let mut p = base.to_vec();
        p.push(Seg::Index(i));
        p.push(key(step.name()));
        let elem = match step {
            Step::Update(o) | Step::Lookup(o) | Step::Delete(o) | Step::LookupAndDelete(o) => {
                Some(o)
            }
            _ => None,
        };
        if let Some(o) = elem {
            if let Some(k) = &o.key {
                if let Err(m) = datum_len_ok(k, attrs.key_size) {
                    let mut kp = p.clone();
                    kp.push(key("key"));
                    ctx.at(&kp, format!("key: {m}"));
                }
            }
            if let Some(v) = &o.value {
                if let Err(m) = datum_len_ok(v, attrs.value_size) {
                    let mut vp = p.clone();
                    vp.push(key("value"));
                    ctx.at(&vp, format!("value: {m}"));
                }
            }
        }
        for d in step_data(step) {
            for m in fixture_problems(d) {
                ctx.at(&p, m);
            }
        }
        if let Step::Mmap(o) = step {
            if o.store.is_some() && !o.writable {
                ctx.at(
                    &p,
                    "mmap: `store` writes through the mapping and needs `writable: true`".into(),
                );
            }
        }
        if let Step::TornRead(_) = step {
            if !statistical || cpus.unwrap_or(1) < 2 {
                ctx.at(&p, "torn_read is a statistical concurrency check: the claim needs `requires: {statistical: true, cpus: 2}`".into());
            }
        }
        for m in crate::prog::step_problems(step, statistical, cpus) {
            ctx.at(&p, m);
        }
        for m in crate::bounds::step_problems(step) {
            ctx.at(&p, m);
        }
        if let Some(m) = spec.runner.refuses(step) {
            ctx.at(&p, m);
        }
    }
}

/// Semantic checks the schema cannot express.
fn validate(spec: &MapSpec, ctx: &mut Ctx) {
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
        .chain(crate::provenance::problems(spec))
    {
        ctx.at(&path, m);
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

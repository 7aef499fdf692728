//! Lint of steps and the data they carry: sizes of keys and values against
//! the map's, fixtures that cannot serve as ids or cookies, and the step
//! rules of other modules (programs, bounds, the type's runner facts).

use super::diag::{key, unknown_name, Ctx};
use crate::model::*;
use crate::yaml::Seg;

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

/// Fixture names in `d` (at any depth) that the runner does not know.
pub(super) fn fixture_problems(d: &Datum) -> Vec<String> {
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
pub(super) fn attrs_problems(a: &CreateAttrs) -> Vec<String> {
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

pub(super) fn validate_steps(
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
        if let Step::RawCreate(o) = step {
            let size = o.size.unwrap_or(RawCreateOp::DEFAULT_SIZE);
            if o.name
                .as_ref()
                .is_some_and(|n| n.len() > RawCreateOp::NAME_LEN)
            {
                ctx.at(
                    &p,
                    "raw_create: `name` fills map_name, a char[16]: at most 16 bytes".into(),
                );
            }
            if o.byte_at.is_some_and(|b| b >= size) {
                ctx.at(&p, "raw_create: `byte_at` must be below `size`".into());
            }
            if size < RawCreateOp::DEFAULT_SIZE && (o.name.is_some() || o.byte_at.is_some()) {
                ctx.at(
                    &p,
                    "raw_create: a `size` below 72 leaves out map_name".into(),
                );
            }
        }
        if let Step::PushPopRace(o) = step {
            if o.threads < 2 || cpus.unwrap_or(1) < 2 {
                ctx.at(&p, "push_pop_race is a concurrency check: it needs `threads` of at least 2 and `requires: {cpus: 2}`".into());
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

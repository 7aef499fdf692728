//! Data that names a live object (`{fd: ..}`, `{id: ..}`, `{ifindex: ..}`,
//! `{cookie: ..}`, `{map: ..}`, also inside `{u32s: ..}`) becomes its
//! number before the program runs; the objects are this check's fixtures.

use super::context::Context;
use super::create::template_args;
use super::verdict::{error, Flow, Stop};
use crate::fixtures::FixtureError;
use crate::sys::map::map_create;
use mapspec_spec::{Datum, Program, Step};

fn stop(e: FixtureError) -> Stop {
    match e {
        FixtureError::Unavailable { .. } => Stop::Skip(e.to_string()),
        FixtureError::Failed { .. } => Stop::Error(e.to_string()),
    }
}

/// Replace `d` by the number of the object it names, creating the object.
fn resolve_datum(cx: &mut Context, d: &mut Datum) -> Flow {
    let n: u64 = match d {
        Datum::Fd { fd } => {
            let raw = cx.fixtures.fd(fd.name()).map_err(stop)?;
            cx.trace.push(format!("fixture {fd} = fd {raw}"));
            raw as u64
        }
        Datum::Id { id } => {
            let v = cx.fixtures.id(id.name()).map_err(stop)?;
            // Ids and cookies are counters the kernel hands out; the trace
            // names them, so that reruns read the same (see print::Aliases).
            cx.trace.push(format!("fixture {id}: id read as id({id})"));
            cx.aliases.add(v as u64, format!("id({id})"));
            v as u64
        }
        Datum::Ifindex { ifindex } => {
            let v = crate::fixtures::ifindex(ifindex).map_err(stop)?;
            cx.trace.push(format!("ifindex of {ifindex} = {v}"));
            v as u64
        }
        Datum::Cookie { cookie } => {
            let v = cx.fixtures.cookie(cookie.name()).map_err(stop)?;
            cx.trace.push(format!(
                "fixture {cookie}: SO_COOKIE read as cookie({cookie})"
            ));
            cx.aliases.add(v, format!("cookie({cookie})"));
            v
        }
        Datum::Map { map } => {
            let fd = map_create(&template_args(map)).map_err(|e| {
                error(format!(
                    "creating a map of type {} for a value failed with {e}",
                    map.type_value
                ))
            })?;
            let raw = cx.fixtures.hold(fd);
            cx.trace
                .push(format!("map of type {} = fd {raw}", map.type_value));
            raw as u64
        }
        Datum::U32s { u32s } => {
            for w in u32s.iter_mut() {
                resolve_datum(cx, w)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    *d = Datum::Int(n);
    Ok(())
}

/// The data of a step that may name live objects.
fn step_data(step: &mut Step) -> Vec<&mut Datum> {
    match step {
        Step::Update(o) | Step::Lookup(o) | Step::Delete(o) | Step::LookupAndDelete(o) => o
            .key
            .iter_mut()
            .chain(o.value.iter_mut())
            .chain(o.input.iter_mut())
            .chain(o.per_cpu.iter_mut().flatten())
            .collect(),
        Step::GetNextKey(o) => o.key.iter_mut().chain(o.next.iter_mut()).collect(),
        Step::LookupBatch(o)
        | Step::UpdateBatch(o)
        | Step::DeleteBatch(o)
        | Step::LookupAndDeleteBatch(o) => o
            .keys
            .iter_mut()
            .chain(o.values.iter_mut())
            .chain(o.got_keys.iter_mut().flatten())
            .collect(),
        Step::ProgRun(o) => o
            .key
            .iter_mut()
            .chain(o.value.iter_mut())
            .chain(o.out.iter_mut())
            .collect(),
        Step::ById(o) => o.key.iter_mut().chain(o.value.iter_mut()).collect(),
        _ => Vec::new(),
    }
}

/// Resolve every datum of the program's steps, then its `inner_map_fd`,
/// in that order (the order fixtures are created shows in the trace).
pub fn resolve(cx: &mut Context, program: &mut Program) -> Flow {
    for step in program.steps.iter_mut() {
        for d in step_data(step) {
            resolve_datum(cx, d)?;
        }
    }
    if let Some(d) = program.attrs.inner_map_fd.as_mut() {
        resolve_datum(cx, d)?;
    }
    Ok(())
}

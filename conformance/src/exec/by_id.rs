//! `by_id`: a command through a second fd of the claim's map, opened by its
//! kernel id with `open_flags`. The access mode is the fd's, so a read-only
//! fd of a read-write map refuses updates while the first fd does not.

use super::context::Context;
use super::map::Map;
use super::verdict::{error, Flow};
use crate::sys::map_id::{map_fd_by_id, map_id};
use mapspec_spec::ByIdOp;

/// Open the second fd. `None`: BPF_MAP_GET_FD_BY_ID failed as the spec
/// expects, and there is no command to run.
pub fn open(cx: &mut Context, m: &Map, op: &ByIdOp) -> Flow<Option<Map>> {
    let id = map_id(&m.fd).map_err(|e| error(format!("BPF_OBJ_GET_INFO_BY_FD failed with {e}")))?;
    let names: Vec<&str> = op.open_flags.iter().map(|f| f.name()).collect();
    let what = if names.is_empty() {
        "get_fd_by_id(map id)".to_string()
    } else {
        format!("get_fd_by_id(map id, open_flags={})", names.join(" | "))
    };
    match map_fd_by_id(id, op.open_flags_value()) {
        Ok(fd) => {
            cx.trace.push(format!("{what} -> ok"));
            Ok(Some(Map {
                fd,
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                percpu: m.percpu,
                ncpu: m.ncpu,
                facts: m.facts,
            }))
        }
        Err(got) => cx.check(what, op.expect, got).map(|()| None),
    }
}

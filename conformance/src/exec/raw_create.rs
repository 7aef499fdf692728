//! `raw_create`: a second BPF_MAP_CREATE from attribute bytes the spec
//! controls, judged like any other call. The claim's own map is untouched.

use super::context::Context;
use super::map::Map;
use super::verdict::Flow;
use crate::sys::raw;
use mapspec_spec::{Program, RawCreateOp};

/// Offsets in `union bpf_attr` (the BPF_MAP_CREATE part).
const MAP_NAME: usize = 28;

/// The attribute bytes, and how the trace shows them.
fn build(p: &Program, m: &Map, op: &RawCreateOp) -> (Vec<u8>, String) {
    let size = op.size.unwrap_or(RawCreateOp::DEFAULT_SIZE) as usize;
    // The fields are written into at least 72 bytes, then cut to `size`.
    let mut attr = vec![0u8; size.max(RawCreateOp::DEFAULT_SIZE as usize)];
    let map_type = op.map_type.unwrap_or(p.type_value);
    let flags = op.map_flags.unwrap_or(p.attrs.flags_value());
    let fields = [
        map_type,
        m.key_size as u32,
        m.value_size as u32,
        m.max_entries,
        flags,
    ];
    for (i, v) in fields.iter().enumerate() {
        attr[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    let mut shown = format!(
        "type={map_type}, key_size={}, value_size={}, max_entries={}, map_flags={flags:#x}",
        m.key_size, m.value_size, m.max_entries
    );
    if let Some(name) = &op.name {
        let b = name.as_bytes();
        let n = b.len().min(RawCreateOp::NAME_LEN);
        attr[MAP_NAME..MAP_NAME + n].copy_from_slice(&b[..n]);
        shown.push_str(&format!(", map_name={name:?} ({n} bytes)"));
    }
    if let Some(at) = op.byte_at {
        if let Some(b) = attr.get_mut(at as usize) {
            *b = 1;
        }
        shown.push_str(&format!(", byte {at} = 1"));
    }
    attr.truncate(size);
    (
        attr,
        format!("BPF_MAP_CREATE(raw attr of {size} bytes: {shown})"),
    )
}

pub fn raw_create(cx: &mut Context, p: &Program, m: &Map, op: &RawCreateOp) -> Flow {
    let (attr, what) = build(p, m, op);
    // A map it creates is closed at once: only the outcome is evidence.
    let got = raw::map_create(&attr).map(drop);
    cx.check(
        what,
        op.expect,
        got.err().unwrap_or(mapspec_spec::Outcome::Ok),
    )
}

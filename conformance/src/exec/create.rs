//! BPF_MAP_CREATE of the claim's map: attributes, inner-map templates,
//! BTF recipes, vmlinux value types and dropped capabilities.

use super::context::Context;
use super::map::Map;
use super::print;
use super::verdict::{error, Flow, Stop};
use crate::sys::btf::{self, Describe, LoadedBtf};
use crate::sys::map::{map_create, CreateArgs};
use mapspec_spec::names::BtfRecipe;
use mapspec_spec::{Datum, InnerMap, Outcome, Program};
use std::os::fd::{AsRawFd, OwnedFd};

/// BPF_MAP_CREATE arguments of an inner-map template.
pub fn template_args(t: &InnerMap) -> CreateArgs {
    let a = &t.attrs;
    CreateArgs {
        map_type: t.type_value,
        key_size: a.key_size.unwrap_or(0),
        value_size: a.value_size.unwrap_or(0),
        max_entries: a.max_entries.unwrap_or(0),
        map_flags: a.flags_value(),
        map_extra: a.map_extra.unwrap_or(0),
        ..Default::default()
    }
}

/// The BTF object a recipe names, sized for the map; `None` for `none`.
fn build_btf(recipe: BtfRecipe, args: &CreateArgs) -> Result<Option<LoadedBtf>, String> {
    let (key_bits, value_size) = (args.key_size * 8, args.value_size);
    match recipe {
        BtfRecipe::spin_lock_value => btf::spin_lock_value_btf(args.key_size, value_size),
        BtfRecipe::int_key_value => btf::int_key_btf(key_bits, value_size, Describe::KeyAndValue),
        BtfRecipe::int_key_only => btf::int_key_btf(key_bits, value_size, Describe::KeyOnly),
        BtfRecipe::fd_only => btf::int_key_btf(32, 0, Describe::FdOnly),
        BtfRecipe::none => return Ok(None),
    }
    .map(Some)
}

/// Create the program's map and judge BPF_MAP_CREATE. `None`: creation
/// failed as the spec expects. `ncpu`: possible CPUs.
pub fn create(cx: &mut Context, p: &Program, ncpu: usize) -> Flow<Option<Map>> {
    let a = &p.attrs;
    let mut args = CreateArgs {
        map_type: p.type_value,
        key_size: a.key_size.unwrap_or(0),
        value_size: a.value_size.unwrap_or(0),
        max_entries: a.max_entries.unwrap_or(0),
        map_flags: a.flags_value(),
        map_extra: a.map_extra.unwrap_or(0),
        numa_node: a.numa_node.unwrap_or(0),
        ..Default::default()
    };
    // Every attribute the spec set is shown, once.
    let mut set = String::new();
    if let Some(x) = a.map_extra {
        set.push_str(&format!(", map_extra={x:#x}"));
    }
    if let Some(n) = a.numa_node {
        set.push_str(&format!(", numa_node={n}"));
    }
    // The template's fd only needs to live through BPF_MAP_CREATE.
    let mut _inner: Option<OwnedFd> = None;
    let mut extra = String::new();
    if let Some(inner) = &a.inner_map {
        // A map-in-map template is made from its own template (which the
        // kernel then refuses to nest: one level only).
        let mut targs = template_args(inner);
        let _nested = match &inner.attrs.inner_map {
            Some(nested) => {
                let fd = map_create(&template_args(nested)).map_err(|e| {
                    error(format!("creating the inner map's template failed with {e}"))
                })?;
                targs.inner_map_fd = Some(fd.as_raw_fd());
                Some(fd)
            }
            None => None,
        };
        let fd = map_create(&targs)
            .map_err(|e| error(format!("creating the inner map failed with {e}")))?;
        args.inner_map_fd = Some(fd.as_raw_fd());
        // Shown once: the fd and the template it was made from.
        extra.push_str(&format!(
            ", inner_map_fd={} (a type {} template)",
            fd.as_raw_fd(),
            inner.type_value
        ));
        _inner = Some(fd);
    }
    if let Some(d) = &a.inner_map_fd {
        // Resolved to a number (a fixture's fd, or one that is no fd).
        let raw = match d {
            Datum::Int(v) => *v as i32,
            other => {
                return Err(error(format!(
                    "inner_map_fd: unresolved {}",
                    print::datum(Some(other))
                )))
            }
        };
        args.inner_map_fd = Some(raw);
        extra.push_str(&format!(", inner_map_fd={raw}"));
    }
    if let Some(name) = &a.vmlinux_value {
        // A missing struct is a missing kernel feature: a skip.
        let (id, size) = btf::vmlinux_struct(name).map_err(Stop::Skip)?;
        args.btf_vmlinux_value_type_id = id;
        if a.value_size.is_none() {
            args.value_size = size;
        }
        extra.push_str(&format!(", btf_vmlinux_value_type_id={id} (struct {name})"));
    }
    if !a.drop_caps.is_empty() {
        let names: Vec<&str> = a.drop_caps.iter().map(|c| c.name()).collect();
        extra.push_str(&format!(", without {}", names.join("+")));
    }
    if let Some(recipe) = a.btf {
        if let Some(b) = build_btf(recipe, &args).map_err(error)? {
            args.btf_fd = Some(b.btf.fd());
            args.btf_key_type_id = b.key_type_id;
            args.btf_value_type_id = b.value_type_id;
            cx.btf = Some(b);
        }
    }
    let flags: Vec<&str> = a.map_flags.iter().flatten().map(|f| f.name()).collect();
    let what = format!(
        "BPF_MAP_CREATE(type={}, key_size={}, value_size={}, max_entries={}, flags=[{}]{})",
        p.type_value,
        args.key_size,
        args.value_size,
        args.max_entries,
        flags.join("|"),
        a.btf
            .map(|b| match args.btf_fd {
                Some(_) => format!(
                    ", btf={b} (key_type_id={}, value_type_id={}){set}{extra}",
                    args.btf_key_type_id, args.btf_value_type_id
                ),
                None => format!(", btf={b}{set}{extra}"),
            })
            .unwrap_or(set + &extra)
    );
    let created = if a.drop_caps.is_empty() {
        map_create(&args)
    } else {
        let caps: Vec<u32> = a.drop_caps.iter().map(|c| c.value()).collect();
        crate::kernel::with_caps_dropped(&caps, || map_create(&args))
            .map_err(|message| error(format!("dropping capabilities: {message}")))?
    };
    match created {
        Ok(fd) => {
            cx.check(what, p.create_expect, Outcome::Ok)?;
            Ok(Some(Map {
                fd,
                key_size: args.key_size as usize,
                value_size: args.value_size as usize,
                max_entries: args.max_entries,
                percpu: p.percpu,
                ncpu,
                facts: p.runner,
            }))
        }
        Err(e) => {
            cx.check(what, p.create_expect, e)?;
            Ok(None)
        }
    }
}

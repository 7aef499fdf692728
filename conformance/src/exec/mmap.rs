//! mmap(2) of the map fd, and a load or store through the mapping.

use super::context::Context;
use super::map::Map;
use super::verdict::{Flow, Mismatch};
use crate::sys::map as sys;
use mapspec_spec::{MmapOp, Outcome};

pub fn mmap(cx: &mut Context, m: &Map, op: &MmapOp) -> Flow {
    let pages = op.pages.unwrap_or(1);
    let what = format!(
        "mmap(pages={pages}, offset={}, {}{})",
        op.offset_pages,
        if op.writable {
            "PROT_READ|PROT_WRITE"
        } else {
            "PROT_READ"
        },
        if op.private { ", MAP_PRIVATE" } else { "" }
    );
    let mapping = match sys::mmap(&m.fd, op.writable, op.private, op.offset_pages, pages) {
        Ok(mapping) => mapping,
        Err(e) => return cx.check(what, op.expect, e),
    };
    cx.check(what, op.expect, Outcome::Ok)?;
    if let Some(v) = op.store {
        // SAFETY: the mapping is at least one page, writable when store is set (lint).
        unsafe { std::ptr::write_volatile(mapping.addr as *mut u64, v) };
        cx.trace
            .push(format!("store {v} at offset 0 of the mapping"));
    }
    if let Some(want) = op.load {
        // SAFETY: the mapping is at least one readable page.
        let got = unsafe { std::ptr::read_volatile(mapping.addr as *const u64) };
        let what = "load at offset 0 of the mapping";
        cx.trace.push(format!("{what} = {got}"));
        cx.expected.push(format!("{what} = {want}"));
        if got != want {
            return Err(
                Mismatch::new(format!("{what} = {want}"), format!("{what} = {got}")).into(),
            );
        }
    }
    if op.keep {
        cx.trace.push("mapping kept until the check ends".into());
        cx.mappings.push(mapping);
    }
    Ok(())
}

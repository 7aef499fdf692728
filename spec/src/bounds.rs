//! Upper bounds lint puts on the numbers in a spec that drive the runner's
//! time or memory. The runner trusts a linted spec: without these,
//! `budget_ms: 18446744073709551615` makes `mapspec run` never end and a
//! `fill` of a map with 2^32 entries runs for hours. Each bound leaves
//! ample room above what the specs use (in brackets).

use crate::claim::{ClaimKind, Program};
use crate::model::{MapSpec, Step};

/// A statistical check's time budget (2000).
pub const MAX_BUDGET_MS: u64 = 10_000;
/// BPF_PROG_TEST_RUN `repeat` of one run (200,000).
pub const MAX_REPEAT: u32 = 10_000_000;
/// Threads a kernel-side step starts (2).
pub const MAX_THREADS: u32 = 64;
/// The CPU a step pins its thread to (1): a `cpu_set_t` holds 1024.
pub const MAX_CPU: u32 = 1023;
/// Elements one step writes or reads: a `fill`, a batch buffer, given or
/// taken from `max_entries` (4,096).
pub const MAX_ELEMENTS: u64 = 1 << 20;
/// First key of a `fill` (100), so that `start + count` cannot overflow.
pub const MAX_FILL_START: u64 = 1 << 32;
/// key_size and value_size of a map that steps read and write; the runner
/// allocates buffers of that size (create rules, which only ask
/// BPF_MAP_CREATE, may name any size) (64 KiB).
pub const MAX_ELEM_BYTES: u64 = 16 << 20;
/// A batch buffer in bytes: elements times key and value size.
pub const MAX_BATCH_BYTES: u64 = 256 << 20;
/// Pages one `mmap` step maps, offset included (4).
pub const MAX_MMAP_PAGES: u64 = 1 << 16;

/// The attribute size of a `raw_create` (4097: one byte over a page).
pub const MAX_RAW_ATTR: u64 = 1 << 16;

fn over(what: &str, got: u64, max: u64) -> Option<String> {
    (got > max).then(|| format!("{what} {got} is more than the limit of {max}"))
}

/// Bounds on the numbers a step states itself.
pub fn step_problems(step: &Step) -> Vec<String> {
    let mut out: Vec<Option<String>> = Vec::new();
    match step {
        Step::TornRead(o) => out.push(over("budget_ms", o.budget_ms, MAX_BUDGET_MS)),
        Step::ProgTorn(o) => out.push(over("budget_ms", o.budget_ms, MAX_BUDGET_MS)),
        Step::ProgRace(o) => {
            out.push(over("budget_ms", o.budget_ms, MAX_BUDGET_MS));
            out.push(over("repeat", o.repeat.into(), MAX_REPEAT.into()));
            out.push(over("threads", o.threads.into(), MAX_THREADS.into()));
        }
        Step::ProgRun(o) => {
            out.push(over(
                "repeat",
                o.repeat.unwrap_or(1).into(),
                MAX_REPEAT.into(),
            ));
            out.push(over(
                "threads",
                o.threads.unwrap_or(1).into(),
                MAX_THREADS.into(),
            ));
            if let Some(c) = o.cpu {
                out.push(over("cpu", c.into(), MAX_CPU.into()));
            }
        }
        Step::RawCreate(o) => out.push(over(
            "raw_create size",
            o.size.unwrap_or(0).into(),
            MAX_RAW_ATTR,
        )),
        Step::PushPopRace(o) => {
            out.push(over("threads", o.threads.into(), MAX_THREADS.into()));
            out.push(over("values", o.values.into(), MAX_ELEMENTS));
        }
        Step::Fill(o) => {
            out.push(over("fill start", o.start, MAX_FILL_START));
            if let Some(n) = o.count {
                out.push(over("fill count", n, MAX_ELEMENTS));
            }
        }
        Step::LookupBatch(o)
        | Step::UpdateBatch(o)
        | Step::DeleteBatch(o)
        | Step::LookupAndDeleteBatch(o) => {
            if let Some(n) = o.count {
                out.push(over("batch count", n.into(), MAX_ELEMENTS));
            }
        }
        Step::Mmap(o) => out.push(over(
            "mmap offset_pages + pages",
            o.offset_pages.saturating_add(o.pages.unwrap_or(1)),
            MAX_MMAP_PAGES,
        )),
        _ => {}
    }
    out.into_iter().flatten().collect()
}

/// Bounds that depend on the map a program's steps run against: buffer
/// sizes, and counts that default to `max_entries`.
pub fn program_problems(p: &Program) -> Vec<String> {
    if p.steps.is_empty() {
        return Vec::new();
    }
    let a = &p.attrs;
    let key = u64::from(a.key_size.unwrap_or(0));
    let value = u64::from(a.value_size.unwrap_or(0));
    let entries = u64::from(a.max_entries.unwrap_or(0));
    let mut out = vec![
        over("key_size (of a map that steps use)", key, MAX_ELEM_BYTES),
        over(
            "value_size (of a map that steps use)",
            value,
            MAX_ELEM_BYTES,
        ),
    ];
    for s in &p.steps {
        match s {
            Step::Fill(o) if o.count.is_none() => out.push(over(
                "max_entries (the count of a fill without `count`)",
                entries,
                MAX_ELEMENTS,
            )),
            Step::LookupBatch(o) | Step::LookupAndDeleteBatch(o) => {
                let n = o.count.map_or(entries, u64::from);
                if o.count.is_none() {
                    out.push(over(
                        "max_entries (the buffer of a batch without `count`)",
                        n,
                        MAX_ELEMENTS,
                    ));
                }
                out.push(over(
                    "batch buffer bytes (count x (key_size + value_size))",
                    n.saturating_mul(key + value),
                    MAX_BATCH_BYTES,
                ));
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out.into_iter().flatten().collect()
}

/// [`program_problems`] of every claim, with the list field and index of
/// the claim it belongs to (`None` for the implicit `exists` claim, whose
/// problems are the base attributes').
pub fn claim_problems(spec: &MapSpec) -> Vec<(Option<(&'static str, usize)>, String)> {
    let mut seen = [0usize; 4];
    let mut out = Vec::new();
    for c in spec.claims() {
        let slot = match c.kind {
            ClaimKind::Exists => None,
            ClaimKind::Create { .. } => Some(("create", 0)),
            ClaimKind::Command { .. } => Some(("commands", 1)),
            ClaimKind::UpdateFlag { .. } => Some(("update_flags", 2)),
            ClaimKind::Scenario => Some(("scenarios", 3)),
        };
        let at = slot.map(|(field, k)| {
            seen[k] += 1;
            (field, seen[k] - 1)
        });
        for m in program_problems(&c.program) {
            out.push((at, m));
        }
    }
    out
}

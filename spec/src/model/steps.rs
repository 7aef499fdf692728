//! The steps a scenario or a situation's setup is made of.

use super::data::{is_ok, ok};
use super::{Command, Datum, Flags};
use crate::names::Outcome;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One single-element syscall. `key: null` (or no key) passes a NULL key,
/// which is how queue and stack maps are driven.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElemOp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Datum>,
    /// For update: the value written (default 0). For lookups: the value
    /// expected back (checked on every CPU for per-CPU maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Datum>,
    /// For per-CPU lookups: the value expected in each CPU's slot, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_cpu: Option<Vec<Datum>>,
    /// For per-CPU maps, whatever the number of CPUs: CPU n's slot holds
    /// `value + n * per_cpu_step` (written by update, expected by lookup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_cpu_step: Option<u64>,
    /// For lookups: what the value buffer holds before the call. A bloom
    /// filter reads the value to test from it instead of writing one back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Datum>,
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// The flags as a number, for bits uapi does not name (instead of `flags`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_bits: Option<u64>,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

impl ElemOp {
    /// The flags passed: `flag_bits`, else `flags`.
    pub fn flags_value(&self) -> u64 {
        self.flag_bits.unwrap_or_else(|| self.flags.value())
    }
}

/// BPF_MAP_GET_NEXT_KEY.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NextKeyOp {
    /// The current key; absent means NULL (start from the first key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Datum>,
    /// The key expected back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Datum>,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// The batch commands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchOp {
    /// Keys to update or delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Datum>,
    /// Values for update_batch (one per key; default 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Datum>,
    /// Buffer size in elements for lookup batches (default max_entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Element flags (`elem_flags`).
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// The command's own `flags` field (beside `elem_flags`), as a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_flags: Option<u64>,
    /// The number of elements the kernel reports as processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed: Option<u32>,
    /// For lookup batches: every element read, as a set of keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got_keys: Option<Vec<Datum>>,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// BPF_MAP_FREEZE, and other commands with only an outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimpleOp {
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// mmap(2) of the map fd.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MmapOp {
    /// PROT_WRITE as well as PROT_READ.
    #[serde(default)]
    pub writable: bool,
    /// MAP_PRIVATE instead of MAP_SHARED.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
    /// Offset in pages.
    #[serde(default)]
    pub offset_pages: u64,
    /// Length in pages (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u64>,
    /// After mapping: write this u64 at offset 0 of the mapping (needs `writable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<u64>,
    /// After mapping (and `store`): the u64 expected at offset 0 of the mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<u64>,
    /// Keep the mapping until the check ends, so that later steps run while
    /// it exists (default: unmapped at the end of this step).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep: bool,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// Insert keys `start..start+count` (default: the whole map) with value = key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillOp {
    #[serde(default)]
    pub start: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Run the updates from this CPU (the thread is pinned, then put back):
    /// per-CPU LRU lists fill from the CPU that updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
}

/// Walk the map with GET_NEXT_KEY from NULL and compare the keys seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysOp {
    /// The keys expected, as a set (or a sequence with `ordered`). With
    /// `at_most` or `cpu_share`: keys that must be among those seen.
    #[serde(default)]
    pub expect: Vec<Datum>,
    /// Compare as a sequence instead of as a set.
    #[serde(default)]
    pub ordered: bool,
    /// Instead of an exact set: at most this many distinct keys, each seen
    /// once (for maps that evict, such as LRU maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
    /// Instead of an exact set: exactly one CPU's share of the map,
    /// max_entries / possible CPUs rounded up, distinct keys, each seen once
    /// (what a `BPF_F_NO_COMMON_LRU` map keeps of updates from one CPU).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cpu_share: bool,
}

/// A statistical race between a writer and a reader thread on one element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TornOp {
    /// Element flags for writer and reader (BPF_F_LOCK for spin-locked values).
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// Time budget in milliseconds.
    pub budget_ms: u64,
    /// Bytes at the start of the value the check ignores (a bpf_spin_lock).
    #[serde(default)]
    pub skip_bytes: u32,
    /// Pass only when at least this many torn reads were seen. The reads
    /// stop as soon as this many are torn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_at_least: Option<u64>,
    /// Pass only when at most this many torn reads were seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_at_most: Option<u64>,
}

/// Queue and stack: `threads` threads, each on its own CPU, push
/// `values` distinct values each and pop concurrently; then the map is
/// drained. Every value is a u64 repeated over `value_size`. The check
/// fails unless the counts below are exactly what was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushPopRaceOp {
    /// Threads pushing and popping at once (at least 2).
    pub threads: u32,
    /// Values each thread pushes.
    pub values: u32,
    /// Values pushed and never popped.
    pub lost: u64,
    /// Pops that returned a value already popped, or one never pushed.
    pub duplicated: u64,
    /// Pops whose value mixes two pushes.
    pub torn: u64,
}

/// A second BPF_MAP_CREATE whose attribute bytes the spec controls:
/// `union bpf_attr` built by hand (map_type, key_size, value_size,
/// max_entries, map_flags, map_name), passed with `size` bytes. For what
/// libbpf never sends: unknown types and flag bits, bad names, oversized
/// attributes and non-zero bytes past the fields the kernel knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCreateOp {
    /// The map type number (default: the claim's type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_type: Option<u32>,
    /// `map_flags` as a number, for bits uapi does not name (default: the
    /// claim's flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_flags: Option<u32>,
    /// The bytes of `map_name` (at most 16; no NUL is added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The attribute size passed to bpf(2) (default 72, up to `map_extra`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// One byte set at this offset of the attribute (below `size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_at: Option<u32>,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

impl RawCreateOp {
    /// What `size` defaults to: `union bpf_attr` up to `map_extra`.
    pub const DEFAULT_SIZE: u32 = 72;
    /// `map_name` is a char[16].
    pub const NAME_LEN: usize = 16;
}

/// One action in a scenario or in a situation's setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Update(ElemOp),
    Lookup(ElemOp),
    Delete(ElemOp),
    LookupAndDelete(ElemOp),
    GetNextKey(NextKeyOp),
    LookupBatch(BatchOp),
    UpdateBatch(BatchOp),
    DeleteBatch(BatchOp),
    LookupAndDeleteBatch(BatchOp),
    Freeze(SimpleOp),
    Mmap(MmapOp),
    Fill(FillOp),
    Keys(KeysOp),
    TornRead(TornOp),
    /// Kernel side: load one of the suite's BPF programs (the verifier's verdict).
    ProgLoad(super::ProgLoadOp),
    /// Kernel side: BPF_PROG_TEST_RUN of one of the suite's BPF programs.
    ProgRun(super::ProgRunOp),
    /// Kernel side, statistical: concurrent counter programs, lost updates counted.
    ProgRace(super::ProgRaceOp),
    /// Kernel side, statistical: a writer program against userspace lookups.
    ProgTorn(super::ProgTornOp),
    /// A command through a second fd opened by id with `open_flags`.
    ById(super::ByIdOp),
    /// Concurrent pushes and pops from several threads, every value counted.
    PushPopRace(PushPopRaceOp),
    /// A BPF_MAP_CREATE with hand-built attribute bytes.
    RawCreate(RawCreateOp),
}

impl Step {
    /// The expected outcome of this step, if it has one a mutation can flip.
    pub fn expect_mut(&mut self) -> Option<&mut Outcome> {
        match self {
            Step::Update(o) | Step::Lookup(o) | Step::Delete(o) | Step::LookupAndDelete(o) => {
                Some(&mut o.expect)
            }
            Step::GetNextKey(o) => Some(&mut o.expect),
            Step::LookupBatch(o)
            | Step::UpdateBatch(o)
            | Step::DeleteBatch(o)
            | Step::LookupAndDeleteBatch(o) => Some(&mut o.expect),
            Step::Freeze(o) => Some(&mut o.expect),
            Step::Mmap(o) => Some(&mut o.expect),
            Step::ProgLoad(o) => Some(&mut o.expect),
            Step::ProgRun(o) => Some(&mut o.expect),
            Step::ById(o) => Some(&mut o.expect),
            Step::RawCreate(o) => Some(&mut o.expect),
            Step::Fill(_) | Step::Keys(_) | Step::TornRead(_) => None,
            Step::ProgRace(_) | Step::ProgTorn(_) | Step::PushPopRace(_) => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Step::Update(_) => "update",
            Step::Lookup(_) => "lookup",
            Step::Delete(_) => "delete",
            Step::LookupAndDelete(_) => "lookup_and_delete",
            Step::GetNextKey(_) => "get_next_key",
            Step::LookupBatch(_) => "lookup_batch",
            Step::UpdateBatch(_) => "update_batch",
            Step::DeleteBatch(_) => "delete_batch",
            Step::LookupAndDeleteBatch(_) => "lookup_and_delete_batch",
            Step::Freeze(_) => "freeze",
            Step::Mmap(_) => "mmap",
            Step::Fill(_) => "fill",
            Step::Keys(_) => "keys",
            Step::TornRead(_) => "torn_read",
            Step::ProgLoad(_) => "prog_load",
            Step::ProgRun(_) => "prog_run",
            Step::ProgRace(_) => "prog_race",
            Step::ProgTorn(_) => "prog_torn",
            Step::ById(_) => "by_id",
            Step::PushPopRace(_) => "push_pop_race",
            Step::RawCreate(_) => "raw_create",
        }
    }
}

/// The step a table cell or a `by_id` second command is: `cmd` with its
/// key, flags and expected outcome.
pub(crate) fn command_step(
    cmd: Command,
    key: Option<Datum>,
    flags: Flags,
    expect: Outcome,
    value: Option<Datum>,
    input: Option<Datum>,
) -> Step {
    let elem = ElemOp {
        key: key.clone(),
        value,
        per_cpu: None,
        input: if cmd == Command::Lookup { input } else { None },
        flags: flags.clone(),
        expect,
        ..Default::default()
    };
    match cmd {
        Command::Lookup => Step::Lookup(elem),
        Command::Update => Step::Update(ElemOp {
            value: Some(elem.value.unwrap_or(Datum::Int(1))),
            ..elem
        }),
        Command::Delete => Step::Delete(elem),
        Command::LookupAndDelete => Step::LookupAndDelete(elem),
        Command::GetNextKey => Step::GetNextKey(NextKeyOp {
            key,
            next: None,
            expect,
        }),
        Command::LookupBatch => Step::LookupBatch(BatchOp {
            flags,
            expect,
            ..Default::default()
        }),
        Command::LookupAndDeleteBatch => Step::LookupAndDeleteBatch(BatchOp {
            flags,
            expect,
            ..Default::default()
        }),
        Command::UpdateBatch => Step::UpdateBatch(BatchOp {
            keys: key.into_iter().collect(),
            values: vec![elem.value.clone().unwrap_or(Datum::Int(1))],
            flags,
            expect,
            ..Default::default()
        }),
        Command::DeleteBatch => Step::DeleteBatch(BatchOp {
            keys: key.into_iter().collect(),
            flags,
            expect,
            ..Default::default()
        }),
        Command::Freeze => Step::Freeze(SimpleOp { expect }),
        Command::Mmap => Step::Mmap(MmapOp {
            writable: false,
            expect,
            ..Default::default()
        }),
    }
}

//! The spec file format. One YAML file per map type, deserialized into
//! [`MapSpec`]. See `spec/schema.json` for the editor-facing schema and
//! ARCHITECTURE.md for how claims become checks.

use crate::names::{Capability, ElemFlag, Fixture, MapFlag, Outcome};
use crate::version::{KernelVersion, Since};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One eBPF map type.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    /// The file stem (`hash` for `hash.yaml`); filled in by the loader.
    #[serde(skip)]
    pub name: String,
    /// The uapi enum name, e.g. `BPF_MAP_TYPE_HASH`.
    pub map_type: String,
    /// Its numeric value in `enum bpf_map_type`.
    pub type_value: u32,
    /// First mainline kernel that knows the type.
    pub since: KernelVersion,
    /// Values are per-CPU: userspace reads and writes
    /// `round_up(value_size, 8) * possible CPUs` bytes.
    #[serde(default)]
    pub percpu: bool,
    /// What BPF_MAP_CREATE returns on kernels older than `since`.
    #[serde(default = "default_absent")]
    pub absent: Outcome,
    /// Documentation/bpf page (without `.rst`) this type renders into.
    pub page: String,
    /// One line: what the type is.
    pub summary: String,
    /// One line for the overview index: what the type is useful for.
    pub useful_for: String,
    /// Markdown, rendered to RST by docgen.
    pub description: String,
    /// Requirements every claim of this type inherits.
    #[serde(default)]
    pub requires: Requires,
    /// The minimal valid BPF_MAP_CREATE attributes; claims override fields.
    pub base: CreateAttrs,
    /// How a value looks from userspace.
    pub value_layout: Statement,
    /// The order BPF_MAP_GET_NEXT_KEY visits keys in.
    pub iteration: Statement,
    /// What is atomic, for readers and writers on each side.
    pub atomicity: Statement,
    /// Named starting states for the command and update-flag tables.
    #[serde(default)]
    pub situations: BTreeMap<String, Situation>,
    /// Create rules: attributes and the outcome of BPF_MAP_CREATE.
    #[serde(default)]
    pub create: Vec<CreateRule>,
    /// The command x situation table.
    #[serde(default)]
    pub commands: Vec<CommandCell>,
    /// The update-flag x situation table.
    #[serde(default)]
    pub update_flags: Vec<FlagCell>,
    /// Free-form checks for what the tables cannot express.
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    /// Links for the References chapter.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Code for the page's Examples chapter: regions of files the suite
    /// compiles and runs (see `prog::Example`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<crate::prog::Example>,
    /// How the runner must handle this type's objects (see [`RunnerFacts`]).
    #[serde(default, skip_serializing_if = "RunnerFacts::is_default")]
    pub runner: RunnerFacts,
}

fn default_absent() -> Outcome {
    Outcome::Err(crate::names::Errno::EINVAL)
}

/// A prose statement, and the claims whose checks back it up. With no
/// `checked_by`, docgen prints it as not yet verified.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub text: String,
    #[serde(default)]
    pub checked_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

/// What a check needs from the machine. Missing requirements give a skip
/// with the reason, never a pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// Minimum number of online CPUs (concurrency checks need 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// Capabilities the check needs in the effective set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<Capability>,
    /// Needs /sys/kernel/btf/vmlinux.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vmlinux_btf: bool,
    /// A statistical check with a time budget; `mapspec run --quick` leaves it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub statistical: bool,
    /// A Linux security module that must be active (listed in
    /// `/sys/kernel/security/lsm`), e.g. `bpf` for inode storage. Which
    /// LSMs run is boot configuration (`lsm=`), not kernel version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lsm: Option<String>,
}

impl Requires {
    pub fn merged(&self, other: &Requires) -> Requires {
        let mut caps = self.caps.clone();
        for c in &other.caps {
            if !caps.contains(c) {
                caps.push(*c);
            }
        }
        Requires {
            cpus: other.cpus.or(self.cpus),
            caps,
            vmlinux_btf: self.vmlinux_btf || other.vmlinux_btf,
            statistical: self.statistical || other.statistical,
            lsm: other.lsm.clone().or_else(|| self.lsm.clone()),
        }
    }
}

/// BPF_MAP_CREATE attributes. In `base` every size is given; in a claim,
/// only the fields that differ from `base`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAttrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<u32>,
    /// Replaces the base flags when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_flags: Option<Vec<MapFlag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_extra: Option<u64>,
    /// A BTF recipe built by the runner (e.g. `spin_lock_value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btf: Option<crate::names::BtfRecipe>,
    /// For map-in-map types: the inner map template, created first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_map: Option<Box<InnerMap>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numa_node: Option<u32>,
    /// For map-in-map types: pass this as `inner_map_fd` instead of
    /// creating `inner_map` (e.g. `{fd: prog}`, or a number that is no fd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_map_fd: Option<Datum>,
    /// Not an attribute: BPF_MAP_CREATE runs in a thread that has dropped
    /// these capabilities from its effective set (the process keeps them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_caps: Vec<Capability>,
    /// A struct in the running kernel's vmlinux BTF (e.g.
    /// `bpf_struct_ops_tcp_congestion_ops`), passed as
    /// `btf_vmlinux_value_type_id`. When `value_size` is not given, the
    /// struct's size is used; the check is skipped on a kernel whose BTF
    /// lacks the struct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmlinux_value: Option<String>,
}

/// The inner map of a map-in-map: a map type value and its attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InnerMap {
    pub type_value: u32,
    pub attrs: CreateAttrs,
}

impl CreateAttrs {
    /// `self` with every field `over` sets replaced.
    pub fn overlay(&self, over: &CreateAttrs) -> CreateAttrs {
        CreateAttrs {
            key_size: over.key_size.or(self.key_size),
            value_size: over.value_size.or(self.value_size),
            max_entries: over.max_entries.or(self.max_entries),
            map_flags: over.map_flags.clone().or_else(|| self.map_flags.clone()),
            map_extra: over.map_extra.or(self.map_extra),
            btf: over.btf.or(self.btf),
            inner_map: over.inner_map.clone().or_else(|| self.inner_map.clone()),
            numa_node: over.numa_node.or(self.numa_node),
            inner_map_fd: over
                .inner_map_fd
                .clone()
                .or_else(|| self.inner_map_fd.clone()),
            drop_caps: if over.drop_caps.is_empty() {
                self.drop_caps.clone()
            } else {
                over.drop_caps.clone()
            },
            vmlinux_value: over
                .vmlinux_value
                .clone()
                .or_else(|| self.vmlinux_value.clone()),
        }
    }
    pub fn flags_value(&self) -> u32 {
        self.map_flags
            .iter()
            .flatten()
            .fold(0, |acc, f| acc | f.value())
    }
}

/// A key or value as written in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, try_from = "crate::raw_datum::RawDatum")]
pub enum Datum {
    /// Little-endian, zero-padded or truncated to the field's size.
    Int(u64),
    /// Raw bytes; must match the field's size.
    Bytes(Vec<u8>),
    /// An LPM trie key: `struct bpf_lpm_trie_key_u8` (prefixlen, then data).
    Lpm { prefixlen: u32, data: Vec<u8> },
    /// The fd of a fixture the runner creates (e.g. `prog`, `perf_event`), as u32.
    Fd { fd: Fixture },
    /// The value half of an element counted from its key: value = key + offset.
    Pattern { pattern: u64 },
    /// The kernel id (from BPF_OBJ_GET_INFO_BY_FD) of a program or map
    /// fixture, as u32: what PROG_ARRAY and map-in-map lookups return.
    Id { id: Fixture },
    /// The index of a network interface by name (`lo`), as u32.
    Ifindex { ifindex: String },
    /// The socket cookie (SO_COOKIE) of a socket fixture, as u64.
    Cookie { cookie: Fixture },
    /// Consecutive 32-bit little-endian words, e.g. `struct bpf_devmap_val`
    /// (ifindex, then a program fd or id); zero-padded to the field's size.
    U32s { u32s: Vec<Datum> },
    /// The fd of a fresh map created from this template for the step.
    Map { map: Box<InnerMap> },
}

/// Element flags: one name or a list, OR-ed together.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Flags {
    One(ElemFlag),
    Many(Vec<ElemFlag>),
}

// Hand-written so that a misspelt flag gets "did you mean" instead of
// serde's "did not match any variant of untagged enum".
impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flags;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an update flag name or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Flags, E> {
                ElemFlag::deserialize(serde::de::value::StrDeserializer::<E>::new(s))
                    .map(Flags::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Flags, A::Error> {
                let mut v = Vec::new();
                while let Some(f) = seq.next_element::<ElemFlag>()? {
                    v.push(f);
                }
                Ok(Flags::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Default for Flags {
    fn default() -> Self {
        Flags::Many(Vec::new())
    }
}

impl Flags {
    pub fn value(&self) -> u64 {
        match self {
            Flags::One(f) => f.value(),
            Flags::Many(v) => v.iter().fold(0, |a, f| a | f.value()),
        }
    }
    pub fn names(&self) -> String {
        let v: Vec<&str> = match self {
            Flags::One(f) => vec![f.name()],
            Flags::Many(v) if v.is_empty() => vec!["BPF_ANY"],
            Flags::Many(v) => v.iter().map(|f| f.name()).collect(),
        };
        v.join(" | ")
    }
    pub fn is_default(&self) -> bool {
        self.value() == 0
    }
}

pub(crate) fn is_ok(o: &Outcome) -> bool {
    *o == Outcome::Ok
}

pub(crate) fn ok() -> Outcome {
    Outcome::Ok
}

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
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
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
    /// PROT_WRITE as well as PROT_READ (MAP_SHARED).
    #[serde(default)]
    pub writable: bool,
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
}

/// Walk the map with GET_NEXT_KEY from NULL and compare the keys seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysOp {
    /// The keys expected, as a set (or a sequence with `ordered`). With
    /// `at_most`: keys that must be among those seen.
    #[serde(default)]
    pub expect: Vec<Datum>,
    /// Compare as a sequence instead of as a set.
    #[serde(default)]
    pub ordered: bool,
    /// Instead of an exact set: at most this many distinct keys, each seen
    /// once (for maps that evict, such as LRU maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
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
    ProgLoad(crate::prog::ProgLoadOp),
    /// Kernel side: BPF_PROG_TEST_RUN of one of the suite's BPF programs.
    ProgRun(crate::prog::ProgRunOp),
    /// Kernel side, statistical: concurrent counter programs, lost updates counted.
    ProgRace(crate::prog::ProgRaceOp),
    /// Kernel side, statistical: a writer program against userspace lookups.
    ProgTorn(crate::prog::ProgTornOp),
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
            Step::Fill(_) | Step::Keys(_) | Step::TornRead(_) => None,
            Step::ProgRace(_) | Step::ProgTorn(_) => None,
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
        }
    }
}

/// A named starting state for table cells: setup steps and the key the
/// cell's command is applied to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    /// Column heading, e.g. "key absent".
    pub text: String,
    #[serde(default)]
    pub setup: Vec<Step>,
    /// The key the command uses; absent means a NULL key (queue, stack).
    #[serde(default)]
    pub key: Option<Datum>,
    /// Attribute overrides for this situation's map.
    #[serde(default)]
    pub map: CreateAttrs,
    /// The value update cells write (default: 1 in the command table, 2 in
    /// the update-flag table); fd maps need a fixture such as `{fd: prog}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Datum>,
}

/// The syscall commands the command table covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Lookup,
    Update,
    Delete,
    GetNextKey,
    LookupAndDelete,
    LookupBatch,
    UpdateBatch,
    DeleteBatch,
    LookupAndDeleteBatch,
    Freeze,
    Mmap,
}

impl Command {
    pub const ALL: [Command; 11] = [
        Command::Lookup,
        Command::Update,
        Command::Delete,
        Command::GetNextKey,
        Command::LookupAndDelete,
        Command::LookupBatch,
        Command::UpdateBatch,
        Command::DeleteBatch,
        Command::LookupAndDeleteBatch,
        Command::Freeze,
        Command::Mmap,
    ];
    /// The uapi name of the command.
    pub fn uapi(self) -> &'static str {
        match self {
            Command::Lookup => "BPF_MAP_LOOKUP_ELEM",
            Command::Update => "BPF_MAP_UPDATE_ELEM",
            Command::Delete => "BPF_MAP_DELETE_ELEM",
            Command::GetNextKey => "BPF_MAP_GET_NEXT_KEY",
            Command::LookupAndDelete => "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
            Command::LookupBatch => "BPF_MAP_LOOKUP_BATCH",
            Command::UpdateBatch => "BPF_MAP_UPDATE_BATCH",
            Command::DeleteBatch => "BPF_MAP_DELETE_BATCH",
            Command::LookupAndDeleteBatch => "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
            Command::Freeze => "BPF_MAP_FREEZE",
            Command::Mmap => "mmap()",
        }
    }
}

macro_rules! claim_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Stable id, unique within the spec (kebab-case).
            pub id: String,
            /// The one sentence docgen prints for this claim.
            pub text: String,
            /// First kernel with this behaviour (default: the map type's `since`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub since: Option<Since>,
            /// The outcome of the last step on kernels before `since`. Required
            /// when `since` is later than the map type's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub before: Option<Outcome>,
            /// First kernel where this behaviour is gone.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub until: Option<KernelVersion>,
            /// The outcome of the last step on kernels from `until` on.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub after: Option<Outcome>,
            /// Extra requirements for this claim.
            #[serde(default)]
            pub requires: Requires,
            /// Why, for readers: the kernel function, a commit, a caveat.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub note: Option<String>,
            /// Attribute overrides for this claim's map.
            #[serde(default)]
            pub map: CreateAttrs,
            $($(#[$fm])* pub $field: $ty,)*
        }

        impl $name {
            pub fn meta(&self) -> ClaimMeta {
                ClaimMeta {
                    id: self.id.clone(),
                    text: self.text.clone(),
                    since: self.since.clone(),
                    before: self.before,
                    until: self.until,
                    after: self.after,
                    requires: self.requires.clone(),
                    note: self.note.clone(),
                    map: self.map.clone(),
                }
            }
        }
    };
}

claim_struct!(
    /// A BPF_MAP_CREATE rule: these attributes (over `base`) give `expect`.
    CreateRule {
        /// Expected outcome of BPF_MAP_CREATE.
        pub expect: Outcome,
    }
);

claim_struct!(
    /// One cell of the command table.
    CommandCell {
        pub command: Command,
        /// A key of `situations`.
        pub situation: String,
        #[serde(default, skip_serializing_if = "Flags::is_default")]
        pub flags: Flags,
        pub expect: Outcome,
        /// For lookups: the value expected back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub value: Option<Datum>,
        /// For lookups: what the value buffer holds before the call (a
        /// bloom filter tests this value instead of writing one back).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub input: Option<Datum>,
    }
);

claim_struct!(
    /// One cell of the update-flag table: BPF_MAP_UPDATE_ELEM with `flag`.
    FlagCell {
        pub flag: Flags,
        /// A key of `situations`.
        pub situation: String,
        pub expect: Outcome,
    }
);

claim_struct!(
    /// A free-form claim: a sequence of steps, each with its expected outcome.
    Scenario {
        pub steps: Vec<Step>,
    }
);

/// The fields every claim shares.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimMeta {
    pub id: String,
    pub text: String,
    pub since: Option<Since>,
    pub before: Option<Outcome>,
    pub until: Option<KernelVersion>,
    pub after: Option<Outcome>,
    pub requires: Requires,
    pub note: Option<String>,
    pub map: CreateAttrs,
}

// ---------------------------------------------------------------------
// Per-type facts the step interpreter obeys. They change how a check is
// run and cleaned up, never what it expects: the runner has no per-type
// branches of its own (ARCHITECTURE.md).

/// Facts about a map type's objects that the runner must act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerFacts {
    /// Elements live in the object they belong to (a socket, inode, task
    /// or cgroup), not in the map, and are freed from a workqueue after
    /// the map closes. The runner deletes the fixtures' elements before it
    /// closes the map, so that the next check does not meet them half torn
    /// down (an update on our own process then fails with EAGAIN).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elements_live_in_owner: bool,
    /// libbpf cannot bind a map of this type into a program object: it
    /// fills such a map from the object's own section (struct_ops), and
    /// dereferences NULL for a rebound one. No kernel-side step
    /// (`prog_load`, `prog_run`, `prog_race`, `prog_torn`) can use it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_program_binding: bool,
}

impl RunnerFacts {
    pub fn is_default(&self) -> bool {
        *self == RunnerFacts::default()
    }

    /// Lint: why `step` cannot run on a map of this type, if it cannot.
    pub fn refuses(&self, step: &Step) -> Option<String> {
        let kernel_side = matches!(
            step,
            Step::ProgLoad(_) | Step::ProgRun(_) | Step::ProgRace(_) | Step::ProgTorn(_)
        );
        (kernel_side && self.no_program_binding).then(|| {
            format!(
                "{} cannot run on this map type: `runner: {{no_program_binding: true}}` \
                 (libbpf cannot bind its maps into a program object)",
                step.name()
            )
        })
    }
}

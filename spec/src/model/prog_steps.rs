//! Kernel-side steps: the suite's own BPF programs (conformance/bpf/*.bpf.c)
//! loaded against a claim's map and run with BPF_PROG_TEST_RUN. The runner
//! binds each program's map named `target` to the claim's map, so the
//! attributes still come from the spec. Expected values live here, in YAML.
//! Which programs exist is `prog::PROGRAMS`.

use super::data::{is_ok, ok};
use super::{Datum, Flags};
use crate::names::Outcome;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// BPF_PROG_LOAD of one program with its `target` map bound to the claim's
/// map: what the verifier says (`ok`, or the errno, e.g. EACCES or EINVAL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgLoadOp {
    pub program: String,
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// Load a program and run it with BPF_PROG_TEST_RUN. The test packet
/// carries `flags`, `key` and `value` to the program (`struct mapspec_args`
/// in conformance/bpf/mapspec.h); the program stores the helper's return
/// code and the value it read, which the runner compares with `returns`
/// and `out`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgRunOp {
    pub program: String,
    /// The key the program passes to the helper (sized by the map's key_size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Datum>,
    /// The value the program passes to update/push (sized by value_size;
    /// 8 bytes for maps without values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Datum>,
    /// The helper's flags argument (update, push).
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// BPF_PROG_TEST_RUN's `repeat` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
    /// Run from this many threads at once, thread i pinned to CPU i modulo
    /// the online CPUs (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// Pin the running thread to this CPU (per-CPU maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// The helper's return code as the program saw it: `ok` (0) or the errno
    /// it returned negated (a NULL lookup is reported as ENOENT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Outcome>,
    /// The value the program read (lookup, pop, peek): its first
    /// `min(value_size, 8)` bytes, as an integer (8 bytes for maps without
    /// values, such as ring buffers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<Datum>,
    /// The program's return value (TC_ACT_OK is 0, TC_ACT_SHOT 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retval: Option<u32>,
    /// Outcome of loading and test-running the program.
    #[serde(default = "ok", skip_serializing_if = "is_ok")]
    pub expect: Outcome,
}

/// Statistical: drive a counter program (which adds 1 to the u64 at key 0)
/// from `threads` threads on distinct CPUs, `repeat` runs each, in rounds
/// until `budget_ms` is spent. Each round resets the counter and compares
/// the final count (summed over CPUs for per-CPU maps) with the number of
/// runs. The counts go into the result's measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgRaceOp {
    pub program: String,
    pub threads: u32,
    /// BPF_PROG_TEST_RUN `repeat` per thread and round.
    pub repeat: u32,
    /// Time budget in milliseconds.
    pub budget_ms: u64,
    /// Pass only when at least this many increments were lost in total.
    /// The rounds stop as soon as this many are lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_at_least: Option<u64>,
    /// Pass only when at most this many increments were lost in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_at_most: Option<u64>,
}

/// Statistical: a writer program rewrites every word after `skip_bytes` of
/// the value at key 0 with one number, run in a loop on one CPU, while
/// userspace looks the value up (with `flags`) on another and counts reads
/// whose words differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgTornOp {
    /// The writer program.
    pub program: String,
    /// Time budget in milliseconds.
    pub budget_ms: u64,
    /// Flags of the userspace lookups (BPF_F_LOCK).
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// Bytes at the start of the value to ignore (the bpf_spin_lock).
    #[serde(default)]
    pub skip_bytes: u32,
    /// Pass only when at least this many torn reads were seen; the reads
    /// stop as soon as this many are torn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_at_least: Option<u64>,
    /// Pass only when at most this many torn reads were seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_at_most: Option<u64>,
}

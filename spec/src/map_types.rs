//! The uapi numbers of `enum bpf_map_type` (include/uapi/linux/bpf.h), so
//! that lint can hold a spec's `type_value` to its `map_type`. ABI, not an
//! expectation; a test keeps the table equal to the newest matrix kernel's
//! enum (conformance/tests/data/matrix-map-types.txt).

/// Every map type, by uapi name. The `_DEPRECATED` aliases of the cgroup
/// storage types are left out: specs use the current names.
pub const MAP_TYPES: &[(&str, u32)] = &[
    ("BPF_MAP_TYPE_HASH", 1),
    ("BPF_MAP_TYPE_ARRAY", 2),
    ("BPF_MAP_TYPE_PROG_ARRAY", 3),
    ("BPF_MAP_TYPE_PERF_EVENT_ARRAY", 4),
    ("BPF_MAP_TYPE_PERCPU_HASH", 5),
    ("BPF_MAP_TYPE_PERCPU_ARRAY", 6),
    ("BPF_MAP_TYPE_STACK_TRACE", 7),
    ("BPF_MAP_TYPE_CGROUP_ARRAY", 8),
    ("BPF_MAP_TYPE_LRU_HASH", 9),
    ("BPF_MAP_TYPE_LRU_PERCPU_HASH", 10),
    ("BPF_MAP_TYPE_LPM_TRIE", 11),
    ("BPF_MAP_TYPE_ARRAY_OF_MAPS", 12),
    ("BPF_MAP_TYPE_HASH_OF_MAPS", 13),
    ("BPF_MAP_TYPE_DEVMAP", 14),
    ("BPF_MAP_TYPE_SOCKMAP", 15),
    ("BPF_MAP_TYPE_CPUMAP", 16),
    ("BPF_MAP_TYPE_XSKMAP", 17),
    ("BPF_MAP_TYPE_SOCKHASH", 18),
    ("BPF_MAP_TYPE_CGROUP_STORAGE", 19),
    ("BPF_MAP_TYPE_REUSEPORT_SOCKARRAY", 20),
    ("BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", 21),
    ("BPF_MAP_TYPE_QUEUE", 22),
    ("BPF_MAP_TYPE_STACK", 23),
    ("BPF_MAP_TYPE_SK_STORAGE", 24),
    ("BPF_MAP_TYPE_DEVMAP_HASH", 25),
    ("BPF_MAP_TYPE_STRUCT_OPS", 26),
    ("BPF_MAP_TYPE_RINGBUF", 27),
    ("BPF_MAP_TYPE_INODE_STORAGE", 28),
    ("BPF_MAP_TYPE_TASK_STORAGE", 29),
    ("BPF_MAP_TYPE_BLOOM_FILTER", 30),
    ("BPF_MAP_TYPE_USER_RINGBUF", 31),
    ("BPF_MAP_TYPE_CGRP_STORAGE", 32),
    ("BPF_MAP_TYPE_ARENA", 33),
    ("BPF_MAP_TYPE_INSN_ARRAY", 34),
    ("BPF_MAP_TYPE_RHASH", 35),
];

/// The uapi number of `name`, if the table knows it.
pub fn map_type_value(name: &str) -> Option<u32> {
    MAP_TYPES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// [`map_type_value`] at compile time, for constants; an unknown name does
/// not compile.
pub const fn value_of(name: &str) -> u32 {
    let mut i = 0;
    while i < MAP_TYPES.len() {
        if eq(MAP_TYPES[i].0.as_bytes(), name.as_bytes()) {
            return MAP_TYPES[i].1;
        }
        i += 1;
    }
    panic!("not a map type of the uapi table");
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

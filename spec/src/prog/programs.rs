//! The suite's own BPF programs (conformance/bpf/*.bpf.c), by the names
//! kernel-side steps give them.

/// The programs under conformance/bpf/, by name. Lint checks `program:`
/// against this list; a conformance test keeps it equal to the embedded
/// objects.
pub const PROGRAMS: &[&str] = &[
    "map_lookup",
    "map_update",
    "map_delete",
    "map_push",
    "map_pop",
    "map_peek",
    "counter_atomic",
    "counter_plain",
    "locked_writer",
    "plain_writer",
    "bloom_push",
    "bloom_peek",
    "lookup_u32",
    "redirect_map_tc",
    "redirect_map_xdp",
    "ringbuf_output",
    "ringbuf_reserve",
    "user_ringbuf_drain",
    "inner_add",
    "sock_lookup",
    "sock_copy",
    "sk_storage_get",
    "sk_storage_create",
    "inode_storage_get",
    "perf_output",
    "under_cgroup",
    "tail_call",
    "get_stackid",
    "select_reuseport",
    "get_local_storage",
    "cgroup_storage_count",
    "arena_alloc",
    "arena_alloc_free",
];

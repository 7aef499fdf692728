//! The Usage chapter: helper and libbpf prototypes. These are API facts
//! from the headers, not behaviour, so they need no verification; what a
//! call returns in each situation is left to the claim tables. Every
//! prototype printed in a code block names the system header that declares
//! it (`Func::header`), and a test (docgen/tests/code_blocks.rs) compiles
//! each one against that header: helpers in the form of libbpf's
//! `bpf_helper_defs.h`, libbpf functions as in `bpf/bpf.h` and
//! `bpf/libbpf.h`. Kfuncs, which no system header declares, are printed in
//! the text only.

use mapspec_spec::{ClaimKind, Command, Errno, MapSpec, Outcome};
use serde::Serialize;
use std::collections::BTreeSet;

/// One function: a `~` heading, its prototype and a line on what it does.
#[derive(Debug, Clone, Serialize)]
pub struct Func {
    pub name: String,
    /// The declaration as the header has it (empty for a kfunc, which is
    /// printed in `text` instead, since no header can check it).
    pub prototype: String,
    /// Inline RST.
    pub text: String,
    /// The header that declares `prototype` (`#include <...>`).
    pub header: Option<&'static str>,
}

/// Where libbpf declares the BPF helpers (it includes bpf_helper_defs.h).
pub const HELPERS_H: &str = "bpf/bpf_helpers.h";

fn f(name: &str, prototype: &str, text: &str) -> Func {
    Func {
        name: format!("{name}()"),
        prototype: prototype.into(),
        text: text.into(),
        header: None,
    }
}

/// A kfunc: the program declares it itself (`__ksym`), so the page shows
/// its declaration inline instead of as a header-checked code block.
fn kfunc(name: &str, prototype: &str, text: &str) -> Func {
    f(
        name,
        "",
        &format!(
            "{text} A kfunc, which no system header declares: the program \
             declares it with ``__ksym`` as ``{prototype}``."
        ),
    )
}

fn with_header(mut v: Vec<Func>, header: impl Fn(&Func) -> &'static str) -> Vec<Func> {
    for func in &mut v {
        if !func.prototype.is_empty() {
            func.header = Some(header(func));
        }
    }
    v
}

/// Commands that do something on at least one type of the page. A command
/// whose every cell (without flags) is a refusal (``ENOTSUPP``,
/// ``EOPNOTSUPP`` or ``EINVAL`` in every situation, such as
/// ``BPF_MAP_DELETE_ELEM`` on an array) is left out of Usage.
pub fn working_commands(specs: &[&MapSpec]) -> BTreeSet<Command> {
    let mut works = BTreeSet::new();
    for s in specs {
        for c in s.claims() {
            if let ClaimKind::Command {
                command,
                expect,
                flags,
                ..
            } = c.kind
            {
                if !flags.is_default() {
                    continue;
                }
                let refused = matches!(
                    expect,
                    Outcome::Err(Errno::ENOTSUPP)
                        | Outcome::Err(Errno::EOPNOTSUPP)
                        | Outcome::Err(Errno::EINVAL)
                );
                if !refused {
                    works.insert(command);
                }
            }
        }
    }
    works
}

/// Helpers of map types that are not driven (only) through the generic
/// lookup/update/delete helpers. Prototypes as in the helper documentation
/// of include/uapi/linux/bpf.h.
fn special_helpers(map_type: &str) -> Option<Vec<Func>> {
    let push = || {
        f(
            "bpf_map_push_elem",
            "long bpf_map_push_elem(void *map, const void *value, __u64 flags)",
            "Adds ``value`` to the map; ``flags`` is ``BPF_ANY`` or ``BPF_EXIST``, whose \
             outcomes are listed under Semantics.",
        )
    };
    let peek = |what: &str| {
        f(
            "bpf_map_peek_elem",
            "long bpf_map_peek_elem(void *map, void *value)",
            what,
        )
    };
    Some(match map_type {
        "BPF_MAP_TYPE_QUEUE" | "BPF_MAP_TYPE_STACK" => vec![
            push(),
            f(
                "bpf_map_pop_elem",
                "long bpf_map_pop_elem(void *map, void *value)",
                "Copies the next element into ``value`` and removes it from the map.",
            ),
            peek("Copies the next element into ``value`` and leaves it in the map."),
        ],
        "BPF_MAP_TYPE_BLOOM_FILTER" => vec![
            push(),
            peek(
                "Tests whether ``value`` may have been added: 0 when it may, a negative \
                 errno when it certainly was not.",
            ),
        ],
        "BPF_MAP_TYPE_PROG_ARRAY" => vec![f(
            "bpf_tail_call",
            "long bpf_tail_call(void *ctx, void *prog_array_map, __u32 index)",
            "Jumps to the program stored at ``index``; it returns only when there is no \
             program there (or the tail-call limit is reached).",
        )],
        "BPF_MAP_TYPE_DEVMAP" | "BPF_MAP_TYPE_DEVMAP_HASH" | "BPF_MAP_TYPE_CPUMAP"
        | "BPF_MAP_TYPE_XSKMAP" => vec![f(
            "bpf_redirect_map",
            "long bpf_redirect_map(void *map, __u64 key, __u64 flags)",
            "Redirects the packet of an XDP program to the target stored under ``key``.",
        )],
        "BPF_MAP_TYPE_SOCKMAP" => vec![
            f(
                "bpf_sock_map_update",
                "long bpf_sock_map_update(struct bpf_sock_ops *skops, void *map, void *key, __u64 flags)",
                "Adds the socket of a sock_ops program to the map under ``key``.",
            ),
            f(
                "bpf_sk_redirect_map",
                "long bpf_sk_redirect_map(struct __sk_buff *skb, void *map, __u32 key, __u64 flags)",
                "Redirects the packet to the socket stored under ``key``.",
            ),
            f(
                "bpf_msg_redirect_map",
                "long bpf_msg_redirect_map(struct sk_msg_md *msg, void *map, __u32 key, __u64 flags)",
                "Redirects the message to the socket stored under ``key``.",
            ),
        ],
        "BPF_MAP_TYPE_SOCKHASH" => vec![
            f(
                "bpf_sock_hash_update",
                "long bpf_sock_hash_update(struct bpf_sock_ops *skops, void *map, void *key, __u64 flags)",
                "Adds the socket of a sock_ops program to the map under ``key``.",
            ),
            f(
                "bpf_sk_redirect_hash",
                "long bpf_sk_redirect_hash(struct __sk_buff *skb, void *map, void *key, __u64 flags)",
                "Redirects the packet to the socket stored under ``key``.",
            ),
            f(
                "bpf_msg_redirect_hash",
                "long bpf_msg_redirect_hash(struct sk_msg_md *msg, void *map, void *key, __u64 flags)",
                "Redirects the message to the socket stored under ``key``.",
            ),
        ],
        "BPF_MAP_TYPE_PERF_EVENT_ARRAY" => vec![
            f(
                "bpf_perf_event_output",
                "long bpf_perf_event_output(void *ctx, void *map, __u64 flags, void *data, __u64 size)",
                "Writes ``size`` bytes of ``data`` into the perf event buffer selected by \
                 ``flags`` (an index, or ``BPF_F_CURRENT_CPU``).",
            ),
            f(
                "bpf_perf_event_read_value",
                "long bpf_perf_event_read_value(void *map, __u64 flags, struct bpf_perf_event_value *buf, __u32 buf_size)",
                "Reads the counter of the perf event selected by ``flags`` into ``buf``.",
            ),
        ],
        "BPF_MAP_TYPE_STACK_TRACE" => vec![f(
            "bpf_get_stackid",
            "long bpf_get_stackid(void *ctx, void *map, __u64 flags)",
            "Walks the current stack, stores it in the map and returns its id (the key \
             userspace looks it up with), or a negative errno.",
        )],
        "BPF_MAP_TYPE_CGROUP_ARRAY" => vec![
            f(
                "bpf_skb_under_cgroup",
                "long bpf_skb_under_cgroup(struct __sk_buff *skb, void *map, __u32 index)",
                "Tests whether the packet's socket belongs to the cgroup stored at ``index`` \
                 or one of its descendants.",
            ),
            f(
                "bpf_current_task_under_cgroup",
                "long bpf_current_task_under_cgroup(void *map, __u32 index)",
                "Tests whether the current task belongs to the cgroup stored at ``index`` \
                 or one of its descendants.",
            ),
        ],
        "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY" => vec![f(
            "bpf_sk_select_reuseport",
            "long bpf_sk_select_reuseport(struct sk_reuseport_md *reuse, void *map, void *key, __u64 flags)",
            "Selects the socket stored under ``key`` to receive the packet.",
        )],
        "BPF_MAP_TYPE_USER_RINGBUF" => vec![f(
            "bpf_user_ringbuf_drain",
            "long bpf_user_ringbuf_drain(void *map, void *callback_fn, void *ctx, __u64 flags)",
            "Calls ``callback_fn`` on each record userspace has submitted, and \
             returns how many it consumed or a negative errno.",
        )],
        "BPF_MAP_TYPE_ARENA" => vec![
            kfunc(
                "bpf_arena_alloc_pages",
                "void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_cnt, int node_id, __u64 flags)",
                "Allocates ``page_cnt`` pages in the arena and returns their \
                 address, or ``NULL``.",
            ),
            kfunc(
                "bpf_arena_free_pages",
                "void bpf_arena_free_pages(void *map, void *ptr, __u32 page_cnt)",
                "Frees pages that ``bpf_arena_alloc_pages()`` returned.",
            ),
        ],
        "BPF_MAP_TYPE_ARRAY_OF_MAPS" | "BPF_MAP_TYPE_HASH_OF_MAPS" => vec![f(
            "bpf_map_lookup_elem",
            "void *bpf_map_lookup_elem(void *map, const void *key)",
            "Returns the inner map stored under ``key``, or ``NULL``; the program \
             passes it to the map helpers like any map. Programs cannot change the \
             outer map: userspace fills it.",
        )],
        "BPF_MAP_TYPE_RINGBUF" => vec![
            f(
                "bpf_ringbuf_output",
                "long bpf_ringbuf_output(void *ringbuf, void *data, __u64 size, __u64 flags)",
                "Copies ``size`` bytes of ``data`` into the ring buffer.",
            ),
            f(
                "bpf_ringbuf_reserve",
                "void *bpf_ringbuf_reserve(void *ringbuf, __u64 size, __u64 flags)",
                "Reserves ``size`` bytes in the ring buffer and returns a pointer to \
                 them, or ``NULL``; the program must submit or discard the record.",
            ),
            f(
                "bpf_ringbuf_submit",
                "void bpf_ringbuf_submit(void *data, __u64 flags)",
                "Makes a reserved record visible to the consumer.",
            ),
            f(
                "bpf_ringbuf_discard",
                "void bpf_ringbuf_discard(void *data, __u64 flags)",
                "Drops a reserved record.",
            ),
        ],
        _ => return None,
    })
}

/// Helpers a BPF program calls on the page's map types.
pub fn kernel_side(specs: &[&MapSpec]) -> Vec<Func> {
    let mut v: Vec<Func> = Vec::new();
    let add = |v: &mut Vec<Func>, func: Func| {
        if !v.iter().any(|g| g.name == func.name) {
            v.push(func);
        }
    };
    let generic: Vec<&MapSpec> = specs
        .iter()
        .copied()
        .filter(|s| special_helpers(&s.map_type).is_none())
        .collect();
    if !generic.is_empty() {
        let cmds = working_commands(&generic);
        add(
            &mut v,
            f(
                "bpf_map_lookup_elem",
                "void *bpf_map_lookup_elem(void *map, const void *key)",
                &format!(
                    "Returns a pointer to the value stored in the map, not a copy, or \
                     ``NULL`` when the key is absent. The program reads and writes the \
                     element in place through that pointer.{}",
                    if generic.iter().any(|s| s.percpu) {
                        " For a per-CPU map the pointer is to the slot of the CPU the \
                         program runs on."
                    } else {
                        ""
                    }
                ),
            ),
        );
        if cmds.contains(&Command::Update) {
            add(&mut v, f(
                "bpf_map_update_elem",
                "long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags)",
                "Copies ``value`` into the element for ``key``. ``flags`` takes the same \
                 values as for the system call; the result is 0 or a negative errno.",
            ));
        }
        if cmds.contains(&Command::Delete) {
            add(
                &mut v,
                f(
                    "bpf_map_delete_elem",
                    "long bpf_map_delete_elem(void *map, const void *key)",
                    "Removes the element for ``key``; the result is 0 or a negative errno.",
                ),
            );
        }
    }
    for s in specs {
        for func in special_helpers(&s.map_type).unwrap_or_default() {
            add(&mut v, func);
        }
    }
    if specs.iter().any(|s| s.percpu) {
        add(
            &mut v,
            f(
                "bpf_map_lookup_percpu_elem",
                "void *bpf_map_lookup_percpu_elem(void *map, const void *key, __u32 cpu)",
                "For per-CPU maps (a helper added in 5.19): returns a pointer to the value \
             slot of the given CPU, or ``NULL``.",
            ),
        );
    }
    with_header(v, |_| HELPERS_H)
}

/// libbpf's consumers for the map types that are read through a ring.
fn special_userspace(map_type: &str) -> Vec<Func> {
    match map_type {
        "BPF_MAP_TYPE_RINGBUF" => vec![
            f(
                "ring_buffer__new",
                "struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb,\n                                     void *ctx, const struct ring_buffer_opts *opts)",
                "Maps the ring buffer and returns a consumer that calls ``sample_cb`` for \
                 each record.",
            ),
            f(
                "ring_buffer__poll",
                "int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)",
                "Waits for records and consumes them; returns how many, or a negative errno.",
            ),
        ],
        "BPF_MAP_TYPE_USER_RINGBUF" => vec![
            f(
                "user_ring_buffer__new",
                "struct user_ring_buffer *user_ring_buffer__new(int map_fd,\n                                               const struct user_ring_buffer_opts *opts)",
                "Maps the ring buffer for writing records from userspace.",
            ),
            f(
                "user_ring_buffer__reserve",
                "void *user_ring_buffer__reserve(struct user_ring_buffer *rb, __u32 size)",
                "Reserves a record of ``size`` bytes, or returns ``NULL``.",
            ),
            f(
                "user_ring_buffer__submit",
                "void user_ring_buffer__submit(struct user_ring_buffer *rb, void *sample)",
                "Makes a reserved record visible to ``bpf_user_ringbuf_drain()``.",
            ),
        ],
        "BPF_MAP_TYPE_PERF_EVENT_ARRAY" => vec![
            f(
                "perf_buffer__new",
                "struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt,\n                                     perf_buffer_sample_fn sample_cb,\n                                     perf_buffer_lost_fn lost_cb, void *ctx,\n                                     const struct perf_buffer_opts *opts)",
                "Opens a perf event buffer of ``page_cnt`` pages per CPU, stores each in \
                 the map, and returns a consumer that calls ``sample_cb`` for each record.",
            ),
            f(
                "perf_buffer__poll",
                "int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)",
                "Waits for records and consumes them.",
            ),
        ],
        _ => Vec::new(),
    }
}

/// libbpf's `bpf_map_create()`, which the overview shows too.
pub fn map_create() -> Func {
    let mut func = f(
        "bpf_map_create",
        "int bpf_map_create(enum bpf_map_type map_type, const char *map_name,\n                   __u32 key_size, __u32 value_size, __u32 max_entries,\n                   const struct bpf_map_create_opts *opts)",
        "Issues ``BPF_MAP_CREATE`` and returns the new map's file descriptor, or a \
         negative errno. ``opts`` carries ``map_flags`` and the less common attributes.",
    );
    func.header = Some("bpf/bpf.h");
    func
}

/// Every function the pages of `specs` can print: the Usage entries of
/// each spec alone and of all of them together. The code-block test
/// compiles each against its header.
pub fn catalogue(specs: &[&MapSpec]) -> Vec<Func> {
    let mut v = vec![map_create()];
    let mut add = |fs: Vec<Func>| {
        for func in fs {
            if !v
                .iter()
                .any(|g| g.prototype == func.prototype && g.header == func.header)
            {
                v.push(func);
            }
        }
    };
    add(kernel_side(specs));
    add(userspace(specs));
    for s in specs {
        add(kernel_side(&[s]));
        add(userspace(&[s]));
    }
    v
}

/// libbpf's wrappers around bpf(2) for the commands the page's types support.
pub fn userspace(specs: &[&MapSpec]) -> Vec<Func> {
    let cmds = working_commands(specs);
    let percpu = specs.iter().any(|s| s.percpu);
    let mut v = vec![map_create()];
    let copy_note = if percpu {
        " For a per-CPU map the buffer holds one value per possible CPU, each rounded \
         up to 8 bytes."
    } else {
        ""
    };
    for c in Command::ALL {
        if !cmds.contains(&c) {
            continue;
        }
        let func = match c {
            Command::Lookup => f(
                "bpf_map_lookup_elem",
                "int bpf_map_lookup_elem(int fd, const void *key, void *value)",
                &format!(
                    "Copies the value for ``key`` into the caller's buffer: userspace \
                     always works on a copy.{copy_note}"
                ),
            ),
            Command::Update => f(
                "bpf_map_update_elem",
                "int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)",
                &format!(
                    "Copies ``value`` into the map; ``flags`` is one of the update flags \
                     tabulated under Semantics.{copy_note}"
                ),
            ),
            Command::Delete => f(
                "bpf_map_delete_elem",
                "int bpf_map_delete_elem(int fd, const void *key)",
                "Removes the element for ``key``.",
            ),
            Command::GetNextKey => f(
                "bpf_map_get_next_key",
                "int bpf_map_get_next_key(int fd, const void *key, void *next_key)",
                "Writes the key that follows ``key`` into ``next_key``; a ``NULL`` ``key`` \
                 asks for the first key. The iteration order is described under Semantics.",
            ),
            Command::LookupAndDelete => f(
                "bpf_map_lookup_and_delete_elem",
                "int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)",
                "Copies the value out and removes the element in one command.",
            ),
            Command::LookupBatch => f(
                "bpf_map_lookup_batch",
                "int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch,\n                         void *keys, void *values, __u32 *count,\n                         const struct bpf_map_batch_opts *opts)",
                "Copies up to ``*count`` elements out, resuming from the opaque \
                 ``in_batch`` position and storing the next one in ``out_batch``.",
            ),
            Command::UpdateBatch => f(
                "bpf_map_update_batch",
                "int bpf_map_update_batch(int fd, const void *keys, const void *values,\n                         __u32 *count, const struct bpf_map_batch_opts *opts)",
                "Updates ``*count`` elements; on return ``*count`` holds how many were processed.",
            ),
            Command::DeleteBatch => f(
                "bpf_map_delete_batch",
                "int bpf_map_delete_batch(int fd, const void *keys, __u32 *count,\n                         const struct bpf_map_batch_opts *opts)",
                "Deletes ``*count`` keys; on return ``*count`` holds how many were processed.",
            ),
            Command::LookupAndDeleteBatch => f(
                "bpf_map_lookup_and_delete_batch",
                "int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch,\n                                    void *keys, void *values, __u32 *count,\n                                    const struct bpf_map_batch_opts *opts)",
                "Like ``bpf_map_lookup_batch()``, and removes the elements it returns.",
            ),
            Command::Freeze => f(
                "bpf_map_freeze",
                "int bpf_map_freeze(int fd)",
                "Makes the map read-only for userspace from now on.",
            ),
            Command::Mmap => f(
                "mmap",
                "void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)",
                "Maps the map's memory into the process.",
            ),
        };
        v.push(func);
    }
    for s in specs {
        for func in special_userspace(&s.map_type) {
            if !v.iter().any(|g| g.name == func.name) {
                v.push(func);
            }
        }
    }
    with_header(v, |func| {
        if func.name == "mmap()" {
            "sys/mman.h"
        } else if func.name.contains("buffer__") {
            "bpf/libbpf.h"
        } else {
            "bpf/bpf.h"
        }
    })
}

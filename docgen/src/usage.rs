//! The Usage chapter: helper and libbpf prototypes. These are API facts
//! from the headers, not behaviour, so they need no verification; what a
//! call returns in each situation is left to the claim tables.

use mapspec_spec::{ClaimKind, Command, Errno, MapSpec, Outcome};
use serde::Serialize;
use std::collections::BTreeSet;

/// One function: a `~` heading, its prototype and a line on what it does.
#[derive(Debug, Clone, Serialize)]
pub struct Func {
    pub name: String,
    pub prototype: String,
    /// Inline RST.
    pub text: String,
}

fn f(name: &str, prototype: &str, text: &str) -> Func {
    Func {
        name: format!("{name}()"),
        prototype: prototype.into(),
        text: text.into(),
    }
}

/// Commands that do something on at least one type of the page: a
/// command every cell of which is "not supported" is left out of Usage.
fn working_commands(specs: &[&MapSpec]) -> BTreeSet<Command> {
    let mut set = BTreeSet::new();
    for s in specs {
        for c in s.claims() {
            if let ClaimKind::Command {
                command, expect, ..
            } = c.kind
            {
                let unsupported = matches!(
                    expect,
                    Outcome::Err(Errno::ENOTSUPP) | Outcome::Err(Errno::EOPNOTSUPP)
                );
                if !unsupported {
                    set.insert(command);
                }
            }
        }
    }
    set
}

fn is_queue_like(s: &MapSpec) -> bool {
    matches!(
        s.map_type.as_str(),
        "BPF_MAP_TYPE_QUEUE" | "BPF_MAP_TYPE_STACK" | "BPF_MAP_TYPE_BLOOM_FILTER"
    )
}

/// Helpers a BPF program calls on the page's map types.
pub fn kernel_side(specs: &[&MapSpec]) -> Vec<Func> {
    let mut v = Vec::new();
    let queue = specs.iter().any(|s| is_queue_like(s));
    let keyed = specs.iter().any(|s| !is_queue_like(s));
    if keyed {
        v.push(f(
            "bpf_map_lookup_elem",
            "void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)",
            "Returns a pointer to the value stored in the map, not a copy, or ``NULL`` \
             when the key is absent. The program reads and writes the element in place \
             through that pointer.",
        ));
        v.push(f(
            "bpf_map_update_elem",
            "long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)",
            "Copies ``value`` into the element for ``key``. ``flags`` takes the same \
             ``BPF_ANY``, ``BPF_NOEXIST`` and ``BPF_EXIST`` values as the system call; \
             the result is 0 or a negative errno.",
        ));
        v.push(f(
            "bpf_map_delete_elem",
            "long bpf_map_delete_elem(struct bpf_map *map, const void *key)",
            "Removes the element for ``key``; the result is 0 or a negative errno.",
        ));
    }
    if queue {
        v.push(f(
            "bpf_map_push_elem",
            "long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags)",
            "Adds ``value``; with ``BPF_EXIST`` a full map makes room by dropping an element.",
        ));
        v.push(f(
            "bpf_map_pop_elem",
            "long bpf_map_pop_elem(struct bpf_map *map, void *value)",
            "Copies an element into ``value`` and removes it.",
        ));
        v.push(f(
            "bpf_map_peek_elem",
            "long bpf_map_peek_elem(struct bpf_map *map, void *value)",
            "Copies an element into ``value`` without removing it.",
        ));
    }
    if specs.iter().any(|s| s.percpu) {
        v.push(f(
            "bpf_map_lookup_percpu_elem",
            "void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, u32 cpu)",
            "Available since 5.19 for per-CPU maps: returns a pointer to the value slot of \
             another CPU, or ``NULL``.",
        ));
    }
    v
}

/// libbpf's wrappers around bpf(2) for the commands the page's types support.
pub fn userspace(specs: &[&MapSpec]) -> Vec<Func> {
    let cmds = working_commands(specs);
    let percpu = specs.iter().any(|s| s.percpu);
    let mut v = vec![f(
        "bpf_map_create",
        "int bpf_map_create(enum bpf_map_type map_type, const char *map_name,\n                   __u32 key_size, __u32 value_size, __u32 max_entries,\n                   const struct bpf_map_create_opts *opts)",
        "Issues ``BPF_MAP_CREATE`` and returns the new map's file descriptor, or a \
         negative errno. ``opts`` carries ``map_flags`` and the less common attributes.",
    )];
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
                     tabulated above.{copy_note}"
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
                 asks for the first key. The iteration order is described above.",
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
    v
}

//! The Usage chapter: helper and libbpf prototypes. These are API facts
//! from the headers, not behaviour, so they need no verification; what a
//! call returns in each situation is left to the claim tables. The generic
//! entries (one per command, the element helpers) are here; what a map type
//! has of its own comes from its spec's `api:` section (`spec::api`). Every
//! prototype printed in a code block names the system header that declares
//! it (`Func::header`), and a test (docgen/tests/code_blocks.rs) compiles
//! each one against that header: helpers in the form of libbpf's
//! `bpf_helper_defs.h`, libbpf functions as in `bpf/bpf.h` and
//! `bpf/libbpf.h`. Kfuncs, which no system header declares, are printed in
//! the text only.

use crate::func::f;
pub use crate::func::{Func, HELPERS_H, LIBBPF_H};
use crate::model::SpecDoc;
use mapspec_spec::{ClaimKind, Command, Errno, Outcome};
use std::collections::BTreeSet;

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
fn working_commands(specs: &[&SpecDoc]) -> BTreeSet<Command> {
    let mut works = BTreeSet::new();
    for s in specs {
        for c in s.claims.iter().map(|c| &c.claim) {
            if let ClaimKind::Command {
                command,
                expect,
                flags,
                ..
            } = &c.kind
            {
                if !flags.is_default() {
                    continue;
                }
                let refused = matches!(
                    *expect,
                    Outcome::Err(Errno::ENOTSUPP)
                        | Outcome::Err(Errno::EOPNOTSUPP)
                        | Outcome::Err(Errno::EINVAL)
                );
                if !refused {
                    works.insert(*command);
                }
            }
        }
    }
    works
}

/// Helpers a BPF program calls on the page's map types.
pub(crate) fn kernel_side(specs: &[&SpecDoc]) -> Vec<Func> {
    let mut v: Vec<Func> = Vec::new();
    let add = |v: &mut Vec<Func>, func: Func| {
        if !v.iter().any(|g| g.name == func.name) {
            v.push(func);
        }
    };
    for s in specs {
        for func in &s.helpers {
            add(&mut v, func.clone());
        }
    }
    if specs.iter().any(|s| s.spec().percpu) {
        add(
            &mut v,
            f(
                "bpf_map_lookup_percpu_elem",
                "void *bpf_map_lookup_percpu_elem(void *map, const void *key, __u32 cpu)",
                "For per-CPU maps (since 5.19): returns a pointer to the given CPU's slot, \
                 or ``NULL``.",
            ),
        );
    }
    with_header(v, |func| func.header.unwrap_or(HELPERS_H))
}

/// The element helpers every type without helpers of its own uses, shown
/// once, in the overview (`bpf_map_element_helpers`).
pub(crate) fn element_helpers() -> Vec<Func> {
    with_header(
        vec![
            f(
                "bpf_map_lookup_elem",
                "void *bpf_map_lookup_elem(void *map, const void *key)",
                "",
            ),
            f(
                "bpf_map_update_elem",
                "long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags)",
                "",
            ),
            f(
                "bpf_map_delete_elem",
                "long bpf_map_delete_elem(void *map, const void *key)",
                "",
            ),
        ],
        |_| HELPERS_H,
    )
}

/// The page's sentence naming the element helpers its programs call (the
/// ones a command of its types does something for), or nothing when its
/// types have helpers of their own or no programs.
pub(crate) fn element_helpers_line(specs: &[&SpecDoc]) -> Option<String> {
    let generic: Vec<&SpecDoc> = specs
        .iter()
        .copied()
        .filter(|s| !s.spec().api.has_own_helpers() && !s.spec().api.no_programs)
        .collect();
    if generic.is_empty() {
        return None;
    }
    let cmds = working_commands(&generic);
    let mut names = vec!["``bpf_map_lookup_elem()``"];
    if cmds.contains(&Command::Update) {
        names.push("``bpf_map_update_elem()``");
    }
    if cmds.contains(&Command::Delete) {
        names.push("``bpf_map_delete_elem()``");
    }
    let list = match names.as_slice() {
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => return None,
    };
    let percpu = if generic.iter().any(|s| s.spec().percpu) {
        " In a per-CPU map the lookup points to the running CPU's slot."
    } else {
        ""
    };
    Some(format!(
        "Programs use {list} (:ref:`bpf_map_element_helpers`).{percpu}"
    ))
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
pub(crate) fn catalogue(specs: &[&SpecDoc]) -> Vec<Func> {
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
    add(element_helpers());
    add(kernel_side(specs));
    add(userspace(specs));
    for s in specs {
        add(kernel_side(&[s]));
        add(userspace(&[s]));
    }
    v
}

/// libbpf's wrappers around bpf(2) for the commands the page's types support.
pub(crate) fn userspace(specs: &[&SpecDoc]) -> Vec<Func> {
    let cmds = working_commands(specs);
    let percpu = specs.iter().any(|s| s.spec().percpu);
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
        for func in &s.userspace {
            if !v.iter().any(|g| g.name == func.name) {
                v.push(func.clone());
            }
        }
    }
    with_header(v, |func| match func.header {
        Some(h) => h,
        None if func.name == "mmap()" => "sys/mman.h",
        None => "bpf/bpf.h",
    })
}

//! The context of `ebpf_maps.rst` (the overview) and `maps.rst` (the
//! index and Usage Notes). The generated parts come from the specs: the
//! update flags with the errno they give, the errno glossary (the errnos
//! the specs use), the libbpf wrappers and the index of map types.

use crate::model::DocModel;
use crate::targets::Targets;
use crate::usage::Func;
use crate::wording::State;
use crate::{key, rst, DocError};
use mapspec_spec::{ClaimKind, ElemFlag, Errno, Outcome};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Serialize)]
pub struct Overview {
    pub generated: String,
    pub verification: String,
    pub flags: String,
    pub errnos: String,
    pub index: String,
    pub targets: Vec<crate::markdown::Target>,
    /// libbpf's wrappers of the map commands, one code block.
    pub wrappers: String,
    /// The element helpers of programs, one code block.
    pub helpers: String,
}

/// What each update flag asks for: uapi intent, not measured behaviour.
fn flag_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "BPF_ANY" => "Create the element or replace its value",
        "BPF_NOEXIST" => "Create the element only: the key must be absent",
        "BPF_EXIST" => "Replace the value only: the key must be present",
        "BPF_F_LOCK" => {
            "Copy the value while holding the ``struct bpf_spin_lock`` in it; \
             combines with the flags above"
        }
        "BPF_F_CPU" => {
            "Per-CPU maps: write only the slot of the CPU given in the upper \
             32 bits of the flags"
        }
        "BPF_F_ALL_CPUS" => "Per-CPU maps: write the one value given into every CPU's slot",
        _ => return None,
    })
}

/// What an errno means when a map command or helper returns it. The
/// glossary prints the errnos the specs use; a test keeps this complete.
pub fn errno_meaning(e: Errno) -> Option<&'static str> {
    use Errno::*;
    Some(match e {
        EPERM => "The caller lacks a capability the map type or flag needs, or the fd was opened without the access the command needs.",
        ENOENT => "No element for the key (lookup, delete, ``BPF_EXIST``), or the end of an iteration or batch.",
        E2BIG => "An index at or past ``max_entries``, a full map, or ``union bpf_attr`` larger than the kernel knows with non-zero trailing bytes.",
        EEXIST => "``BPF_NOEXIST`` and the key is present; every index of an array is always present.",
        EINVAL => "An attribute, flag or size the map type does not accept.",
        ENOSPC => "No room: a full LPM trie, or a batch buffer too small for one bucket.",
        EBUSY => "``BPF_MAP_FREEZE`` while a writable mapping exists, a socket already in a reuseport array, a lock that could not be taken.",
        EBADF => "A file descriptor in the attributes or the value is not open.",
        EACCES => "The verifier refuses an access that ``BPF_F_RDONLY_PROG`` or ``BPF_F_WRONLY_PROG`` forbids, or ``mmap()`` asks to write a map that programs may only read.",
        ENODEV => "A device the value names does not exist or cannot take part.",
        ENOTSOCK => "The value is a file descriptor, but not of a socket.",
        EFAULT => "A pointer argument, such as a ``NULL`` key, cannot be read or written.",
        ENOSYS => "The map type does not implement the operation on this kernel.",
        EAGAIN => "Momentarily unavailable, such as an empty slot for ``bpf_skb_under_cgroup()`` or a full ring for ``bpf_ringbuf_output()``.",
        EOVERFLOW => "A value out of range, such as a CPU map queue size above its limit.",
        ENOMEM => "The kernel could not allocate the memory.",
        ENOBUFS => "No buffer space for the operation.",
        EOPNOTSUPP => "95, the standard \"operation not supported\"; not ``ENOTSUPP``.",
        ENOTSUPP => "524, the kernel's internal \"not supported\", which some map operations return to userspace unchanged: compare with 524, not with ``EOPNOTSUPP``. ``strerror()`` prints \"Unknown error 524\".",
        _ => return None,
    })
}

fn flag_order(names: &str) -> (usize, String) {
    let first = names.split(" | ").next().unwrap_or("");
    let pos = ElemFlag::NAMES
        .iter()
        .position(|n| *n == first)
        .unwrap_or(usize::MAX);
    (pos, names.to_string())
}

/// Every errno a claim of the model expects, in uapi order.
pub(crate) fn errnos_used(model: &DocModel) -> BTreeSet<Errno> {
    let mut used = BTreeSet::new();
    for sd in &model.specs {
        for cd in &sd.claims {
            let expect = match &cd.claim.kind {
                ClaimKind::Create { expect }
                | ClaimKind::Command { expect, .. }
                | ClaimKind::UpdateFlag { expect, .. } => *expect,
                _ => Outcome::Ok,
            };
            if let Outcome::Err(e) = expect {
                used.insert(e);
            }
            // Scenario steps, and the create of every claim.
            if let Outcome::Err(e) = cd.claim.program.create_expect {
                used.insert(e);
            }
            for mut step in cd.claim.program.steps.iter().cloned() {
                if let Some(Outcome::Err(e)) = step.expect_mut().map(|o| *o) {
                    used.insert(e);
                }
            }
        }
    }
    used
}

/// The update flags: per flag, what it asks for and every errno it gives
/// on some map type. Which situation gives which errno, per type, is on
/// the map pages.
fn flag_list(model: &DocModel) -> String {
    // flag → errno → the states of the claims that expect it
    let mut flags: BTreeMap<(usize, String), BTreeMap<Errno, Vec<State>>> = BTreeMap::new();
    for sd in &model.specs {
        for cd in &sd.claims {
            let ClaimKind::UpdateFlag {
                flags: f, expect, ..
            } = &cd.claim.kind
            else {
                continue;
            };
            let row = flags.entry(flag_order(&f.names())).or_default();
            // Only what some kernel confirmed (or contradicted) is listed,
            // so that the page's verification sentence holds.
            if let (Outcome::Err(e), false) = (expect, cd.status.state == State::Unverified) {
                row.entry(*e).or_default().push(cd.status.state);
            }
        }
    }
    if flags.is_empty() {
        return "No spec tabulates update flags yet.\n".into();
    }
    let mut out = String::new();
    for ((_, names), errs) in &flags {
        let Some(meaning) = names
            .split(" | ")
            .next()
            .and_then(flag_meaning)
            .filter(|_| !names.contains(" | "))
        else {
            // A combination asks for what its parts ask for.
            continue;
        };
        let errs: Vec<String> = errs
            .iter()
            .map(|(e, states)| {
                let mark = if states.contains(&State::Differs) {
                    " (differs between kernels)"
                } else {
                    ""
                };
                format!("{}{mark}", rst::literal(e.name()))
            })
            .collect();
        let errs = match errs.as_slice() {
            [] => String::new(),
            [one] => format!(" It can fail with {one}."),
            [init @ .., last] => format!(" It can fail with {} or {last}.", init.join(", ")),
        };
        out.push_str(&rst::literal(names));
        out.push('\n');
        out.push_str(&rst::wrap(&format!("{meaning}.{errs}"), "   ", "   "));
    }
    out
}

fn glossary(model: &DocModel) -> String {
    let mut used = errnos_used(model);
    // The pair is explained even when only one of them is used.
    used.insert(Errno::ENOTSUPP);
    used.insert(Errno::EOPNOTSUPP);
    let mut out = String::new();
    for e in used {
        let Some(m) = errno_meaning(e) else { continue };
        out.push_str(&rst::literal(e.name()));
        out.push('\n');
        out.push_str(&rst::wrap(m, "   ", "   "));
    }
    out
}

/// libbpf's wrappers of the commands, as `bpf/bpf.h` declares them: the
/// generic ones only, since a type's own functions are on its page.
fn wrappers(model: &DocModel) -> String {
    let all: Vec<&crate::model::SpecDoc> = model.specs.iter().collect();
    let own: BTreeSet<&str> = all
        .iter()
        .flat_map(|s| s.userspace.iter().map(|f| f.name.as_str()))
        .collect();
    let funcs: Vec<Func> = crate::usage::userspace(&all)
        .into_iter()
        .filter(|f| f.header == Some("bpf/bpf.h") && !own.contains(f.name.as_str()))
        .collect();
    declarations(&funcs)
}

/// The element helpers, as `bpf_helper_defs.h` declares them.
fn helpers() -> String {
    declarations(&crate::usage::element_helpers())
}

/// Prototypes as one C code block of declarations (a header excerpt).
fn declarations(funcs: &[Func]) -> String {
    let body: Vec<String> = funcs
        .iter()
        .map(|f| format!("{};", f.prototype.trim()))
        .collect();
    format!(
        ".. code-block:: c\n\n{}",
        rst::indent(&body.join("\n"), "   ").trim_end()
    )
}

/// "5.10.262" → "5.10": upstream documentation names series, not
/// stable releases.
fn series(name: &str) -> String {
    name.split('.').take(2).collect::<Vec<_>>().join(".")
}

pub(crate) fn build(model: &DocModel) -> Result<Overview, DocError> {
    let mut targets = Targets::default();
    let mut index = String::new();
    for sd in &model.specs {
        let sf = sd.file;
        let r = sf.inline(&[key("useful_for")], &sf.spec.useful_for)?;
        targets.add(sf, r.targets)?;
        index.push_str(&rst::wrap(
            &format!(
                "{} (:doc:`{}`, {}): {}",
                rst::literal(&sf.spec.map_type),
                sf.spec.page,
                sf.spec.since,
                r.text
            ),
            "- ",
            "  ",
        ));
    }
    if index.is_empty() {
        index = "No map type is specified yet.\n".into();
    }

    let mut kernels: Vec<String> = model.results.kernels().iter().map(|k| series(k)).collect();
    kernels.dedup();
    let verification = match kernels.as_slice() {
        [] => "No results were recorded, so the errno values listed for the update \
               flags are not verified yet."
            .to_string(),
        [one] => {
            format!("The errno values listed for the update flags were checked on Linux {one}.")
        }
        [init @ .., last] => format!(
            "The errno values listed for the update flags were checked on Linux {} and {last}.",
            init.join(", ")
        ),
    };
    Ok(Overview {
        generated: crate::templates::generated_comment(
            &["the mapspec map specs".into()],
            "edit the specs",
        ),
        verification: rst::wrap(&verification, "", ""),
        flags: flag_list(model),
        errnos: glossary(model),
        index,
        targets: targets.into_vec(),
        wrappers: wrappers(model),
        helpers: helpers(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The glossary leaves out an errno it has no words for, so every
    /// errno a spec expects needs them.
    #[test]
    fn every_errno_the_specs_expect_is_in_the_glossary() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/maps");
        let specs = crate::load_specs(&dir).unwrap();
        let model = DocModel::new(&specs, &[]).unwrap();
        let used = errnos_used(&model);
        assert!(used.contains(&Errno::ENOTSUPP) && used.len() > 5);
        let missing: Vec<&str> = used
            .iter()
            .filter(|e| errno_meaning(**e).is_none())
            .map(|e| e.name())
            .collect();
        assert!(missing.is_empty(), "no glossary entry for {missing:?}");
        let text = glossary(&model);
        for e in &used {
            assert!(
                text.contains(&format!("``{}``\n", e.name())),
                "{}",
                e.name()
            );
        }
    }
}

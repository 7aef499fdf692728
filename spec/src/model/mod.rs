//! The spec file format. One YAML file per map type, deserialized into
//! [`MapSpec`]. See `spec/schema.json` for the editor-facing schema and
//! ARCHITECTURE.md for how claims become checks.
//!
//! [`MapSpec`] and its statements live here; the parts it is made of are
//! in the submodules, re-exported so that `spec::model::X` names them all.

mod attrs;
mod by_id;
mod claims;
mod data;
mod example;
mod include;
mod prog_steps;
mod runner;
mod steps;

pub use attrs::*;
pub use by_id::*;
pub use claims::*;
pub use data::*;
pub use example::*;
pub use include::*;
pub use prog_steps::*;
pub use runner::*;
pub use steps::*;

use crate::names::{Capability, Outcome};
use crate::version::KernelVersion;
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
    /// The page's title, when the list of its types is too long for one
    /// (a family page: "BPF_MAP_TYPE_HASH and its PERCPU and LRU
    /// variants"). Absent: the page is titled with its types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
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
    /// The facts and pitfalls a user of this type most needs, one sentence
    /// each; the page opens with them (at most six per page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_facts: Vec<Statement>,
    /// Prose the tables cannot hold: history, advice and mechanism, each
    /// with its evidence like any statement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
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
    pub examples: Vec<Example>,
    /// Helpers, kfuncs and libbpf consumers of this type (see `api::Api`).
    #[serde(default, skip_serializing_if = "crate::api::Api::is_empty")]
    pub api: crate::api::Api,
    /// How the runner must handle this type's objects (see [`RunnerFacts`]).
    #[serde(default, skip_serializing_if = "RunnerFacts::is_default")]
    pub runner: RunnerFacts,
}

fn default_absent() -> Outcome {
    Outcome::Err(crate::names::Errno::EINVAL)
}

/// A prose statement and how we know it. Its [`Evidence`] is one of
/// three kinds: asserted (`checked_by` names claims whose checks fail if
/// it is false), observed (`observed_by` names counting claims, whose
/// measurements the page prints without a verification mark) or explained
/// (`unverified` says why no check can back it: mechanism, advice,
/// history). Lint requires one of them and that every claim named tests
/// the statement's subject (see `evidence.rs`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub text: String,
    /// Claims that assert the statement: each one's steps test its
    /// subject, and each has an outcome or a bound that can fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked_by: Vec<String>,
    /// Counting claims (statistical, no bound that can fail) whose
    /// measurements illustrate the statement: "observed on ...".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_by: Vec<String>,
    /// Why the statement is explained rather than asserted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<Unverified>,
    /// Scenario claims, each also in `checked_by`, whose sentence this
    /// statement already says: the page states them here, once, and not
    /// again as a sentence of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
}

/// A titled statement in one of a page's chapters. Its `text` and
/// evidence fields are those of [`Statement`] (spelled out, because serde
/// cannot deny unknown fields through a flattened struct).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub title: String,
    /// The chapter it belongs to.
    pub section: NoteSection,
    /// Markdown.
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<Unverified>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    /// A figure of the kernel tree's Documentation/bpf shown under the
    /// text (`.. kernel-figure::`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figure: Option<Figure>,
    /// A `DOC:` section of a kernel source file included under the text
    /// (`.. kernel-doc::`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_doc: Option<KernelDoc>,
}

impl Note {
    /// The note as a statement, for evidence lint and rendering.
    pub fn statement(&self) -> Statement {
        Statement {
            text: self.text.clone(),
            checked_by: self.checked_by.clone(),
            observed_by: self.observed_by.clone(),
            unverified: self.unverified.clone(),
            states: self.states.clone(),
        }
    }
}

/// Where a [`Note`] goes on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteSection {
    /// How to use the type (advice, sizing, choosing between types).
    Usage,
    /// Behaviour beyond the tables.
    Semantics,
    /// Mechanism that is not ABI ("Internals (not ABI)").
    Internals,
    /// When and how the behaviour changed.
    History,
}

/// An explained statement's mark: why no check backs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unverified {
    pub reason: String,
}

/// How a statement is known; docgen prints it next to the statement.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A claim's check fails if the statement is false.
    Asserted,
    /// Only counts back it: printed as "observed on ...", never "verified".
    Observed,
    /// Mechanism, advice or history, marked `unverified` with a reason.
    Explained,
}

impl Statement {
    /// The statement's kind. Lint guarantees that `checked_by` names only
    /// claims that can fail, so a non-empty one means asserted.
    pub fn evidence(&self) -> Evidence {
        if !self.checked_by.is_empty() {
            Evidence::Asserted
        } else if !self.observed_by.is_empty() {
            Evidence::Observed
        } else {
            Evidence::Explained
        }
    }
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
    /// Kernel options (`CONFIG_*`, built in or a module) the check needs
    /// beyond those its other requirements and fixtures imply
    /// ([`Requires::config_options`]); a kernel whose `/proc/config.gz`
    /// lacks one skips the check, naming the option. List only what holds
    /// on every kernel the spec covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<String>,
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
            config: union(&self.config, &other.config),
        }
    }

    /// Every kernel option the check needs, each with what needs it: its
    /// own `config`, then what `vmlinux_btf` and `lsm` imply
    /// ([`crate::names::VMLINUX_BTF_CONFIG`], [`crate::names::LSM_CONFIG`]).
    /// Fixtures add theirs ([`crate::names::Fixture::config`]).
    pub fn config_options(&self) -> Vec<(&str, String)> {
        let mut out: Vec<(&str, String)> = self
            .config
            .iter()
            .map(|o| (o.as_str(), "the check".to_string()))
            .collect();
        if self.vmlinux_btf {
            out.push((crate::names::VMLINUX_BTF_CONFIG, "vmlinux BTF".into()));
        }
        if let Some(lsm) = &self.lsm {
            for (_, o) in crate::names::LSM_CONFIG.iter().filter(|(l, _)| l == lsm) {
                out.push((o, format!("the {lsm} LSM")));
            }
        }
        out
    }
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

//! Situations, the command table and the four kinds of claim.

use super::{CreateAttrs, Datum, Flags, Requires, Step};
use crate::names::Outcome;
use crate::version::{KernelVersion, Since};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
            /// Where `since`/`until` come from. Absent: bracketed by the
            /// matrix (the newest kernel that refused, the oldest that
            /// accepted), computed from results, never typed by hand.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub source: Option<VersionSource>,
            /// Extra requirements for this claim.
            #[serde(default)]
            pub requires: Requires,
            /// Why, for readers: the kernel function, a commit, a caveat.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub note: Option<String>,
            /// Attribute overrides for this claim's map.
            #[serde(default)]
            pub map: CreateAttrs,
            /// What the claim's sentence is about: this map type (the
            /// default), or the `bpf()` system call whatever the type.
            #[serde(default, skip_serializing_if = "Scope::is_default")]
            pub scope: Scope,
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
                    source: self.source.clone(),
                    requires: self.requires.clone(),
                    note: self.note.clone(),
                    map: self.map.clone(),
                    scope: self.scope,
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
    pub source: Option<VersionSource>,
    pub requires: Requires,
    pub note: Option<String>,
    pub map: CreateAttrs,
    pub scope: Scope,
}

/// What a claim's sentence is about. The check always runs on the spec's
/// map type; a `syscall` claim says something the `bpf()` system call does
/// before, or whatever, the map type does (`map_name` rules, the size of
/// `union bpf_attr`, the access modes of a file descriptor), so the pages
/// state it once, in `maps.rst`, rather than on every type's page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// About this map type.
    #[default]
    Map,
    /// About the system call, whatever the map type.
    Syscall,
}

impl Scope {
    pub fn is_default(&self) -> bool {
        *self == Scope::Map
    }
}

/// Where a claim's `since`/`until` was read: an upstream commit, or a
/// release's notes when the commit is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum VersionSource {
    /// `{commit: 0123456789ab, subject: "bpf: ..."}`: the 12-hex id
    /// (lint checks its shape) and the commit's subject line.
    Commit { commit: String, subject: String },
    /// `{release: "Linux 5.8"}`: the release whose notes or source show it.
    Release { release: String },
}

impl VersionSource {
    /// What the page prints after "from the kernel source".
    pub fn describe(&self) -> String {
        match self {
            VersionSource::Commit { commit, subject } => format!("commit {commit} (\"{subject}\")"),
            VersionSource::Release { release } => release.clone(),
        }
    }
}

//! BPF_MAP_CREATE attributes, as a spec's `base` and a claim's `map` give them.

use super::Datum;
use crate::names::{Capability, MapFlag};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

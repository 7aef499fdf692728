//! Per-type facts the step interpreter obeys. They change how a check is
//! run and cleaned up, never what it expects: the runner has no per-type
//! branches of its own (ARCHITECTURE.md).

use super::Step;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Facts about a map type's objects that the runner must act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerFacts {
    /// Elements live in the object they belong to (a socket, inode, task
    /// or cgroup), not in the map, and are freed from a workqueue after
    /// the map closes. The runner deletes the fixtures' elements before it
    /// closes the map, so that the next check does not meet them half torn
    /// down (an update on our own process then fails with EAGAIN).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elements_live_in_owner: bool,
    /// libbpf cannot bind a map of this type into a program object: it
    /// fills such a map from the object's own section (struct_ops), and
    /// dereferences NULL for a rebound one. No kernel-side step
    /// (`prog_load`, `prog_run`, `prog_race`, `prog_torn`) can use it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_program_binding: bool,
}

impl RunnerFacts {
    pub fn is_default(&self) -> bool {
        *self == RunnerFacts::default()
    }

    /// Lint: why `step` cannot run on a map of this type, if it cannot.
    pub fn refuses(&self, step: &Step) -> Option<String> {
        let kernel_side = matches!(
            step,
            Step::ProgLoad(_) | Step::ProgRun(_) | Step::ProgRace(_) | Step::ProgTorn(_)
        );
        (kernel_side && self.no_program_binding).then(|| {
            format!(
                "{} cannot run on this map type: `runner: {{no_program_binding: true}}` \
                 (libbpf cannot bind its maps into a program object)",
                step.name()
            )
        })
    }
}

//! A command through a second fd of the claim's map, opened with
//! BPF_MAP_GET_FD_BY_ID and `open_flags` (`BPF_F_RDONLY`, `BPF_F_WRONLY`):
//! what an fd's access mode allows is a property of the fd, not the map.

use super::{Command, Datum, Flags};
use crate::names::{MapFlag, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `by_id: {open_flags: [BPF_F_RDONLY], command: update, key: 1, expect: EPERM}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByIdOp {
    /// `open_flags` of BPF_MAP_GET_FD_BY_ID (none: a read-write fd).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_flags: Vec<MapFlag>,
    /// The command run through the new fd, as a command-table cell runs it.
    pub command: Command,
    /// The key (absent: NULL, or none for commands without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Datum>,
    /// The value an update writes (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Datum>,
    /// Element flags of the command.
    #[serde(default, skip_serializing_if = "Flags::is_default")]
    pub flags: Flags,
    /// The outcome of BPF_MAP_GET_FD_BY_ID if it fails, else of the command.
    #[serde(
        default = "super::data::ok",
        skip_serializing_if = "super::data::is_ok"
    )]
    pub expect: Outcome,
}

impl ByIdOp {
    /// The value of `open_flags`, OR-ed.
    pub fn open_flags_value(&self) -> u32 {
        self.open_flags.iter().fold(0, |a, f| a | f.value())
    }

    /// The step the command is, judged by `expect`.
    pub fn step(&self) -> super::Step {
        super::steps::command_step(
            self.command,
            self.key.clone(),
            self.flags.clone(),
            self.expect,
            self.value.clone(),
            None,
        )
    }
}

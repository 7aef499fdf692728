//! Claims normalized out of the four lists of a spec, and compiled into
//! programs of steps that the runner executes. Pure: nothing here touches
//! the kernel, so docgen and lint can share it.

use crate::model::*;
use crate::names::Outcome;
use crate::results::Mode;
use crate::version::KernelVersion;

/// Which table or list a claim came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimKind {
    /// Implicit: the minimal attributes create the map.
    Exists,
    Create {
        expect: Outcome,
    },
    Command {
        command: Command,
        situation: String,
        flags: Flags,
        expect: Outcome,
    },
    UpdateFlag {
        flags: Flags,
        situation: String,
        expect: Outcome,
    },
    Scenario,
}

impl ClaimKind {
    pub fn label(&self) -> &'static str {
        match self {
            ClaimKind::Exists => "exists",
            ClaimKind::Create { .. } => "create",
            ClaimKind::Command { .. } => "command",
            ClaimKind::UpdateFlag { .. } => "update_flag",
            ClaimKind::Scenario => "scenario",
        }
    }
}

/// A map to create and the steps to run against it.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub type_value: u32,
    pub percpu: bool,
    /// How the runner handles the type's objects (the spec's `runner`).
    pub runner: crate::model::RunnerFacts,
    pub attrs: CreateAttrs,
    pub create_expect: Outcome,
    pub steps: Vec<Step>,
    /// Set on a refusal check (a kernel before the claim's `since`, or from
    /// its `until`): the older outcome, which the decisive step is expected
    /// to return, is also accepted from the first earlier operation that
    /// differs from the spec (BPF_MAP_CREATE refusing a newer flag, say).
    pub refusal: Option<Outcome>,
}

impl Program {
    /// The outcome of the decisive (last) operation.
    pub fn decisive_mut(&mut self) -> &mut Outcome {
        if let Some(o) = self.steps.iter_mut().rev().find_map(|s| s.expect_mut()) {
            return o;
        }
        &mut self.create_expect
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// `<spec>/<id>`, stable across runs and kernels.
    pub global_id: String,
    pub spec: String,
    pub map_type: String,
    pub meta: ClaimMeta,
    pub kind: ClaimKind,
    pub requires: Requires,
    pub program: Program,
}

/// What to do with a claim on a given kernel.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Run the program as written.
    Run(Program),
    /// The kernel predates the behaviour: run a program that expects the
    /// refusal (or old behaviour) the spec gives.
    Refusal { program: Program, why: String },
    /// Nothing meaningful can be executed; the reason is reported.
    Skip(String),
}

impl Claim {
    pub fn plan_for(
        &self,
        kernel: KernelVersion,
        type_since: KernelVersion,
        absent: Outcome,
    ) -> Plan {
        if kernel < type_since {
            // The check is that the type is unknown: created with every
            // capability, since a kernel refuses a caller without them
            // (EPERM) before it looks at the type.
            let attrs = CreateAttrs {
                drop_caps: Vec::new(),
                ..self.program.attrs.clone()
            };
            let program = Program {
                type_value: self.program.type_value,
                percpu: self.program.percpu,
                runner: self.program.runner,
                attrs,
                create_expect: absent,
                steps: Vec::new(),
                refusal: None,
            };
            return Plan::Refusal {
                program,
                why: format!("{} is newer than this kernel (since {type_since}); checking that BPF_MAP_CREATE refuses it", self.map_type),
            };
        }
        if let Some(since) = &self.meta.since {
            if !since.holds_on(kernel) {
                return match self.meta.before {
                    Some(before) => {
                        let mut program = self.program.clone();
                        *program.decisive_mut() = before;
                        program.refusal = Some(before);
                        Plan::Refusal {
                            program,
                            why: format!(
                                "kernel older than {}; expecting the older behaviour {before}",
                                since.describe()
                            ),
                        }
                    }
                    None => Plan::Skip(format!(
                        "kernel older than {} and the spec gives no `before` outcome",
                        since.describe()
                    )),
                };
            }
        }
        if let Some(until) = self.meta.until {
            if kernel >= until {
                return match self.meta.after {
                    Some(after) => {
                        let mut program = self.program.clone();
                        *program.decisive_mut() = after;
                        program.refusal = Some(after);
                        Plan::Refusal {
                            program,
                            why: format!("behaviour changed in {until}; expecting {after}"),
                        }
                    }
                    None => Plan::Skip(format!("claim describes kernels before {until}")),
                };
            }
        }
        Plan::Run(self.program.clone())
    }

    /// What [`Claim::plan_for`] checks this claim for on `kernel`, as the
    /// results record it: the same tests in the same order.
    pub fn mode_for(&self, kernel: KernelVersion, type_since: KernelVersion) -> Mode {
        if kernel < type_since {
            return Mode::TypeAbsent { since: type_since };
        }
        match (&self.meta.since, self.meta.until) {
            (Some(since), _) if !since.holds_on(kernel) => Mode::BeforeSince {
                since: since.clone(),
            },
            (_, Some(until)) if kernel >= until => Mode::AfterUntil { until },
            _ => Mode::AsWritten,
        }
    }
}

/// A situation's setup steps, key, attribute overrides and the value its
/// update cells write.
type SituationParts = (Vec<Step>, Option<Datum>, CreateAttrs, Option<Datum>);

fn situation_steps(spec: &MapSpec, name: &str) -> SituationParts {
    match spec.situations.get(name) {
        Some(s) => (
            s.setup.clone(),
            s.key.clone(),
            s.map.clone(),
            s.value.clone(),
        ),
        None => (Vec::new(), None, CreateAttrs::default(), None),
    }
}

impl MapSpec {
    /// The attributes a claim's map is created with.
    pub fn attrs_for(&self, over: &CreateAttrs) -> CreateAttrs {
        self.base.overlay(over)
    }

    /// Every claim in the spec, in document order, with its program.
    pub fn claims(&self) -> Vec<Claim> {
        let mut out = Vec::new();
        let mk = |meta: ClaimMeta, kind: ClaimKind, program: Program| Claim {
            global_id: format!("{}/{}", self.name, meta.id),
            spec: self.name.clone(),
            map_type: self.map_type.clone(),
            requires: self.requires.merged(&meta.requires),
            meta,
            kind,
            program,
        };
        let exists = ClaimMeta {
            id: "exists".into(),
            text: format!(
                "Creating a {} with the minimal attributes succeeds.",
                self.map_type
            ),
            since: None,
            before: None,
            until: None,
            after: None,
            source: None,
            requires: Requires::default(),
            note: None,
            map: CreateAttrs::default(),
            scope: Scope::Map,
        };
        out.push(mk(
            exists,
            ClaimKind::Exists,
            Program {
                type_value: self.type_value,
                percpu: self.percpu,
                runner: self.runner,
                attrs: self.base.clone(),
                create_expect: Outcome::Ok,
                steps: vec![],
                refusal: None,
            },
        ));
        for r in &self.create {
            let meta = r.meta();
            let program = Program {
                type_value: self.type_value,
                percpu: self.percpu,
                runner: self.runner,
                attrs: self.attrs_for(&meta.map),
                create_expect: r.expect,
                steps: vec![],
                refusal: None,
            };
            out.push(mk(meta, ClaimKind::Create { expect: r.expect }, program));
        }
        for c in &self.commands {
            let meta = c.meta();
            let (mut steps, key, sit_map, sit_value) = situation_steps(self, &c.situation);
            // An update cell writes the situation's value; in other cells
            // `value` is what a lookup expects back.
            let value = match c.command {
                Command::Update | Command::UpdateBatch => c.value.clone().or(sit_value),
                _ => c.value.clone(),
            };
            steps.push(command_step(
                c.command,
                key,
                c.flags.clone(),
                c.expect,
                value,
                c.input.clone(),
            ));
            let program = Program {
                type_value: self.type_value,
                percpu: self.percpu,
                runner: self.runner,
                attrs: self.attrs_for(&sit_map.overlay(&meta.map)),
                create_expect: Outcome::Ok,
                steps,
                refusal: None,
            };
            let kind = ClaimKind::Command {
                command: c.command,
                situation: c.situation.clone(),
                flags: c.flags.clone(),
                expect: c.expect,
            };
            out.push(mk(meta, kind, program));
        }
        for f in &self.update_flags {
            let meta = f.meta();
            let (mut steps, key, sit_map, sit_value) = situation_steps(self, &f.situation);
            steps.push(command_step(
                Command::Update,
                key,
                f.flag.clone(),
                f.expect,
                Some(sit_value.unwrap_or(Datum::Int(2))),
                None,
            ));
            let program = Program {
                type_value: self.type_value,
                percpu: self.percpu,
                runner: self.runner,
                attrs: self.attrs_for(&sit_map.overlay(&meta.map)),
                create_expect: Outcome::Ok,
                steps,
                refusal: None,
            };
            let kind = ClaimKind::UpdateFlag {
                flags: f.flag.clone(),
                situation: f.situation.clone(),
                expect: f.expect,
            };
            out.push(mk(meta, kind, program));
        }
        for s in &self.scenarios {
            let meta = s.meta();
            let program = Program {
                type_value: self.type_value,
                percpu: self.percpu,
                runner: self.runner,
                attrs: self.attrs_for(&meta.map),
                create_expect: Outcome::Ok,
                steps: s.steps.clone(),
                refusal: None,
            };
            out.push(mk(meta, ClaimKind::Scenario, program));
        }
        out
    }
}

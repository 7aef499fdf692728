//! Claims in, results out: plans each claim for this kernel, checks its
//! requirements, executes it and records the verdict.

use crate::exec::{self, Env, Verdict};
use crate::kernel;
use mapspec_spec::results::{ClaimResult, KernelInfo, RunReport, Status, Summary, FORMAT_VERSION};
use mapspec_spec::{Claim, KernelVersion, MapSpec, Plan, Requires};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Leave out statistical (timed) checks.
    pub quick: bool,
    /// Only these specs, by file stem (`hash`) or enum name (`BPF_MAP_TYPE_HASH`). Empty: all.
    pub only: Vec<String>,
    /// Record per-claim and total durations.
    pub timings: bool,
}

impl RunOptions {
    pub fn selects(&self, spec: &MapSpec) -> bool {
        self.only.is_empty()
            || self.only.iter().any(|o| {
                let o = o.to_ascii_lowercase();
                o == spec.name
                    || o == spec.map_type.to_ascii_lowercase()
                    || format!("bpf_map_type_{o}") == spec.map_type.to_ascii_lowercase()
            })
    }
}

/// Why this machine cannot run a check, if it cannot.
pub fn missing_requirement(req: &Requires, info: &KernelInfo, quick: bool) -> Option<String> {
    if req.statistical && quick {
        return Some("statistical check left out by --quick".into());
    }
    if let Some(n) = req.cpus {
        if info.online_cpus < n {
            return Some(format!(
                "needs {n} online CPUs for a concurrency check; this machine has {}",
                info.online_cpus
            ));
        }
    }
    let caps = kernel::effective_caps();
    for c in &req.caps {
        if caps & (1u64 << c.value()) == 0 {
            return Some(format!(
                "missing privilege {c} in the effective capability set"
            ));
        }
    }
    if let Some(lsm) = &req.lsm {
        match kernel::active_lsms() {
            Ok(active) if active.iter().any(|a| a == lsm) => {}
            Ok(active) => {
                return Some(format!(
                    "the {lsm} LSM is not active on this boot (active: {}; it needs lsm=...,{lsm} on the kernel command line or CONFIG_LSM)",
                    active.join(",")
                ))
            }
            Err(e) => return Some(format!("cannot tell whether the {lsm} LSM is active: {e}")),
        }
    }
    if req.vmlinux_btf && !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Some(
            "no /sys/kernel/btf/vmlinux: kernel built without CONFIG_DEBUG_INFO_BTF".into(),
        );
    }
    None
}

pub fn run_claim(
    spec: &MapSpec,
    claim: &Claim,
    info: &KernelInfo,
    kv: KernelVersion,
    opts: &RunOptions,
) -> ClaimResult {
    let start = Instant::now();
    let mut result = check_claim(spec, claim, info, kv, opts);
    // Skips are timed too: every result in a report has the same fields.
    if opts.timings {
        result.duration_us = Some(start.elapsed().as_micros() as u64);
    }
    result
}

fn check_claim(
    spec: &MapSpec,
    claim: &Claim,
    info: &KernelInfo,
    kv: KernelVersion,
    opts: &RunOptions,
) -> ClaimResult {
    let mut result = ClaimResult {
        map_type: spec.map_type.clone(),
        claim: claim.global_id.clone(),
        text: claim.meta.text.clone(),
        status: Status::Skip,
        expected: String::new(),
        observed: String::new(),
        reason: None,
        measurement: None,
        duration_us: None,
    };
    let (program, why) = match claim.plan_for(kv, spec.since, spec.absent) {
        Plan::Run(p) => (p, None),
        Plan::Refusal { program, why } => (program, Some(why)),
        Plan::Skip(reason) => {
            result.reason = Some(reason);
            return result;
        }
    };
    // A refusal check only creates a map; the claim's own requirements
    // (CPUs, statistical budget) do not apply to it.
    if why.is_none() {
        if let Some(reason) = missing_requirement(&claim.requires, info, opts.quick) {
            result.reason = Some(reason);
            return result;
        }
    }
    let env = Env {
        possible_cpus: info.possible_cpus,
    };
    let ex = exec::execute(&program, &env);
    result.reason = why;
    result.measurement = ex.measurement;
    match ex.verdict {
        Verdict::Pass => {
            result.status = Status::Pass;
            result.expected = ex.expected.join("; ");
            result.observed = ex.trace.join("; ");
        }
        Verdict::Fail { expected, observed } => {
            result.status = Status::Fail;
            result.expected = expected;
            result.observed = observed;
        }
        Verdict::Skip { reason } => {
            result.status = Status::Skip;
            result.reason = Some(reason);
            result.observed = ex.trace.join("; ");
        }
        Verdict::Error { message } => {
            result.status = Status::Error;
            result.expected = ex.expected.join("; ");
            result.observed = format!(
                "{}{message}",
                ex.trace
                    .iter()
                    .map(|t| format!("{t}; "))
                    .collect::<String>()
            );
        }
    }
    result
}

/// Run every selected claim of every spec on the live kernel.
pub fn run(specs: &[MapSpec], opts: &RunOptions) -> RunReport {
    run_with(specs, opts, |_| {})
}

/// As [`run`], calling `progress` after each claim.
pub fn run_with(
    specs: &[MapSpec],
    opts: &RunOptions,
    mut progress: impl FnMut(&ClaimResult),
) -> RunReport {
    let start = Instant::now();
    let info = kernel::detect_kernel();
    let kv = kernel::kernel_version(&info);
    let mut results = Vec::new();
    for spec in specs.iter().filter(|s| opts.selects(s)) {
        for claim in spec.claims() {
            let r = run_claim(spec, &claim, &info, kv, opts);
            progress(&r);
            results.push(r);
        }
    }
    RunReport {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        kernel: info,
        quick: opts.quick,
        summary: Summary::of(&results),
        results,
        duration_ms: opts.timings.then(|| start.elapsed().as_millis() as u64),
    }
}

//! Claims in, results out: plans each claim for this kernel, checks its
//! requirements, executes it and records the verdict.

use crate::exec::{self, Env, Verdict};
use crate::kernel;
use mapspec_spec::results::{ClaimResult, KernelInfo, RunReport, Status, Summary, FORMAT_VERSION};
use mapspec_spec::{Claim, KernelVersion, MapSpec, Plan, Requires};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// What keeps this process from running the selected claims at all, found
/// before the first claim runs. Each is an environment problem to report
/// as such (exit 2), not hundreds of failed claims. What one claim alone
/// needs (its `requires`) is a skip with the reason instead.
pub fn environment_problems(specs: &[MapSpec], opts: &RunOptions) -> Vec<String> {
    let mut problems = Vec::new();
    let missing = kernel::missing_caps();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
        problems.push(format!(
            "missing {} {} in the effective set: the specs are written for a fully \
             privileged root (BPF_MAP_CREATE needs CAP_BPF or CAP_SYS_ADMIN, device and \
             socket maps CAP_NET_ADMIN, programs that read kernel memory CAP_PERFMON); \
             run as root with all capabilities, not under a container, systemd unit, \
             capsh or setpriv that drops them",
            if missing.len() == 1 {
                "capability"
            } else {
                "capabilities"
            },
            names.join(", ")
        ));
        // Without them no fixture can be made either; say the cause once.
        return problems;
    }
    let wants_cgroup = specs
        .iter()
        .filter(|s| opts.selects(s))
        .any(uses_cgroup_fixture);
    if wants_cgroup {
        if let Some(why) = crate::fixtures::cgroup::problem() {
            problems.push(format!("no cgroup v2 directory can be made: {why}"));
        }
    }
    problems
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
        mode: claim.mode_for(kv, spec.since),
        statistical: claim.requires.statistical,
        decisive: None,
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
        if let Some(reason) = missing_requirement(&claim.requires, info, opts.quick)
            .or_else(|| crate::kconfig::running()?.missing_for(claim))
        {
            result.reason = Some(reason);
            return result;
        }
    }
    let env = Env {
        possible_cpus: info.possible_cpus,
    };
    let ex = exec::execute(&program, &env);
    result.reason = why;
    result.decisive = ex.decisive;
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

/// Any `{fd: cgroup}` among the spec's keys and values (the model's JSON
/// form, which the matrix guests receive, spells every one the same way).
fn uses_cgroup_fixture(spec: &MapSpec) -> bool {
    serde_json::to_string(spec).is_ok_and(|j| j.contains(r#"{"fd":"cgroup"}"#))
}

/// Run every selected claim of every spec on the live kernel.
pub fn run(specs: &[MapSpec], opts: &RunOptions) -> RunReport {
    run_with(specs, opts, |_| {})
}

/// As [`run`], calling `progress` after each claim.
pub fn run_with(
    specs: &[MapSpec],
    opts: &RunOptions,
    progress: impl FnMut(&ClaimResult),
) -> RunReport {
    run_until(specs, opts, &AtomicUsize::new(0), progress)
}

/// As [`run_with`], stopping early once `stop` is non-zero (a signal's
/// number, say). It is checked before each claim: the claim in flight
/// ends first and its fixtures (cgroups, mounts, sockets) are released, so
/// an interrupted run leaves nothing behind. The report then holds the
/// claims checked so far.
pub fn run_until(
    specs: &[MapSpec],
    opts: &RunOptions,
    stop: &AtomicUsize,
    progress: impl FnMut(&ClaimResult),
) -> RunReport {
    run_each(specs, opts, stop, |_| {}, progress)
}

/// As [`run_until`], calling `before` with each claim's id just before it
/// runs: the matrix guest prints it on the console, so that the log of a
/// kernel panic names the claim in flight.
pub fn run_each(
    specs: &[MapSpec],
    opts: &RunOptions,
    stop: &AtomicUsize,
    mut before: impl FnMut(&str),
    mut progress: impl FnMut(&ClaimResult),
) -> RunReport {
    let start = Instant::now();
    let info = kernel::detect_kernel();
    let kv = kernel::kernel_version(&info);
    let mut results = Vec::new();
    'specs: for spec in specs.iter().filter(|s| opts.selects(s)) {
        for claim in spec.claims() {
            if stop.load(Ordering::Relaxed) != 0 {
                break 'specs;
            }
            before(&claim.global_id);
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

#[cfg(test)]
mod tests {
    #[test]
    fn specs_that_use_the_cgroup_fixture_are_found() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        let specs = mapspec_spec::load_dir(&dir).expect("specs load");
        let users: Vec<&str> = specs
            .iter()
            .filter(|s| super::uses_cgroup_fixture(s))
            .map(|s| s.name.as_str())
            .collect();
        assert!(users.contains(&"cgroup_array"), "{users:?}");
        assert!(users.contains(&"cgrp_storage"), "{users:?}");
        assert!(!users.contains(&"hash"), "{users:?}");
    }
}

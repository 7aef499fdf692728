//! Lint of kernel-side steps: known programs, statistical steps declared.

use super::programs::PROGRAMS;

/// Lint problems of a kernel-side step: unknown programs, statistical steps
/// in claims that do not say so.
pub fn step_problems(
    step: &crate::model::Step,
    statistical: bool,
    cpus: Option<u32>,
) -> Vec<String> {
    use crate::model::Step;
    let mut out = Vec::new();
    let (program, concurrent) = match step {
        Step::ProgLoad(o) => (&o.program, false),
        Step::ProgRun(o) => (&o.program, false),
        Step::ProgRace(o) => (&o.program, true),
        Step::ProgTorn(o) => (&o.program, true),
        _ => return out,
    };
    if !PROGRAMS.contains(&program.as_str()) {
        let hint = crate::names::did_you_mean(program, PROGRAMS.iter().copied())
            .map(|s| format!(", did you mean `{s}`?"))
            .unwrap_or_else(|| format!(" (known: {})", PROGRAMS.join(", ")));
        out.push(format!("unknown BPF program `{program}`{hint}"));
    }
    if concurrent && (!statistical || cpus.unwrap_or(1) < 2) {
        out.push(format!(
            "{} is a statistical concurrency check: the claim needs `requires: {{statistical: true, cpus: 2}}`",
            step.name()
        ));
    }
    out
}

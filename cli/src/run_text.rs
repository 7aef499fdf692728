//! `mapspec run`'s human report: one line per claim, the evidence of a
//! failure, and a summary per map type. Everything that comes from a spec
//! or the kernel is escaped (`output::escape`), so a claim's text cannot
//! drive the terminal.

use crate::output::{count, escape};
use mapspec_spec::results::{ClaimResult, RunReport, Status, Summary};
use owo_colors::{OwoColorize, Stream};
use std::collections::BTreeMap;

fn status_word(s: Status) -> String {
    let w = format!("{:<5}", s.as_str().to_uppercase());
    match s {
        Status::Pass => w
            .if_supports_color(Stream::Stdout, |t| t.green())
            .to_string(),
        Status::Fail => w.if_supports_color(Stream::Stdout, |t| t.red()).to_string(),
        Status::Skip => w
            .if_supports_color(Stream::Stdout, |t| t.yellow())
            .to_string(),
        Status::Error => w
            .if_supports_color(Stream::Stdout, |t| t.magenta())
            .to_string(),
    }
}

/// The heading of a map type's results.
pub fn heading(map_type: &str) -> String {
    let t = escape(map_type);
    format!("{}\n", t.if_supports_color(Stream::Stdout, |t| t.bold()))
}

/// One claim's result, with its evidence when it did not pass.
pub fn result_lines(r: &ClaimResult) -> String {
    let mut s = format!(
        "  {} {}  {}\n",
        status_word(r.status),
        escape(&r.claim),
        escape(&r.text)
    );
    if matches!(r.status, Status::Fail | Status::Error) {
        s.push_str(&format!(
            "        expected: {}\n        observed: {}\n",
            escape(&r.expected),
            escape(&r.observed)
        ));
    }
    if let Some(reason) = &r.reason {
        s.push_str(&format!("        ({})\n", escape(reason)));
    }
    if let Some(m) = &r.measurement {
        s.push_str(&format!("        measured: {}\n", escape(&m.to_string())));
    }
    s
}

pub fn summary_line(label: &str, s: &Summary) -> String {
    format!(
        "{label}: {} passed, {} failed, {} skipped, {}",
        s.pass,
        s.fail,
        s.skip,
        count(s.error as u64, "error", "errors")
    )
}

fn per_type(report: &RunReport) -> BTreeMap<String, Summary> {
    let mut m: BTreeMap<String, Vec<&ClaimResult>> = BTreeMap::new();
    for r in &report.results {
        m.entry(r.map_type.clone()).or_default().push(r);
    }
    m.into_iter().map(|(k, v)| (k, Summary::of(v))).collect()
}

/// What follows the live results: per-type and total counts, coloured.
pub fn summary(report: &RunReport) -> String {
    let mut s = String::from("\n");
    for (t, sum) in per_type(report) {
        s.push_str(&summary_line(&escape(&t), &sum));
        s.push('\n');
    }
    let total = summary_line(
        &format!(
            "total on {} ({})",
            escape(&report.kernel.release),
            count(report.kernel.possible_cpus, "CPU", "CPUs")
        ),
        &report.summary,
    );
    let ok = report.summary.fail == 0 && report.summary.error == 0;
    let total = if ok {
        total
            .if_supports_color(Stream::Stdout, |t| t.green())
            .to_string()
    } else {
        total
            .if_supports_color(Stream::Stdout, |t| t.red())
            .to_string()
    };
    s.push_str(&total);
    s.push('\n');
    if let Some(ms) = report.duration_ms {
        s.push_str(&format!("finished in {ms} ms\n"));
    }
    s
}

/// The whole report as text, for `--output` (no colours: owo-colors only
/// colours a terminal on standard output).
pub fn human(report: &RunReport) -> String {
    let mut s = String::new();
    let mut current = String::new();
    for r in &report.results {
        if r.map_type != current {
            current = r.map_type.clone();
            s.push_str(&format!("{}\n", escape(&current)));
        }
        s.push_str(&result_lines(r));
    }
    s.push('\n');
    for (t, sum) in per_type(report) {
        s.push_str(&summary_line(&escape(&t), &sum));
        s.push('\n');
    }
    s.push_str(&summary_line(
        &format!("total on {}", escape(&report.kernel.release)),
        &report.summary,
    ));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_a_result_are_escaped() {
        let r = ClaimResult {
            map_type: "BPF_MAP_TYPE_HASH".into(),
            claim: "hash/x".into(),
            text: "Clears\x1b[2J the screen\r".into(),
            status: Status::Fail,
            mode: mapspec_spec::results::Mode::AsWritten,
            statistical: false,
            decisive: None,
            expected: "ok".into(),
            observed: "bell\x07".into(),
            reason: Some("tab\there".into()),
            measurement: None,
            duration_us: None,
        };
        let s = result_lines(&r);
        assert!(
            !s.contains("\x1b[2J") && !s.contains('\r') && !s.contains('\x07'),
            "{s:?}"
        );
        assert!(s.contains("Clears\\u{1b}[2J the screen\\r"), "{s:?}");
        assert!(
            s.contains("bell\\u{7}") && s.contains("tab\\there"),
            "{s:?}"
        );
        let mut report_line = heading("A\x1b]0;title\x07");
        report_line.retain(|c| c != '\n');
        assert!(!report_line.contains('\x07'), "{report_line:?}");
    }

    #[test]
    fn one_error_is_singular() {
        let s = Summary {
            pass: 1,
            fail: 0,
            skip: 2,
            error: 1,
        };
        assert_eq!(
            summary_line("t", &s),
            "t: 1 passed, 0 failed, 2 skipped, 1 error"
        );
    }
}

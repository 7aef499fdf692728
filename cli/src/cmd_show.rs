//! `mapspec show TYPE`: the report's facts in the terminal. The create
//! rules, commands and update flags of one map type, from one kernel's
//! results or every kernel's side by side; `--format json` for scripts.

use crate::exit;
use crate::output::{escape, out, outln};
use mapspec_report::{Group, Mark, Matrix, Row};
use owo_colors::{OwoColorize, Stream};
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The map type: its spec name (`hash`) or uapi name (`BPF_MAP_TYPE_HASH`).
    #[arg(value_name = "TYPE")]
    pub map_type: String,
    /// One kernel: a series (`5.10`), a version (`5.10.262`) or a release
    /// (`uname -r`). Without it: every kernel of the results, side by side.
    #[arg(long, value_name = "VERSION")]
    pub kernel: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    #[arg(long, default_value = crate::DEFAULT_SPECS, help = crate::SPECS_HELP)]
    pub specs: PathBuf,
    /// A results file or a directory of them, repeatable. Without it:
    /// kernel-matrix/results and results/host.
    #[arg(long = "results", value_name = "FILE_OR_DIR")]
    pub results: Vec<PathBuf>,
}

/// The groups `show` prints: the tables of a spec (scenarios are prose,
/// and live in the report).
const GROUPS: [Group; 3] = [Group::Create, Group::Commands, Group::UpdateFlags];

pub fn main(a: Args) -> anyhow::Result<u8> {
    let (specs, reports, packages) = match crate::cmd_report::load(&a.specs, &a.results, "show")? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let m = Matrix::build(&specs, &reports, &packages);
    let Some(t) = m.find(&a.map_type) else {
        let names: Vec<&str> = m.types.iter().map(|t| t.spec.name.as_str()).collect();
        anyhow::bail!(
            "no spec for the map type {:?}; the specs have: {}",
            escape(&a.map_type),
            names.join(", ")
        );
    };
    let cols: Vec<usize> = match &a.kernel {
        None => (0..m.kernels.len()).collect(),
        Some(v) => {
            let c = m.kernels_matching(v);
            if c.is_empty() {
                let have: Vec<&str> = m.kernels.iter().map(|k| k.version.as_str()).collect();
                anyhow::bail!(
                    "no results of a kernel {:?}; the results have: {}",
                    escape(v),
                    if have.is_empty() {
                        "none".to_string()
                    } else {
                        have.join(", ")
                    }
                );
            }
            c
        }
    };
    match a.format {
        Format::Json => json(&m, t, &cols),
        Format::Human => human(&m, t, &cols),
    }
    Ok(exit::OK)
}

/// The row's name in the terminal: the command (or flags) and situation,
/// or the claim id of a create rule.
fn label(r: &Row) -> String {
    use mapspec_spec::ClaimKind;
    match &r.claim.kind {
        ClaimKind::Command {
            command,
            situation,
            flags,
            ..
        } => {
            let cmd = serde_json::to_value(command)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let mut s = format!("{cmd} {situation}");
            if !flags.is_default() {
                s += &format!(" [{}]", flags.names());
            }
            s
        }
        ClaimKind::UpdateFlag {
            flags, situation, ..
        } => format!("{} {situation}", flags.names()),
        _ => r.claim.meta.id.clone(),
    }
}

fn cell_text(mark: Mark, outcome: &str) -> String {
    match mark {
        Mark::Differs => format!("{} {} DIFFERS", mark.symbol(), outcome),
        Mark::Skipped => format!("{} skipped", mark.symbol()),
        _ => format!("{} {}", mark.symbol(), outcome),
    }
}

fn paint(mark: Mark, s: &str) -> String {
    match mark {
        Mark::AsSpecified => s
            .if_supports_color(Stream::Stdout, |t| t.green())
            .to_string(),
        Mark::Refusal => s
            .if_supports_color(Stream::Stdout, |t| t.blue())
            .to_string(),
        Mark::Differs => s
            .if_supports_color(Stream::Stdout, |t| t.bright_red())
            .to_string(),
        Mark::Skipped | Mark::Missing => s
            .if_supports_color(Stream::Stdout, |t| t.dimmed())
            .to_string(),
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn human(m: &Matrix, t: &mapspec_report::TypeMatrix, cols: &[usize]) {
    let kernels: Vec<String> = cols
        .iter()
        .map(|&k| escape(&m.kernels[k].version).into_owned())
        .collect();
    let title = format!(
        "{} ({}), since {}",
        escape(&t.spec.map_type),
        escape(&t.spec.name),
        t.spec.since
    );
    outln!("{}", title.if_supports_color(Stream::Stdout, |t| t.bold()));
    for &k in cols {
        let kr = &m.kernels[k];
        let pkg = kr.package.as_ref().map_or(String::new(), |p| {
            format!(", Debian {} {}", escape(&p.name), escape(&p.version))
        });
        outln!(
            "  kernel {} ({}{pkg})",
            escape(&kr.version),
            escape(&kr.release)
        );
    }
    let rows: Vec<&Row> = t
        .rows
        .iter()
        .filter(|r| GROUPS.contains(&r.group))
        .collect();
    let labels: Vec<String> = rows
        .iter()
        .map(|r| escape(&label(r)).into_owned())
        .collect();
    let lw = labels.iter().map(|l| width(l)).max().unwrap_or(0).max(12);
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|&k| cell_text(r.cells[k].mark, &escape(&r.cells[k].outcome)))
                .collect()
        })
        .collect();
    let cw: Vec<usize> = (0..cols.len())
        .map(|i| {
            texts
                .iter()
                .map(|t| width(&t[i]))
                .chain([width(&kernels[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let one = cols.len() == 1;
    for g in GROUPS {
        let idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].group == g).collect();
        if idx.is_empty() {
            continue;
        }
        outln!();
        let mut head = format!("{:w$}", g.title(), w = lw + 2);
        for (i, k) in kernels.iter().enumerate() {
            head += &format!("  {:w$}", k, w = cw[i]);
        }
        outln!(
            "{}",
            head.trim_end()
                .if_supports_color(Stream::Stdout, |t| t.bold())
        );
        for i in idx {
            let r = rows[i];
            let pad = lw - width(&labels[i]);
            let mut line = format!("  {}{}", labels[i], " ".repeat(pad));
            for (c, &k) in cols.iter().enumerate() {
                let text = &texts[i][c];
                let pad = cw[c].saturating_sub(width(text));
                line += &format!("  {}{}", paint(r.cells[k].mark, text), " ".repeat(pad));
            }
            if one {
                // One kernel leaves room for the claim's words and the why.
                let cell = &r.cells[cols[0]];
                let why = match cell.mark {
                    Mark::Refusal | Mark::Skipped | Mark::Differs => cell
                        .reason
                        .as_deref()
                        .map(|w| format!(" ({})", escape(w)))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                line += &format!("  {}{why}", escape(&r.claim.meta.text));
            }
            outln!("{}", line.trim_end());
        }
    }
    let rest = t.rows.len() - rows.len();
    outln!();
    outln!(
        "{}  {}  {}  {}  {}",
        paint(Mark::AsSpecified, "✓ as specified"),
        paint(Mark::Refusal, "↶ refusal as specified (older outcome)"),
        paint(Mark::Differs, "✗ DIFFERS"),
        paint(Mark::Skipped, "– skipped"),
        paint(Mark::Missing, "· no result")
    );
    if rest > 0 {
        outln!(
            "{} of {} and every cell's evidence: mapspec report",
            crate::output::count(rest as u64, "further claim", "further claims"),
            escape(&t.spec.name)
        );
    }
}

fn json(m: &Matrix, t: &mapspec_report::TypeMatrix, cols: &[usize]) {
    use serde_json::json;
    let kernels: Vec<_> = cols.iter().map(|&k| &m.kernels[k]).collect();
    let groups: Vec<_> = GROUPS
        .iter()
        .map(|&g| {
            let rows: Vec<_> = t
                .rows
                .iter()
                .filter(|r| r.group == g)
                .map(|r| {
                    json!({
                        "claim": r.claim.global_id,
                        "label": label(r),
                        "text": r.claim.meta.text,
                        "differs": cols.iter().any(|&k| r.cells[k].mark == Mark::Differs),
                        "cells": cols.iter().map(|&k| {
                            let c = &r.cells[k];
                            json!({
                                "kernel": m.kernels[k].version,
                                "mark": c.mark,
                                "outcome": c.outcome,
                                "reason": c.reason,
                                "decisive": c.decisive,
                            })
                        }).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({ "group": g, "title": g.title(), "rows": rows })
        })
        .collect();
    let doc = json!({
        "name": t.spec.name,
        "map_type": t.spec.map_type,
        "since": t.spec.since.to_string(),
        "kernels": kernels,
        "groups": groups,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    out(&s);
}

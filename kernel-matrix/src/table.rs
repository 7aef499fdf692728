//! The closing table of `mapspec matrix`: one row per map type, one column
//! per kernel, each cell `pass/fail/skip` (and `+Ne` when checks errored).

use std::collections::{BTreeMap, BTreeSet};

use mapspec_spec::results::{RunReport, Status};

/// `1 kernel`, `2 kernels`, `0 kernels`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Columns are the kernels in the given order; a kernel that produced no
/// report (boot failure) is a column of `-`.
pub fn render(columns: &[(String, Option<&RunReport>)]) -> String {
    let mut types = BTreeSet::new();
    // (map type, column) -> [pass, fail, skip, error]
    let mut cells: BTreeMap<(String, usize), [usize; 4]> = BTreeMap::new();
    for (i, (_, r)) in columns.iter().enumerate() {
        for c in r.iter().flat_map(|r| &r.results) {
            types.insert(c.map_type.clone());
            let e = cells.entry((c.map_type.clone(), i)).or_default();
            e[match c.status {
                Status::Pass => 0,
                Status::Fail => 1,
                Status::Skip => 2,
                Status::Error => 3,
            }] += 1;
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["map type (pass/fail/skip)".to_string()];
    header.extend(columns.iter().map(|(k, _)| k.clone()));
    rows.push(header);
    for t in &types {
        let mut row = vec![t.strip_prefix("BPF_MAP_TYPE_").unwrap_or(t).to_string()];
        for (i, (_, r)) in columns.iter().enumerate() {
            row.push(match (r, cells.get(&(t.clone(), i))) {
                (None, _) => "-".into(),
                (Some(_), None) => "0/0/0".into(),
                (Some(_), Some([p, f, s, e])) if *e > 0 => format!("{p}/{f}/{s}+{e}e"),
                (Some(_), Some([p, f, s, _])) => format!("{p}/{f}/{s}"),
            });
        }
        rows.push(row);
    }
    let ncol = columns.len() + 1;
    let widths: Vec<usize> = (0..ncol)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c == 0 {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (ncol - 1)));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::results::{ClaimResult, KernelInfo, Summary};

    fn r(statuses: &[(&str, Status)]) -> RunReport {
        let results: Vec<ClaimResult> = statuses
            .iter()
            .enumerate()
            .map(|(i, (t, s))| ClaimResult {
                map_type: t.to_string(),
                claim: format!("x/{i}"),
                text: String::new(),
                status: *s,
                mode: mapspec_spec::results::Mode::AsWritten,
                statistical: false,
                decisive: None,
                expected: String::new(),
                observed: String::new(),
                reason: None,
                measurement: None,
                duration_us: None,
            })
            .collect();
        RunReport {
            format_version: 1,
            tool_version: "0".into(),
            kernel: KernelInfo {
                release: "r".into(),
                version: "v".into(),
                upstream: mapspec_spec::KernelVersion::new(0, 0, 0),
                machine: "x86_64".into(),
                possible_cpus: 2,
                online_cpus: 2,
                local_image: None,
            },
            quick: false,
            summary: Summary::of(&results),
            results,
            duration_ms: None,
        }
    }

    #[test]
    fn renders_counts_per_kernel() {
        let a = r(&[
            ("BPF_MAP_TYPE_HASH", Status::Pass),
            ("BPF_MAP_TYPE_HASH", Status::Skip),
            ("BPF_MAP_TYPE_BLOOM_FILTER", Status::Pass),
        ]);
        let b = r(&[
            ("BPF_MAP_TYPE_HASH", Status::Fail),
            ("BPF_MAP_TYPE_HASH", Status::Error),
        ]);
        let t = render(&[
            ("5.10".into(), Some(&b)),
            ("6.1".into(), Some(&a)),
            ("7.2".into(), None),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].contains("5.10") && lines[0].contains("7.2"));
        assert!(
            lines[2].starts_with("BLOOM_FILTER")
                && lines[2].contains("0/0/0")
                && lines[2].contains("1/0/0")
        );
        assert!(
            lines[3].starts_with("HASH")
                && lines[3].contains("0/1/0+1e")
                && lines[3].contains("1/0/1")
        );
        assert!(lines[3].trim_end().ends_with('-'));
    }
}

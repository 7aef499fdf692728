//! The version view: for each command, update flag and create flag, the
//! first kernel of the results that accepts it, per map type, and what the
//! older kernels gave instead.

use crate::matrix::{Mark, Matrix, Row};
use mapspec_spec::ClaimKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// A refusal that says "this kernel does not know that": the outcomes an
/// older kernel gives for a command or flag it lacks. Any other outcome
/// (ok, ENOENT, EEXIST, ...) means the kernel accepted the request and
/// judged it.
const NOT_KNOWN: [&str; 4] = ["EINVAL", "ENOTSUPP", "EOPNOTSUPP", "E2BIG"];

#[derive(Debug, Clone, Serialize)]
pub struct Feature {
    /// `Commands`, `Update flags` or `Create flags`.
    pub kind: &'static str,
    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`, `BPF_F_LOCK`, ...
    pub name: String,
    pub types: Vec<FeatureType>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureType {
    /// The spec name, for the page link.
    pub spec: String,
    pub map_type: String,
    /// The first kernel (version) that accepts it; None: none of them.
    pub first: Option<String>,
    /// What the kernels before `first` (or all, when none accepts) gave.
    pub older: String,
    /// Claims behind this line.
    pub claims: usize,
}

fn features_of(row: &Row) -> Vec<(&'static str, String)> {
    match &row.claim.kind {
        ClaimKind::Command { command, .. } => vec![("Commands", command.uapi().to_string())],
        ClaimKind::UpdateFlag { flags, .. } => vec![("Update flags", flags.names())],
        ClaimKind::Create { .. } => row
            .claim
            .meta
            .map
            .map_flags
            .iter()
            .flatten()
            .map(|f| ("Create flags", f.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every feature, grouped by kind in the order commands, update flags,
/// create flags, each by name.
pub fn features(m: &Matrix) -> Vec<Feature> {
    // (kind order, name) -> spec index -> rows
    let mut by: BTreeMap<(usize, &'static str, String), BTreeMap<usize, Vec<&Row>>> =
        BTreeMap::new();
    for (ti, t) in m.types.iter().enumerate() {
        for row in &t.rows {
            for (kind, name) in features_of(row) {
                let order = ["Commands", "Update flags", "Create flags"]
                    .iter()
                    .position(|k| *k == kind)
                    .unwrap_or(3);
                by.entry((order, kind, name))
                    .or_default()
                    .entry(ti)
                    .or_default()
                    .push(row);
            }
        }
    }
    by.into_iter()
        .map(|((_, kind, name), types)| Feature {
            kind,
            name,
            types: types
                .into_iter()
                .map(|(ti, rows)| feature_type(m, ti, &rows))
                .collect(),
        })
        .collect()
}

fn feature_type(m: &Matrix, ti: usize, rows: &[&Row]) -> FeatureType {
    let t = &m.types[ti];
    let accepts = |k: usize| {
        rows.iter().any(|r| {
            let c = &r.cells[k];
            matches!(c.mark, Mark::AsSpecified | Mark::Refusal)
                && !NOT_KNOWN.contains(&c.outcome.as_str())
        })
    };
    let first = (0..m.kernels.len()).find(|&k| accepts(k));
    let upto = first.unwrap_or(m.kernels.len());
    let mut older: Vec<String> = Vec::new();
    for k in 0..upto {
        for r in rows {
            let c = &r.cells[k];
            if matches!(c.mark, Mark::AsSpecified | Mark::Refusal | Mark::Differs)
                && !older.contains(&c.outcome)
            {
                older.push(c.outcome.clone());
            }
        }
    }
    let older = match (first, older.is_empty()) {
        (Some(0), _) => "accepted by every kernel here".to_string(),
        (_, true) => "no result".to_string(),
        (_, false) => older.join(", "),
    };
    FeatureType {
        spec: t.spec.name.clone(),
        map_type: t.spec.map_type.clone(),
        first: first.map(|k| m.kernels[k].version.clone()),
        older,
        claims: rows.len(),
    }
}

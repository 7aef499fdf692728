//! All specs as one JSON document, the form the kernel matrix ships to its
//! guests. The host loads and validates the YAML; the guest, where every
//! instruction runs under TCG, only deserializes: parsing the YAML (with
//! the position tracking lint needs) took 0.6 s of each guest's boot.

use serde::{Deserialize, Serialize};

use crate::MapSpec;

#[derive(Serialize, Deserialize)]
struct Entry {
    /// `MapSpec::name` is not part of a spec's YAML (the loader takes it
    /// from the file name), so it travels beside the spec.
    name: String,
    spec: MapSpec,
}

/// The specs, in order, as JSON.
pub fn to_json(specs: &[MapSpec]) -> Vec<u8> {
    let entries: Vec<Entry> = specs
        .iter()
        .map(|s| Entry {
            name: s.name.clone(),
            spec: s.clone(),
        })
        .collect();
    // Serializing plain data with string keys cannot fail.
    serde_json::to_vec(&entries).unwrap_or_default()
}

/// The specs of a document written by [`to_json`].
pub fn from_json(bytes: &[u8]) -> Result<Vec<MapSpec>, serde_json::Error> {
    let entries: Vec<Entry> = serde_json::from_slice(bytes)?;
    Ok(entries
        .into_iter()
        .map(|e| MapSpec {
            name: e.name,
            ..e.spec
        })
        .collect())
}

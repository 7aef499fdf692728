//! All specs as one JSON document, the form the kernel matrix ships to its
//! guests. The host loads and validates the YAML; the guest, where every
//! instruction runs under TCG, only deserializes: parsing the YAML (with
//! the position tracking lint needs) took 0.6 s of each guest's boot.

use serde::{Deserialize, Serialize};

use crate::MapSpec;

/// A fingerprint of the spec model's sources (`build.rs`): the bundle's
/// first line, so that a runner built from other sources says so.
pub const MODEL: &str = env!("MAPSPEC_SPEC_MODEL");

const MAGIC: &str = "mapspec-spec-model ";

/// Why a bundle does not load.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "the specs were bundled by a mapspec built from other sources than this runner \
         (spec model {bundled}, runner {runner}): rebuild the runner with \
         kernel-matrix/build-runner.sh from the same checkout, or pass that one with --runner"
    )]
    OtherModel { bundled: String, runner: String },
    #[error("not a specs bundle: it does not start with a spec model line")]
    NoModelLine,
    #[error("the specs bundle does not parse: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// `MapSpec::name` is not part of a spec's YAML (the loader takes it
    /// from the file name), so it travels beside the spec.
    name: String,
    spec: MapSpec,
}

/// The specs, in order, as JSON after a line naming the model.
pub fn to_json(specs: &[MapSpec]) -> Vec<u8> {
    let entries: Vec<Entry> = specs
        .iter()
        .map(|s| Entry {
            name: s.name.clone(),
            spec: s.clone(),
        })
        .collect();
    let mut out = format!("{MAGIC}{MODEL}\n").into_bytes();
    // Serializing plain data with string keys cannot fail.
    out.extend(serde_json::to_vec(&entries).unwrap_or_default());
    out
}

/// The specs of a document written by [`to_json`].
pub fn from_json(bytes: &[u8]) -> Result<Vec<MapSpec>, BundleError> {
    let nl = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(BundleError::NoModelLine)?;
    let bundled = std::str::from_utf8(&bytes[..nl])
        .ok()
        .and_then(|l| l.strip_prefix(MAGIC))
        .ok_or(BundleError::NoModelLine)?;
    if bundled != MODEL {
        return Err(BundleError::OtherModel {
            bundled: bundled.to_string(),
            runner: MODEL.to_string(),
        });
    }
    let entries: Vec<Entry> = serde_json::from_slice(&bytes[nl + 1..])?;
    Ok(entries
        .into_iter()
        .map(|e| MapSpec {
            name: e.name,
            ..e.spec
        })
        .collect())
}

//! The JSON bundle the matrix guests load must carry every spec exactly:
//! a field that does not survive the round trip would silently change
//! what the guests check.

use std::path::Path;

#[test]
fn every_spec_survives_the_json_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    let specs = mapspec_spec::load_dir(&dir).unwrap();
    assert!(specs.len() > 30);
    let json = mapspec_spec::bundle::to_json(&specs);
    let back = mapspec_spec::bundle::from_json(&json).unwrap();
    assert_eq!(back.len(), specs.len());
    for (a, b) in specs.iter().zip(&back) {
        assert_eq!(a.name, b.name);
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::to_value(b).unwrap(),
            "{} changed in the round trip",
            a.name
        );
        // What the runner executes, not only what serializes.
        assert_eq!(
            format!("{:?}", a.claims()),
            format!("{:?}", b.claims()),
            "{}: claims differ after the round trip",
            a.name
        );
    }
    assert_eq!(mapspec_spec::bundle::to_json(&back), json);
}

#[test]
fn a_damaged_bundle_is_an_error() {
    assert!(mapspec_spec::bundle::from_json(b"[{\"name\": \"x\"}]").is_err());
    assert!(mapspec_spec::bundle::from_json(b"not json").is_err());
}

/// A bundle from a mapspec built from other sources names the fix, not
/// the first field the runner does not know (the guest used to say
/// "unknown field `key_facts`").
#[test]
fn a_bundle_of_another_model_says_to_rebuild_the_runner() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("maps");
    let specs = mapspec_spec::load_dir(&dir).unwrap();
    let json = mapspec_spec::bundle::to_json(&specs);
    let model = mapspec_spec::bundle::MODEL;
    assert_eq!(model.len(), 16);
    let text = String::from_utf8(json).unwrap();
    let other = text.replacen(model, "0123456789abcdef", 1);
    let err = mapspec_spec::bundle::from_json(other.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("build-runner.sh"), "{err}");
    assert!(
        err.contains("0123456789abcdef") && err.contains(model),
        "{err}"
    );
    // A well-formed first line with the right model loads.
    assert!(mapspec_spec::bundle::from_json(text.as_bytes()).is_ok());
}

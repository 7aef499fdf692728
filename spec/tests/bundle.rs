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

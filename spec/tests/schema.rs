//! spec/schema.json is generated from the model; this keeps it current.
//! Regenerate with `MAPSPEC_UPDATE_SCHEMA=1 cargo test -p mapspec-spec --test schema`.

use std::path::Path;

#[test]
fn schema_json_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.json");
    let fresh = mapspec_spec::schema::json_schema();
    if std::env::var_os("MAPSPEC_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &fresh).expect("write schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "spec/schema.json is stale: run `MAPSPEC_UPDATE_SCHEMA=1 cargo test -p mapspec-spec --test schema`"
    );
}

#[test]
fn schema_describes_the_top_level_fields() {
    let v: serde_json::Value = serde_json::from_str(&mapspec_spec::schema::json_schema()).unwrap();
    let props = v["properties"].as_object().expect("object schema");
    for field in [
        "map_type",
        "type_value",
        "since",
        "base",
        "create",
        "commands",
        "update_flags",
        "scenarios",
    ] {
        assert!(props.contains_key(field), "schema lacks {field}");
    }
    assert_eq!(
        v["additionalProperties"],
        serde_json::Value::Bool(false),
        "unknown fields must be rejected by editors too"
    );
}

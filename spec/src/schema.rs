//! The JSON Schema of the spec format, for editors (spec/schema.json).

use crate::model::MapSpec;

pub fn json_schema() -> String {
    let schema = schemars::schema_for!(MapSpec);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

//! Loading spec files and validating them, with every problem reported as
//! `file:line:column: message`: structure here (serde, then piece by piece
//! so every broken claim is reported), semantics in `lint` and `steps`.

mod diag;
mod lint;
mod steps;

use crate::model::*;
use crate::yaml::{self, Document, Seg};
use diag::{key, Ctx};
use std::path::Path;

pub use crate::diagnostic::{Diagnostic, LoadError};

const LIST_FIELDS: [&str; 4] = ["create", "commands", "update_flags", "scenarios"];

/// Parse and validate one spec from text. `file` names it in diagnostics;
/// its stem becomes the spec name.
pub fn load_str(file: &Path, src: &str) -> Result<MapSpec, Vec<Diagnostic>> {
    let doc = match yaml::parse(src) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![Diagnostic {
                file: file.to_path_buf(),
                line: e.line,
                column: e.column,
                message: format!("invalid YAML: {}", e.message),
            }])
        }
    };
    let mut ctx = Ctx {
        file,
        pos: &doc.positions,
        out: Vec::new(),
    };
    let spec = match yaml::deserialize::<MapSpec>(&doc.value, &[], &doc.positions) {
        Ok(mut s) => {
            s.name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(s)
        }
        Err(first) => {
            collect_structural(&doc, &mut ctx, first);
            None
        }
    };
    if let Some(spec) = &spec {
        lint::validate(spec, &mut ctx);
    }
    if ctx.out.is_empty() {
        Ok(spec.expect("no diagnostics means the spec deserialized"))
    } else {
        ctx.out.sort_by_key(|d| (d.line, d.column));
        ctx.out.dedup();
        Err(ctx.out)
    }
}

/// serde stops at the first error; deserialize the pieces one by one so
/// that every broken claim is reported, not just the first.
fn collect_structural(doc: &Document, ctx: &mut Ctx, first: yaml::YamlError) {
    let Some(map) = doc.value.as_mapping() else {
        ctx.yaml(first);
        return;
    };
    let mut stripped = map.clone();
    let mut any_item_error = false;
    for field in LIST_FIELDS {
        let Some(items) = map.get(field).and_then(|v| v.as_sequence()) else {
            continue;
        };
        stripped.insert(field.into(), yaml::Value::Sequence(Vec::new()));
        for (i, item) in items.iter().enumerate() {
            let base = vec![key(field), Seg::Index(i)];
            let r = match field {
                "create" => {
                    yaml::deserialize::<CreateRule>(item, &base, &doc.positions).map(|_| ())
                }
                "commands" => {
                    yaml::deserialize::<CommandCell>(item, &base, &doc.positions).map(|_| ())
                }
                "update_flags" => {
                    yaml::deserialize::<FlagCell>(item, &base, &doc.positions).map(|_| ())
                }
                _ => yaml::deserialize::<Scenario>(item, &base, &doc.positions).map(|_| ()),
            };
            if let Err(e) = r {
                any_item_error = true;
                ctx.yaml(e);
            }
        }
    }
    if let Some(sits) = map.get("situations").and_then(|v| v.as_mapping()) {
        stripped.insert(
            "situations".into(),
            yaml::Value::Mapping(Default::default()),
        );
        for (k, v) in sits {
            let name = k.as_str().unwrap_or_default().to_string();
            let base = vec![key("situations"), Seg::Key(name)];
            if let Err(e) = yaml::deserialize::<Situation>(v, &base, &doc.positions) {
                any_item_error = true;
                ctx.yaml(e);
            }
        }
    }
    match yaml::deserialize::<MapSpec>(&yaml::Value::Mapping(stripped), &[], &doc.positions) {
        Err(e) => ctx.yaml(e),
        Ok(_) if !any_item_error => ctx.yaml(first),
        Ok(_) => {}
    }
}

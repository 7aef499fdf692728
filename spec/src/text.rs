//! Every string in a spec ends up printed: on a terminal (lint, run
//! reports), in results files and in the RST pages. A control character
//! there (an escape sequence, a carriage return, a NUL) would reach the
//! terminal raw or break the page, so lint refuses them everywhere. A line
//! feed is allowed in the multi-line Markdown fields only.

use crate::model::MapSpec;
use crate::yaml::Seg;
use serde_json::Value;

/// Fields whose text may span lines (Markdown and prose blocks, C
/// prototypes continued as their header continues them).
const MULTI_LINE: &[&str] = &["description", "note", "text", "prototype"];

/// Unicode direction overrides and isolates: not control characters to
/// `char::is_control`, but they reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn bad_char(s: &str, newline_ok: bool) -> Option<char> {
    s.chars()
        .find(|&c| (c.is_control() && !(newline_ok && c == '\n')) || is_bidi_control(c))
}

fn describe(c: char) -> String {
    format!("control character U+{:04X}", c as u32)
}

fn walk(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, String)>) {
    match v {
        Value::String(s) => {
            let field = path.iter().rev().find_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            });
            // Claim and situation `text` is one line; the check for that
            // lives in load.rs with its own message.
            let newline_ok = field.is_some_and(|f| MULTI_LINE.contains(&f));
            if let Some(c) = bad_char(s, newline_ok) {
                out.push((
                    path.clone(),
                    format!("{} in text that is printed", describe(c)),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(Seg::Key(k.clone()));
                if let Some(c) = bad_char(k, false) {
                    out.push((path.clone(), format!("{} in a name", describe(c))));
                }
                walk(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Every string of `spec` (names included) holding a control character,
/// with its path in the document.
pub fn control_characters(spec: &MapSpec) -> Vec<(Vec<Seg>, String)> {
    let mut out = Vec::new();
    // The serialized form has the document's field names and nesting.
    if let Ok(v) = serde_json::to_value(spec) {
        walk(&v, &mut Vec::new(), &mut out);
    }
    out
}

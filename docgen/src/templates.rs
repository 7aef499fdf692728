//! The Tera templates (docgen/templates/, compiled into the binary) and the
//! filters they use. Templates own the page structure; the RST pieces they
//! place are built in Rust, where wrapping and escaping are tested.

use crate::tera_setup::TemplateError;
use crate::{rst, DocError};
use std::collections::{BTreeMap, HashMap};
use tera::{Context, Tera, Value};

const TEMPLATES: &[(&str, &str)] = &[
    ("header.rst", include_str!("../templates/header.rst.tera")),
    (
        "map_page.rst",
        include_str!("../templates/map_page.rst.tera"),
    ),
    (
        "ebpf_maps.rst",
        include_str!("../templates/ebpf_maps.rst.tera"),
    ),
    ("maps.rst", include_str!("../templates/maps.rst.tera")),
];

fn tera_error(name: &str, e: tera::Error) -> DocError {
    TemplateError::new(name, &e).into()
}

impl From<TemplateError> for DocError {
    fn from(TemplateError { name, message }: TemplateError) -> DocError {
        DocError::Template { name, message }
    }
}

fn str_arg<'a>(args: &'a HashMap<String, Value>, name: &str) -> tera::Result<&'a str> {
    args.get(name)
        .and_then(|v| v.as_str())
        .ok_or_else(|| tera::Error::msg(format!("missing string argument `{name}`")))
}

/// `{{ text | heading(ch="=", over=true) }}`: an RST section title.
fn heading(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = v
        .as_str()
        .ok_or_else(|| tera::Error::msg("heading of a non-string"))?;
    let ch = str_arg(args, "ch")?
        .chars()
        .next()
        .ok_or_else(|| tera::Error::msg("empty heading character"))?;
    if ch == '^' {
        return Err(tera::Error::msg(
            "the kernel's pages never use `^` headings",
        ));
    }
    let over = args.get("over").and_then(|v| v.as_bool()).unwrap_or(false);
    let h = rst::heading(text, ch, over);
    Ok(Value::String(h.trim_end().to_string()))
}

/// `{{ code | indent(prefix="   ") }}`: indent every non-empty line.
fn indent(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = v
        .as_str()
        .ok_or_else(|| tera::Error::msg("indent of a non-string"))?;
    let prefix = str_arg(args, "prefix")?;
    Ok(Value::String(
        rst::indent(text, prefix).trim_end().to_string(),
    ))
}

/// The example references of the templates' `{{ code(src="...") }}` calls,
/// with the template that makes each: the model reads them before rendering.
pub fn code_refs() -> Vec<(&'static str, String)> {
    const CALL: &str = "code(src=\"";
    let mut out = Vec::new();
    for (name, text) in TEMPLATES {
        let mut rest = *text;
        while let Some(i) = rest.find(CALL) {
            rest = &rest[i + CALL.len()..];
            if let Some(end) = rest.find('"') {
                out.push((*name, rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// `{{ code(src="conformance/examples/c/FILE.c#REGION") }}`: a
/// `.. code-block:: c` holding a marked region of a file the suite
/// compiles and runs (`spec::prog::example_region`), so that no code on a
/// page is text that never ran. The regions were read by the model
/// (`code_refs`); rendering reads no file.
fn code_function(code: BTreeMap<String, Result<String, String>>) -> impl tera::Function {
    move |args: &HashMap<String, Value>| -> tera::Result<Value> {
        let r = str_arg(args, "src")?;
        match code.get(r) {
            Some(Ok(c)) => Ok(Value::String(code_block(c))),
            Some(Err(e)) => Err(tera::Error::msg(e)),
            None => Err(tera::Error::msg(format!("example `{r}` was not loaded"))),
        }
    }
}

/// The RST code block of example code.
pub fn code_block(code: &str) -> String {
    format!(
        ".. code-block:: c\n\n{}",
        rst::indent(code.trim_end(), "   ").trim_end()
    )
}

pub fn engine(code: &BTreeMap<String, Result<String, String>>) -> Result<Tera, DocError> {
    let mut t = crate::tera_setup::compile(TEMPLATES, Vec::new())?;
    t.register_filter("heading", heading);
    t.register_filter("indent", indent);
    let refs: BTreeMap<String, Result<String, String>> = code_refs()
        .into_iter()
        .filter_map(|(_, r)| code.get(&r).map(|c| (r, c.clone())))
        .collect();
    t.register_function("code", code_function(refs));
    Ok(t)
}

/// Render `name` with `ctx` and normalise the layout: no trailing spaces,
/// never two blank lines in a row, one newline at the end. Templates can
/// then be written for readability rather than exact blank lines.
pub fn render<T: serde::Serialize>(tera: &Tera, name: &str, ctx: &T) -> Result<String, DocError> {
    let ctx = Context::from_serialize(ctx).map_err(|e| tera_error(name, e))?;
    let raw = tera.render(name, &ctx).map_err(|e| tera_error(name, e))?;
    Ok(normalise(&raw))
}

/// The one-line comment under a page's SPDX line: the generator and where
/// its sources are, for whoever meets the page in a kernel tree. It holds
/// [`crate::MARKER`], by which generated pages are recognised.
pub fn header_comment() -> String {
    format!(
        ".. {} the specs in the mapspec repository: edit those.",
        crate::MARKER
    )
}

/// [`header_comment`], for callers that still name their sources: a page
/// in a kernel tree names the generator, not the repository's files.
pub fn generated_comment(_sources: &[String], _edit: &str) -> String {
    header_comment()
}

pub fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() && blank > 0 {
            out.push('\n');
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

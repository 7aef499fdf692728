//! The Tera setup docgen's pages and the report's site share: templates
//! compiled in from `(name, text)` pairs, and an error message that keeps
//! what Tera puts in the source chain (usually the useful part).

use tera::Tera;

/// A template that does not load or render, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub name: String,
    pub message: String,
}

impl TemplateError {
    pub fn new(name: &str, e: &tera::Error) -> TemplateError {
        let mut message = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        TemplateError {
            name: name.into(),
            message,
        }
    }
}

/// A Tera holding `templates`, escaping the output of those whose names
/// end with one of `autoescape` (none for RST, `.html` for the report).
pub fn compile(
    templates: &[(&str, &str)],
    autoescape: Vec<&'static str>,
) -> Result<Tera, TemplateError> {
    let mut t = Tera::default();
    t.autoescape_on(autoescape);
    t.add_raw_templates(templates.iter().copied())
        .map_err(|e| TemplateError::new("(loading)", &e))?;
    Ok(t)
}

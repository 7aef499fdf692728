//! The functions a map type is used through beyond the generic commands:
//! the BPF helpers and kfuncs a program calls on it, and libbpf's consumers
//! for the types read through a ring. These are API facts from the
//! headers, not behaviour, so no claim checks them; docgen prints them in
//! the Usage chapter, and its code-block test compiles every prototype
//! against the header that declares it.

use crate::yaml::Seg;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A spec's `api:` section. A type with no `helpers` and no `kfuncs` is
/// driven by the generic `bpf_map_lookup_elem`/`update`/`delete` helpers,
/// which docgen lists from the commands the type supports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// BPF helpers, declared as libbpf's `bpf_helper_defs.h` has them
    /// (included by `<bpf/bpf_helpers.h>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub helpers: Vec<ApiFunc>,
    /// Kfuncs: no system header declares them (the program does, with
    /// `__ksym`), so the page shows the prototype in the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kfuncs: Vec<ApiFunc>,
    /// libbpf functions of `<bpf/libbpf.h>` that userspace uses on the type
    /// (ring and perf buffer consumers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userspace: Vec<ApiFunc>,
    /// No program can use a map of this type (the verifier refuses it),
    /// so the page lists no helpers for it, not even the generic ones.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_programs: bool,
}

impl Api {
    pub fn is_empty(&self) -> bool {
        self == &Api::default()
    }

    /// Whether a program uses this type through its own helpers or kfuncs
    /// rather than the generic element helpers.
    pub fn has_own_helpers(&self) -> bool {
        !self.helpers.is_empty() || !self.kfuncs.is_empty()
    }
}

/// One function: its name, its declaration as the header has it, and a
/// Markdown sentence on what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiFunc {
    /// The C name, without parentheses.
    pub name: String,
    /// The declaration, without the final `;` (continuation lines aligned
    /// as in the header).
    pub prototype: String,
    /// What it does (Markdown, one paragraph). Outcomes belong in claims.
    pub text: String,
}

/// What is wrong with an `api:` section: a name that is not a C
/// identifier, or a prototype that does not declare that name.
/// Each problem comes with the YAML path of the function it is about.
pub fn problems(api: &Api) -> Vec<(Vec<Seg>, String)> {
    let mut out = Vec::new();
    if api.no_programs && api.has_own_helpers() {
        out.push((
            vec![Seg::Key("api".into()), Seg::Key("no_programs".into())],
            "`no_programs` says no program can use the map, yet helpers or kfuncs are listed"
                .into(),
        ));
    }
    for (list, funcs) in [
        ("helpers", &api.helpers),
        ("kfuncs", &api.kfuncs),
        ("userspace", &api.userspace),
    ] {
        for (i, f) in funcs.iter().enumerate() {
            let at = vec![Seg::Key("api".into()), Seg::Key(list.into()), Seg::Index(i)];
            let ident = !f.name.is_empty()
                && !f.name.starts_with(|c: char| c.is_ascii_digit())
                && f.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ident {
                out.push((at.clone(), format!("`{}` is not a C identifier", f.name)));
            } else if !f.prototype.contains(&format!("{}(", f.name)) {
                out.push((
                    at.clone(),
                    format!("the prototype does not declare `{}(`", f.name),
                ));
            }
            if f.prototype.trim_end().ends_with(';') {
                out.push((at, "the prototype ends with `;`: leave it out".into()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(name: &str, prototype: &str) -> ApiFunc {
        ApiFunc {
            name: name.into(),
            prototype: prototype.into(),
            text: "Does it.".into(),
        }
    }

    #[test]
    fn a_prototype_must_declare_its_name() {
        let api = Api {
            helpers: vec![
                func("bpf_a", "long bpf_a(void *map)"),
                func("bpf_b", "long bpf_c(void *map)"),
                func("bad name", "long x(void)"),
                func("bpf_d", "long bpf_d(void);"),
            ],
            ..Api::default()
        };
        let p = problems(&api);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].0[2], Seg::Index(1));
        assert!(p[1].1.contains("not a C identifier"));
        assert!(p[2].1.contains("`;`"));
    }

    #[test]
    fn no_programs_with_helpers_is_a_problem() {
        let mut api = Api {
            no_programs: true,
            ..Api::default()
        };
        assert!(problems(&api).is_empty());
        api.helpers.push(func("bpf_a", "long bpf_a(void *map)"));
        let p = problems(&api);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].1.contains("no_programs"), "{p:?}");
    }
}

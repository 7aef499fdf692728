//! The words of one claim or statement on a page: a claim's sentence and
//! its marks (a version with its provenance, the kernels it failed on),
//! the labels of table rows, and a statement with the lead its kind needs
//! (asserted: none; observed; explanation).

use crate::model::ClaimDoc;
use crate::targets::Targets;
use crate::{key, rst, DocError, SpecFile};
use mapspec_spec::names::BtfRecipe;
use mapspec_spec::yaml::Seg;
use mapspec_spec::{ClaimKind, CreateAttrs, Datum, Evidence, Statement};

pub(crate) fn with(path: &[Seg], k: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(key(k));
    p
}

/// The lead that keeps a statement from reading as more than it is. An
/// asserted statement needs none: the page's one verification sentence
/// covers it.
pub(crate) fn lead(kind: Evidence, differs: bool) -> &'static str {
    match (kind, differs) {
        (_, true) => "*Differs between kernels:* ",
        (Evidence::Asserted, false) => "",
        (Evidence::Observed, false) => "*Observed:* ",
        (Evidence::Explained, false) => "*Explanation:* ",
    }
}

/// Whether any claim that backs `st` failed on a kernel.
pub(crate) fn backing_differs(st: &Statement, claims: &[ClaimDoc]) -> bool {
    st.checked_by.iter().any(|id| {
        claims
            .iter()
            .any(|c| c.claim.meta.id == *id && c.marks.differs.is_some())
    })
}

/// A statement as RST blocks, its lead opening the first paragraph and
/// `prefix` (inline Markdown, e.g. the map type it is about) after it.
pub(crate) fn statement(
    sf: &SpecFile,
    path: &[Seg],
    st: &Statement,
    claims: &[ClaimDoc],
    prefix: &str,
    targets: &mut Targets,
) -> Result<String, DocError> {
    let lead = lead(st.evidence(), backing_differs(st, claims));
    let r = sf.block(&with(path, "text"), &format!("{lead}{prefix}{}", st.text))?;
    targets.add(sf, r.targets)?;
    Ok(r.text)
}

/// A claim's sentence as inline RST.
pub(crate) fn text(
    sf: &SpecFile,
    cd: &ClaimDoc,
    targets: &mut Targets,
) -> Result<String, DocError> {
    let claim = &cd.claim;
    if matches!(claim.kind, ClaimKind::Exists) {
        return Ok(rst::prose(&claim.meta.text));
    }
    let r = sf.inline(&with(&cd.path, "text"), &claim.meta.text)?;
    targets.add(sf, r.targets)?;
    Ok(r.text)
}

/// A scenario claim as a sentence of its own: its text with its marks
/// before the full stop ("... fails with EPERM (EBUSY before 6.12).").
pub(crate) fn sentence(
    sf: &SpecFile,
    cd: &ClaimDoc,
    targets: &mut Targets,
) -> Result<String, DocError> {
    let mut sentence = text(sf, cd, targets)?;
    let marks = marks(cd);
    if !marks.is_empty() {
        let stop = sentence.ends_with('.');
        if stop {
            sentence.pop();
        }
        sentence.push_str(&format!(" ({})", marks.join("; ")));
        if stop {
            sentence.push('.');
        }
    }
    Ok(sentence)
}

/// A claim's note (why, for readers) as inline RST.
pub(crate) fn note(
    sf: &SpecFile,
    cd: &ClaimDoc,
    targets: &mut Targets,
) -> Result<Option<String>, DocError> {
    let Some(note) = &cd.claim.meta.note else {
        return Ok(None);
    };
    let r = sf.inline(&with(&cd.path, "note"), note)?;
    targets.add(sf, r.targets)?;
    Ok(Some(r.text))
}

/// The marks a cell or sentence carries: only where kernels differ.
pub(crate) fn marks(cd: &ClaimDoc) -> Vec<String> {
    cd.marks
        .version
        .iter()
        .chain(cd.marks.differs.iter())
        .cloned()
        .collect()
}

fn datum(d: &Datum) -> String {
    match d {
        Datum::Int(n) => n.to_string(),
        Datum::Bytes(b) => format!("{b:?}"),
        Datum::Lpm { prefixlen, data } => format!("{data:?}/{prefixlen}"),
        Datum::Fd { fd } => format!("fd of {fd}"),
        Datum::Pattern { pattern } => format!("key + {pattern}"),
        Datum::Id { id } => format!("id of {id}"),
        Datum::Ifindex { ifindex } => format!("ifindex of {ifindex}"),
        Datum::Cookie { cookie } => format!("cookie of {cookie}"),
        Datum::U32s { u32s } => {
            let v: Vec<String> = u32s.iter().map(datum).collect();
            format!("{{{}}}", v.join(", "))
        }
        Datum::Map { map } => format!("fd of a map of type {}", map.type_value),
    }
}

/// What a BTF recipe gives the map, in words.
fn btf(b: &BtfRecipe) -> String {
    match b {
        BtfRecipe::spin_lock_value => "a value holding a ``struct bpf_spin_lock``".into(),
        BtfRecipe::int_key_value => "BTF key and value types".into(),
        BtfRecipe::int_key_only => "a BTF key type only".into(),
        BtfRecipe::fd_only => "BTF without key or value types".into(),
        BtfRecipe::none => "no BTF".into(),
    }
}

/// The attributes a create rule or claim sets, as inline RST; empty when
/// it sets none.
pub(crate) fn attrs(a: &CreateAttrs) -> String {
    // A value holding a spin lock has the size its type needs.
    let sized = a.btf != Some(BtfRecipe::spin_lock_value);
    let mut v: Vec<String> = Vec::new();
    let lit = |v: &mut Vec<String>, name: &str, val: String| {
        v.push(rst::literal(&format!("{name} = {val}")))
    };
    if let Some(x) = a.key_size {
        lit(&mut v, "key_size", x.to_string());
    }
    if let Some(x) = a.value_size.filter(|_| sized) {
        lit(&mut v, "value_size", x.to_string());
    }
    if let Some(x) = a.max_entries {
        lit(&mut v, "max_entries", x.to_string());
    }
    if let Some(f) = &a.map_flags {
        let names: Vec<&str> = f.iter().map(|f| f.name()).collect();
        lit(
            &mut v,
            "map_flags",
            if names.is_empty() {
                "0".into()
            } else {
                names.join(" | ")
            },
        );
    }
    if let Some(x) = a.map_extra {
        lit(&mut v, "map_extra", x.to_string());
    }
    if let Some(x) = a.numa_node {
        lit(&mut v, "numa_node", x.to_string());
    }
    if let Some(b) = &a.btf {
        v.push(btf(b));
    }
    if let Some(m) = &a.inner_map {
        lit(&mut v, "inner_map", format!("map type {}", m.type_value));
    }
    if let Some(d) = &a.inner_map_fd {
        lit(&mut v, "inner_map_fd", datum(d));
    }
    if let Some(t) = &a.vmlinux_value {
        v.push(format!(
            "{} of {}",
            rst::literal("btf_vmlinux_value_type_id"),
            rst::literal(&format!("struct {t}"))
        ));
    }
    for c in &a.drop_caps {
        v.push(format!("without {}", rst::literal(c.name())));
    }
    v.join(", ")
}

/// The capabilities a claim needs beyond the type's, as a row suffix.
pub(crate) fn caps(cd: &ClaimDoc) -> String {
    let caps: Vec<String> = cd
        .claim
        .meta
        .requires
        .caps
        .iter()
        .map(|c| rst::literal(c.name()))
        .collect();
    if caps.is_empty() {
        String::new()
    } else {
        format!(" (with {})", caps.join(", "))
    }
}

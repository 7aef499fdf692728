//! One claim as a page prints it (its bullet: status lead, text, note,
//! version notes, status sentences), and a statement with the claims that
//! back it.

use crate::model::ClaimDoc;
use crate::targets::Targets;
use crate::wording::{self, Results, State};
use crate::{key, rst, DocError, SpecFile};
use mapspec_spec::yaml::Seg;
use mapspec_spec::{Claim, ClaimKind, MapSpec, Statement};
use std::collections::BTreeMap;

/// Where a claim's fields live in its spec file, for [`render_claim`]
/// (the model knows it for its own claims).
fn claim_path(spec: &MapSpec, claim: &Claim) -> Vec<Seg> {
    let id = &claim.meta.id;
    let find = |list: &str, idx: Option<usize>| match idx {
        Some(i) => vec![key(list), Seg::Index(i)],
        None => vec![key(list)],
    };
    match claim.kind {
        ClaimKind::Exists => vec![key("map_type")],
        ClaimKind::Create { .. } => find("create", spec.create.iter().position(|c| c.id == *id)),
        ClaimKind::Command { .. } => {
            find("commands", spec.commands.iter().position(|c| c.id == *id))
        }
        ClaimKind::UpdateFlag { .. } => find(
            "update_flags",
            spec.update_flags.iter().position(|c| c.id == *id),
        ),
        ClaimKind::Scenario => find("scenarios", spec.scenarios.iter().position(|c| c.id == *id)),
    }
}

pub(crate) fn with(path: &[Seg], k: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(key(k));
    p
}

/// A claim rendered for the page: its bullet and its state.
pub(crate) struct RenderedClaim {
    pub bullet: String,
    pub state: State,
    pub status: wording::Status,
    /// The claim's sentence as inline RST (without status), for tests.
    pub text: String,
}

fn since_sentence(claim: &Claim) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = &claim.meta.since {
        let mut p = format!("Since {}", s.describe());
        if let Some(b) = claim.meta.before {
            p.push_str(&format!("; older kernels give {}", wording::outcome(b)));
        }
        parts.push(p);
    }
    if let Some(u) = claim.meta.until {
        let mut p = format!("Until {u}");
        if let Some(a) = claim.meta.after {
            p.push_str(&format!("; from {u} on, {}", wording::outcome(a)));
        }
        parts.push(p);
    }
    if parts.is_empty() {
        None
    } else {
        Some(format!("{}.", parts.join(". ")))
    }
}

/// A claim of the model as its page prints it.
pub(crate) fn rendered(
    sf: &SpecFile,
    cd: &ClaimDoc,
    targets: &mut Targets,
) -> Result<RenderedClaim, DocError> {
    let claim = &cd.claim;
    let path = &cd.path;
    let status = cd.status.clone();
    let text = if matches!(claim.kind, ClaimKind::Exists) {
        rst::prose(&claim.meta.text)
    } else {
        let r = sf.inline(&with(path, "text"), &claim.meta.text)?;
        targets.add(sf, r.targets)?;
        r.text
    };
    let mut sentences = vec![format!("{}{text}", status.lead())];
    if let Some(note) = &claim.meta.note {
        let r = sf.inline(&with(path, "note"), note)?;
        targets.add(sf, r.targets)?;
        sentences.push(r.text);
    }
    sentences.extend(since_sentence(claim));
    sentences.extend(status.sentences.iter().cloned());
    Ok(RenderedClaim {
        bullet: rst::wrap(&sentences.join(" "), "- ", "  "),
        state: status.state,
        status,
        text,
    })
}

/// [`rendered`] for a caller that holds a claim but not the model
/// (kernel_side.rs): finds the claim's entry and computes its status.
pub(crate) fn render_claim(
    sf: &SpecFile,
    claim: &Claim,
    results: &Results,
    targets: &mut Targets,
) -> Result<RenderedClaim, DocError> {
    let cd = ClaimDoc {
        claim: claim.clone(),
        path: claim_path(&sf.spec, claim),
        status: results.status(&sf.spec, claim),
    };
    rendered(sf, &cd, targets)
}

pub(crate) fn statement(
    sf: &SpecFile,
    field: &str,
    st: &Statement,
    claims: &BTreeMap<String, (&Claim, RenderedClaim)>,
    targets: &mut Targets,
) -> Result<String, DocError> {
    let path = [key(field), key("text")];
    let backing: Vec<&(&Claim, RenderedClaim)> = st
        .checked_by
        .iter()
        .filter_map(|id| claims.get(id))
        .collect();
    let statuses: Vec<wording::Status> = backing.iter().map(|(_, r)| r.status.clone()).collect();
    let (state, kernels) = if backing.len() == st.checked_by.len() {
        wording::combine(&statuses)
    } else {
        (State::Unverified, Vec::new())
    };
    let lead = state.lead();
    // The lead goes into the Markdown so that it opens the first paragraph.
    let r = sf.block(&path, &format!("{lead}{}", st.text))?;
    targets.add(sf, r.targets)?;
    let mut out = r.text;
    out.push('\n');
    let n = backing.len();
    let observed: Vec<&(&Claim, RenderedClaim)> = st
        .observed_by
        .iter()
        .filter_map(|id| claims.get(id))
        .collect();
    let lead_in = match (state, n) {
        (_, 0) if !observed.is_empty() => String::new(),
        (_, 0) => match &st.unverified {
            Some(u) => format!("Explanation, not checked by a test: {}", u.reason),
            None => "No check backs this statement yet.".to_string(),
        },
        (State::Verified, 1) => format!(
            "Verified on {}, through this claim:",
            wording::kernel_names(&kernels)
        ),
        (State::Verified, _) => format!(
            "Verified on {}, through these claims:",
            wording::kernel_names(&kernels)
        ),
        (_, 1) => "It rests on this claim:".into(),
        (_, _) => "It rests on these claims:".into(),
    };
    if !lead_in.is_empty() {
        out.push_str(&rst::wrap(&lead_in, "", ""));
    }
    if n > 0 {
        out.push('\n');
        for (_, rc) in &backing {
            out.push_str(&rc.bullet);
        }
    }
    // Counting claims have no bound that can fail: what they saw is
    // reported as observed, never as verified.
    if !observed.is_empty() {
        if n > 0 {
            out.push('\n');
        }
        let lead = if observed.len() == 1 {
            "Observed (a count, not an assertion) through this claim:"
        } else {
            "Observed (counts, not assertions) through these claims:"
        };
        out.push_str(&rst::wrap(lead, "", ""));
        out.push('\n');
        for (_, rc) in &observed {
            out.push_str(&rc.bullet);
        }
    }
    Ok(out)
}

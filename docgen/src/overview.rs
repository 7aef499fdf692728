//! The context of `ebpf_maps.rst` (the overview) and `maps.rst` (the
//! index): the generated parts are the update-flag outcomes, the atomicity
//! of each map type and the index of map types, all from the specs.

use crate::model::DocModel;
use crate::targets::Targets;
use crate::wording::{self, State};
use crate::{key, rst, DocError, SpecFile};
use mapspec_spec::{ClaimKind, ElemFlag, Outcome};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Overview {
    pub generated: String,
    pub verification: String,
    pub flags: String,
    pub atomicity: String,
    pub index: String,
    pub targets: Vec<crate::markdown::Target>,
    /// The measured part of "Kernel side against userspace".
    pub kernel_side: crate::kernel_side::KernelSide,
    /// libbpf's bpf_map_create(), header-checked like the Usage entries.
    pub map_create: crate::usage::Func,
}

/// What each update flag asks for: uapi intent, not measured behaviour.
fn flag_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "BPF_ANY" => "Create the element or replace its value, whichever applies.",
        "BPF_NOEXIST" => "Create the element only; its key must not be in the map yet.",
        "BPF_EXIST" => "Replace the value of an element that must already exist.",
        "BPF_F_LOCK" => {
            "Copy the value while holding the ``struct bpf_spin_lock`` embedded in it; \
             may be combined with the flags above."
        }
        "BPF_F_CPU" => {
            "For per-CPU maps: write only the slot of the CPU given in the upper 32 \
             bits of the flags."
        }
        "BPF_F_ALL_CPUS" => "For per-CPU maps: write the one value given into every CPU's slot.",
        _ => return None,
    })
}

fn pages_of(types: &[(String, String)]) -> String {
    // (map_type, page) pairs, already sorted and unique.
    types
        .iter()
        .map(|(t, p)| format!("{} (:doc:`{p}`)", rst::literal(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn flag_order(names: &str) -> (usize, String) {
    let first = names.split(" | ").next().unwrap_or("");
    let pos = ElemFlag::NAMES
        .iter()
        .position(|n| *n == first)
        .unwrap_or(usize::MAX);
    (pos, names.to_string())
}

pub(crate) fn build(model: &DocModel) -> Result<Overview, DocError> {
    let results = &model.results;
    let sorted: Vec<&SpecFile> = model.specs.iter().map(|d| d.file).collect();
    let mut targets = Targets::default();

    // flag → (situation text, outcome) in order of first use → per map
    // type (in type order) the statuses of its claims for that cell.
    type Cells = Vec<(
        (String, String),
        Vec<(String, String, Vec<wording::Status>)>,
    )>;
    let mut flags: BTreeMap<(usize, String), Cells> = BTreeMap::new();
    for sd in &model.specs {
        let spec = sd.spec();
        for cd in &sd.claims {
            let c = &cd.claim;
            if let ClaimKind::UpdateFlag {
                flags: f,
                situation,
                expect,
            } = &c.kind
            {
                let sit = spec
                    .situations
                    .get(situation)
                    .map(|s| s.text.clone())
                    .unwrap_or_else(|| situation.clone());
                let out = match expect {
                    Outcome::Ok => "success".to_string(),
                    other => other.name(),
                };
                let cells = flags.entry(flag_order(&f.names())).or_default();
                let cell = match cells
                    .iter()
                    .position(|(k, _)| *k == (sit.clone(), out.clone()))
                {
                    Some(i) => &mut cells[i].1,
                    None => {
                        cells.push(((sit, out), Vec::new()));
                        &mut cells.last_mut().expect("just pushed").1
                    }
                };
                let status = cd.status.clone();
                match cell.iter_mut().find(|(t, _, _)| *t == spec.map_type) {
                    Some((_, _, v)) => v.push(status),
                    None => cell.push((spec.map_type.clone(), spec.page.clone(), vec![status])),
                }
            }
        }
    }
    let mut flag_text = String::new();
    for ((_, names), cells) in &flags {
        flag_text.push_str(&rst::literal(names));
        flag_text.push('\n');
        if let Some(m) = names.split(" | ").next().and_then(flag_meaning) {
            flag_text.push_str(&rst::wrap(m, "   ", "   "));
            flag_text.push('\n');
        }
        for ((sit, out), types) in cells {
            let outcome = if out == "success" {
                "success".to_string()
            } else {
                rst::literal(out)
            };
            // Consecutive types with the same verification share one note.
            let mut parts: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for (t, page, statuses) in types {
                let (state, kernels) = wording::combine(statuses);
                let status = match state {
                    State::Verified => format!("verified on {}", wording::kernel_names(&kernels)),
                    State::Unverified => "**not yet verified**".into(),
                    State::Differs => "**differs between kernels**, see the map's page".into(),
                };
                match parts.last_mut() {
                    Some((s, v)) if *s == status => v.push((t.clone(), page.clone())),
                    _ => parts.push((status, vec![(t.clone(), page.clone())])),
                }
            }
            let parts: Vec<String> = parts
                .iter()
                .map(|(status, types)| format!("{} ({status})", pages_of(types)))
                .collect();
            flag_text.push_str(&rst::wrap(
                &format!("{}: {outcome} for {}.", rst::prose(sit), parts.join("; ")),
                "   - ",
                "     ",
            ));
        }
        flag_text.push('\n');
    }
    if flags.is_empty() {
        flag_text = "No spec tabulates update flags yet.\n".into();
    }

    let mut atomicity = String::new();
    for sd in &model.specs {
        let sf = sd.file;
        let spec = sd.spec();
        let mut statuses = Vec::new();
        let mut all = true;
        for id in &spec.atomicity.checked_by {
            match sd.claim(id) {
                Some(c) => statuses.push(c.status.clone()),
                None => all = false,
            }
        }
        let (state, kernels) = if all {
            wording::combine(&statuses)
        } else {
            (State::Unverified, Vec::new())
        };
        let lead = state.lead();
        let r = sf.block(
            &[key("atomicity"), key("text")],
            &format!("{lead}{}", spec.atomicity.text),
        )?;
        targets.add(sf, r.targets)?;
        atomicity.push_str(&format!(
            "{} (:doc:`{}`)\n",
            rst::literal(&spec.map_type),
            spec.page
        ));
        atomicity.push_str(&rst::indent(&r.text, "   "));
        if state == State::Verified {
            atomicity.push('\n');
            atomicity.push_str(&rst::wrap(
                &format!(
                    "Verified on {}; the checks are listed on the map's page.",
                    wording::kernel_names(&kernels)
                ),
                "   ",
                "   ",
            ));
        }
        atomicity.push('\n');
    }

    let kernel_side = crate::kernel_side::build(&sorted, results, &mut targets)?;

    let mut index = String::new();
    for sf in &sorted {
        let r = sf.inline(&[key("useful_for")], &sf.spec.useful_for)?;
        targets.add(sf, r.targets)?;
        index.push_str(&rst::wrap(
            &format!(
                "{} (:doc:`{}`): {}",
                rst::literal(&sf.spec.map_type),
                sf.spec.page,
                r.text
            ),
            "- ",
            "  ",
        ));
    }
    if index.is_empty() {
        index = "No map type is specified yet.\n".into();
    }

    let kernels = results.kernels();
    let verification = if kernels.is_empty() {
        "No results were recorded when this page was generated, so none of the \
         generated statements below is verified yet."
            .to_string()
    } else {
        format!(
            "The generated statements below were checked on {}.",
            kernels.join(", ")
        )
    };
    Ok(Overview {
        generated: crate::templates::generated_comment(
            &[
                "docgen/templates/ebpf_maps.rst.tera".into(),
                "spec/maps/*.yaml".into(),
            ],
            "edit the template or the specs",
        ),
        verification: rst::wrap(&verification, "", ""),
        flags: flag_text,
        atomicity,
        index,
        targets: targets.into_vec(),
        kernel_side,
        map_create: crate::usage::map_create(),
    })
}

//! What a compiled program needs the machine to provide beyond the map
//! type: the fixtures it names and the kernel options they and the claim's
//! requirements need. The runner skips a claim whose option is compiled
//! out; this module only says which options, from spec data.

use crate::claim::{Claim, Program};
use crate::names::Fixture;

/// The fixtures `program` names (`{fd: NAME}`, `{id: NAME}`,
/// `{cookie: NAME}`) anywhere in its attributes or steps, sorted, each once.
pub fn fixtures(program: &Program) -> Vec<Fixture> {
    // Walking the serialized form reaches every datum, including those in
    // step fields added later, without a list of fields to keep up to date.
    let mut out = Vec::new();
    for v in [
        serde_json::to_value(&program.attrs),
        serde_json::to_value(&program.steps),
    ]
    .into_iter()
    .flatten()
    {
        collect(&v, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn collect(v: &serde_json::Value, out: &mut Vec<Fixture>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.len() == 1 {
                for key in ["fd", "id", "cookie"] {
                    if let Some(f) = m
                        .get(key)
                        .and_then(|n| n.as_str())
                        .and_then(Fixture::from_name)
                    {
                        out.push(f);
                    }
                }
            }
            m.values().for_each(|x| collect(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

/// Every kernel option `claim` needs (built in or a module), each with
/// what needs it: the claim's and its spec's `requires` (`config`,
/// `vmlinux_btf`, `lsm`), then each fixture its program names.
pub fn kernel_options(claim: &Claim) -> Vec<(&str, String)> {
    let mut out = claim.requires.config_options();
    for f in fixtures(&claim.program) {
        for o in f.config() {
            out.push((o, format!("fixture {f}")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_found_in_attributes_nested_data_and_every_step() {
        let spec = crate::load_str(
            std::path::Path::new("devmap.yaml"),
            include_str!("../maps/devmap.yaml"),
        )
        .unwrap();
        let all: Vec<Fixture> = spec
            .claims()
            .iter()
            .flat_map(|c| fixtures(&c.program))
            .collect();
        // devmap values are `u32s: [ifindex, {fd: xdp_devmap_prog}]`.
        assert!(all.contains(&Fixture::xdp_devmap_prog), "{all:?}");
        let exists = &spec.claims()[0];
        assert_eq!(fixtures(&exists.program), Vec::<Fixture>::new());
        let opts = kernel_options(exists);
        assert_eq!(opts, vec![("CONFIG_NET", "the check".to_string())]);
    }
}

//! The spec's `runner` facts and BTF recipe names, as lint sees them.

use mapspec_spec::{load_str, Diagnostic};
use std::path::Path;

const HASH: &str = include_str!("../maps/hash.yaml");
const STRUCT_OPS: &str = include_str!("../maps/struct_ops.yaml");

fn lint(name: &str, src: &str) -> Vec<Diagnostic> {
    load_str(Path::new(name), src).err().unwrap_or_default()
}

/// A map type whose maps libbpf cannot bind into a program object has no
/// kernel-side claims: each one is a lint error at its step.
#[test]
fn kernel_side_steps_on_an_unbindable_type_are_refused() {
    let src = HASH.replacen("base:\n", "runner: {no_program_binding: true}\nbase:\n", 1);
    let diags = lint("spec/maps/hash.yaml", &src);
    let refused: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.message.contains("no_program_binding"))
        .collect();
    assert!(!refused.is_empty(), "{diags:?}");
    let first_prog = src[..src.find("- prog_").unwrap()].matches('\n').count() + 1;
    assert!(refused.iter().any(|d| d.line == first_prog), "{refused:?}");
    assert!(lint("spec/maps/hash.yaml", HASH).is_empty());
}

#[test]
fn the_specs_that_need_facts_state_them() {
    let spec = load_str(Path::new("spec/maps/struct_ops.yaml"), STRUCT_OPS).unwrap();
    assert!(spec.runner.no_program_binding);
    for (name, src) in [
        ("sk_storage", include_str!("../maps/sk_storage.yaml")),
        ("inode_storage", include_str!("../maps/inode_storage.yaml")),
        ("task_storage", include_str!("../maps/task_storage.yaml")),
        ("cgrp_storage", include_str!("../maps/cgrp_storage.yaml")),
    ] {
        let path = format!("spec/maps/{name}.yaml");
        let spec = load_str(Path::new(&path), src).unwrap();
        assert!(spec.runner.elements_live_in_owner, "{name}");
    }
}

#[test]
fn an_unknown_btf_recipe_is_refused_with_a_suggestion() {
    let src = HASH.replacen("btf: spin_lock_value", "btf: spin_lock_valu", 1);
    let diags = lint("spec/maps/hash.yaml", &src);
    assert!(
        diags.iter().any(
            |d| d.message.contains("unknown BTF recipe `spin_lock_valu`")
                && d.message.contains("did you mean `spin_lock_value`")
        ),
        "{diags:?}"
    );
}

/// Fixture names are an enum too; a misspelt one is refused where it is
/// written, with the name meant, and one without an id cannot give one.
#[test]
fn an_unknown_fixture_is_refused_with_a_suggestion() {
    let src = include_str!("../maps/prog_array.yaml");
    assert!(src.contains("{fd: prog}"));
    let bad = src.replacen("{fd: prog}", "{fd: progg}", 1);
    let diags = lint("spec/maps/prog_array.yaml", &bad);
    let line = bad[..bad.find("progg").unwrap()].matches('\n').count() + 1;
    assert!(
        diags.iter().any(|d| d.line == line
            && d.message.contains("unknown fixture `progg`")
            && d.message.contains("did you mean `prog`")),
        "{diags:?}"
    );
    let no_id = src.replacen("{fd: prog}", "{id: tcp}", 1);
    let diags = lint("spec/maps/prog_array.yaml", &no_id);
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("unknown program or map fixture `tcp`")),
        "{diags:?}"
    );
}

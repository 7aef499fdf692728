//! Every map type a kernel knows has a spec.
//!
//! On this machine the kernel's own `enum bpf_map_type` is read from its
//! BTF (`/sys/kernel/btf/vmlinux`). For the matrix kernels, whose BTF is
//! only available inside the QEMU guests, `tests/data/matrix-map-types.txt`
//! records the enum of each one, read from the `.BTF` section of its
//! vmlinux (regenerate a line with `MAPSPEC_DUMP_BTF=<vmlinux ELF>` and
//! `cargo test --test completeness dump_map_types -- --nocapture`).

use mapspec_conformance::sys::btf::{
    compare_with_specs, map_types_from, KernelMapType, VMLINUX_BTF,
};
use std::path::{Path, PathBuf};

fn spec_types() -> Vec<(String, u32)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let specs = mapspec_spec::load_dir(&dir).expect("specs load");
    specs
        .iter()
        .map(|s| (s.map_type.clone(), s.type_value))
        .collect()
}

fn check(kernel_name: &str, kernel: &[KernelMapType]) -> Vec<String> {
    compare_with_specs(kernel, &spec_types())
        .into_iter()
        .map(|p| format!("{kernel_name}: {p}"))
        .collect()
}

#[test]
fn btf_every_map_type_of_this_kernel_has_a_spec() {
    if !Path::new(VMLINUX_BTF).exists() {
        panic!(
            "{VMLINUX_BTF} is missing: this test needs a kernel built with CONFIG_DEBUG_INFO_BTF"
        );
    }
    let kernel = map_types_from(VMLINUX_BTF).expect("the kernel's BTF parses");
    assert!(kernel.len() > 20, "implausibly few map types: {kernel:?}");
    let problems = check("this kernel", &kernel);
    assert!(
        problems.is_empty(),
        "{} map types without a matching spec:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `release NAME=VALUE NAME=VALUE ...` per line; `#` starts a comment.
fn matrix_lists() -> Vec<(String, Vec<KernelMapType>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/matrix-map-types.txt");
    let text = std::fs::read_to_string(&path).expect("matrix-map-types.txt is readable");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let release = words.next().expect("a release").to_string();
            let types = words
                .map(|w| {
                    let (name, value) = w.split_once('=').expect("NAME=VALUE");
                    KernelMapType {
                        name: name.to_string(),
                        value: value.parse().expect("a number"),
                    }
                })
                .collect();
            (release, types)
        })
        .collect()
}

#[test]
fn every_map_type_of_every_matrix_kernel_has_a_spec() {
    let lists = matrix_lists();
    assert!(
        lists.len() >= 4,
        "expected the four matrix kernels, found {}",
        lists.len()
    );
    let problems: Vec<String> = lists
        .iter()
        .flat_map(|(release, types)| check(release, types))
        .collect();
    assert!(
        problems.is_empty(),
        "{} map types without a matching spec:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Prints the line for `matrix-map-types.txt` of the vmlinux ELF (or raw
/// BTF) named by MAPSPEC_DUMP_BTF; does nothing without it.
#[test]
fn dump_map_types() {
    let Ok(path) = std::env::var("MAPSPEC_DUMP_BTF") else {
        return;
    };
    let types = map_types_from(&path).expect("BTF parses");
    let words: Vec<String> = types
        .iter()
        .map(|t| format!("{}={}", t.name, t.value))
        .collect();
    println!("RELEASE {}", words.join(" "));
}

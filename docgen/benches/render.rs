//! How long `mapspec docs` takes to render every page: loading the specs
//! and the results, and rendering. Target: under 76 ms for all of it.
//! Loading the specs (YAML scanned for positions, parsed, deserialized
//! and linted, in the spec crate) is about half of it; results files and
//! pages are read and rendered on every CPU.
//!
//!     cargo bench -p mapspec-docgen --bench render

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn results() -> Vec<PathBuf> {
    vec![
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ]
}

fn bench(c: &mut Criterion) {
    let specs = mapspec_docgen::load_specs(&root().join("spec/maps")).unwrap();
    let reports = mapspec_docgen::load_results(&results()).unwrap();
    c.bench_function("render every page", |b| {
        b.iter(|| mapspec_docgen::render(&specs, &reports).unwrap())
    });
    c.bench_function("load specs and results, render every page", |b| {
        b.iter(|| {
            let specs = mapspec_docgen::load_specs(&root().join("spec/maps")).unwrap();
            let reports = mapspec_docgen::load_results(&results()).unwrap();
            mapspec_docgen::render(&specs, &reports).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The kernel cache is shared: `cargo test` runs matrix tests in parallel,
//! CI shards may share a machine, and a developer's run may overlap them.
//! Two `mapspec matrix` runs on one empty cache must both succeed. Before
//! the cache was locked, they ran apt in the same private root at once and
//! one read the package the other was still writing or had removed
//! ("... .deb has no file matching boot/vmlinuz-...").
//!
//! Boots 5.10 twice under QEMU (hence `qemu_`) with a one-spec suite, and
//! needs the Debian archive (through this machine's apt sources). No
//! `--runner`: the runner is found the way a newcomer's run finds it
//! (MAPSPEC_RUNNER, or the checkout's static build).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn qemu_two_matrix_runs_share_one_empty_cache() {
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    // One small spec keeps each guest's suite to about a second.
    let specs = d.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::copy(top().join("spec/maps/rhash.yaml"), specs.join("rhash.yaml")).unwrap();
    let runs: Vec<_> = (1..=2)
        .map(|i| {
            let out = d.path().join(format!("out{i}"));
            let child = Command::new(env!("CARGO_BIN_EXE_mapspec"))
                // TCG: the KVM probe is not what this test is about.
                .args([
                    "matrix",
                    "--only",
                    "5.10",
                    "--accel",
                    "tcg",
                    "--timeout",
                    "90",
                ])
                .arg("--specs")
                .arg(&specs)
                .arg("--out")
                .arg(&out)
                .env("XDG_CACHE_HOME", &cache)
                .current_dir(top())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    for (out, child) in runs {
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "a matrix run on the shared cold cache failed ({}):\n{}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let results: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            results.len() == 1 && results[0].starts_with("5.10."),
            "{results:?} in {}",
            out.display()
        );
    }
    // One image and one unpacked kernel with its digest record: the second
    // run waited for the first one's fetch instead of fetching again.
    let images: Vec<String> = std::fs::read_dir(cache.join("mapspec/kernels/images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(images.len(), 3, "{images:?}");
    for suffix in [".vmlinuz", ".pvh-vmlinux", ".pvh-vmlinux.sha256"] {
        assert!(images.iter().any(|n| n.ends_with(suffix)), "{images:?}");
    }
}

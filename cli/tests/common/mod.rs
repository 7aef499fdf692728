//! What the `matrix` tests share: the tree's top, the static runner, the
//! locked Debian kernels in the user's cache, and the `mapspec matrix`
//! command that boots them.

#![allow(dead_code)] // each test binary uses a part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use mapspec_kernel_matrix::config::{self, KernelsFile, LockEntry, LockFile};
use mapspec_kernel_matrix::fetch;

pub fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The static runner: MAPSPEC_RUNNER if set, else built once per test run
/// by kernel-matrix/build-runner.sh (a release build: slow the first time).
pub fn runner() -> PathBuf {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| {
        if let Some(r) = std::env::var_os("MAPSPEC_RUNNER") {
            return PathBuf::from(r);
        }
        let out = Command::new(top().join("kernel-matrix/build-runner.sh"))
            .output()
            .expect("kernel-matrix/build-runner.sh runs");
        assert!(
            out.status.success(),
            "building the static runner failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        top().join(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

/// `mapspec matrix --runner RUNNER`, from the top of the tree.
pub fn matrix() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mapspec"));
    c.arg("matrix")
        .arg("--runner")
        .arg(runner())
        .current_dir(top());
    c
}

/// A locked kernel of kernels.yaml in the user's cache, fetched and
/// verified when missing (before any timing starts).
pub struct Cached {
    pub cache: PathBuf,
    pub image: PathBuf,
    pub entry: LockEntry,
}

pub fn cached_kernel(name: &str) -> Cached {
    let file = top().join("kernel-matrix/kernels.yaml");
    let ks = KernelsFile::load(&file).unwrap();
    let lock = LockFile::load(&file.with_extension("lock")).unwrap();
    let spec = ks.kernels.iter().find(|k| k.name == name).unwrap();
    let entry = lock
        .get(name)
        .unwrap_or_else(|| panic!("{name} is locked"))
        .clone();
    let cache = config::cache_dir().unwrap();
    let image = fetch::ensure_image(&cache, spec, &entry, &Default::default())
        .unwrap_or_else(|e| panic!("the {name} image is cached or fetched: {e}"))
        .0;
    Cached {
        cache,
        image,
        entry,
    }
}

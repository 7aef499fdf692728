//! What a matrix run is asked to do (`mapspec matrix`'s options), apart
//! from `matrix.rs` so that one kernel's boot (`kernel_boot`) can read them
//! without depending on the run that schedules it.

use std::path::PathBuf;
use std::time::Duration;

use crate::accel;
use crate::config::Shard;

pub struct Options {
    pub kernels_file: PathBuf,
    pub only: Vec<String>,
    pub jobs: usize,
    pub out_dir: PathBuf,
    pub check: bool,
    pub shard: Option<Shard>,
    pub update_lock: bool,
    pub timeout: Duration,
    pub runner: PathBuf,
    pub specs_dir: PathBuf,
    /// `--accel`: auto probes KVM and falls back to TCG.
    pub accel: accel::Choice,
    pub qemu: String,
    /// Defaults to `config::cache_dir()`.
    pub cache: Option<PathBuf>,
    /// `--mirror`; else kernels.yaml's, else the machine's apt sources.
    pub mirror: crate::mirror::MirrorOverride,
    pub memory_mb: u32,
    pub smp: u32,
}

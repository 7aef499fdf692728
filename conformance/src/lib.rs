//! The live conformance runner: every claim of every spec, executed through
//! bpf(2) on the running kernel.

pub mod exec;
pub mod fixtures;
pub mod kconfig;
pub mod kernel;
pub mod runner;
pub mod sys;

pub use kernel::detect_kernel;
pub use runner::{run, RunOptions};

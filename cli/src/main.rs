//! `mapspec`: one CLI over the spec model, the live runner, docgen and the
//! kernel matrix. Each subcommand lives in its own module.

mod cmd_docs;
mod cmd_lint;
mod cmd_matrix;
mod cmd_run;
mod runner_bin;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// `--specs`, the same in every subcommand: the directory holding
/// `maps/*.yaml` (or a directory of YAML specs), `spec` by default.
pub const DEFAULT_SPECS: &str = "spec";
pub const SPECS_HELP: &str =
    "The spec directory (holding maps/*.yaml) or a directory of YAML spec files";

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    /// A check failed, a spec is invalid, or docs/results drifted.
    pub const FAILED: u8 = 1;
    /// Usage or environment problem (not root, no qemu, unreadable file...).
    pub const ENV: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "mapspec",
    version,
    about = "The executable specification of eBPF map types"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate every spec file.
    Lint(cmd_lint::Args),
    /// Check every claim against the running kernel.
    Run(cmd_run::Args),
    /// Render Documentation/bpf from the specs and results.
    Docs(cmd_docs::Args),
    /// Boot Debian kernels in QEMU and run the suite in each.
    // Boxed: its many options would make every variant as large.
    Matrix(Box<cmd_matrix::Args>),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::ENV } else { exit::OK });
        }
    };
    let r = match cli.cmd {
        Cmd::Lint(a) => cmd_lint::main(a),
        Cmd::Run(a) => cmd_run::main(a),
        Cmd::Docs(a) => cmd_docs::main(a),
        Cmd::Matrix(a) => cmd_matrix::main(*a),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mapspec: error: {e:#}");
            ExitCode::from(exit::ENV)
        }
    }
}

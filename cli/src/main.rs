//! `mapspec`: one CLI over the spec model, the live runner, docgen and the
//! kernel matrix. Each subcommand lives in its own module.

mod cmd_diff;
mod cmd_docs;
mod cmd_lint;
mod cmd_matrix;
mod cmd_report;
mod cmd_run;
mod cmd_show;
mod kernel_tree;
mod matrix_exit;
mod matrix_image;
mod output;
mod run_text;
mod runner_bin;
mod signals;

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
    /// Render the compatibility report: every claim on every kernel, as HTML.
    Report(cmd_report::Args),
    /// Print one map type's tables from the results of one kernel or all.
    Show(cmd_show::Args),
    /// Compare two results files: the claims whose outcome differs.
    Diff(cmd_diff::Args),
}

fn main() -> ExitCode {
    output::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version go to stdout, which may be closed or full.
            if e.print().is_err() && !e.use_stderr() {
                output::out(&e.render().to_string());
            }
            output::flush();
            return ExitCode::from(if e.use_stderr() { exit::ENV } else { exit::OK });
        }
    };
    let r = match cli.cmd {
        Cmd::Lint(a) => cmd_lint::main(a),
        Cmd::Run(a) => cmd_run::main(a),
        Cmd::Docs(a) => cmd_docs::main(a),
        Cmd::Matrix(a) => cmd_matrix::main(*a),
        Cmd::Report(a) => cmd_report::main(a),
        Cmd::Show(a) => cmd_show::main(a),
        Cmd::Diff(a) => cmd_diff::main(a),
    };
    output::flush();
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mapspec: error: {}", output::escape_with(&chain(&e), true));
            ExitCode::from(exit::ENV)
        }
    }
}

/// The error and its causes joined by ": ", each cause said once. An error
/// type whose message already ends with its source's (`"cannot read {path}:
/// {source}"` with a `#[source]`) would otherwise repeat the OS error text.
fn chain(e: &anyhow::Error) -> String {
    let mut s = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if s.is_empty() {
            s = c;
        } else if !s.ends_with(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        #[derive(Debug)]
        struct Wrapped(std::io::Error);
        impl std::fmt::Display for Wrapped {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "cannot read /x: {}", self.0)
            }
        }
        impl std::error::Error for Wrapped {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::from_raw_os_error(2);
        let e = anyhow::Error::new(Wrapped(io)).context("cannot load the specs");
        let s = super::chain(&e);
        assert_eq!(s.matches("os error 2").count(), 1, "{s}");
        assert!(
            s.starts_with("cannot load the specs: cannot read /x: "),
            "{s}"
        );
    }
}

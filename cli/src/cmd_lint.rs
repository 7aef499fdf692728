//! `mapspec lint`: validate every spec and print `file:line:col: message`.

use crate::exit;
use mapspec_spec::LoadError;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The spec directory (holding maps/*.yaml) or a directory of YAML files.
    #[arg(long, default_value = "spec")]
    pub specs: PathBuf,
}

pub fn main(a: Args) -> anyhow::Result<u8> {
    match mapspec_spec::load_dir(&a.specs) {
        Ok(specs) => {
            let claims: usize = specs.iter().map(|s| s.claims().len()).sum();
            println!("{} specs, {} claims: ok", specs.len(), claims);
            Ok(exit::OK)
        }
        Err(LoadError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!("{} problem(s)", diagnostics.len());
            Ok(exit::FAILED)
        }
        Err(e @ LoadError::Io { .. }) => {
            Err(anyhow::Error::new(e).context("cannot read the specs"))
        }
    }
}

//! `mapspec matrix` (not yet implemented).

#[derive(clap::Args)]
pub struct Args {}

pub fn main(_a: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`mapspec matrix` is not implemented yet")
}

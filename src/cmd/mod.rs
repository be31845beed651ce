//! One module per `pimforge` subcommand.

pub mod config;
pub mod gen;
pub mod kfac;
pub mod refine;
pub mod synth;
pub mod train;
pub mod verify;

use clap::Args;
use pimforge::config::Valid;
use pimforge::design::Design;
use pimforge::emit::Fault;
use pimforge::load::{resolve, Source};
use std::path::PathBuf;

/// Where the config comes from: shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Named preset to start from (see `pimforge presets`); default `puma`.
    #[arg(long)]
    pub preset: Option<String>,
    /// YAML config file; its fields override the preset's.
    #[arg(long, value_name = "FILE.yaml")]
    pub config: Option<PathBuf>,
    /// Number of tiles in the array (overrides the config).
    #[arg(long)]
    pub tiles: Option<usize>,
}

impl ConfigArgs {
    pub fn resolve(&self) -> anyhow::Result<Valid> {
        resolve(&Source {
            preset: self.preset.as_deref(),
            file: self.config.as_deref(),
            tiles: self.tiles,
        })
    }

    /// The design of the resolved config, with `fault` injected into its RTL.
    pub fn design(&self, fault: Option<Fault>) -> anyhow::Result<Design> {
        Ok(Design::new(self.resolve()?, fault))
    }
}

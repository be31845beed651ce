//! One module per `pimforge` subcommand.

#[macro_use]
pub mod say;
pub mod config;
pub mod cost;
pub mod cost_args;
pub mod data;
pub mod deploy;
pub mod faults;
pub mod flags;
pub mod gen;
pub mod json_out;
pub mod junit;
pub mod kfac;
pub mod map;
pub mod mutate;
pub mod offsets;
pub mod plot;
pub mod presets;
pub mod refine;
pub mod regress;
pub mod regress_list;
pub mod replay;
pub mod sbpca;
pub mod solve;
pub mod study_args;
pub mod sweep;
pub mod sweep_file;
pub mod sweep_slurm;
pub mod synth;
pub mod train;
pub mod verify;
pub mod verify_report;

use clap::Args;
use pimforge_gen::config::Valid;
use pimforge_gen::design::Design;
use pimforge_gen::fault::Fault;
use pimforge_gen::load::{resolve, Source};
use std::path::PathBuf;

/// Where the config comes from: shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Named preset to start from (see `pimforge presets`); default `puma` (for `train`:
    /// `digits`, or `digits-mixed` with `--algorithm mixed`). A config file's `preset:` key
    /// must agree with it.
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
    /// Where the config comes from.
    pub fn source(&self) -> Source<'_> {
        Source {
            preset: self.preset.as_deref(),
            file: self.config.as_deref(),
            tiles: self.tiles,
            default_preset: None,
        }
    }

    /// How reports name the config: the file, else the preset, else the default preset.
    pub fn label(&self) -> String {
        let base = match (&self.config, &self.preset) {
            (Some(f), _) => f.display().to_string(),
            (None, Some(p)) => p.clone(),
            (None, None) => pimforge_gen::load::DEFAULT_PRESET.into(),
        };
        match self.tiles {
            Some(t) => format!("{base} --tiles {t}"),
            None => base,
        }
    }

    pub fn resolve(&self) -> anyhow::Result<Valid> {
        resolve(&self.source())
    }

    /// The design of the resolved config, with `fault` injected into its RTL.
    pub fn design(&self, fault: Option<Fault>) -> anyhow::Result<Design> {
        Ok(Design::new(self.resolve()?, fault))
    }
}

//! `pimforge config`: show the resolved config and what follows from it.

use super::ConfigArgs;
use clap::Args;
use pimforge_gen::config::Config;
use pimforge_gen::design::config_hash;
use serde::Serialize;

#[derive(Args, Debug)]
pub struct ConfigCmd {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Print JSON instead of YAML.
    #[arg(long)]
    pub json: bool,
}

/// Quantities the generator derives from a config.
#[derive(Serialize)]
pub struct Derived {
    pub config_hash: String,
    pub slices: usize,
    pub planes: usize,
    pub adcs_per_slice: usize,
    pub adc_exact: bool,
    pub current_bits: u32,
    pub accumulator_bits: u32,
    pub accumulator_frac_bits: u32,
    pub data_port_bits: u32,
    pub response_port_bits: u32,
    pub address_bits: u32,
    pub mvm_cycles: usize,
}

pub fn derived(cfg: &Config) -> Derived {
    let s = cfg.shape();
    Derived {
        config_hash: config_hash(cfg, None),
        slices: s.slices(),
        planes: s.planes(),
        adcs_per_slice: s.adcs(),
        adc_exact: s.adc_is_exact(),
        current_bits: s.current_bits(),
        accumulator_bits: s.acc_bits(),
        accumulator_frac_bits: cfg.weight.frac + cfg.input.frac,
        data_port_bits: s.data_bits(),
        response_port_bits: s.rsp_bits(),
        address_bits: s.addr_bits(),
        mvm_cycles: s.mvm_cycles(),
    }
}

#[derive(Serialize)]
struct Resolved<'a> {
    #[serde(flatten)]
    config: &'a Config,
    derived: Derived,
}

pub fn run(a: &ConfigCmd) -> anyhow::Result<()> {
    let cfg = a.cfg.resolve()?;
    let r = Resolved {
        config: &cfg,
        derived: derived(&cfg),
    };
    if a.json {
        say!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        say_raw!("{}", serde_norway::to_string(&r)?);
    }
    Ok(())
}

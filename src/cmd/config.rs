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
    /// Busy cycles of each tile operation (a solve's cycles depend on its iterations: see
    /// `inv_solve_cycles` and `stop_check_cycles`).
    pub mvm_cycles: usize,
    pub opa_cycles: usize,
    pub crs_cycles: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accumulate_cycles: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_cycles: Option<usize>,
    /// Cycles of one INV-crossbar solve (settling and conversion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inv_solve_cycles: Option<u32>,
    /// Cycles of the refinement controller's stop check after each update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_check_cycles: Option<u64>,
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
        opa_cycles: s.opa_cycles(),
        crs_cycles: s.crs_cycles(),
        accumulate_cycles: cfg.mixed.as_ref().map(|_| s.acc_cycles()),
        transfer_cycles: cfg.mixed.as_ref().map(|_| s.transfer_cycles()),
        inv_solve_cycles: cfg.inv.as_ref().map(|i| i.latency),
        stop_check_cycles: cfg
            .inv
            .as_ref()
            .map(|i| i.shape(cfg.weight.bits).stop_cycles()),
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

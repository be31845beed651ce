//! `pimforge verify`: lock-step regression of a generated design against the golden model.

use super::ConfigArgs;
use anyhow::bail;
use clap::Args;
use pimforge_flows::replay;
use pimforge_flows::tools::require;
use pimforge_flows::verify::{add_traced, prepare, verify};
use pimforge_gen::fault::Fault;
use pimforge_tb::Options;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Seed of everything random: stimulus, idle gaps, values on idle inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random MVM/MTVM products to run (weight loads, cell writes and error probes come with them).
    #[arg(long, default_value_t = 1000)]
    pub transactions: usize,
    /// Cycles of waveform to write before a mismatch.
    #[arg(long, default_value_t = 40)]
    pub wave_window: u64,
    /// Work directory: generated designs, the Verilator build cache, waveforms.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// Debug: verify RTL built with a deliberate bug: LINE:PLANE:BIT, opa-digit, crs-shift or
    /// refine-round (see `gen`).
    #[arg(long, value_name = "FAULT", hide = true)]
    pub inject_fault: Option<Fault>,
}

impl VerifyArgs {
    fn replay(&self) -> String {
        let src = self.cfg.source();
        replay::verify(&src, self.inject_fault, self.seed, self.transactions)
    }
}

pub fn run(a: &VerifyArgs) -> anyhow::Result<()> {
    let design = a.cfg.design(a.inject_fault)?;
    let cfg = design.config();
    require("verilator")?;
    let label = a.cfg.preset.as_deref().unwrap_or("puma");
    let mut prepared = prepare(&design, &a.work, false)?;
    say!(
        "pimforge verify: {label}: {} tiles of {}x{}, RTL in {}; Verilator model {} in {:.1} s",
        cfg.tiles,
        cfg.crossbar.rows,
        cfg.crossbar.cols,
        prepared.rtl_dir.display(),
        if prepared.compiled { "built" } else { "cached" },
        prepared.build_seconds
    );
    let no_waves = Options {
        seed: a.seed,
        replay: a.replay(),
        wave_dir: None,
        wave_window: a.wave_window,
    };
    if let Ok(summary) = verify(&prepared, a.transactions, &no_waves)? {
        say!("PASS {label} seed {}: {summary}", a.seed);
        return Ok(());
    }
    // Replay with the traced model, which writes the waveforms of the cycles before the mismatch.
    warn!("mismatch: building the traced model for waveforms");
    add_traced(&design, &mut prepared, &a.work)?;
    let opts = Options {
        wave_dir: Some(a.work.join("waves")),
        ..no_waves
    };
    let m = match verify(&prepared, a.transactions, &opts)? {
        Err(m) => m,
        Ok(_) => bail!("the mismatch did not reproduce with the traced model"),
    };
    warn!("FAIL {label} seed {}\n{}", a.seed, m.to_string().trim_end());
    bail!("verification failed at cycle {}", m.cycle)
}

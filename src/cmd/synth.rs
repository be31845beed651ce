//! `pimforge synth`: Yosys synthesis of every digital module, with a per-module report.

use super::ConfigArgs;
use clap::Args;
use pimforge_flows::synth::synth_module;
use pimforge_flows::tools::require;
use pimforge_gen::emit::digital_modules;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SynthArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Work directory: the generated design and Yosys logs go under synth/<config hash>/.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
}

pub fn run(a: &SynthArgs) -> anyhow::Result<()> {
    let design = a.cfg.design(None)?;
    let cfg = design.config();
    require("yosys")?;
    let hash = &design.hash;
    let base = a.work.join("synth").join(hash);
    let rtl = base.join("rtl");
    pimforge_gen::emit::write(&design, &rtl, "--work")?;
    let label = match (&a.cfg.preset, &a.cfg.config) {
        (_, Some(file)) => file.display().to_string(),
        (Some(p), None) => p.clone(),
        (None, None) => "puma".into(),
    };
    say!(
        "pimforge synth: {label} ({} tiles of {}x{}), Yosys logs in {}",
        cfg.tiles,
        cfg.crossbar.rows,
        cfg.crossbar.cols,
        base.join("yosys").display()
    );
    say!(
        "{:<16} {:>12} {:>14} {:>8} {:>9}",
        "module",
        "cells",
        "transistors",
        "depth",
        "seconds"
    );
    let mut reports = Vec::new();
    let modules = digital_modules(cfg);
    for m in &modules {
        let r = synth_module(&rtl, &base.join("yosys"), &modules, m)?;
        say!(
            "{:<16} {:>12} {:>14} {:>8} {:>9.1}",
            r.module,
            r.cells,
            r.transistors,
            r.depth,
            r.seconds
        );
        reports.push(r);
    }
    say!("(pim_tile: one whole tile, flattened, crossbars as black boxes; pim_array: totals over all tiles, depth of the array's own logic)");
    if cfg.inv.is_some() {
        say!("(pim_refine: the refinement controller, flattened, its INV crossbar pim_inv as a black box)");
    }
    if let Some(path) = &a.json {
        let doc = serde_json::json!({ "config": cfg, "config_hash": hash, "modules": reports });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")?;
    }
    Ok(())
}

//! `pimforge synth`: Yosys synthesis of every digital module, with a per-module report.

use super::flags::count;
use super::json_out::JsonOut;
use super::ConfigArgs;
use clap::Args;
use pimforge_flows::synth::{synth_module, ModuleReport};
use pimforge_flows::tools::require;
use pimforge_gen::emit::{digital_modules, TILE};
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
    /// Go ahead with a design estimated above the limits (see `gen --allow-large`).
    #[arg(long)]
    pub allow_large: bool,
}

pub fn run(a: &SynthArgs, dry: bool) -> anyhow::Result<()> {
    let design = a.cfg.design(None)?;
    pimforge_gen::emit::estimate(&design).check(a.allow_large)?;
    let cfg = design.config();
    require("yosys")?;
    // The report's file is checked, and made, before the synthesis runs.
    let json = match &a.json {
        Some(path) => Some(JsonOut::create(
            path,
            &["modules", "config_hash"],
            "pimforge synth",
        )?),
        None => None,
    };
    if dry {
        say!(
            "pimforge: dry run: would synthesise {} (config {})",
            a.cfg.label(),
            design.hash
        );
        return Ok(());
    }
    let hash = &design.hash;
    let base = a.work.join("synth").join(hash);
    let rtl = base.join("rtl");
    pimforge_gen::emit::write(&design, &rtl, "--work")?;
    let label = a.cfg.label();
    say!(
        "pimforge synth: {label} ({} of {}x{}), Yosys logs in {}",
        count(cfg.tiles, "tile"),
        cfg.crossbar.rows,
        cfg.crossbar.cols,
        base.join("yosys").display()
    );
    say!(
        "{:<16} {:>10} {:>11} {:>14} {:>14} {:>8} {:>9}",
        "module",
        "cells",
        "flip-flops",
        "transistors",
        "area (um^2)",
        "depth",
        "seconds"
    );
    let mut reports = Vec::new();
    let modules = digital_modules(cfg);
    for m in &modules {
        let tile = reports.iter().find(|r: &&ModuleReport| r.module == TILE);
        let r = synth_module(&rtl, &base.join("yosys"), &modules, m, tile)?;
        say!(
            "{:<16} {:>10} {:>11} {:>14} {:>14.0} {:>8} {:>9.1}",
            r.module,
            r.cells,
            r.flip_flops,
            r.transistors,
            r.area_um2,
            r.depth,
            r.seconds
        );
        reports.push(r);
    }
    say!("(pim_tile: one whole tile, flattened, crossbars as black boxes; pim_array: its own logic plus every tile's pim_tile figures, depth of the array's own logic; area at 32 nm, one NAND2 of {:.3} um^2 per four transistors: docs/cost.md)", pimforge_flows::synth::NAND2_UM2);
    if cfg.inv.is_some() {
        say!("(pim_refine: the refinement controller, flattened, its INV crossbar pim_inv as a black box)");
    }
    if cfg.lowrank.is_some() {
        say!("(pim_lowrank: SBPCA's low-rank unit, flattened, beside the array)");
    }
    if let Some(out) = json {
        let doc = serde_json::json!({ "config": cfg, "config_hash": hash, "modules": reports });
        out.finish(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}

//! Renders the SystemVerilog of a design: the package of the hardware contract, one module per
//! template, file lists, the resolved config and device files. Rendering is pure and
//! deterministic: the same design gives byte-identical files. Everything the templates print is
//! computed in [`context`], one typed context per template family.

pub mod context;
pub mod core;

use crate::config::Config;
use crate::design::Design;
use crate::output::write_tree;
use anyhow::Result;
use askama::Template;
use context::{
    AdcSv, ArraySv, CountersSv, DacSv, EventsSv, InvSv, LowRankCtx, LowRankSoloSv, LowRankSv,
    MixedSv, PkgCtx, RefineSv, ShiftAddSv, SolverCtx, SolverSv, TikiSv, TileCtrlSv, TileCtx,
    TileSv, XbarSv,
};
use pimforge_golden::lowrank::unit::LowRankUnit;
use pimforge_golden::solver::{InvUnit, RefineUnit};
use pimforge_golden::{ArrayModel, Interface};
use std::path::{Path, PathBuf};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Top module of the generated design.
pub const TOP: &str = <ArrayModel as Interface>::TOP;
/// One tile: what the array repeats (and what synthesis reports the array's totals in).
pub const TILE: &str = "pim_tile";
/// The behavioral analog model: simulated, never synthesised.
pub const ANALOG_MODULES: &[&str] = &["pim_xbar", "pim_inv"];
/// Digital modules, leaves first (the order of the file list); `pim_mixed` only with a `mixed`
/// config section, `pim_refine` only with an `inv` one, `pim_lowrank` only with a `lowrank` one (synthesis reports the solver
/// `pim_solver` by its parts: `pim_refine` and `pim_tile`).
pub const DIGITAL_MODULES: &[&str] = &[
    "pim_dac",
    "pim_adc",
    "pim_shift_add",
    "pim_counters",
    "pim_events",
    "pim_tile_ctrl",
    "pim_mixed",
    "pim_tiki",
    "pim_lowrank",
    TILE,
    "pim_array",
    "pim_refine",
];

/// The digital modules a config's design has, leaves first.
pub fn digital_modules(cfg: &Config) -> Vec<&'static str> {
    DIGITAL_MODULES
        .iter()
        .copied()
        .filter(|m| *m != "pim_mixed" || cfg.mixed.is_some())
        .filter(|m| *m != "pim_tiki" || cfg.tiki.is_some())
        .filter(|m| *m != "pim_refine" || cfg.inv.is_some())
        .filter(|m| *m != "pim_lowrank" || cfg.lowrank.is_some())
        .collect()
}
pub const FILE_LIST: &str = "pimforge.f";
/// The package of the hardware contract, first in every file list.
pub const PACKAGE: &str = "pim_pkg";
pub const CONFIG_FILE: &str = "pimforge.yaml";
/// File list of the standalone INV crossbar (configs with an `inv` section).
pub const INV_FILE_LIST: &str = "pim_inv.f";
/// Top of the standalone INV crossbar.
pub const INV_TOP: &str = <InvUnit as Interface>::TOP;
/// File list and top of the high-precision solver: the refinement controller, its INV crossbar
/// and its tile.
pub const SOLVER_FILE_LIST: &str = "pim_solver.f";
pub const SOLVER_TOP: &str = <RefineUnit as Interface>::TOP;
/// File list and top of SBPCA's low-rank unit on its own (configs with a `lowrank` section; in
/// the array, `pim_lowrank` is part of every tile).
pub const LOWRANK_FILE_LIST: &str = "pim_lowrank.f";
pub const LOWRANK_TOP: &str = <LowRankUnit as Interface>::TOP;

/// Renders every file of the design: `(file name, contents)`, in file-list order.
pub fn render(d: &Design) -> Vec<(String, String)> {
    let cfg = d.config();
    let ctx = TileCtx::new(d);
    let lowrank = LowRankCtx::new(d);
    let lowrank_sv = lowrank.as_ref().map(|ctx| LowRankSv { ctx }.render());
    let modules: Vec<(&str, String)> = vec![
        (PACKAGE, PkgCtx::new(d).render()),
        ("pim_xbar", XbarSv { ctx: &ctx }.render()),
        ("pim_dac", DacSv { ctx: &ctx }.render()),
        ("pim_adc", AdcSv { ctx: &ctx }.render()),
        ("pim_shift_add", ShiftAddSv { ctx: &ctx }.render()),
        ("pim_counters", CountersSv { ctx: &ctx }.render()),
        ("pim_events", EventsSv { ctx: &ctx }.render()),
        ("pim_tile_ctrl", TileCtrlSv { ctx: &ctx }.render()),
        ("pim_mixed", MixedSv { ctx: &ctx }.render()),
        ("pim_tiki", TikiSv { ctx: &ctx }.render()),
        ("pim_lowrank", lowrank_sv.unwrap_or(Ok(String::new()))),
        (TILE, TileSv { ctx: &ctx }.render()),
        ("pim_array", ArraySv { ctx: &ctx }.render()),
    ]
    .into_iter()
    .filter(|(n, _)| *n != "pim_mixed" || cfg.mixed.is_some())
    .filter(|(n, _)| *n != "pim_tiki" || cfg.tiki.is_some())
    .filter(|(n, _)| *n != "pim_lowrank" || cfg.lowrank.is_some())
    .map(|(n, r)| (n, r.expect("templates render")))
    .collect();
    let mut files: Vec<(String, String)> = modules
        .iter()
        .map(|(n, text)| (format!("{n}.sv"), tidy(text)))
        .collect();
    let list: String = modules.iter().map(|(n, _)| format!("{n}.sv\n")).collect();
    files.push((FILE_LIST.into(), list));
    // The analog models' black boxes, for synthesis by the core's `synth` target.
    for (n, text) in modules.iter().filter(|(n, _)| ANALOG_MODULES.contains(n)) {
        let stub = core::black_box(text).expect("a template's port list ends with `\n);`");
        files.push((core::box_file(n), stub));
    }
    if let Some(ctx) = SolverCtx::new(d) {
        // The solver beside the array: the INV crossbar, the refinement controller and its own
        // tile (the array's tile modules).
        let ctx = &ctx;
        let solver = [
            ("pim_inv", InvSv { ctx }.render()),
            ("pim_refine", RefineSv { ctx }.render()),
            ("pim_solver", SolverSv { ctx }.render()),
        ];
        let mut list: String = modules
            .iter()
            .filter(|(n, _)| *n != TOP)
            .map(|(n, _)| format!("{n}.sv\n"))
            .collect();
        for (n, r) in solver {
            files.push((format!("{n}.sv"), tidy(&r.expect("templates render"))));
            list += &format!("{n}.sv\n");
        }
        files.push((INV_FILE_LIST.into(), format!("{PACKAGE}.sv\npim_inv.sv\n")));
        files.push((SOLVER_FILE_LIST.into(), list));
    }
    if let Some(ctx) = &lowrank {
        let text = LowRankSoloSv { ctx }.render().expect("templates render");
        files.push((format!("{LOWRANK_TOP}.sv"), tidy(&text)));
        files.push((
            LOWRANK_FILE_LIST.into(),
            format!("{PACKAGE}.sv\npim_lowrank.sv\n{LOWRANK_TOP}.sv\n"),
        ));
    }
    if cfg.device.has_variation() {
        for t in 0..d.tiles() {
            for (m, devices) in d.devices(t).iter().enumerate() {
                files.push((device_file(t, m), pimforge_golden::device::to_memh(devices)));
            }
        }
    }
    for t in 0..d.tiles() {
        if let Some((devices, refs)) = d.tiki_a(t) {
            let a = pimforge_golden::protocol::A_ARRAY;
            if cfg.device.has_variation() {
                files.push((
                    device_file(t, a),
                    pimforge_golden::device::to_memh(&devices),
                ));
            }
            files.push((reference_file(t, a), references_memh(&refs)));
        }
    }
    let names: Vec<&str> = modules.iter().map(|(n, _)| *n).collect();
    files.push((core::CORE_FILE.into(), core::render(d, &names, &files)));
    files.push((core::YOSYS_SCRIPT.into(), core::yosys_script()));
    let yaml = serde_norway::to_string(cfg).expect("config serialises");
    files.push((
        CONFIG_FILE.into(),
        format!(
            "# Config of the design in this directory (pimforge {VERSION}, hash {}).\n{yaml}",
            d.hash
        ),
    ));
    files
}

/// Writes the design's files into `dir` (atomically; see [`write_tree`]) and returns them;
/// `flag` names the option `dir` came from, for messages.
pub fn write(d: &Design, dir: &Path, flag: &str) -> Result<Vec<(String, String)>> {
    let files = render(d);
    write_tree(dir, &files, flag)?;
    Ok(files)
}

/// Writes the design into `work/designs/<hash>/` and returns that directory. Designs there are
/// shared by concurrent runs (parallel tests): only files that differ are written, and losing the
/// race to a writer of the same files is fine.
pub fn work_dir(d: &Design, work: &Path) -> Result<PathBuf> {
    let dir = work.join("designs").join(&d.hash);
    let files = render(d);
    let current = || {
        files
            .iter()
            .all(|(name, text)| std::fs::read_to_string(dir.join(name)).is_ok_and(|t| &t == text))
    };
    if !current() {
        if let Err(e) = write_tree(&dir, &files, "--work") {
            if !current() {
                return Err(e);
            }
        }
    }
    Ok(dir)
}

/// What a design costs to write and to build, estimated before any work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Bytes of the generated files (device files dominate; the modules are ~100 KB).
    pub output_bytes: u64,
    /// Peak memory of Verilator elaborating the design (`--lint-only` measured 3.8 KB per cell
    /// with Verilator 5.006: 138 MB for 2 tiles of 128x128, 508 MB for 8, 3.9 GB for 64; the C++
    /// compile of a model comes on top and is not estimated).
    pub verilator_bytes: u64,
}

/// Largest output written without `--allow-large`.
pub const MAX_OUTPUT_BYTES: u64 = 1 << 30;
/// Largest estimated Verilator memory accepted without `--allow-large` (the default 64-tile
/// array needs 3.9 GB; 128 tiles of 128x128 about 8 GB).
pub const MAX_VERILATOR_BYTES: u64 = 8 << 30;
/// Verilator's memory per cell, measured (see [`Estimate::verilator_bytes`]).
const VERILATOR_BYTES_PER_CELL: u64 = 3_800;
const VERILATOR_BASE_BYTES: u64 = 100 << 20;
const MODULE_BYTES: u64 = 200 << 10;

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

/// The output size and Verilator memory of a design, from its shape alone.
pub fn estimate(d: &Design) -> Estimate {
    let cells = (d.tiles() * d.shape.rows * d.shape.cols) as u64;
    let arrays = d.shape.slices() as u64 + d.shape.tiki.is_some() as u64;
    let device_files = match d.config().device.has_variation() {
        true => cells * arrays * (pimforge_golden::protocol::entry::HEX_DIGITS as u64 + 1),
        false => 0,
    } + cells * 9 * d.shape.tiki.is_some() as u64;
    Estimate {
        output_bytes: MODULE_BYTES + device_files,
        verilator_bytes: VERILATOR_BASE_BYTES + cells * VERILATOR_BYTES_PER_CELL,
    }
}

impl Estimate {
    /// Refuses a design above [`MAX_OUTPUT_BYTES`] or [`MAX_VERILATOR_BYTES`] unless `allow`.
    pub fn check(&self, allow: bool) -> Result<()> {
        if allow {
            return Ok(());
        }
        if self.output_bytes > MAX_OUTPUT_BYTES {
            anyhow::bail!(
                "this design writes about {} of files (device files of every cell of every tile); the limit is {}: use fewer or smaller tiles, no device variation, or --allow-large",
                gib(self.output_bytes),
                gib(MAX_OUTPUT_BYTES)
            );
        }
        if self.verilator_bytes > MAX_VERILATOR_BYTES {
            anyhow::bail!(
                "Verilator would need about {} of memory to build this design (3.8 KB per cell, measured); the limit is {}: use fewer or smaller tiles, or --allow-large",
                gib(self.verilator_bytes),
                gib(MAX_VERILATOR_BYTES)
            );
        }
        Ok(())
    }
}

/// The device files' name, around the tile and slice numbers (the RTL builds it with
/// `$sformatf` from the same pieces).
pub const DEVICE_FILE: [&str; 3] = ["pim_dev_t", "_s", ".memh"];

/// Name of the device file of slice `slice` of tile `tile` (read by `pim_xbar` and the golden
/// model).
pub fn device_file(tile: usize, slice: usize) -> String {
    let [prefix, between, ext] = DEVICE_FILE;
    format!("{prefix}{tile}{between}{slice}{ext}")
}

/// The reference files' name, around the tile and slice numbers (Tiki-Taka's A).
pub const REFERENCE_FILE: [&str; 3] = ["pim_ref_t", "_s", ".memh"];

/// Name of the reference file of array `slice` of tile `tile`.
pub fn reference_file(tile: usize, slice: usize) -> String {
    let [prefix, between, ext] = REFERENCE_FILE;
    format!("{prefix}{tile}{between}{slice}{ext}")
}

/// A reference file: one 32-bit two's-complement hexadecimal entry per cell, row-major.
pub fn references_memh(refs: &[i64]) -> String {
    refs.iter()
        .map(|&r| format!("{:08x}\n", r as u32))
        .collect()
}

/// Strips trailing spaces and ends the file with exactly one newline.
fn tidy(text: &str) -> String {
    let mut out: String = text
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use pimforge_golden::device::{from_memh, to_memh};

    /// The device files the RTL reads hold exactly the devices of the design's cells.
    #[test]
    fn device_files_hold_the_cells_devices() {
        let d = Design::new(preset("noisy").unwrap().validated().unwrap(), None);
        let files = render(&d);
        for (t, cells) in d.cells().iter().enumerate() {
            for (m, devices) in cells.devices.iter().enumerate() {
                let name = device_file(t, m);
                let text = &files.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_eq!(text, &to_memh(devices));
                assert_eq!(&from_memh(text).unwrap(), devices);
            }
        }
        assert!(d.cells().iter().any(|c| c.devices[0][0] != c.devices[0][1]));
    }
}

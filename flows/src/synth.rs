//! Synthesis of the digital blocks with Yosys: cells, a transistor estimate (`stat -tech cmos`)
//! and logic depth (`ltp -noff`) per module.
//!
//! The behavioral crossbars (`pim_xbar`, and `pim_inv` when generated) are black boxes: Yosys
//! reads only their interfaces (the module header up to the end of its port list; their bodies
//! use SystemVerilog Yosys does not parse). Every module is
//! synthesised flattened (so its depth crosses its submodules) except the array top, which keeps
//! its tiles as one shared hierarchical module and reports totals over the hierarchy.

use crate::tools::run;
use anyhow::{anyhow, Result};
use pimforge_gen::emit::core::{black_box, box_file};
use pimforge_gen::emit::{ANALOG_MODULES, PACKAGE, TOP};
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// Area of a two-input NAND (four transistors) at 32 nm, the node of the cost tables: the
/// Nangate 45 nm Open Cell Library's NAND2_X1 (0.57 um x 1.4 um = 0.798 um^2) scaled by
/// (32 / 45)^2.
pub const NAND2_UM2: f64 = 0.798 * (32.0 / 45.0) * (32.0 / 45.0);

#[derive(Clone, Debug, Serialize)]
pub struct ModuleReport {
    pub module: String,
    /// Cells after `synth` (totals over the hierarchy for the array top).
    pub cells: u64,
    /// Flip-flops among them (one bit each: Yosys's `$_DFF*`, `$_SDFF*` and `$_ALDFF*` cells).
    pub flip_flops: u64,
    /// `stat -tech cmos` estimate.
    pub transistors: u64,
    /// Area at 32 nm from the transistor estimate: [`NAND2_UM2`] per four transistors.
    pub area_um2: f64,
    /// Longest combinational path in cells, flip-flops cut (`ltp -noff`).
    pub depth: u64,
    pub seconds: f64,
}

fn script(module: &str, analog: &[&str], digital: &[&str], work: &Path) -> String {
    let lib: Vec<String> = analog
        .iter()
        .map(|m| work.join(box_file(m)).display().to_string())
        .collect();
    let digital: Vec<String> = digital.iter().map(|m| format!("{m}.sv")).collect();
    let flatten = if module == TOP { "" } else { " -flatten" };
    // The package first: the black boxes' port lists and every module use its constants.
    format!(
        "read_verilog -sv {PACKAGE}.sv\nread_verilog -sv -lib {}\nread_verilog -sv {}\nhierarchy -check -top {module}\nsynth -top {module}{flatten}\ntee -o {module}.stat.txt stat -tech cmos\ntee -o {module}.ltp.txt ltp -noff {module}\n",
        lib.join(" "),
        digital.join(" ")
    )
}

/// The last number after `key` in `text`.
fn last_number(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .rev()
        .filter(|l| l.contains(key))
        .filter_map(|l| {
            l[l.find(key)? + key.len()..]
                .trim()
                .trim_start_matches(['=', ':'])
                .trim()
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .next()
}

/// Synthesises `module` of the design in `rtl_dir`, working in `work`.
pub fn synth_module(
    rtl_dir: &Path,
    work: &Path,
    digital: &[&str],
    module: &str,
) -> Result<ModuleReport> {
    let t0 = std::time::Instant::now();
    std::fs::create_dir_all(work)?;
    let rtl = std::fs::canonicalize(rtl_dir)?;
    let work_abs = std::fs::canonicalize(work)?;
    let analog: Vec<&str> = ANALOG_MODULES
        .iter()
        .copied()
        .filter(|m| rtl.join(format!("{m}.sv")).is_file())
        .collect();
    for m in &analog {
        let text = std::fs::read_to_string(rtl.join(format!("{m}.sv")))?;
        let stub = black_box(&text).ok_or_else(|| anyhow!("no port list in {m}.sv"))?;
        std::fs::write(work_abs.join(box_file(m)), stub)?;
    }
    let ys = work.join(format!("{module}.ys"));
    std::fs::write(&ys, script(module, &analog, digital, &work_abs))?;
    let log = work.join(format!("{module}.log"));
    run(
        Command::new("yosys")
            .arg("-q")
            .arg("-l")
            .arg(std::fs::canonicalize(work)?.join(format!("{module}.log")))
            .arg(std::fs::canonicalize(&ys)?),
        &rtl,
    )?;
    let stat = std::fs::read_to_string(rtl.join(format!("{module}.stat.txt")))?;
    let ltp = std::fs::read_to_string(rtl.join(format!("{module}.ltp.txt")))?;
    // Keep the rtl directory exactly as generated: the reports belong to the work directory.
    for ext in ["stat.txt", "ltp.txt"] {
        std::fs::rename(
            rtl.join(format!("{module}.{ext}")),
            work.join(format!("{module}.{ext}")),
        )?;
    }
    let missing = |what: &str| anyhow!("no {what} for {module} in {}", log.display());
    let transistors = last_number(&stat, "Estimated number of transistors")
        .ok_or_else(|| missing("transistor estimate"))?;
    Ok(ModuleReport {
        module: module.to_string(),
        cells: last_number(&stat, "Number of cells").ok_or_else(|| missing("cell count"))?,
        flip_flops: flip_flops(&stat),
        transistors,
        area_um2: transistors as f64 / 4.0 * NAND2_UM2,
        depth: last_number(&ltp, "(length").ok_or_else(|| missing("logic depth"))?,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Flip-flops of the last cell breakdown of a `stat` report (the whole hierarchy's, for a top
/// with submodules): the cell types after its last `Number of cells` line.
fn flip_flops(stat: &str) -> u64 {
    let Some(at) = stat.rfind("Number of cells") else {
        return 0;
    };
    stat[at..]
        .lines()
        .skip(1)
        .map_while(|l| {
            let mut t = l.split_whitespace();
            Some((t.next()?, t.next()?.parse::<u64>().ok()?))
        })
        .filter(|(cell, _)| cell.starts_with("$_") && cell.contains("DFF"))
        .map(|(_, n)| n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_flops_are_counted_in_the_last_breakdown() {
        let stat = "=== pim_dac ===\n   Number of cells:  10\n     $_DFF_PN0_   3\n     $_AND_  7\n\n=== design hierarchy ===\n   Number of cells:   25\n     $_ANDNOT_   9\n     $_DFFE_PN0P_   4\n     $_SDFFCE_PN0P_   2\n     $_DLATCH_P_   1\n     pim_xbar   8\n\n   Estimated number of transistors:  100+\n";
        assert_eq!(flip_flops(stat), 6);
        assert_eq!(flip_flops("no stat"), 0);
    }

    #[test]
    fn parses_yosys_report_lines() {
        let stat = "=== pim_dac ===\n   Number of cells:                208\n   Estimated number of transistors:       5468+\n";
        assert_eq!(last_number(stat, "Number of cells"), Some(208));
        assert_eq!(
            last_number(stat, "Estimated number of transistors"),
            Some(5468)
        );
        let ltp = "Longest topological path in pim_dac (length=12):\n";
        assert_eq!(last_number(ltp, "(length"), Some(12));
    }
}

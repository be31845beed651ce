//! Synthesis of the digital blocks with Yosys: cells, a transistor estimate (`stat -tech cmos`)
//! and logic depth (`ltp -noff`) per module.
//!
//! The behavioral crossbars (`pim_xbar`, and `pim_inv` when generated) are black boxes: Yosys
//! reads only their interfaces (the module header up to the end of its port list; their bodies
//! use SystemVerilog Yosys does not parse). Every module is synthesised flattened (so its depth
//! crosses its submodules) except the array top. The array is synthesised with its tile as a
//! black box too, and reports its own logic plus one flattened tile's figures per tile: the
//! tile, already synthesised on its own, is not synthesised again (for the 4x4 solver's design
//! that was a fifth of the whole synthesis).

use crate::tools::run;
use anyhow::{anyhow, Result};
use pimforge_gen::emit::core::{black_box, box_file};
use pimforge_gen::emit::{ANALOG_MODULES, PACKAGE, TILE, TOP};
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

fn script(module: &str, boxes: &[&str], digital: &[&str], work: &Path) -> String {
    let lib: Vec<String> = boxes
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

/// Synthesises `module` of the design in `rtl_dir`, working in `work`. The array top needs its
/// tile's report (`tile`), which it adds once per tile instance to its own logic.
pub fn synth_module(
    rtl_dir: &Path,
    work: &Path,
    digital: &[&str],
    module: &str,
    tile: Option<&ModuleReport>,
) -> Result<ModuleReport> {
    let t0 = std::time::Instant::now();
    std::fs::create_dir_all(work)?;
    let rtl = std::fs::canonicalize(rtl_dir)?;
    let work_abs = std::fs::canonicalize(work)?;
    // Black boxes: the analog modules, and the array's tile.
    let mut boxes: Vec<&str> = ANALOG_MODULES
        .iter()
        .copied()
        .filter(|m| rtl.join(format!("{m}.sv")).is_file())
        .collect();
    let mut digital = digital.to_vec();
    let tile = match (module == TOP, tile) {
        (true, Some(t)) => {
            boxes.push(TILE);
            digital.retain(|m| *m != TILE);
            Some(t)
        }
        (true, None) => return Err(anyhow!("{TOP} is synthesised after {TILE}: no tile report")),
        (false, _) => None,
    };
    for m in &boxes {
        let text = std::fs::read_to_string(rtl.join(format!("{m}.sv")))?;
        let stub = black_box(&text).ok_or_else(|| anyhow!("no port list in {m}.sv"))?;
        std::fs::write(work_abs.join(box_file(m)), stub)?;
    }
    let ys = work.join(format!("{module}.ys"));
    std::fs::write(&ys, script(module, &boxes, &digital, &work_abs))?;
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
    let own = ModuleReport {
        module: module.to_string(),
        cells: last_number(&stat, "Number of cells").ok_or_else(|| missing("cell count"))?,
        flip_flops: flip_flops(&stat),
        transistors,
        area_um2: transistors as f64 / 4.0 * NAND2_UM2,
        depth: last_number(&ltp, "(length").ok_or_else(|| missing("logic depth"))?,
        seconds: t0.elapsed().as_secs_f64(),
    };
    match tile {
        Some(tile) => with_tiles(own, &stat, tile).ok_or_else(|| missing("tile instance")),
        None => Ok(own),
    }
}

/// The array's own logic (`own`, its tiles black boxes) plus one tile's figures for each tile
/// instance in its `stat` report; `None` without a tile instance.
fn with_tiles(own: ModuleReport, stat: &str, tile: &ModuleReport) -> Option<ModuleReport> {
    // Each instance is one black-box cell (`pim_tile`, or `$paramod...\pim_tile`).
    let tiles: u64 = breakdown(stat)
        .filter(|(cell, _)| cell.rsplit('\\').next() == Some(TILE))
        .map(|(_, n)| n)
        .sum();
    let transistors = own.transistors + tiles * tile.transistors;
    (tiles > 0).then(|| ModuleReport {
        cells: own.cells - tiles + tiles * tile.cells,
        flip_flops: own.flip_flops + tiles * tile.flip_flops,
        transistors,
        area_um2: transistors as f64 / 4.0 * NAND2_UM2,
        ..own
    })
}

/// Flip-flops of the last cell breakdown of a `stat` report.
fn flip_flops(stat: &str) -> u64 {
    breakdown(stat)
        .filter(|(cell, _)| cell.starts_with("$_") && cell.contains("DFF"))
        .map(|(_, n)| n)
        .sum()
}

/// The last cell breakdown of a `stat` report (the whole hierarchy's, for a top with
/// submodules): the cell types and counts after its last `Number of cells` line.
fn breakdown(stat: &str) -> impl Iterator<Item = (&str, u64)> {
    let at = stat.rfind("Number of cells").unwrap_or(stat.len());
    stat[at..].lines().skip(1).map_while(|l| {
        let mut t = l.split_whitespace();
        Some((t.next()?, t.next()?.parse::<u64>().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_cell_breakdown_is_read() {
        let stat = "=== pim_dac ===\n   Number of cells:  10\n     $_DFF_PN0_   3\n     $_AND_  7\n\n=== design hierarchy ===\n   Number of cells:   25\n     $_ANDNOT_   9\n     $_DFFE_PN0P_   4\n     $_SDFFCE_PN0P_   2\n     $_DLATCH_P_   1\n     pim_xbar   8\n\n   Estimated number of transistors:  100+\n";
        let cells: Vec<(&str, u64)> = breakdown(stat).collect();
        assert_eq!(cells.len(), 5);
        assert_eq!(cells[1], ("$_DFFE_PN0P_", 4));
        assert_eq!(cells[4], ("pim_xbar", 8));
        assert_eq!(breakdown("no stat").count(), 0);
        assert_eq!(flip_flops(stat), 6);
        assert_eq!(flip_flops("no stat"), 0);
    }

    #[test]
    fn the_array_adds_one_tile_per_instance_to_its_own_logic() {
        let report = |cells, flip_flops, transistors, depth| ModuleReport {
            module: "m".into(),
            cells,
            flip_flops,
            transistors,
            area_um2: transistors as f64 / 4.0 * NAND2_UM2,
            depth,
            seconds: 1.0,
        };
        // Yosys's report of tiny's array, its two tiles black boxes.
        let stat = "=== pim_array ===\n   Number of cells:                102\n     $_AND_                         65\n     $_DFF_PN0_                      1\n     $_OR_                          33\n     pim_tile                        2\n\n   Estimated number of transistors:        606+\n";
        let tile = report(10598, 1242, 68938, 57);
        let all = with_tiles(report(102, 1, 606, 4), stat, &tile).unwrap();
        assert_eq!(
            (all.cells, all.flip_flops, all.transistors, all.depth),
            (100 + 2 * 10598, 1 + 2 * 1242, 606 + 2 * 68938, 4)
        );
        assert_eq!(all.area_um2, all.transistors as f64 / 4.0 * NAND2_UM2);
        let derived = stat.replace("pim_tile ", "$paramod$0c7f\\pim_tile ");
        assert_eq!(
            with_tiles(report(102, 1, 606, 4), &derived, &tile)
                .unwrap()
                .cells,
            all.cells
        );
        let none = stat.replace("pim_tile ", "pim_xbar ");
        assert!(with_tiles(report(102, 1, 606, 4), &none, &tile).is_none());
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

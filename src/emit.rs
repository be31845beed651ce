//! Renders the SystemVerilog of a config: one module per template, a file list, the resolved
//! config and a manifest. Rendering is pure and deterministic: the same config gives
//! byte-identical files. Everything the templates print is computed here.

use crate::config::Config;
use crate::design::Design;
use askama::Template;
use pimforge_golden::array::tile_bits;
use pimforge_golden::num::clog2;
use pimforge_golden::shape::COUNTER_BITS;
use pimforge_golden::solver::{InvUnit, RefineUnit};
use pimforge_golden::{ArrayModel, Interface};
use sha2::{Digest, Sha256};
use std::ops::Deref;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Top module of the generated design.
pub const TOP: &str = <ArrayModel as Interface>::TOP;
/// The behavioral analog model: simulated, never synthesised.
pub const ANALOG_MODULES: &[&str] = &["pim_xbar", "pim_inv"];
/// Digital modules, leaves first (the order of the file list); `pim_mixed` only with a `mixed`
/// config section, `pim_refine` only with an `inv` one (synthesis reports the solver
/// `pim_solver` by its parts: `pim_refine` and `pim_tile`).
pub const DIGITAL_MODULES: &[&str] = &[
    "pim_dac",
    "pim_adc",
    "pim_shift_add",
    "pim_tile_ctrl",
    "pim_mixed",
    "pim_tile",
    "pim_array",
    "pim_refine",
];

/// The digital modules a config's design has, leaves first.
pub fn digital_modules(cfg: &Config) -> Vec<&'static str> {
    DIGITAL_MODULES
        .iter()
        .copied()
        .filter(|m| *m != "pim_mixed" || cfg.mixed.is_some())
        .filter(|m| *m != "pim_refine" || cfg.inv.is_some())
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
/// File list and top of the refinement controller (with its INV crossbar).
/// File list and top of the high-precision solver: the refinement controller, its INV crossbar
/// and its tile.
pub const SOLVER_FILE_LIST: &str = "pim_solver.f";
pub const SOLVER_TOP: &str = <RefineUnit as Interface>::TOP;

/// A deliberate RTL bug, to prove the lock-step harness catches one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The shift-and-add unit flips bit `bit` of line `line`'s accumulator when it adds plane
    /// `plane` (`LINE:PLANE:BIT`).
    AccBit { line: usize, plane: usize, bit: u32 },
    /// The OPA sequencer takes each slice's column digit one bit too high (`opa-digit`).
    OpaDigit,
    /// Carry resolution recomposes slice 1 one bit too high (`crs-shift`).
    CrsShift,
    /// The refinement controller truncates where it should round half up (`refine-round`).
    RefineRound,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::AccBit { line, plane, bit } => write!(f, "{line}:{plane}:{bit}"),
            Fault::OpaDigit => write!(f, "opa-digit"),
            Fault::CrsShift => write!(f, "crs-shift"),
            Fault::RefineRound => write!(f, "refine-round"),
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "opa-digit" => return Ok(Fault::OpaDigit),
            "crs-shift" => return Ok(Fault::CrsShift),
            "refine-round" => return Ok(Fault::RefineRound),
            _ => {}
        }
        let p: Vec<&str> = s.split(':').collect();
        let n = |i: usize| p[i].parse::<u64>().map_err(|e| format!("'{s}': {e}"));
        if p.len() != 3 {
            return Err(format!(
                "'{s}': expected LINE:PLANE:BIT, opa-digit, crs-shift or refine-round"
            ));
        }
        Ok(Fault::AccBit {
            line: n(0)? as usize,
            plane: n(1)? as usize,
            bit: n(2)? as u32,
        })
    }
}

/// Per-slice facts the templates lay out.
pub struct SliceInfo {
    pub index: usize,
    pub cell_bits: u32,
    /// Offset of this slice's level in the packed programming bus.
    pub offset: u32,
    pub level_min: i64,
    pub level_max: i64,
    /// Lowest weight bit of this slice's digit.
    pub digit_lo: u32,
    /// `$signed` for the top (signed) digit, `$unsigned` below it.
    pub digit_signed: &'static str,
    /// Weight of this slice's level in the CRS recomposition (`digit_lo`, or a deliberate bug).
    pub crs_shift: u32,
    /// Nominal device bounds in fine units (SystemVerilog literals).
    pub g_min_nom: String,
    pub g_max_nom: String,
}

/// One constant of the hardware contract as `pim_pkg` declares it.
pub struct PkgConst {
    pub ty: String,
    pub name: String,
    pub value: String,
    pub doc: &'static str,
}

/// The package of the contract ([`pimforge_golden::protocol::constants`]).
fn package() -> Vec<PkgConst> {
    pimforge_golden::protocol::constants()
        .into_iter()
        .map(|c| {
            let (ty, value) = match c.bits {
                0 => ("int".to_string(), c.value.to_string()),
                32 => ("logic [31:0]".to_string(), {
                    let h = format!("{:08X}", c.value);
                    format!("32'h{}_{}", &h[..4], &h[4..])
                }),
                b => (format!("logic [{}:0]", b - 1), format!("{b}'d{}", c.value)),
            };
            PkgConst {
                ty,
                name: c.name,
                value,
                doc: c.doc,
            }
        })
        .collect()
}

/// Every number a template prints.
pub struct Ctx {
    pub header: String,
    /// The constants of `pim_pkg`.
    pub package: Vec<PkgConst>,
    pub tiles: usize,
    pub tile_bits: u32,
    pub present_expr: String,
    pub ready_expr: String,
    pub rows: usize,
    pub cols: usize,
    pub lines: usize,
    pub slices: usize,
    pub value_bits: u32,
    pub weight_bits: u32,
    pub input_bits: u32,
    pub dac_bits: u32,
    pub drive_bits: u32,
    pub planes: usize,
    pub plane_bits: u32,
    pub current_bits: u32,
    pub adc_bits: u32,
    pub step_log2: u32,
    pub share: usize,
    pub adcs: usize,
    pub sel_bits: u32,
    pub acc_bits: u32,
    pub rsp_bits: u32,
    pub data_bits: u32,
    pub addr_bits: u32,
    pub slice_bits: u32,
    pub level_bits: u32,
    pub counter_bits: u32,
    /// Width of one slice's count of clipped cells per update step.
    pub xbar_clip_bits: u32,
    pub recompose_bits: u32,
    /// Width of one slice's count of pulses per update step.
    pub xbar_pulse_bits: u32,
    pub frac_bits: u32,
    /// 0: ideal, 1: soft bounds.
    pub device_kind: u32,
    pub c2c_q16: i64,
    pub read_q16: i64,
    pub dev_files: u8,
    pub device_seed: u32,
    pub has_mixed: u8,
    pub chi_bits: u32,
    pub epsilon_log2: u32,
    pub max_pulses: i64,
    /// Width of the mixed unit's per-step count of saturated accumulators.
    pub chi_sat_bits: u32,
    pub inv_size: usize,
    pub inv_x_bits: u32,
    pub inv_x_frac: u32,
    pub inv_bits: u32,
    pub inv_cell_bits: u32,
    pub inv_input_bits: u32,
    pub inv_latency: u32,
    pub inv_target_bits: u32,
    pub inv_max_iters: u32,
    pub inv_taylor: u32,
    /// `pim_refine`'s SplitDiag: 1 for a split diagonal.
    pub inv_split_diag: u8,
    /// The transfer's digits on the packed update bus (slice 0; other slices idle).
    pub xfer_digit_expr: String,
    pub fault_xor: String,
    /// Added to the OPA digit position: empty, or a deliberate bug.
    pub opa_digit_offset: &'static str,
    /// The rounding term of the refinement controller's shifts (a deliberate bug: `'0`).
    pub refine_half: &'static str,
    pub slice_info: Vec<SliceInfo>,
}

macro_rules! module_template {
    ($ty:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $ty<'a> {
            ctx: &'a Ctx,
        }
        impl Deref for $ty<'_> {
            type Target = Ctx;
            fn deref(&self) -> &Ctx {
                self.ctx
            }
        }
    };
}

module_template!(PkgSv, "pim_pkg.sv");
module_template!(XbarSv, "pim_xbar.sv");
module_template!(DacSv, "pim_dac.sv");
module_template!(AdcSv, "pim_adc.sv");
module_template!(ShiftAddSv, "pim_shift_add.sv");
module_template!(TileCtrlSv, "pim_tile_ctrl.sv");
module_template!(TileSv, "pim_tile.sv");
module_template!(ArraySv, "pim_array.sv");
module_template!(MixedSv, "pim_mixed.sv");
module_template!(InvSv, "pim_inv.sv");
module_template!(RefineSv, "pim_refine.sv");
module_template!(SolverSv, "pim_solver.sv");

/// Identity of a generated design: the config (and any injected fault) hashed.
pub fn config_hash(cfg: &Config, fault: Option<Fault>) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(cfg).expect("config serialises"));
    if let Some(f) = fault {
        h.update(format!("fault {f}"));
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn context(d: &Design) -> Ctx {
    let (cfg, s, fault) = (d.config(), &d.shape, d.fault);
    let hash = &d.hash;
    let mut offset = 0;
    let slice_info = (0..s.slices())
        .map(|m| {
            let (level_min, level_max) = s.cell_range(m);
            let nom = s.nominal_device(m);
            let lit = |v: i64| {
                if v < 0 {
                    format!("-64'sd{}", -v)
                } else {
                    format!("64'sd{v}")
                }
            };
            let info = SliceInfo {
                index: m,
                cell_bits: s.cell_bits[m],
                offset,
                level_min,
                level_max,
                digit_lo: s.value_bits * m as u32,
                crs_shift: s.value_bits * m as u32
                    + (m == 1 && fault == Some(Fault::CrsShift)) as u32,
                digit_signed: if m + 1 == s.slices() {
                    "$signed"
                } else {
                    "$unsigned"
                },
                g_min_nom: lit(nom.g_min),
                g_max_nom: lit(nom.g_max),
            };
            offset += s.cell_bits[m];
            info
        })
        .collect();
    let tile_bits = tile_bits(cfg.tiles);
    let pad = (1usize << tile_bits) - cfg.tiles;
    let (present_expr, ready_expr) = if pad == 0 {
        ("'1".to_string(), "tile_ready".to_string())
    } else {
        (
            format!(
                "{}'b{}{}",
                1 << tile_bits,
                "0".repeat(pad),
                "1".repeat(cfg.tiles)
            ),
            format!("{{{pad}'b{}, tile_ready}}", "1".repeat(pad)),
        )
    };
    let fault_xor = match fault {
        Some(Fault::AccBit { line, plane, bit }) => {
            format!(" ^ ((l == {line} && 32'(plane_i) == {plane}) ? (AccW'(1) << {bit}) : '0)")
        }
        _ => String::new(),
    };
    let opa_digit_offset = match fault {
        Some(Fault::OpaDigit) => " + 1",
        _ => "",
    };
    let fault_note = match fault {
        None => String::new(),
        Some(f) => {
            format!("\n// WARNING: built with an injected fault ({f}): for harness tests only.")
        }
    };
    Ctx {
        header: format!(
            "// Generated by pimforge {VERSION} from config {hash}. DO NOT EDIT: regenerate with\n\
             // `pimforge gen`; the config is in {CONFIG_FILE} beside this file.{fault_note}"
        ),
        package: package(),
        tiles: cfg.tiles,
        tile_bits,
        present_expr,
        ready_expr,
        rows: s.rows,
        cols: s.cols,
        lines: s.lines(),
        slices: s.slices(),
        value_bits: s.value_bits,
        weight_bits: s.weight_bits,
        input_bits: s.input_bits,
        dac_bits: s.dac_bits,
        drive_bits: s.drive_bits(),
        planes: s.planes(),
        plane_bits: clog2(s.planes() as u64).max(1),
        current_bits: s.current_bits(),
        adc_bits: s.adc.bits,
        step_log2: s.adc.step_log2,
        share: s.adc.share,
        adcs: s.adcs(),
        sel_bits: clog2(s.adc.share as u64).max(1),
        acc_bits: s.acc_bits(),
        rsp_bits: s.rsp_bits(),
        data_bits: s.data_bits(),
        addr_bits: s.addr_bits(),
        slice_bits: s.slice_bits(),
        level_bits: s.cell_bits.iter().sum(),
        counter_bits: COUNTER_BITS,
        xbar_clip_bits: clog2((s.rows * s.cols + 1) as u64),
        recompose_bits: s.recompose_bits(),
        xbar_pulse_bits: clog2((s.rows * s.cols) as u64 * ((1u64 << s.value_bits) - 1) + 1),
        frac_bits: s.device.frac_bits,
        device_kind: match s.device.kind {
            pimforge_golden::device::Kind::Ideal => 0,
            pimforge_golden::device::Kind::SoftBounds => 1,
        },
        c2c_q16: s.device.c2c_q16,
        read_q16: s.device.read_q16,
        dev_files: s.device.files as u8,
        device_seed: s.device.seed,
        has_mixed: s.mixed.is_some() as u8,
        chi_bits: s.mixed.as_ref().map_or(0, |m| m.chi_bits),
        epsilon_log2: s.mixed.as_ref().map_or(0, |m| m.epsilon_log2),
        max_pulses: s.mixed.as_ref().map_or(0, |m| m.max_pulses),
        chi_sat_bits: clog2(s.cols as u64 + 1),
        inv_size: cfg.inv.as_ref().map_or(0, |i| i.size),
        inv_x_bits: cfg.inv.as_ref().map_or(0, |i| i.x_bits),
        inv_x_frac: cfg.inv.as_ref().map_or(0, |i| i.x_frac),
        inv_bits: cfg.inv.as_ref().map_or(0, |i| i.bits),
        inv_cell_bits: cfg.inv.as_ref().map_or(0, |i| i.cell_bits),
        inv_input_bits: cfg.inv.as_ref().map_or(0, |i| i.input_bits),
        inv_latency: cfg.inv.as_ref().map_or(0, |i| i.latency),
        inv_target_bits: cfg.inv.as_ref().map_or(0, |i| i.target_bits),
        inv_max_iters: cfg.inv.as_ref().map_or(0, |i| i.max_iters),
        inv_taylor: cfg.inv.as_ref().map_or(0, |i| i.taylor),
        inv_split_diag: cfg
            .inv
            .as_ref()
            .is_some_and(|i| i.diagonal == crate::config::Diagonal::Split)
            as u8,
        xfer_digit_expr: if s.slices() == 1 {
            "xfer_digit".into()
        } else {
            format!(
                "{{{}'0, xfer_digit}}",
                (s.slices() - 1) * s.cols * s.value_bits as usize
            )
        },
        fault_xor,
        opa_digit_offset,
        refine_half: match fault {
            Some(Fault::RefineRound) => "'0",
            _ => "((RW+64)'(1) <<< (s - 1))",
        },
        slice_info,
    }
}

/// Renders every file of the design: `(file name, contents)`, in file-list order.
pub fn render(d: &Design) -> Vec<(String, String)> {
    let cfg = d.config();
    let ctx = context(d);
    let modules: Vec<(&str, String)> = vec![
        (PACKAGE, PkgSv { ctx: &ctx }.render()),
        ("pim_xbar", XbarSv { ctx: &ctx }.render()),
        ("pim_dac", DacSv { ctx: &ctx }.render()),
        ("pim_adc", AdcSv { ctx: &ctx }.render()),
        ("pim_shift_add", ShiftAddSv { ctx: &ctx }.render()),
        ("pim_tile_ctrl", TileCtrlSv { ctx: &ctx }.render()),
        ("pim_mixed", MixedSv { ctx: &ctx }.render()),
        ("pim_tile", TileSv { ctx: &ctx }.render()),
        ("pim_array", ArraySv { ctx: &ctx }.render()),
    ]
    .into_iter()
    .filter(|(n, _)| *n != "pim_mixed" || cfg.mixed.is_some())
    .map(|(n, r)| (n, r.expect("templates render")))
    .collect();
    let mut files: Vec<(String, String)> = modules
        .iter()
        .map(|(n, text)| (format!("{n}.sv"), tidy(text)))
        .collect();
    let list: String = modules.iter().map(|(n, _)| format!("{n}.sv\n")).collect();
    files.push((FILE_LIST.into(), list));
    if cfg.inv.is_some() {
        // The solver beside the array: the INV crossbar, the refinement controller and its own
        // tile (the array's tile modules).
        let solver = [
            ("pim_inv", InvSv { ctx: &ctx }.render()),
            ("pim_refine", RefineSv { ctx: &ctx }.render()),
            ("pim_solver", SolverSv { ctx: &ctx }.render()),
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
    if cfg.device.has_variation() {
        for t in 0..d.tiles() {
            for (m, devices) in d.devices(t).iter().enumerate() {
                files.push((device_file(t, m), pimforge_golden::device::to_memh(devices)));
            }
        }
    }
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

/// Name of the device file of slice `slice` of tile `tile` (read by `pim_xbar` and the golden
/// model).
pub fn device_file(tile: usize, slice: usize) -> String {
    format!("pim_dev_t{tile}_s{slice}.memh")
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

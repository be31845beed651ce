//! The `inv` section of a config: the INV-mode crossbar of RePAST-style high-precision solves
//! (RePAST; `docs/hardware.md`, High-precision solves).

use super::{bad, Config, DeviceModel, FieldError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Inv {
    /// The matrix size N (A is N x N).
    pub size: usize,
    /// Output ADC bits (signed): the INV circuit's precision.
    pub bits: u32,
    /// Signed cell bits of A_h.
    pub cell_bits: u32,
    /// Signed input (DAC range) bits.
    pub input_bits: u32,
    /// Cycles of one solve: analog settling plus conversion.
    pub latency: u32,
    /// Refinement controller: bits of accuracy to stop at.
    pub target_bits: u32,
    /// Refinement controller: most iterations.
    pub max_iters: u32,
    /// Refinement controller: Taylor (Neumann) correction terms per iteration.
    pub taylor: u32,
    /// How A_h's diagonal is scaled: `split` (its own power-of-two gain in the op-amps'
    /// feedback paths, so the off-diagonal entries use the cells' full range) or `shared` (one
    /// scale for every cell).
    pub diagonal: Diagonal,
}

/// Scaling of A_h's diagonal (docs/hardware.md, "High-precision solves").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Diagonal {
    Split,
    Shared,
}

impl Default for Inv {
    fn default() -> Self {
        Inv {
            size: 16,
            bits: 8,
            cell_bits: 8,
            input_bits: 16,
            latency: 4,
            target_bits: 16,
            max_iters: 20,
            taylor: 0,
            diagonal: Diagonal::Split,
        }
    }
}

pub(super) fn validate(inv: &Inv, errs: &mut Vec<FieldError>) {
    if !(2..=64).contains(&inv.size) || !inv.size.is_power_of_two() {
        bad(
            errs,
            "inv.size",
            inv.size.to_string(),
            "a power of two in 2..=64".into(),
        );
    }
    for (field, v, lo, hi) in [
        ("inv.bits", inv.bits, 2, 16),
        // At least 3 bits keep A_l = A - A_h 2^sh within the tile's weight width.
        ("inv.cell_bits", inv.cell_bits, 3, 16),
        ("inv.input_bits", inv.input_bits, 2, 32),
        ("inv.latency", inv.latency, 1, 1000),
        ("inv.target_bits", inv.target_bits, 1, 40),
        ("inv.max_iters", inv.max_iters, 1, 255),
        ("inv.taylor", inv.taylor, 0, 8),
    ] {
        if !(lo..=hi).contains(&v) {
            bad(errs, field, v.to_string(), format!("{lo}..={hi}"));
        }
    }
}

/// The solver's tile is this design's tile: it must hold `A` (and `A_l` for Taylor terms) and
/// compute exact products, so that the residuals are exact.
pub(super) fn validate_tile(cfg: &Config, inv: &Inv, errs: &mut Vec<FieldError>) {
    let blocks = if inv.taylor > 0 { 2 } else { 1 };
    let why = "for the solver's tile";
    if cfg.crossbar.rows < inv.size {
        bad(
            errs,
            "crossbar.rows",
            cfg.crossbar.rows.to_string(),
            format!("at least inv.size = {} {why}", inv.size),
        );
    }
    if cfg.crossbar.cols < blocks * inv.size {
        bad(
            errs,
            "crossbar.cols",
            cfg.crossbar.cols.to_string(),
            format!(
                "at least {} {why} (A{})",
                blocks * inv.size,
                if blocks == 2 {
                    " and A_l, with inv.taylor > 0"
                } else {
                    ""
                }
            ),
        );
    }
    if !cfg.adc.exact {
        bad(
            errs,
            "adc.exact",
            "false".into(),
            format!("true {why} (exact residuals)"),
        );
    }
    let d = &cfg.device;
    for (field, value, ok) in [
        (
            "device.model",
            format!("{:?}", d.model).to_lowercase(),
            d.model == DeviceModel::Ideal,
        ),
        ("device.c2c", d.c2c.to_string(), d.c2c == 0.0),
        (
            "device.read_noise",
            d.read_noise.to_string(),
            d.read_noise == 0.0,
        ),
        ("device.dtod", d.dtod.to_string(), d.dtod == 0.0),
        ("device.stuck_on", d.stuck_on.to_string(), d.stuck_on == 0.0),
        (
            "device.stuck_off",
            d.stuck_off.to_string(),
            d.stuck_off == 0.0,
        ),
        (
            "device.bounds",
            format!("{:?}", d.bounds),
            d.bounds.is_none(),
        ),
    ] {
        if !ok {
            bad(
                errs,
                field,
                value,
                format!("ideal, noiseless devices without variation or bounds {why}"),
            );
        }
    }
}

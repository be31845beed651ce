//! The `inv` section of a config: the INV-mode crossbar of RePAST-style high-precision solves
//! (RePAST; `docs/hardware.md`, High-precision solves).

use super::{bad, Config, DeviceModel, FieldError};
use pimforge_golden::solver::{residual_bits, InvShape};
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
    /// Width of the solution register X (signed).
    pub x_bits: u32,
    /// Fraction bits of X: it holds `x 2^x_frac`.
    pub x_frac: u32,
}

/// Scaling of A_h's diagonal (docs/hardware.md, "High-precision solves").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Diagonal {
    Split,
    Shared,
}

impl Default for Inv {
    /// The golden model's defaults ([`InvShape::default`]) on a 16 x 16 system.
    fn default() -> Self {
        let s = InvShape::default();
        Inv {
            size: 16,
            bits: s.out_bits,
            cell_bits: s.h_bits,
            input_bits: s.in_bits,
            latency: s.latency,
            target_bits: s.target_bits,
            max_iters: s.max_iters,
            taylor: s.taylor,
            diagonal: if s.split_diagonal {
                Diagonal::Split
            } else {
                Diagonal::Shared
            },
            x_bits: s.x_bits,
            x_frac: s.x_frac,
        }
    }
}

impl Inv {
    /// The solver's parameters (`A`'s entries are the tile's weights, `a_bits` wide).
    pub fn shape(&self, a_bits: u32) -> InvShape {
        InvShape {
            a_bits,
            h_bits: self.cell_bits,
            in_bits: self.input_bits,
            out_bits: self.bits,
            x_frac: self.x_frac,
            target_bits: self.target_bits,
            max_iters: self.max_iters,
            taylor: self.taylor,
            latency: self.latency,
            x_bits: self.x_bits,
            split_diagonal: self.diagonal == Diagonal::Split,
        }
    }
}

/// Widest port the lock-step harness drives (`residual_o` is the solver's widest).
const HARNESS_PORT_BITS: u32 = 128;

pub(super) fn validate(inv: &Inv, a_bits: u32, errs: &mut Vec<FieldError>) {
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
    if !(8..=64).contains(&inv.x_frac) {
        bad(errs, "inv.x_frac", inv.x_frac.to_string(), "8..=64".into());
    }
    // X holds the fraction, a sign and at least the width of A's entries above it; the
    // residual `b 2^x_frac - A X` must fit the harness's widest port.
    let n = inv.size.max(2).next_power_of_two();
    let lo = inv.x_frac + a_bits + 1;
    let hi = HARNESS_PORT_BITS.saturating_sub(residual_bits(n, a_bits, 0));
    if !(lo..=hi).contains(&inv.x_bits) {
        bad(
            errs,
            "inv.x_bits",
            inv.x_bits.to_string(),
            format!(
                "{lo}..={hi} (above inv.x_frac and the weight width; the residual fits {HARNESS_PORT_BITS} bits)"
            ),
        );
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
            super::shown(&d.model),
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
        ("device.bounds", super::shown(&d.bounds), d.bounds.is_none()),
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

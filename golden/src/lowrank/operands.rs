//! A batch's terms as the OPA operands the low-rank unit writes into the tile's buffers: the
//! division-free end of SBPCA (docs/hardware.md, SBPCA).
//!
//! Term `r` of the estimate updates `W -= lr n/(n+1) 2^-one D_r X_r^T / |X_r|` (`n` samples,
//! the sums `D_r`, `X_r` in units of `2^-one`, the product of the samples' LSBs). The unit
//! writes it as one OPA of
//! - the row operand `X_r 2^(f - E)` rounded half up (`E` the bit length of the largest
//!   `|X_r[i]|`, `f` the scale's row fraction bits: the largest entry is about `2^f`, and a power
//!   of two needs no divider), clamped to the input width;
//! - the column operand `-SR(D_r y m 2^(E - FRAC - e - shift - f))`, where `y 2^-(FRAC + e) = 1
//!   / |X_r|` ([`invsqrt`]) and `m 2^-shift` is the host's [`Scale`] `lr n/(n+1) 2^(w_frac -
//!   one - f)`; SR is stochastic rounding with a [`DRAW_BITS`]-bit draw from the unit's LFSR,
//!   one word per column; clamped to the weight width.
//!
//! The rows carry the direction with `f` bits (few: the host's OPA rows take 4), the columns
//! the magnitude: with the rows filling a wide input range, the columns would be fractions of
//! an LSB, written as rare large steps.
//!
//! Every clamp is counted.

use super::fixed::{invsqrt, round_shift, FixedLowRank, FRAC};
use crate::lfsr::Lfsr;
use crate::num::{bit_length, signed_range};
pub use crate::protocol::{DRAW_BITS, SCALE_FRAC_BITS, SCALE_MANT_BITS, SCALE_SHIFT_BITS};

/// The host's scale of the terms: `mant 2^-shift`, and the rows' fraction bits `row_frac`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scale {
    pub mant: u32,
    pub shift: u32,
    pub row_frac: u32,
}

/// Width of the `scale` unit word.
pub const SCALE_BITS: u32 = SCALE_MANT_BITS + SCALE_SHIFT_BITS + SCALE_FRAC_BITS;

impl Scale {
    /// The `scale` unit word `{row_frac, shift, mant}`.
    pub fn word(self) -> u64 {
        ((self.row_frac as u64) << (SCALE_MANT_BITS + SCALE_SHIFT_BITS))
            | ((self.shift as u64) << SCALE_MANT_BITS)
            | self.mant as u64
    }

    /// The fields of a word (bits above them are ignored).
    pub fn from_word(w: u64) -> Scale {
        let field = |lsb: u32, bits: u32| ((w >> lsb) & ((1 << bits) - 1)) as u32;
        Scale {
            mant: field(0, SCALE_MANT_BITS),
            shift: field(SCALE_MANT_BITS, SCALE_SHIFT_BITS),
            row_frac: field(SCALE_MANT_BITS + SCALE_SHIFT_BITS, SCALE_FRAC_BITS),
        }
    }

    /// The nearest scale to `v > 0` with a full mantissa (`2^(MANT-1) <= mant < 2^MANT`) and
    /// rows of `row_frac` fraction bits; None when `v` is not positive or its shift would not
    /// fit [`SCALE_SHIFT_BITS`] (or `row_frac` its field).
    pub fn of(v: f64, row_frac: u32) -> Option<Scale> {
        if row_frac >= 1 << SCALE_FRAC_BITS {
            return None;
        }
        if !(v > 0.0 && v.is_finite()) {
            return None;
        }
        let top = SCALE_MANT_BITS as i32;
        let mut shift = top - 1 - v.log2().floor() as i32;
        let mut mant = (v * 2f64.powi(shift)).round();
        if mant >= 2f64.powi(top) {
            mant /= 2.0;
            shift -= 1;
        }
        (0..1 << SCALE_SHIFT_BITS)
            .contains(&shift)
            .then_some(Scale {
                mant: mant as u32,
                shift: shift as u32,
                row_frac,
            })
    }

    pub fn value(self) -> f64 {
        self.mant as f64 * 2f64.powi(-(self.shift as i32))
    }
}

/// One term's OPA operands and the clamps they took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operands {
    pub rows: Vec<i64>,
    pub cols: Vec<i64>,
    pub clamped: u64,
}

/// `floor(v 2^-t + u 2^-DRAW_BITS)`: `v 2^-t` stochastically rounded with the draw `u` (`t <= 0`:
/// exact).
pub fn stochastic_shift(v: i128, t: i32, u: u32) -> i128 {
    let d = DRAW_BITS as i32;
    let u = (u & ((1 << DRAW_BITS) - 1)) as i128;
    match t {
        t if t <= 0 => v << -t,
        t if t >= d => (v + (u << (t - d))) >> t,
        t => (v + (u >> (d - t))) >> t,
    }
}

/// The row shift of `X_r`: `E - row_frac` (`E` the bit length of its largest entry).
pub fn row_shift(xr: &[i64], row_frac: u32) -> i32 {
    let m = xr.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    bit_length(m as u128) as i32 - row_frac as i32
}

impl FixedLowRank {
    /// Term `r`'s operands, the column draws taken from `lfsr` (one word per column).
    pub fn operands(&self, r: usize, scale: Scale, lfsr: &mut Lfsr) -> Operands {
        let s = &self.shape;
        let (ni, no) = (s.inputs, s.outputs);
        let (xr, dr) = (&self.x[r * ni..(r + 1) * ni], &self.d[r * no..(r + 1) * no]);
        let a: u128 = xr.iter().map(|v| (*v as i128 * *v as i128) as u128).sum();
        let mut clamped = 0;
        let mut clamp = |v: i128, bits: u32| {
            let (lo, hi) = signed_range(bits);
            if v < lo as i128 || v > hi as i128 {
                clamped += 1;
            }
            v.clamp(lo as i128, hi as i128) as i64
        };
        let sr = row_shift(xr, scale.row_frac);
        let rows = xr
            .iter()
            .map(|v| clamp(round_shift(*v as i128, sr), s.x_bits))
            .collect();
        let cols = match a {
            0 => {
                // No direction: nothing to write (the draws are still taken).
                dr.iter().for_each(|_| {
                    lfsr.word();
                });
                vec![0; no]
            }
            a => {
                let (y, e) = invsqrt(a);
                let t = FRAC as i32 + e + scale.shift as i32 - sr - scale.row_frac as i32;
                dr.iter()
                    .map(|v| {
                        let p = -(*v as i128) * y * scale.mant as i128;
                        clamp(stochastic_shift(p, t, lfsr.word()), s.d_bits)
                    })
                    .collect()
            }
        };
        Operands {
            rows,
            cols,
            clamped,
        }
    }
}

#[cfg(test)]
mod tests;

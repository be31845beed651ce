//! `A` split into the INV crossbar's levels `A_h` with power-of-two scales and the exact rest
//! `A_l`.

use super::InvShape;
use crate::num::{bit_length as width, signed_range};

/// `A` split into the INV crossbar's levels and the exact rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub n: usize,
    /// Levels of `A_h`, row-major.
    pub ah: Vec<i64>,
    /// `A ~= A_h 2^sh` off the diagonal.
    pub sh: u32,
    /// The diagonal's extra gain: `A_ii ~= A_h,ii 2^(sh + dsh)`.
    pub dsh: u32,
    /// `A - A_h 2^sh` (`2^(sh + dsh)` on the diagonal).
    pub al: Vec<i64>,
}

impl Split {
    /// The matrix the INV loop settles with, in units of `2^sh`: the levels, the diagonal ones
    /// times `2^dsh`.
    pub fn matrix(&self) -> Vec<i64> {
        let n = self.n;
        (0..n * n)
            .map(|i| self.ah[i] << self.gain(i / n, i % n))
            .collect()
    }

    /// The extra shift of entry `(i, j)`: `dsh` on the diagonal, else 0.
    pub fn gain(&self, i: usize, j: usize) -> u32 {
        if i == j {
            self.dsh
        } else {
            0
        }
    }
}

/// Rounds `v / 2^s` half up (`s` may be negative: an exact left shift). Shifts beyond
/// [`MAX_SHIFT`] give 0 (every value here is below `2^(MAX_SHIFT - 1)`).
pub fn shift_round(v: i128, s: i32) -> i128 {
    if s <= 0 {
        v << (-s) as u32
    } else if s > MAX_SHIFT {
        0
    } else {
        (v + (1i128 << (s - 1))) >> s as u32
    }
}

/// Largest right shift [`shift_round`] computes (larger ones give 0).
pub use crate::protocol::MAX_SHIFT;

/// The smallest scale `2^s` at which every value rounds into `h_bits` signed levels: from the
/// largest magnitude, plus one when the largest positive value rounds up past the top level.
fn group_shift(values: impl Iterator<Item = i64> + Clone, h_bits: u32) -> u32 {
    let max = values.clone().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u128;
    let pos = values.max().unwrap_or(0).max(0);
    let s = width(max).saturating_sub(h_bits - 1);
    s + u32::from(shift_round(pos as i128, s as i32) > signed_range(h_bits).1 as i128)
}

/// Splits `a` (`n x n`, row-major) for a crossbar of `h_bits` levels.
///
/// Shared scale: `sh` from all entries, `dsh = 0`. Split diagonal: `sh` from the off-diagonal
/// entries and `sh + dsh` from the diagonal; when the diagonal is not the larger group (`dsh`
/// would be 0), the shared scale. Levels are `A / 2^(sh + gain)` rounded half up.
pub fn split(a: &[i64], n: usize, shape: &InvShape) -> Split {
    let h = shape.h_bits;
    let entries = |diag: bool| {
        a.iter()
            .enumerate()
            .filter(move |(i, _)| (i / n == i % n) == diag)
            .map(|(_, &v)| v)
    };
    let shared = group_shift(a.iter().copied(), h);
    let (sh, dsh) = if shape.split_diagonal {
        let (off, diag) = (
            group_shift(entries(false), h),
            group_shift(entries(true), h),
        );
        if diag > off {
            (off, diag - off)
        } else {
            (shared, 0)
        }
    } else {
        (shared, 0)
    };
    let (lo, hi) = signed_range(h);
    let mut s = Split {
        n,
        ah: vec![0; n * n],
        sh,
        dsh,
        al: vec![0; n * n],
    };
    for (i, &v) in a.iter().enumerate() {
        let shift = sh + s.gain(i / n, i % n);
        s.ah[i] = (shift_round(v as i128, shift as i32) as i64).clamp(lo, hi);
        s.al[i] = v - (s.ah[i] << shift);
    }
    s
}

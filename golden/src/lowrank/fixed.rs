//! The fixed-point, division-free form of the streaming rank-k estimate: the arithmetic the
//! low-rank unit runs, bit for bit.
//!
//! The float64 reference keeps running means `X_r`, `D_r` with weights `w = 1/(j + 1)`. Its
//! projections `d . D_r / |D_r|` and `x . X_r / |X_r|` do not change when a pair is scaled, so
//! keeping the running *sums* instead (`S_j = S_{j-1} + t_j`, the mean is `S_j / (j + 1)`) is the
//! same algorithm without a division per sample. What is left of the divisions are the norms:
//! `1 / |V|` by [`invsqrt`] (a 12-entry seed table and three Newton steps `y <- y (3 - m y^2) / 2`
//! on a mantissa normalised by an even shift: multiplications only), once per pair and side per
//! sample, and for the Gram-Schmidt of [`REORTH_EVERY`](super::REORTH_EVERY) samples.
//!
//! Integers throughout: the samples `x` (inputs, `x_bits`) and `d` (errors, `d_bits`) as the
//! tile's buffers hold them; `X_r`, `D_r` of [`FixedShape::acc_bits`] (derived below; every add
//! saturates there and is counted); unit vectors and Newton mantissas in `Q.`[`FRAC`]. Every
//! shift rounds half up ([`round_shift`]). At the end of a batch the sums become the warm start
//! of the next by a shift of `log2(batch)` (the previous mean, weighing `(n + 1) / n` samples of
//! a full batch), after the batch's terms `(D_r, X_r / |X_r|)` are read out.

use crate::num::{bit_length, signed_range, Ends};

/// Fraction bits of unit vectors and of [`invsqrt`]'s mantissas.
pub const FRAC: u32 = 30;
/// The widest `X_r`, `D_r` the 128-bit arithmetic holds.
pub const MAX_ACC_BITS: u32 = 46;
/// Fraction bits a projection `d . D_r / |D_r|` keeps before it scales the sample.
pub const PROJ_FRAC: u32 = 16;
/// Newton steps of [`invsqrt`].
pub const NEWTON_STEPS: u32 = 3;
/// Entries of [`invsqrt`]'s seed table: the mantissa's range `[1, 4)` in steps of 1/4.
pub const SEEDS: usize = 12;

/// The seed table of [`invsqrt`]: `round(2^FRAC / sqrt(1 + (i + 1/2) / 4))`.
pub fn invsqrt_seeds() -> [i64; SEEDS] {
    std::array::from_fn(|i| {
        ((1u64 << FRAC) as f64 / (1.0 + (i as f64 + 0.5) / 4.0).sqrt()).round() as i64
    })
}

/// `v / 2^s` rounded half up (`s < 0`: `v * 2^-s`).
pub fn round_shift(v: i128, s: i32) -> i128 {
    match s {
        0 => v,
        s if s > 0 => (v + (1i128 << (s - 1))) >> s,
        s => v << -s,
    }
}

/// `1 / sqrt(a)` for `a > 0` as a mantissa `y` (`Q.FRAC`, in `(1/2, 1]`) and an exponent `e`:
/// `1 / sqrt(a) ~ y 2^-(FRAC + e)`. The even shift `2 s` brings `a` to `m = a 2^-2s` in `[2^FRAC,
/// 2^(FRAC + 2))`, `e = s + FRAC/2`; `y` starts from the seed of `m`'s quarter and takes
/// [`NEWTON_STEPS`] steps.
pub fn invsqrt(a: u128) -> (i128, i32) {
    assert!(a > 0, "invsqrt(0)");
    let s = (bit_length(a) as i32 - 1 - FRAC as i32).div_euclid(2);
    let m = round_shift_u(a, 2 * s);
    let seeds = invsqrt_seeds();
    let mut y = seeds[((m >> (FRAC - 2)) - 4) as usize] as i128;
    let (three, f) = (3i128 << FRAC, FRAC as i32);
    for _ in 0..NEWTON_STEPS {
        let t = round_shift(round_shift(m * y, f) * y, f);
        y = round_shift(y * (three - t), f + 1);
    }
    (y, s + FRAC as i32 / 2)
}

/// `a 2^-2s` of an unsigned `a`, truncated (`s < 0`: exact), as a mantissa of [`invsqrt`].
fn round_shift_u(a: u128, two_s: i32) -> i128 {
    if two_s >= 0 {
        (a >> two_s) as i128
    } else {
        (a << -two_s) as i128
    }
}

/// `p / |V|` for `|V|^2 = a` (0 when `a = 0`), rounded at `2^-frac`.
pub fn over_norm(p: i128, a: u128, frac: u32) -> i128 {
    if a == 0 {
        return 0;
    }
    let (y, e) = invsqrt(a);
    round_shift(p * y, FRAC as i32 + e - frac as i32)
}

/// `sqrt(a / b)` in `Q.FRAC` (`a, b > 0`): with `a = m_a 2^2s_a`, `sqrt(a) = m_a / sqrt(m_a)
/// 2^s_a`, so the ratio is `m_a y_a y_b` shifted, within 128 bits for any `a`.
pub fn norm_ratio(a: u128, b: u128) -> i128 {
    let (ya, ea) = invsqrt(a);
    let (yb, eb) = invsqrt(b);
    let (f, sa) = (FRAC as i32, ea - FRAC as i32 / 2);
    let ma = round_shift_u(a, 2 * sa);
    round_shift(round_shift(ma * ya, f) * yb, f / 2 + eb - sa)
}

/// The sizes and widths of one tile's estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedShape {
    /// Rows of the tile (the inputs `x`).
    pub inputs: usize,
    /// Columns (the errors `d`).
    pub outputs: usize,
    pub k: usize,
    pub x_bits: u32,
    pub d_bits: u32,
    /// Samples per batch, a power of two.
    pub batch: usize,
}

impl FixedShape {
    /// Width of `X_r` and `D_r`: a sample adds at most `|x_i| |d . D_r| / |D_r| <= |x_i| |d| <=
    /// 2^(x_bits - 1) 2^(d_bits - 1) sqrt(n)` to an entry (and the mirror image to `D_r`), and a
    /// batch holds `batch + 1` such terms (the warm start weighing one); one bit for the sign
    /// and one of headroom for the norm a re-orthogonalised vector keeps.
    pub fn acc_bits(&self) -> u32 {
        let n = self.inputs.max(self.outputs) as f64;
        let root = n.sqrt().log2().ceil() as u32;
        self.x_bits - 1 + self.d_bits - 1 + root + crate::num::clog2(self.batch as u64 + 1) + 2
    }

    pub fn batch_log2(&self) -> u32 {
        assert!(self.batch.is_power_of_two(), "batch {}", self.batch);
        self.batch.trailing_zeros()
    }
}

/// What the estimate counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixedCounts {
    /// Samples absorbed (all batches).
    pub samples: u64,
    /// Adds to `X_r` or `D_r` that saturated at `acc_bits`.
    pub saturations: u64,
    /// Vectors that vanished in Gram-Schmidt and were replaced by a unit vector.
    pub replaced: u64,
}

/// The fixed-point estimate of one tile's batch gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedLowRank {
    pub shape: FixedShape,
    /// `X_r` (sums), column-major: `x[r * inputs + i]`.
    pub x: Vec<i64>,
    /// `D_r` (sums), column-major: `d[r * outputs + o]`.
    pub d: Vec<i64>,
    /// Samples absorbed in this batch.
    pub samples: usize,
    pub counts: FixedCounts,
}

fn dot(a: &[i64], b: &[i64]) -> i128 {
    a.iter().zip(b).map(|(p, q)| *p as i128 * *q as i128).sum()
}

fn norm2(a: &[i64]) -> u128 {
    dot(a, a) as u128
}

impl FixedLowRank {
    /// All pairs zero (the unit after reset, before the host writes its first pairs).
    pub fn zero(shape: FixedShape) -> FixedLowRank {
        FixedLowRank {
            shape,
            x: vec![0; shape.k * shape.inputs],
            d: vec![0; shape.k * shape.outputs],
            samples: 0,
            counts: FixedCounts::default(),
        }
    }

    /// The float64 reference's first pairs (seeded orthonormal vectors), rounded at `2^one`
    /// (the product of the samples' LSBs: the pairs weigh as in the reference).
    pub fn new(shape: FixedShape, seed: u64, one: u32) -> FixedLowRank {
        // 128-bit intermediates: an entry times a norm ratio (at most sqrt(|V|^2 / 1) in
        // Q.FRAC: acc_bits + 5 + FRAC bits for 1024 entries) needs 2 acc_bits + 35 < 127.
        assert!(
            shape.acc_bits() <= MAX_ACC_BITS,
            "{} accumulator bits: at most {MAX_ACC_BITS} (samples of {} and {} bits)",
            shape.acc_bits(),
            shape.x_bits,
            shape.d_bits
        );
        assert!(
            one + 2 < shape.acc_bits(),
            "2^{one} beyond {} bits",
            shape.acc_bits()
        );
        let f = super::LowRank::new(shape.inputs, shape.outputs, shape.k, seed);
        let one = (1i64 << one) as f64;
        let q = |v: &[f64]| v.iter().map(|a| (a * one).round() as i64).collect();
        FixedLowRank {
            shape,
            x: q(&f.x),
            d: q(&f.d),
            samples: 0,
            counts: FixedCounts::default(),
        }
    }

    /// Absorbs one sample: for every pair, with both projections taken before either update,
    /// `X_r += x (d . D_r / |D_r|)`, `D_r += d (x . X_r / |X_r|)`.
    pub fn absorb(&mut self, x: &[i64], d: &[i64]) {
        let (ni, no) = (self.shape.inputs, self.shape.outputs);
        assert!(x.len() == ni && d.len() == no);
        let mut ends = Ends::default();
        for r in 0..self.shape.k {
            let (xr, dr) = (&self.x[r * ni..(r + 1) * ni], &self.d[r * no..(r + 1) * no]);
            let qx = over_norm(dot(xr, x), norm2(xr), PROJ_FRAC);
            let qd = over_norm(dot(dr, d), norm2(dr), PROJ_FRAC);
            let (lo, hi) = signed_range(self.shape.acc_bits());
            let mut add = |v: &mut i64, s: i64, q: i128| {
                let t = *v as i128 + round_shift(s as i128 * q, PROJ_FRAC as i32);
                *v = ends.clamp(t.clamp(i64::MIN as i128, i64::MAX as i128) as i64, lo, hi);
            };
            for (v, xi) in self.x[r * ni..(r + 1) * ni].iter_mut().zip(x) {
                add(v, *xi, qd);
            }
            for (v, di) in self.d[r * no..(r + 1) * no].iter_mut().zip(d) {
                add(v, *di, qx);
            }
        }
        self.counts.saturations += ends.clamped();
        self.counts.samples += 1;
        self.samples += 1;
        if self.samples.is_multiple_of(super::REORTH_EVERY) {
            self.reorthogonalise();
        }
    }

    /// Modified Gram-Schmidt on the `X_r` and, separately, the `D_r`, each vector keeping its
    /// norm: against the unit vectors `V_c / |V_c|` (`Q.FRAC`) of the ones before it, then scaled
    /// by `|V_r| / |V_r'|` (its norms before and after, as `sqrt(a) = a / sqrt(a)`).
    fn reorthogonalise(&mut self) {
        let (ni, no, k) = (self.shape.inputs, self.shape.outputs, self.shape.k);
        let ratio_max = 1i128 << (FRAC + self.shape.acc_bits());
        let (lo, hi) = signed_range(self.shape.acc_bits());
        let mut ends = Ends::default();
        let mut replaced = 0;
        for (m, n) in [(&mut self.x, ni), (&mut self.d, no)] {
            let mut units: Vec<Vec<i64>> = Vec::with_capacity(k);
            for r in 0..k {
                let v = &mut m[r * n..(r + 1) * n];
                let a = norm2(v);
                for u in &units {
                    let t = round_shift(dot(v, u), FRAC as i32);
                    for (e, ue) in v.iter_mut().zip(u) {
                        let s = *e as i128 - round_shift(t * *ue as i128, FRAC as i32);
                        *e = ends.clamp(s.clamp(i64::MIN as i128, i64::MAX as i128) as i64, lo, hi);
                    }
                }
                let b = norm2(v);
                if b == 0 || a == 0 {
                    // Vanished: a unit vector along entry r, of the old norm (at least 1).
                    let len = if a == 0 {
                        1
                    } else {
                        over_norm(a as i128, a, 0).max(1)
                    };
                    v.iter_mut().for_each(|e| *e = 0);
                    v[r % n] = ends.clamp(len.min(hi as i128) as i64, lo, hi);
                    replaced += 1;
                } else {
                    // Clamped where every nonzero entry saturates anyway (the unit's width).
                    let ratio = norm_ratio(a, b).min(ratio_max);
                    for e in v.iter_mut() {
                        let s = round_shift(*e as i128 * ratio, FRAC as i32);
                        *e = ends.clamp(s.clamp(i64::MIN as i128, i64::MAX as i128) as i64, lo, hi);
                    }
                }
                let v = &m[r * n..(r + 1) * n];
                let b = norm2(v);
                units.push(
                    v.iter()
                        .map(|e| over_norm(*e as i128, b, FRAC) as i64)
                        .collect(),
                );
            }
        }
        self.counts.saturations += ends.clamped();
        self.counts.replaced += replaced;
    }

    /// The batch's end, in the three steps the unit takes: [`Self::finish`], [`Self::terms`]
    /// (what the `k` OPAs write), [`Self::warm_start`].
    pub fn end_batch(&mut self) -> Vec<(Vec<i64>, Vec<i64>)> {
        self.finish();
        let terms = self.terms();
        self.warm_start();
        terms
    }

    /// The last re-orthogonalisation of the batch.
    pub fn finish(&mut self) {
        self.reorthogonalise();
    }

    /// The batch's terms `(D_r, X_r / |X_r|)`: the sums `D_r` (`sum_j d_j (x_j . X_r / |X_r|)`
    /// plus the warm start; the mean is `D_r / (samples + 1)`) and the unit row vectors in
    /// `Q.FRAC`.
    pub fn terms(&self) -> Vec<(Vec<i64>, Vec<i64>)> {
        let (ni, no) = (self.shape.inputs, self.shape.outputs);
        (0..self.shape.k)
            .map(|r| {
                let (xr, dr) = (&self.x[r * ni..(r + 1) * ni], &self.d[r * no..(r + 1) * no]);
                let a = norm2(xr);
                let unit = xr
                    .iter()
                    .map(|e| over_norm(*e as i128, a, FRAC) as i64)
                    .collect();
                (dr.to_vec(), unit)
            })
            .collect()
    }

    /// Every sum shifted down by `log2(batch)`: the mean, the next batch's warm start.
    pub fn warm_start(&mut self) {
        let s = self.shape.batch_log2() as i32;
        for e in self.x.iter_mut().chain(self.d.iter_mut()) {
            *e = round_shift(*e as i128, s) as i64;
        }
        self.samples = 0;
    }
}

#[cfg(test)]
mod tests;

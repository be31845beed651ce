//! Bit-serial, bit-sliced matrix-vector products (ISAAC and PUMA; `docs/hardware.md`, Numbers).
//!
//! `y_c = sum_k sum_m 2^(dac_bits*k + value_bits*m) * step * ADC(sum_r drive_k(x_r) * g_m[r][c])`.
//! With an exact ADC this equals `x . W` exactly; the tests check that against big integers.

use crate::adc::convert;
use crate::cells::Cells;
use crate::num::input_digit;
use crate::shape::TileShape;

/// Forward (drive rows, sense columns: `y = x . W`) or transpose (drive columns, sense rows:
/// `y = W . x`, for back-propagation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Transpose,
}

impl Direction {
    /// Lines driven and lines sensed.
    pub fn extent(self, shape: &TileShape) -> (usize, usize) {
        match self {
            Direction::Forward => (shape.rows, shape.cols),
            Direction::Transpose => (shape.cols, shape.rows),
        }
    }
}

/// DAC drive of every line for plane `k` of the input vector `x` (one value per driven line).
pub fn drive(shape: &TileShape, x: &[i64], k: usize) -> Vec<i64> {
    x.iter()
        .map(|&v| input_digit(v, k, shape.dac_bits, shape.planes()))
        .collect()
}

/// Analog line currents of slice `m` for a drive vector: one entry per line of the tile
/// (`shape.lines()`); lines the direction does not sense carry no current.
pub fn currents(
    shape: &TileShape,
    cells: &mut Cells,
    m: usize,
    drive: &[i64],
    dir: Direction,
) -> Vec<i64> {
    let (n_in, n_out) = dir.extent(shape);
    let mut out = vec![0i64; shape.lines()];
    for (o, cur) in out.iter_mut().enumerate().take(n_out) {
        *cur = (0..n_in)
            .map(|i| {
                let g = match dir {
                    Direction::Forward => cells.get(m, i, o),
                    Direction::Transpose => cells.get(m, o, i),
                };
                drive[i] * g
            })
            .sum::<i64>()
            + cells.read_noise(m, o);
    }
    out
}

/// Weight of one ADC code of plane `k`, slice `m` in the accumulator, as a left shift.
pub fn code_shift(shape: &TileShape, k: usize, m: usize) -> u32 {
    shape.dac_bits * k as u32 + shape.value_bits * m as u32 + shape.adc.step_log2
}

/// Result of one MVM/MTVM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MvmResult {
    /// One accumulator per sensed line.
    pub y: Vec<i128>,
    /// Conversions that clipped.
    pub clipped: u64,
    /// Of them, the conversions that clipped at the top code (the rest at the bottom one).
    pub clipped_high: u64,
}

/// The bit-serial, bit-sliced product of input `x` (one value per driven line) with the cells.
pub fn mvm(shape: &TileShape, cells: &mut Cells, x: &[i64], dir: Direction) -> MvmResult {
    let (n_in, n_out) = dir.extent(shape);
    assert_eq!(x.len(), n_in, "input length");
    let mut y = vec![0i128; n_out];
    let (mut clipped, mut clipped_high) = (0, 0);
    for k in 0..shape.planes() {
        let d = drive(shape, x, k);
        for m in 0..shape.slices() {
            let cur = currents(shape, cells, m, &d, dir);
            for (acc, &i) in y.iter_mut().zip(&cur) {
                let (code, clip) = convert(i, &shape.adc);
                clipped += clip as u64;
                clipped_high += (clip && code > 0) as u64;
                *acc += (code as i128) << code_shift(shape, k, m);
            }
        }
    }
    MvmResult {
        y,
        clipped,
        clipped_high,
    }
}

/// `x . W` (forward) or `W . x` (transpose) straight from the slices' levels, `sum_m
/// 2^(value_bits*m) sum_i x_i g_m`: what [`mvm`] returns when every read is exact (no read
/// noise, and [`TileShape::adc_is_exact`]), in `slices` passes over the cells instead of
/// `planes * slices` (the tests prove the two identical).
pub fn direct_product(shape: &TileShape, cells: &Cells, x: &[i64], dir: Direction) -> MvmResult {
    let (n_in, n_out) = dir.extent(shape);
    assert_eq!(x.len(), n_in, "input length");
    let cols = cells.cols;
    let mut y = vec![0i128; n_out];
    let mut part = vec![0i64; n_out];
    for m in 0..shape.slices() {
        let levels = &cells.levels[m];
        part.fill(0);
        match dir {
            Direction::Forward => {
                for (i, &xi) in x.iter().enumerate().filter(|(_, &v)| v != 0) {
                    let row = &levels[i * cols..i * cols + n_out];
                    part.iter_mut().zip(row).for_each(|(p, &g)| *p += xi * g);
                }
            }
            Direction::Transpose => {
                for (o, p) in part.iter_mut().enumerate() {
                    let row = &levels[o * cols..o * cols + n_in];
                    *p = row.iter().zip(x).map(|(&g, &xi)| g * xi).sum();
                }
            }
        }
        let shift = shape.value_bits * m as u32;
        y.iter_mut()
            .zip(&part)
            .for_each(|(acc, &p)| *acc += (p as i128) << shift);
    }
    MvmResult {
        y,
        clipped: 0,
        clipped_high: 0,
    }
}

/// Whether [`direct_product`] equals [`mvm`] on these cells: exact ADC reads, no read noise.
pub fn is_direct(shape: &TileShape, cells: &Cells) -> bool {
    cells.read_q16 == 0 && shape.adc_is_exact()
}

/// The product as the tile computes it: [`direct_product`] where that is exact, else [`mvm`].
pub fn product(shape: &TileShape, cells: &mut Cells, x: &[i64], dir: Direction) -> MvmResult {
    match is_direct(shape, cells) {
        true => direct_product(shape, cells, x, dir),
        false => mvm(shape, cells, x, dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::signed_range;
    use crate::shape::tests::exact_shape;
    use num_bigint::BigInt;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Exact reference: `x . W` (forward) or `W . x` (transpose) of the weights the cells hold.
    fn big_product(s: &TileShape, cells: &Cells, x: &[i64], dir: Direction) -> Vec<BigInt> {
        let (n_in, n_out) = dir.extent(s);
        (0..n_out)
            .map(|o| {
                (0..n_in)
                    .map(|i| {
                        let (r, c) = match dir {
                            Direction::Forward => (i, o),
                            Direction::Transpose => (o, i),
                        };
                        BigInt::from(x[i]) * BigInt::from(cells.weight(s.value_bits, r, c))
                    })
                    .sum()
            })
            .collect()
    }

    fn random_cells(s: &TileShape, rng: &mut ChaCha8Rng, raw: bool) -> Cells {
        let mut cells = Cells::new(s);
        let (wlo, whi) = signed_range(s.weight_bits);
        for r in 0..s.rows {
            for c in 0..s.cols {
                if raw {
                    for m in 0..s.slices() {
                        let (lo, hi) = s.cell_range(m);
                        cells.set(m, r, c, rng.random_range(lo..=hi));
                    }
                } else {
                    cells.load_weight(s, r, c, rng.random_range(wlo..=whi));
                }
            }
        }
        cells
    }

    #[test]
    fn exact_adc_mvm_equals_big_integer_product() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for dac in [1, 2, 4] {
            let s = exact_shape(16, 8, dac);
            for trial in 0..20 {
                // Canonical weights and raw levels with carries in the headroom bits.
                let mut cells = random_cells(&s, &mut rng, trial % 2 == 1);
                let (xlo, xhi) = signed_range(s.input_bits);
                for dir in [Direction::Forward, Direction::Transpose] {
                    let (n_in, _) = dir.extent(&s);
                    let mut x: Vec<i64> = (0..n_in).map(|_| rng.random_range(xlo..=xhi)).collect();
                    if trial == 0 {
                        x.iter_mut().for_each(|v| *v = xlo); // the most negative input
                    }
                    let got = mvm(&s, &mut cells, &x, dir);
                    let want = big_product(&s, &cells, &x, dir);
                    // The shortcut of exact tiles returns the same, bit for bit.
                    assert!(is_direct(&s, &cells));
                    assert_eq!(direct_product(&s, &cells, &x, dir), got);
                    assert_eq!(got.clipped, 0);
                    let got: Vec<BigInt> = got.y.iter().map(|&v| BigInt::from(v)).collect();
                    assert_eq!(got, want, "dac {dac} trial {trial} {dir:?}");
                }
            }
        }
    }

    #[test]
    fn accumulator_width_holds_extreme_products() {
        let s = exact_shape(8, 8, 1);
        let (lo, hi) = s.acc_range();
        // Extreme weights and inputs: every level at its bound, every input at its bound.
        for (level_pick, x_pick) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let mut cells = Cells::new(&s);
            for m in 0..s.slices() {
                let (clo, chi) = s.cell_range(m);
                cells.levels[m].fill(if level_pick == 0 { clo } else { chi });
            }
            let (xlo, xhi) = signed_range(s.input_bits);
            let x = vec![if x_pick == 0 { xlo } else { xhi }; 8];
            let y = mvm(&s, &mut cells, &x, Direction::Forward);
            for v in y.y {
                let v = BigInt::from(v);
                assert!(lo <= v && v <= hi, "{v} outside [{lo}, {hi}]");
            }
        }
    }

    #[test]
    fn read_noise_is_bounded_zero_mean_and_drawn_per_sensed_line() {
        let mut s = exact_shape(16, 8, 1);
        s.device.read_q16 = crate::lfsr::noise_gain_q16(2.0);
        while !s.adc_is_exact() {
            s.adc.bits += 1;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut cells = random_cells(&s, &mut rng, false);
        let clean = {
            let mut c = cells.clone();
            c.read_q16 = 0;
            c
        };
        let x: Vec<i64> = (0..16).map(|_| rng.random_range(-1000..=1000)).collect();
        let bound = s.read_noise_bound();
        assert!(!is_direct(&s, &cells) && is_direct(&s, &clean));
        let (mut sum, mut sq, mut n) = (0i64, 0i64, 0i64);
        for _ in 0..200 {
            for k in 0..s.planes() {
                let d = drive(&s, &x, k);
                let noisy = currents(&s, &mut cells, 0, &d, Direction::Forward);
                let exact = currents(&s, &mut clean.clone(), 0, &d, Direction::Forward);
                for (o, (a, b)) in noisy.iter().zip(&exact).enumerate() {
                    let e = a - b;
                    assert!(e.abs() <= bound);
                    if o >= s.cols {
                        assert_eq!(e, 0, "unsensed lines carry no noise");
                    }
                    sum += e;
                    sq += e * e;
                    n += (o < s.cols) as i64;
                }
            }
        }
        let (mean, var) = (sum as f64 / n as f64, sq as f64 / n as f64);
        assert!(
            mean.abs() < 0.1 && (var.sqrt() - 2.0).abs() < 0.15,
            "{mean} {var}"
        );
        // Only the sensed lines' generators advanced.
        assert_eq!(cells.read_lfsr[0][s.cols..], clean.read_lfsr[0][s.cols..]);
        assert_ne!(cells.read_lfsr[0][..s.cols], clean.read_lfsr[0][..s.cols]);
    }

    #[test]
    fn narrow_adc_clips_and_counts() {
        let mut s = exact_shape(16, 8, 1);
        s.adc.bits = 5;
        s.adc.step_log2 = 1;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut cells = random_cells(&s, &mut rng, true);
        let x: Vec<i64> = (0..16).map(|_| rng.random_range(-32768..=32767)).collect();
        let got = mvm(&s, &mut cells, &x, Direction::Forward);
        assert!(got.clipped > 0);
        // Not exact: the tile's product keeps the bit-serial path.
        assert!(!is_direct(&s, &cells));
        assert_eq!(product(&s, &mut cells.clone(), &x, Direction::Forward), got);
        let exact = big_product(&s, &cells, &x, Direction::Forward);
        let got: Vec<BigInt> = got.y.iter().map(|&v| BigInt::from(v)).collect();
        assert_ne!(got, exact);
    }
}

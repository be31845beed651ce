//! Bit-slice outer-product update (OPA) and carry resolution (CRS), as in PANTHER (Ankit et al.).
//!
//! OPA adds `u[r][c] = x[r] * d[c]` (in weight-LSB units) to every weight at once, inside the
//! crossbars. It runs four sign phases, `(x+, d+), (x+, d-), (x-, d+), (x-, d-)`, each with
//! `input_bits` steps. At step `j` of a phase:
//! - row `r` is driven when `x[r]` has the phase's sign and bit `j` of `|x[r]|` is set;
//! - the columns of slice `m` are driven with digit `m` of `|d[c]| << j` (unsigned, `value_bits`
//!   bits), when `d[c]` has the phase's sign;
//! - every driven cell receives `digit` pulses of sign `sign_x * sign_d` through its device
//!   model; a cell whose train clipped at a bound is counted. (With the default ideal devices a
//!   pulse is one level and the bounds are the cell range.)
//!
//! No carry moves between slices, so `sum_m 2^(value_bits*m) * (change of slice m) = u` exactly
//! while no cell clips and `|u|` fits the slices. CRS later folds the carries back into canonical
//! digits.

use crate::cells::Cells;
use crate::num::{recompose, signed_range, weight_digits, Ends};
use crate::shape::TileShape;

/// The four sign phases `(sign of x, sign of d)`, in the order the sequencer runs them.
pub const PHASES: [(i64, i64); 4] = [(1, 1), (1, -1), (-1, 1), (-1, -1)];

/// Whether row `r` is driven in `phase` at step `j`.
pub fn row_active(x: i64, phase: (i64, i64), j: u32) -> bool {
    x.signum() == phase.0 && (x.unsigned_abs() >> j) & 1 == 1
}

/// Digit driven on the columns of slice `m` in `phase` at step `j` for operand `d`.
pub fn column_digit(shape: &TileShape, d: i64, phase: (i64, i64), j: u32, m: usize) -> i64 {
    if d.signum() != phase.1 {
        return 0;
    }
    let shifted = (d.unsigned_abs() as u128) << j;
    ((shifted >> (shape.value_bits * m as u32)) & ((1 << shape.value_bits) - 1)) as i64
}

/// One OPA step (`phase`, bit `j`) on every cell; returns the cells that clipped.
pub fn opa_step(
    shape: &TileShape,
    cells: &mut Cells,
    x: &[i64],
    d: &[i64],
    phase: (i64, i64),
    j: u32,
) -> u64 {
    let sign = phase.0 * phase.1;
    let mut clipped = 0;
    for m in 0..shape.slices() {
        let digits: Vec<i64> = d
            .iter()
            .map(|&dc| column_digit(shape, dc, phase, j, m))
            .collect();
        for (r, &xr) in x.iter().enumerate() {
            if !row_active(xr, phase, j) {
                continue;
            }
            for (c, &digit) in digits.iter().enumerate() {
                if digit == 0 {
                    continue;
                }
                clipped += cells.pulse(m, r, c, sign * digit) as u64;
            }
        }
    }
    clipped
}

/// The whole OPA: `cells += x d^T` (per slice, without carries); returns the clipped cell
/// updates.
pub fn opa(shape: &TileShape, cells: &mut Cells, x: &[i64], d: &[i64]) -> u64 {
    assert_eq!((x.len(), d.len()), (shape.rows, shape.cols));
    let mut clipped = 0;
    for phase in PHASES {
        for j in 0..shape.input_bits {
            clipped += opa_step(shape, cells, x, d, phase, j);
        }
    }
    clipped
}

/// Carry resolution of one cell: recompose the slices, saturate to the weight width, re-split
/// into canonical digits. Returns where the weight met the ends of its range (`clamped()`: it
/// saturated).
pub fn crs_cell(shape: &TileShape, cells: &mut Cells, r: usize, c: usize) -> Ends {
    let levels: Vec<i64> = (0..shape.slices()).map(|m| cells.get(m, r, c)).collect();
    let w = recompose(&levels, shape.value_bits);
    let (lo, hi) = signed_range(shape.weight_bits);
    let mut ends = Ends::default();
    let sat = ends.clamp(w, lo, hi);
    for (m, digit) in weight_digits(sat, shape.value_bits, shape.slices())
        .into_iter()
        .enumerate()
    {
        cells.set(m, r, c, digit);
    }
    ends
}

/// Carry resolution of every cell, row-major; returns where the weights met their range's ends
/// (`clamped()`: the saturated weights).
pub fn crs_counted(shape: &TileShape, cells: &mut Cells) -> Ends {
    (0..shape.rows)
        .flat_map(|r| (0..shape.cols).map(move |c| (r, c)))
        .map(|(r, c)| crs_cell(shape, cells, r, c))
        .sum()
}

/// Carry resolution of every cell, row-major; returns the saturated weights.
pub fn crs(shape: &TileShape, cells: &mut Cells) -> u64 {
    crs_counted(shape, cells).clamped()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::AdcShape;
    use num_bigint::BigInt;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn panther(rows: usize, cols: usize) -> TileShape {
        TileShape {
            rows,
            cols,
            value_bits: 2,
            cell_bits: vec![6, 6, 6, 6, 5, 5, 5, 5],
            weight_bits: 16,
            input_bits: 16,
            dac_bits: 1,
            adc: AdcShape {
                bits: 14,
                step_log2: 0,
                share: 1,
            },
            device: crate::shape::DeviceShape::default(),
            mixed: None,
            tiki: None,
            lowrank: None,
        }
    }

    fn random_weights(s: &TileShape, rng: &mut ChaCha8Rng, bound: i64) -> Cells {
        let mut cells = Cells::new(s);
        for r in 0..s.rows {
            for c in 0..s.cols {
                cells.load_weight(s, r, c, rng.random_range(-bound..=bound));
            }
        }
        cells
    }

    #[test]
    fn slice_changes_sum_to_the_outer_product_exactly() {
        let s = panther(8, 6);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for trial in 0..50 {
            let mut cells = random_weights(&s, &mut rng, 4000);
            let before = cells.clone();
            // Operands small enough that no slice leaves its headroom.
            let x: Vec<i64> = (0..s.rows).map(|_| rng.random_range(-15..=15)).collect();
            let d: Vec<i64> = (0..s.cols).map(|_| rng.random_range(-60..=60)).collect();
            assert_eq!(opa(&s, &mut cells, &x, &d), 0, "trial {trial}");
            for (r, &xr) in x.iter().enumerate() {
                for (c, &dc) in d.iter().enumerate() {
                    let change: BigInt = (0..s.slices())
                        .map(|m| {
                            BigInt::from(cells.get(m, r, c) - before.get(m, r, c)) << (2 * m as u32)
                        })
                        .sum();
                    assert_eq!(change, BigInt::from(xr) * BigInt::from(dc));
                }
            }
        }
    }

    #[test]
    fn exhausted_headroom_clips_and_is_counted() {
        let s = panther(2, 2);
        let mut cells = Cells::new(&s);
        let x = vec![32767, -32768];
        let d = vec![3, -3];
        let mut clipped = 0;
        for _ in 0..4 {
            clipped += opa(&s, &mut cells, &x, &d);
        }
        assert!(clipped > 0);
        for m in 0..s.slices() {
            let (lo, hi) = s.cell_range(m);
            assert!(cells.levels[m].iter().all(|&l| (lo..=hi).contains(&l)));
        }
    }

    #[test]
    fn crs_keeps_every_weight_unless_it_saturates() {
        let s = panther(6, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (wlo, whi) = signed_range(s.weight_bits);
        for _ in 0..20 {
            let mut cells = Cells::new(&s);
            for m in 0..s.slices() {
                let (lo, hi) = s.cell_range(m);
                for l in cells.levels[m].iter_mut() {
                    *l = rng.random_range(lo..=hi);
                }
            }
            let before = cells.clone();
            let want_sat = (0..s.rows * s.cols)
                .filter(|&i| {
                    let w = before.weight(2, i / s.cols, i % s.cols);
                    w < wlo || w > whi
                })
                .count() as u64;
            assert_eq!(crs(&s, &mut cells), want_sat);
            for r in 0..s.rows {
                for c in 0..s.cols {
                    let w = before.weight(2, r, c);
                    assert_eq!(cells.weight(2, r, c), w.clamp(wlo, whi));
                    let canon = weight_digits(w.clamp(wlo, whi), 2, s.slices());
                    let levels: Vec<i64> = (0..s.slices()).map(|m| cells.get(m, r, c)).collect();
                    assert_eq!(levels, canon, "CRS leaves canonical digits");
                }
            }
        }
    }

    #[test]
    fn opa_then_crs_equals_the_saturated_sum() {
        // Many updates between carry resolutions, then CRS: the weight is w0 + sum u, exactly.
        let s = panther(4, 4);
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut cells = random_weights(&s, &mut rng, 1000);
        let mut want: Vec<i64> = (0..16).map(|i| cells.weight(2, i / 4, i % 4)).collect();
        for _ in 0..4 {
            let x: Vec<i64> = (0..4).map(|_| rng.random_range(-7..=7)).collect();
            let d: Vec<i64> = (0..4).map(|_| rng.random_range(-20..=20)).collect();
            assert_eq!(opa(&s, &mut cells, &x, &d), 0);
            for (i, w) in want.iter_mut().enumerate() {
                *w += x[i / 4] * d[i % 4];
            }
        }
        assert_eq!(crs(&s, &mut cells), 0);
        let got: Vec<i64> = (0..16).map(|i| cells.weight(2, i / 4, i % 4)).collect();
        assert_eq!(got, want);
    }
}

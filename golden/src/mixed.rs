//! Mixed-precision accumulate-and-threshold (Nandakumar et al., Wu et al.).
//!
//! A digital accumulator `chi` per weight collects the exact updates. Every `transfer_every`
//! updates, `n = trunc(chi / epsilon)` clamped to `+-max_pulses` pulses of sign(n) go to the
//! device, and `chi -= n * epsilon`: the device is touched only when the accumulated update
//! crosses the threshold, and nothing is lost, since `chi + (pulses sent) * epsilon` always
//! equals the sum of the updates.

use crate::cells::Cells;
use crate::num::{signed_range, Ends};
use crate::shape::MixedShape;

/// `chi[c] += x * d[c]` for one row, saturating at `bits` (signed); returns the sums at chi's
/// ends (`clamped()`: the saturations the tile counts).
pub fn accumulate_row(chi: &mut [i64], x: i64, d: &[i64], bits: u32) -> Ends {
    let (lo, hi) = signed_range(bits);
    let mut ends = Ends::default();
    for (v, &dc) in chi.iter_mut().zip(d) {
        *v = ends.clamp(*v + x * dc, lo, hi);
    }
    ends
}

/// What a transfer did: the cells whose pulse train clipped at a device bound (the tile counts
/// them), and the pulse counts that met `+-max_pulses`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transferred {
    pub clipped: u64,
    pub pulses: Ends,
}

/// Transfers row `r` of `chi` (`chi[r * cols + c]`) into slice 0 of `cells`.
pub fn transfer_row(
    mixed: &MixedShape,
    chi: &mut [i64],
    cells: &mut Cells,
    r: usize,
) -> Transferred {
    let cols = cells.cols;
    let mut done = Transferred::default();
    for c in 0..cols {
        let (n, rest) = transfer(
            chi[r * cols + c],
            1 << mixed.epsilon_log2,
            mixed.max_pulses,
            &mut done.pulses,
        );
        chi[r * cols + c] = rest;
        done.clipped += cells.pulse(0, r, c, n) as u64;
    }
    done
}

/// The whole accumulate: `chi += x d^T`; returns the sums at chi's ends.
pub fn accumulate(mixed: &MixedShape, chi: &mut [i64], x: &[i64], d: &[i64]) -> Ends {
    chi.chunks_mut(d.len())
        .zip(x)
        .map(|(row, &xr)| accumulate_row(row, xr, d, mixed.chi_bits))
        .sum()
}

/// The whole transfer, row by row.
pub fn transfer_all(mixed: &MixedShape, chi: &mut [i64], cells: &mut Cells) -> Transferred {
    let mut done = Transferred::default();
    for r in 0..cells.rows {
        let row = transfer_row(mixed, chi, cells, r);
        done.clipped += row.clipped;
        done.pulses += row.pulses;
    }
    done
}

/// The pulses a transfer sends for accumulator `chi`, and the accumulator afterwards; `ends`
/// counts the pulse counts that met `+-max_pulses`.
pub fn transfer(chi: i64, epsilon: i64, max_pulses: i64, ends: &mut Ends) -> (i64, i64) {
    assert!(epsilon > 0 && max_pulses >= 0);
    let n = ends.clamp(chi / epsilon, -max_pulses, max_pulses);
    (n, chi - n * epsilon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn truncates_toward_zero_and_clamps() {
        let mut ends = Ends::default();
        assert_eq!(transfer(25, 10, 5, &mut ends), (2, 5));
        assert_eq!(transfer(-25, 10, 5, &mut ends), (-2, -5));
        assert_eq!(transfer(9, 10, 5, &mut ends), (0, 9));
        assert_eq!(ends, Ends::default());
        assert_eq!(transfer(1000, 10, 5, &mut ends), (5, 950));
        assert_eq!(transfer(-1000, 10, 5, &mut ends), (-5, -950));
        assert_eq!(transfer(50, 10, 5, &mut ends), (5, 0));
        let (below, above, at_min, at_max) = (1, 1, 0, 1);
        assert_eq!(
            ends,
            Ends {
                below,
                above,
                at_min,
                at_max
            }
        );
    }

    #[test]
    fn nothing_is_lost_between_accumulator_and_pulses() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (mut chi, mut sent, mut total) = (0i64, 0i64, 0i64);
        for step in 0..10_000 {
            let u = rng.random_range(-700..=700);
            chi += u;
            total += u;
            if step % 8 == 7 {
                let (n, rest) = transfer(chi, 97, 3, &mut Ends::default());
                sent += n;
                chi = rest;
            }
            assert_eq!(chi + sent * 97, total);
        }
    }
}

#[cfg(test)]
mod ends {
    use super::*;

    #[test]
    fn chi_counts_saturations_and_exact_ends_on_both_sides() {
        let (lo, hi) = signed_range(8);
        let mut chi = vec![hi - 3, lo + 3, 0];
        let ends = accumulate_row(&mut chi, 3, &[1, -1, 5], 8);
        assert_eq!(chi, vec![hi, lo, 15]);
        let (at_min, at_max) = (1, 1);
        assert_eq!(
            ends,
            Ends {
                at_min,
                at_max,
                ..Ends::default()
            }
        );
        let ends = accumulate_row(&mut chi, 1, &[1, -1, 0], 8);
        assert_eq!(chi, vec![hi, lo, 15]);
        let (below, above) = (1, 1);
        assert_eq!(
            ends,
            Ends {
                below,
                above,
                ..Ends::default()
            }
        );
        assert_eq!(ends.clamped(), 2);
    }
}

//! Mixed-precision accumulate-and-threshold (Nandakumar et al., Wu et al.).
//!
//! A digital accumulator `chi` per weight collects the exact updates. Every `transfer_every`
//! updates, `n = trunc(chi / epsilon)` clamped to `+-max_pulses` pulses of sign(n) go to the
//! device, and `chi -= n * epsilon`: the device is touched only when the accumulated update
//! crosses the threshold, and nothing is lost, since `chi + (pulses sent) * epsilon` always
//! equals the sum of the updates.

use crate::cells::Cells;
use crate::num::signed_range;
use crate::shape::MixedShape;

/// `chi[c] += x * d[c]` for one row, saturating at `bits` (signed); returns the saturations.
pub fn accumulate_row(chi: &mut [i64], x: i64, d: &[i64], bits: u32) -> u64 {
    let (lo, hi) = signed_range(bits);
    let mut saturated = 0;
    for (v, &dc) in chi.iter_mut().zip(d) {
        let want = *v + x * dc;
        *v = want.clamp(lo, hi);
        saturated += (*v != want) as u64;
    }
    saturated
}

/// Transfers row `r` of `chi` (`chi[r * cols + c]`) into slice 0 of `cells`; returns the cells
/// whose pulse train clipped.
pub fn transfer_row(mixed: &MixedShape, chi: &mut [i64], cells: &mut Cells, r: usize) -> u64 {
    let cols = cells.cols;
    let mut clipped = 0;
    for c in 0..cols {
        let (n, rest) = transfer(chi[r * cols + c], 1 << mixed.epsilon_log2, mixed.max_pulses);
        chi[r * cols + c] = rest;
        clipped += cells.pulse(0, r, c, n) as u64;
    }
    clipped
}

/// The whole accumulate: `chi += x d^T`; returns the saturations.
pub fn accumulate(mixed: &MixedShape, chi: &mut [i64], x: &[i64], d: &[i64]) -> u64 {
    chi.chunks_mut(d.len())
        .zip(x)
        .map(|(row, &xr)| accumulate_row(row, xr, d, mixed.chi_bits))
        .sum()
}

/// The whole transfer, row by row; returns the cells whose pulse train clipped.
pub fn transfer_all(mixed: &MixedShape, chi: &mut [i64], cells: &mut Cells) -> u64 {
    (0..cells.rows)
        .map(|r| transfer_row(mixed, chi, cells, r))
        .sum()
}

/// The pulses a transfer sends for accumulator `chi`, and the accumulator afterwards.
pub fn transfer(chi: i64, epsilon: i64, max_pulses: i64) -> (i64, i64) {
    assert!(epsilon > 0 && max_pulses >= 0);
    let n = (chi / epsilon).clamp(-max_pulses, max_pulses);
    (n, chi - n * epsilon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn truncates_toward_zero_and_clamps() {
        assert_eq!(transfer(25, 10, 5), (2, 5));
        assert_eq!(transfer(-25, 10, 5), (-2, -5));
        assert_eq!(transfer(9, 10, 5), (0, 9));
        assert_eq!(transfer(1000, 10, 5), (5, 950));
        assert_eq!(transfer(-1000, 10, 5), (-5, -950));
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
                let (n, rest) = transfer(chi, 97, 3);
                sent += n;
                chi = rest;
            }
            assert_eq!(chi + sent * 97, total);
        }
    }
}

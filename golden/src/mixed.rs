//! Mixed-precision accumulate-and-threshold (SPEC section 4; Nandakumar et al., Wu et al.).
//!
//! A digital accumulator `chi` per weight collects the exact updates. Every `transfer_every`
//! updates, `n = trunc(chi / epsilon)` clamped to `+-max_pulses` pulses of sign(n) go to the
//! device, and `chi -= n * epsilon`: the device is touched only when the accumulated update
//! crosses the threshold, and nothing is lost, since `chi + (pulses sent) * epsilon` always
//! equals the sum of the updates.

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

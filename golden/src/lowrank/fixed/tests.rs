use super::*;
use crate::lowrank::LowRank;
use rand::{Rng, SeedableRng};

#[test]
fn round_shift_rounds_half_up_and_shifts_left_below_zero() {
    assert_eq!(round_shift(5, 1), 3);
    assert_eq!(round_shift(-5, 1), -2);
    assert_eq!(round_shift(-6, 2), -1);
    assert_eq!(round_shift(7, 0), 7);
    assert_eq!(round_shift(3, -4), 48);
}

#[test]
fn invsqrt_is_accurate_to_28_bits_over_100_bit_arguments() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut worst: f64 = 0.0;
    for t in 0..4000u32 {
        let bits = 1 + t % 100;
        let a: u128 = (rng.random::<u128>() >> (128 - bits)) | (1u128 << (bits - 1));
        let (y, e) = invsqrt(a);
        assert!(y > 1 << (FRAC - 1) && y <= 1 << FRAC, "{a}: y {y}");
        let got = y as f64 * 2f64.powi(-(FRAC as i32 + e));
        worst = worst.max((got * (a as f64).sqrt() - 1.0).abs());
    }
    assert!(worst < 2f64.powi(-28), "worst relative error {worst:e}");
    // The ratio of two norms, as accurate.
    let r = norm_ratio(9 << 70, 4 << 10) as f64 / (1u64 << FRAC) as f64;
    assert!((r / (1.5 * 2f64.powi(30)) - 1.0).abs() < 1e-8, "{r}");
}

#[test]
fn accumulator_width_is_derived_from_the_sample_widths() {
    // 64x32 tile, 16-bit samples, batch 128: 15 + 15 + ceil(log2 8) + ceil(log2 129) + 2.
    let s = FixedShape {
        inputs: 64,
        outputs: 32,
        k: 4,
        x_bits: 16,
        d_bits: 16,
        batch: 128,
    };
    assert_eq!(s.acc_bits(), 15 + 15 + 3 + 8 + 2);
    assert_eq!(s.batch_log2(), 7);
}

fn shape(inputs: usize, outputs: usize, k: usize, batch: usize) -> FixedShape {
    FixedShape {
        inputs,
        outputs,
        k,
        x_bits: 12,
        d_bits: 12,
        batch,
    }
}

#[test]
fn one_sample_moves_a_pair_by_the_rank_1_rule_in_integers() {
    // X = (2^20, 0), D = (0, 2^20): the projections are exact, d.D/|D| = -2 and then, from the
    // X before the update, x.X/|X| = 3.
    let mut f = FixedLowRank::new(shape(2, 2, 1, 8), 0, 20);
    f.x = vec![1 << 20, 0];
    f.d = vec![0, 1 << 20];
    f.absorb(&[3, 4], &[5, -2]);
    assert_eq!(f.x, vec![(1 << 20) - 6, -8]);
    assert_eq!(f.d, vec![15, (1 << 20) - 6]);
    assert_eq!(f.counts.samples, 1);
}

/// Integer samples of a noisy rank-3 gradient.
fn samples(ni: usize, no: usize, n: usize, seed: u64) -> Vec<(Vec<i64>, Vec<i64>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dirs: Vec<(Vec<f64>, Vec<f64>)> = (0..3)
        .map(|t| {
            let v = (0..ni)
                .map(|i| ((i * (t + 2)) as f64 * 0.9).sin())
                .collect();
            let u = (0..no)
                .map(|o| ((o * (t + 3)) as f64 * 0.7).cos())
                .collect();
            (v, u)
        })
        .collect();
    (0..n)
        .map(|_| {
            let t = rng.random_range(0..3usize);
            let a: f64 = rng.random_range(0.5..1.5) * [1.0, 0.6, 0.3][t];
            let x = dirs[t]
                .0
                .iter()
                .map(|v| (600.0 * (a * v + 0.05 * rng.random_range(-1.0..1.0))).round() as i64)
                .collect();
            let d = dirs[t]
                .1
                .iter()
                .map(|u| (900.0 * u).round() as i64)
                .collect();
            (x, d)
        })
        .collect()
}

#[test]
fn the_fixed_form_follows_the_float64_reference() {
    // Same first pairs (the fixed form's, rounded at 2^one), same integer samples: the first
    // batch's terms agree to the rounding of the fixed form (D_r / (n + 1) against the
    // reference's means).
    let (ni, no, k, n, one) = (24, 12, 3, 32, 20);
    let mut f = FixedLowRank::new(shape(ni, no, k, n), 5, one);
    let mut r = LowRank::new(ni, no, k, 5);
    r.x = f.x.iter().map(|v| *v as f64).collect();
    r.d = f.d.iter().map(|v| *v as f64).collect();
    for (x, d) in samples(ni, no, n, 6) {
        let xf: Vec<f64> = x.iter().map(|v| *v as f64).collect();
        let df: Vec<f64> = d.iter().map(|v| *v as f64).collect();
        f.absorb(&x, &d);
        r.absorb(&xf, &df);
    }
    let (tf, tr) = (f.end_batch(), r.end_batch());
    for ((df, xf), (dr, xr)) in tf.iter().zip(&tr) {
        for (a, b) in xf.iter().zip(xr) {
            assert!(
                (*a as f64 / 2f64.powi(FRAC as i32) - b).abs() < 1e-5,
                "x {a} {b}"
            );
        }
        let scale = dr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in df.iter().zip(dr) {
            let mean = *a as f64 / (n + 1) as f64;
            assert!((mean - b).abs() < 1e-5 * scale, "d {mean} {b}");
        }
    }
    assert_eq!((f.counts.saturations, f.counts.replaced), (0, 0));
    // The sums carry into the next batch as the warm start, shifted by log2(batch).
    assert_eq!(f.samples, 0);
}

#[test]
fn saturating_adds_are_counted() {
    let s = shape(2, 2, 1, 8);
    let top = (1i64 << (s.acc_bits() - 1)) - 1;
    let mut f = FixedLowRank::new(s, 0, 4);
    f.x = vec![top, 0];
    f.d = vec![top, 0];
    f.absorb(&[2047, 0], &[2047, 0]);
    assert_eq!(f.x[0], top);
    assert_eq!(f.d[0], top);
    assert_eq!(f.counts.saturations, 2);
}

#[test]
fn a_vanishing_vector_is_replaced_by_a_unit_vector_of_its_norm() {
    let mut f = FixedLowRank::new(shape(3, 3, 2, 8), 0, 10);
    f.x = vec![300, 400, 0, 600, 800, 0];
    f.d = vec![1 << 10, 0, 0, 0, 1 << 10, 0];
    f.end_batch();
    assert_eq!(f.counts.replaced, 1);
    // X_1 was 2 X_0: replaced by e_1 of norm 1000, then shifted by log2(8).
    assert_eq!(&f.x[3..], &[0, 125, 0]);
}

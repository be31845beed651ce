//! Tests of the terms' operands: exact identities of the stochastic rounding, the scale's
//! encoding, and the operands' product against the float64 term.

use super::*;
use crate::lowrank::fixed::{FixedLowRank, FixedShape};

#[test]
fn stochastic_rounding_is_exact_on_average_over_every_draw() {
    // Hermite's identity: sum_u floor(v 2^-t + u 2^-16) over all 2^16 draws is floor(v 2^(16 -
    // t)), so the mean is v 2^-t to within 2^-16 (exactly when t <= 16).
    for v in [
        -1_000_003i128,
        -65_536,
        -1,
        0,
        1,
        7,
        65_535,
        123_456_789_012,
    ] {
        for t in [-3, 0, 1, 5, 15, 16, 17, 30, 40] {
            let sum: i128 = (0..1u32 << DRAW_BITS)
                .map(|u| stochastic_shift(v, t, u))
                .sum();
            let want = match t {
                t if t <= 0 => (v << -t) << DRAW_BITS,
                t => (v << DRAW_BITS) >> t,
            };
            assert_eq!(sum, want, "v {v} t {t}");
        }
    }
}

#[test]
fn a_scale_round_trips_through_its_word_within_half_a_mantissa_lsb() {
    for v in [1e-9, 3.3e-7, 6.1e-5, 0.25, 1.0, 1234.5] {
        let s = Scale::of(v, 4).unwrap();
        assert!((1 << (SCALE_MANT_BITS - 1)..1 << SCALE_MANT_BITS).contains(&s.mant));
        assert_eq!(Scale::from_word(s.word()), s);
        let rel = (s.value() - v).abs() / v;
        assert!(rel <= 2f64.powi(-(SCALE_MANT_BITS as i32)), "{v}: {rel}");
    }
    assert_eq!(Scale::of(0.0, 4), None);
    assert_eq!(Scale::of(1.0, 32), None);
    assert_eq!(Scale::of(-1.0, 4), None);
    // 2^-300 needs a shift beyond 8 bits.
    assert_eq!(Scale::of(2f64.powi(-300), 4), None);
}

fn estimate(x_bits: u32, d_bits: u32) -> FixedLowRank {
    let shape = FixedShape {
        inputs: 16,
        outputs: 8,
        k: 2,
        x_bits,
        d_bits,
        batch: 16,
    };
    let mut e = FixedLowRank::new(shape, 7, 12);
    let mut l = Lfsr::new32(99);
    let mut draw = |bits: u32| {
        let w = l.word() as i64;
        w % (1 << (bits - 1))
    };
    for _ in 0..16 {
        let x: Vec<i64> = (0..16).map(|_| draw(x_bits)).collect();
        let d: Vec<i64> = (0..8).map(|_| draw(d_bits)).collect();
        e.absorb(&x, &d);
    }
    e.finish();
    e
}

#[test]
fn the_rows_fill_the_input_range_and_the_product_is_the_scaled_term() {
    let e = estimate(8, 8);
    let s = e.shape;
    for r in 0..s.k {
        // A scale whose largest update is about 40 weight LSBs: no column clamps.
        let big = |v: &[i64]| v.iter().map(|e| e.abs()).max().unwrap() as f64;
        let (xr, dr) = (
            &e.x[r * s.inputs..(r + 1) * s.inputs],
            &e.d[r * s.outputs..(r + 1) * s.outputs],
        );
        let n = xr.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        let scale = Scale::of(40.0 * n / (128.0 * big(xr) * big(dr)), 7).unwrap();
        let o = e.operands(r, scale, &mut Lfsr::new32(5));
        let top = o.rows.iter().map(|v| v.abs()).max().unwrap();
        assert!((64..=127).contains(&top), "largest row operand {top}");
        // The columns' expectation over every draw (exact, Hermite's identity as above) times
        // the rows against the float64 term -scale 2^(x_bits - 1) D_j X_i / |X|.
        let a: u128 = xr.iter().map(|v| (*v as i128 * *v as i128) as u128).sum();
        let (y, ex) = invsqrt(a);
        let t = FRAC as i32 + ex + scale.shift as i32 - row_shift(xr, 7) - 7;
        for (i, xi) in xr.iter().enumerate() {
            for (j, dj) in dr.iter().enumerate() {
                let p = -(*dj as i128) * y * scale.mant as i128;
                let mean = ((p << DRAW_BITS) >> t) as f64 / 65536.0;
                let got = o.rows[i] as f64 * mean;
                let want = -scale.value() * 128.0 * *dj as f64 * *xi as f64 / n;
                let bound = 0.5 * mean.abs() + 1e-6 * want.abs() + 1.0 / 65536.0 * 128.0;
                assert!(
                    (got - want).abs() <= bound,
                    "r {r} ({i},{j}): {got} vs {want}"
                );
            }
        }
        assert_eq!(o.clamped, 0);
        assert!(o.cols.iter().any(|&c| c != 0), "the term writes something");
    }
}

#[test]
fn columns_beyond_the_weight_width_clamp_and_are_counted() {
    let e = estimate(8, 8);
    let o = e.operands(0, Scale::of(1.0, 7).unwrap(), &mut Lfsr::new32(5));
    assert!(o.clamped > 0);
    assert!(o.cols.iter().all(|c| (-128..=127).contains(c)));
}

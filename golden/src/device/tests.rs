//! The device model's rules: steps, bounds, noise, trains, device files and variation.

use super::*;

#[test]
fn the_multiplier_divides_exactly() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let divisors = [
        2,
        3,
        7,
        375,
        625,
        160_000,
        65_535,
        65_536,
        1 << 31,
        u32::MAX as i64,
    ];
    let edges = [0, 1, 2, 374, 375, 376, u32::MAX as i64 - 1, u32::MAX as i64];
    let mut all_d = divisors.to_vec();
    all_d.extend((0..200).map(|_| rng.random_range(2..=u32::MAX as i64)));
    let mut all_a = edges.to_vec();
    all_a.extend((0..200).map(|_| rng.random_range(0..=u32::MAX as i64)));
    for d in all_d {
        let v = Divisor::new(d);
        for &a in &all_a {
            assert_eq!(v.div(a), a / d, "{a} / {d}");
            // A multiple of d and its neighbours: where a rounding error would show.
            let k = a / d * d;
            for b in [k, k - 1, k + d - 1] {
                if (0..=u32::MAX as i64).contains(&b) {
                    assert_eq!(v.div(b), b / d, "{b} / {d}");
                }
            }
        }
    }
    // Outside 32 bits, and the divisors without a multiplier, as `div`.
    for d in [-375, 1, 1 << 40] {
        let v = Divisor::new(d);
        for a in [0, 7, -1_000_003, 1 << 45] {
            assert_eq!(v.div(a), a / d, "{a} / {d}");
        }
    }
}

#[test]
fn a_train_is_its_pulses_one_by_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let devs = draw(&Nominal::reram(), 8, 64, 5);
    for kind in [Kind::SoftBounds, Kind::Ideal] {
        for c2c_q16 in [0, c2c_gain(0.3)] {
            let model = Model {
                kind,
                frac_bits: 8,
                c2c_q16,
            };
            for (k, dev) in devs.iter().enumerate() {
                let mut dev = *dev;
                dev.stuck = [Stuck::No, Stuck::No, Stuck::No, Stuck::On, Stuck::Off][k % 5];
                let g0 = rng.random_range(dev.g_min..=dev.g_max);
                let up = k % 2 == 0;
                let count = [0, 1, 3, 4, 5, 40, 700][k % 7];
                let (mut a, mut b) = (Lfsr::new32(k as u32 + 1), Lfsr::new32(k as u32 + 1));
                let (mut g, mut clipped) = (g0, false);
                for _ in 0..count {
                    let (ng, c) = pulse(&model, &dev, g, up, &mut a);
                    g = ng;
                    clipped |= c;
                }
                assert_eq!(
                    pulse_train(&model, &dev, g0, up, count, &mut b),
                    (g, clipped),
                    "{kind:?} c2c {c2c_q16} device {k}: {count} pulses from {g0}"
                );
                assert_eq!(a.word(), b.word(), "the LFSRs end in the same state");
            }
        }
    }
}

#[test]
fn the_32_bit_division_truncates_as_the_64_bit_one() {
    let edges = [
        0i64,
        1,
        2,
        3,
        7,
        255,
        65535,
        1 << 31,
        u32::MAX as i64,
        1 << 32,
        1 << 40,
    ];
    for &a in &edges {
        for &b in &edges[1..] {
            for (a, b) in [(a, b), (-a, b), (a, -b), (-a, -b)] {
                assert_eq!(div(a, b), a / b, "{a} / {b}");
            }
        }
    }
}

fn nominal_dev(frac: u32) -> CellDevice {
    CellDevice {
        g_min: -375 << frac,
        g_max: 625 << frac,
        step_up: 1 << frac,
        step_down: 1 << frac,
        stuck: Stuck::No,
    }
}

#[test]
fn ideal_pulses_move_one_level_and_clip_at_the_bounds() {
    let m = Model {
        kind: Kind::Ideal,
        frac_bits: 0,
        c2c_q16: 0,
    };
    let dev = CellDevice {
        g_min: -2,
        g_max: 3,
        step_up: 1,
        step_down: 1,
        stuck: Stuck::No,
    };
    let mut l = Lfsr::new32(1);
    let mut g = 0;
    let mut trace = vec![];
    for _ in 0..4 {
        let (ng, clip) = pulse(&m, &dev, g, true, &mut l);
        trace.push((ng, clip));
        g = ng;
    }
    assert_eq!(trace, vec![(1, false), (2, false), (3, false), (3, true)]);
    assert_eq!(l, Lfsr::new32(1), "no noise, no draws");
}

#[test]
fn soft_bounds_steps_shrink_linearly_toward_the_bound() {
    let frac = 8;
    let m = Model {
        kind: Kind::SoftBounds,
        frac_bits: frac,
        c2c_q16: 0,
    };
    let dev = nominal_dev(frac);
    let mut l = Lfsr::new32(1);
    let mut g = 0i64;
    let mut steps = vec![];
    for _ in 0..3000 {
        let (ng, _) = pulse(&m, &dev, g, true, &mut l);
        steps.push(ng - g);
        g = ng;
    }
    assert_eq!(steps[0], 256, "a full level at g = 0");
    assert!(
        steps.windows(2).all(|w| w[1] <= w[0]),
        "monotonically shrinking"
    );
    // Continuous model: g_n = g_max (1 - (1 - 1/625)^n); truncation only slows it down.
    let analytic = 625.0 * 256.0 * (1.0 - (1.0f64 - 1.0 / 625.0).powi(1000));
    let g1000: i64 = steps[..1000].iter().sum();
    assert!((g1000 as f64) <= analytic && (g1000 as f64) > 0.97 * analytic);
    assert!(g < dev.g_max, "never reaches the bound");
    // Down from the top: the step is larger far from g_min's side.
    let (down, _) = pulse(&m, &dev, g, false, &mut l);
    assert!(g - down > 256);
}

#[test]
fn c2c_noise_draws_one_word_per_pulse_and_spreads_the_step() {
    let m = Model {
        kind: Kind::Ideal,
        frac_bits: 8,
        c2c_q16: c2c_gain(0.3),
    };
    let dev = nominal_dev(8);
    let mut l = Lfsr::new32(7);
    let mut mirror = Lfsr::new32(7);
    let steps: Vec<i64> = (0..5000)
        .map(|_| {
            mirror.word();
            pulse(&m, &dev, 0, true, &mut l).0
        })
        .collect();
    assert_eq!(l, mirror);
    let mean = steps.iter().sum::<i64>() as f64 / 5000.0;
    let sd = (steps
        .iter()
        .map(|&s| (s as f64 - mean).powi(2))
        .sum::<f64>()
        / 5000.0)
        .sqrt();
    assert!((mean - 256.0).abs() < 3.0, "mean {mean}");
    assert!(
        (sd / 256.0 - 0.3).abs() < 0.02,
        "relative spread {}",
        sd / 256.0
    );
}

#[test]
fn stuck_cells_ignore_pulses_but_still_draw() {
    let m = Model {
        kind: Kind::SoftBounds,
        frac_bits: 4,
        c2c_q16: c2c_gain(0.1),
    };
    let dev = CellDevice {
        stuck: Stuck::Off,
        ..nominal_dev(4)
    };
    let mut l = Lfsr::new32(3);
    assert_eq!(pulse(&m, &dev, 0, true, &mut l), (dev.g_min, false));
    assert_ne!(l, Lfsr::new32(3));
}

#[test]
fn device_files_round_trip_and_variation_is_seeded() {
    let nom = Nominal {
        p_stuck_on: 0.05,
        p_stuck_off: 0.05,
        ..Nominal::reram()
    };
    let a = draw(&nom, 8, 500, 42);
    assert_eq!(a, draw(&nom, 8, 500, 42));
    assert_ne!(a, draw(&nom, 8, 500, 43));
    assert_eq!(from_memh(&to_memh(&a)).unwrap(), a);
    let stuck = a.iter().filter(|d| d.stuck != Stuck::No).count();
    assert!((20..=80).contains(&stuck), "{stuck} stuck of 500");
    let mean_up = a.iter().map(|d| d.step_up as f64).sum::<f64>() / 500.0;
    assert!((mean_up / 256.0 - 1.0).abs() < 0.05);
    assert!(from_memh("zz\n").is_err());
}

#[test]
fn can_clip_says_which_devices_a_pulse_can_push_past_a_bound() {
    let soft = Model {
        kind: Kind::SoftBounds,
        frac_bits: 4,
        c2c_q16: 0,
    };
    let ideal = Model {
        kind: Kind::Ideal,
        ..soft
    };
    let dev = |step: i64, stuck: Stuck| CellDevice {
        g_min: -100,
        g_max: 100,
        step_up: step,
        step_down: step,
        stuck,
    };
    let mut lfsr = Lfsr::new32(1);
    // A soft-bounds step below the bound approaches it and never clips.
    assert!(!can_clip(&soft, &dev(16, Stuck::No)));
    let mut g = 0;
    for _ in 0..1000 {
        let (ng, clip) = pulse(&soft, &dev(16, Stuck::No), g, true, &mut lfsr);
        assert!(!clip);
        g = ng;
    }
    // A step past the bound clips at once; so does a hard bound; a stuck device never does.
    assert!(can_clip(&soft, &dev(120, Stuck::No)));
    assert!(pulse(&soft, &dev(120, Stuck::No), 0, true, &mut lfsr).1);
    assert!(can_clip(&ideal, &dev(16, Stuck::No)));
    assert!(!can_clip(&ideal, &dev(16, Stuck::On)));
    // Noise grows the step: 95 * (1 + 510 * 13 / 65536), about 104, passes 100.
    let noisy = Model {
        c2c_q16: 6554 / 510 + 1,
        ..soft
    };
    assert!(!can_clip(&soft, &dev(95, Stuck::No)));
    assert!(can_clip(&noisy, &dev(95, Stuck::No)));
}

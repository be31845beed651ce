use super::*;
use crate::device::{pulse, Stuck};

fn soft(up: i64, down: i64) -> (Model, CellDevice) {
    let model = Model {
        kind: Kind::SoftBounds,
        frac_bits: 8,
        c2c_q16: 0,
    };
    let dev = CellDevice {
        g_min: -375 << 8,
        g_max: 625 << 8,
        step_up: up,
        step_down: down,
        stuck: Stuck::No,
    };
    (model, dev)
}

#[test]
fn thresholds_fire_with_their_probability() {
    let mut l = Lfsr::new32(0xACE1);
    let words: Vec<u32> = (0..40_000).map(|_| l.word()).collect();
    assert!(words.iter().all(|&w| !fires(threshold(0.0), w)));
    assert!(words.iter().all(|&w| fires(threshold(1.0), w)));
    assert!(
        words.iter().all(|&w| fires(threshold(7.5), w)),
        "above 1 always fires"
    );
    assert_eq!((threshold(f64::NAN), threshold(-1.0)), (0, 0));
    for p in [0.01, 0.3, 0.77] {
        let n = words.iter().filter(|&&w| fires(threshold(p), w)).count();
        let f = n as f64 / words.len() as f64;
        assert!((f - p).abs() < 0.01, "p {p}: fired {f}");
    }
}

#[test]
fn the_symmetry_point_balances_an_up_and_a_down_step() {
    for (up, down) in [(256, 256), (300, 200), (180, 260), (512, 100)] {
        let (model, dev) = soft(up, down);
        let w = symmetry_point(&model, &dev);
        if up == down {
            assert_eq!(w, 0);
        }
        let step_up = up * (dev.g_max - w) / dev.g_max;
        let step_down = down * (w - dev.g_min) / -dev.g_min;
        assert!(
            (step_up - step_down).abs() <= 1,
            "{up}/{down}: w* {w}: {step_up} vs {step_down}"
        );
        // Alternating pulses from either bound settle within a step or two of it.
        for start in [dev.g_min, dev.g_max] {
            let (mut g, mut l) = (start, Lfsr::new32(1));
            for i in 0..20_000 {
                g = pulse(&model, &dev, g, i % 2 == 0, &mut l).0;
            }
            assert!(
                (g - w).abs() <= 2 * up.max(down),
                "{up}/{down} from {start}: {g} vs {w}"
            );
        }
    }
    let ideal = Model {
        kind: Kind::Ideal,
        ..soft(1, 1).0
    };
    assert_eq!(symmetry_point(&ideal, &soft(300, 200).1), 0);
}

#[test]
fn pulse_signs_follow_the_gradient_and_the_choppers() {
    let op = PulseOperands {
        x_thr: vec![ALWAYS; 2],
        x_neg: vec![false, true],
        d_thr: vec![ALWAYS; 2],
        d_neg: vec![false, true],
        slots: 1,
    };
    let none = [false, false];
    // x d > 0 lowers the weight, x d < 0 raises it.
    assert!(!raises(&op, &none, &none, 0, 0) && !raises(&op, &none, &none, 1, 1));
    assert!(raises(&op, &none, &none, 0, 1) && raises(&op, &none, &none, 1, 0));
    // Differing choppers negate; equal ones do not.
    assert!(raises(&op, &[true, false], &none, 0, 0));
    assert!(!raises(&op, &[true, false], &[true, false], 0, 0));
}

#[test]
fn coincidences_average_slots_times_both_probabilities() {
    let (px, pd, slots) = (0.4, 0.25, 31u32);
    let op = PulseOperands {
        x_thr: vec![threshold(px); 4],
        x_neg: vec![false; 4],
        d_thr: vec![threshold(pd); 4],
        d_neg: vec![false; 4],
        slots,
    };
    // Line LFSRs seeded as the cells' are: through the seed hash, never with nearby seeds
    // (the Galois form keeps nearby states correlated).
    let seed = |i: usize| crate::protocol::seed_hash(77, 0, 0, i);
    let mut rows: Vec<Lfsr> = (0..4).map(|i| Lfsr::new32(seed(i))).collect();
    let mut cols: Vec<Lfsr> = (4..8).map(|i| Lfsr::new32(seed(i))).collect();
    let trials = 2000;
    let mut count = 0u64;
    for _ in 0..trials * slots {
        let (r, c) = slot(&op, &mut rows, &mut cols);
        count += (r.iter().filter(|&&f| f).count() * c.iter().filter(|&&f| f).count()) as u64;
    }
    let per_cell = count as f64 / (16 * trials) as f64;
    let want = slots as f64 * px * pd;
    assert!((per_cell / want - 1.0).abs() < 0.03, "{per_cell} vs {want}");
}

fn chopped(schedule: Schedule) -> TransferShape {
    TransferShape {
        flavor: Flavor::Chopped,
        schedule,
        h_bits: 24,
        h_frac: 16,
        mu_frac: 8,
        beta_q16: 0,
        warmup_passes: 0,
    }
}

#[test]
fn h_accumulates_the_read_and_one_pulse_resets_it() {
    let s = chopped(Schedule::Never);
    let mut t = TransferState::new(1, 2, 1);
    let lr_q = 3 << 14; // 0.75 of a pulse per code
    assert_eq!(t.transfer(&s, &[1, -1], lr_q), vec![]);
    assert_eq!(t.h, vec![3 << 14, -(3 << 14)]);
    // The second read crosses one pulse both ways: C follows the sign of A's read.
    let p = t.transfer(&s, &[1, -1], lr_q);
    assert_eq!(
        p,
        vec![CPulse { col: 0, up: true }, CPulse { col: 1, up: false }]
    );
    assert_eq!(t.h, vec![0, 0]);
    assert_eq!((t.counters.c_pulses, t.warm), (2, 1));
    // Differing choppers negate the read.
    t.c_out[1] = true;
    t.transfer(&s, &[1, 1], lr_q);
    assert_eq!(t.h, vec![3 << 14, -(3 << 14)]);
    // H saturates at its width, counted.
    let narrow = TransferShape { h_bits: 18, ..s };
    let mut t = TransferState::new(1, 1, 1);
    t.transfer(&narrow, &[1000], 1 << 10);
    assert_eq!(
        (t.h[0], t.counters.h_saturations),
        (0, 1),
        "saturated, then one pulse"
    );
}

#[test]
fn regular_choppers_flip_in_the_last_pass_of_each_period_and_random_ones_at_their_rate() {
    let s = chopped(Schedule::Regular { period: 4 });
    let mut t = TransferState::new(3, 1, 1);
    let mut flips_at = vec![];
    for read in 0..3 * 12 {
        let before = t.c_in.clone();
        t.transfer(&s, &[0], 0);
        if before != t.c_in {
            flips_at.push(read);
        }
    }
    // Passes 3, 7 and 11 (reads 9..=11, 21..=23, 33..=35) flip every line once.
    assert_eq!(flips_at, vec![9, 10, 11, 21, 22, 23, 33, 34, 35]);
    let s = chopped(Schedule::Random {
        thr: threshold(0.1),
    });
    let mut t = TransferState::new(1, 1, 7);
    for _ in 0..20_000 {
        t.transfer(&s, &[0], 0);
    }
    let rate = t.counters.flips as f64 / 20_000.0;
    assert!((rate - 0.1).abs() < 0.01, "{rate}");
    assert_eq!(period(0.01), 100);
    assert_eq!(period(0.9), 2);
    assert_eq!(beta_q16(5.0, 50), 6554);
}

/// A constant offset in every read (a reference programmed off the symmetry point) and no
/// gradient: TTv2 moves C by it without end; chopping cancels it.
#[test]
fn choppers_cancel_a_constant_read_offset_that_drives_ttv2() {
    let (offset, lr_q, passes) = (3i64, 1 << 10, 2000u64); // 3/64 of a pulse per read
    let run = |shape: TransferShape| {
        let mut t = TransferState::new(4, 4, 5);
        for _ in 0..passes * 4 {
            t.transfer(&shape, &[offset; 4], lr_q);
        }
        t.counters.c_pulses
    };
    let ttv2 = run(TransferShape {
        flavor: Flavor::Ttv2,
        ..chopped(Schedule::Never)
    });
    let ctt = run(chopped(Schedule::Regular { period: 2 }));
    // TTv2: every weight gets one pulse per ceil(64 / 3) = 22 passes.
    assert_eq!(ttv2, 16 * (passes / 22));
    assert_eq!(ctt, 0, "the chopped sum over a period is 0");
}

#[test]
fn agad_reads_against_the_mean_frozen_at_each_flip_and_waits_before_writing() {
    let s = TransferShape {
        flavor: Flavor::Agad,
        schedule: Schedule::Regular { period: 4 },
        beta_q16: beta_q16(2.0, 4), // 0.5
        warmup_passes: 4,
        ..chopped(Schedule::Never)
    };
    let mut t = TransferState::new(1, 1, 3);
    let lr_q = 1 << 14; // a quarter pulse per code
                        // A constant read of 40 codes: the mean converges to it.
    for _ in 0..40 {
        t.transfer(&s, &[40], lr_q);
    }
    assert!((t.mu[0] - (40 << 8)).abs() <= 1, "mean {}", t.mu[0]);
    // Before the first flip (after pass 3) the reference is 0 and every read of 10 pulses
    // crosses; in the warm-up (passes 0..=4, strict) those pulses are withheld. Read 4 is
    // against the mean of 4 reads (15/16 of 40): 0.625 of a pulse.
    assert_eq!(t.counters.withheld, 4);
    assert!(t.counters.c_pulses >= 1);
    // Once the frozen reference equals the constant read, nothing moves C.
    let pulses = t.counters.c_pulses;
    for _ in 0..400 {
        t.transfer(&s, &[40], lr_q);
    }
    assert!(
        t.counters.c_pulses - pulses <= 2,
        "{}",
        t.counters.c_pulses - pulses
    );
    assert_eq!(t.mu_past[0], t.mu[0]);
}

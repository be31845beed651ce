//! Device models of a programmable cell (`docs/hardware.md`, Devices), in integers so that the RTL's
//! behavioral crossbar and the golden model agree bit for bit.
//!
//! A device's conductance `g` is held in *fine units*, `2^-frac_bits` of a level, so that
//! soft-bounds steps can shrink below one level. One programming pulse moves it:
//! - `ideal`: by a constant step (`step_up` up, `step_down` down), clipped to the bounds;
//! - `soft_bounds` (aihwkit's standard ReRAM model): up by `step_up * (g_max - g) / g_max`, down
//!   by `step_down * (g - g_min) / -g_min` (divisions truncate; a step is never negative).
//!
//! Cycle-to-cycle noise, when `c2c_q16 != 0`, draws one LFSR word per pulse (stuck cells
//! included, so the draw count never depends on the state) and scales the step by
//! `1 + c2c * n`: `dg += (dg * noise(word) * c2c_q16) >> 16`. A stuck cell stays at its bound.
//! Device-to-device variation (per-cell bounds and steps, stuck-at faults) is drawn once from a
//! seed and stored in a `$readmemh` file that both sides read.

use crate::lfsr::{noise, noise_gain_q16, Lfsr};
use crate::protocol::{entry, stuck, Field};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ideal,
    SoftBounds,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stuck {
    No = stuck::NO as isize,
    /// Stuck at `g_max`.
    On = stuck::ON as isize,
    /// Stuck at `g_min`.
    Off = stuck::OFF as isize,
}

/// Parameters of one cell's device, in fine units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellDevice {
    pub g_min: i64,
    pub g_max: i64,
    pub step_up: i64,
    pub step_down: i64,
    pub stuck: Stuck,
}

/// The model shared by every cell of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Model {
    pub kind: Kind,
    pub frac_bits: u32,
    /// Q16 gain of the cycle-to-cycle noise ([`noise_gain_q16`]); 0 for none.
    pub c2c_q16: i64,
}

/// Nominal (pre-variation) parameters, in levels and relative spreads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nominal {
    pub g_min_levels: i64,
    pub g_max_levels: i64,
    /// Device-to-device spread of steps and bounds (aihwkit `dw_min_dtod`, `w_max_dtod`).
    pub dtod: f64,
    /// Probability of each stuck-at fault.
    pub p_stuck_on: f64,
    pub p_stuck_off: f64,
}

impl Nominal {
    /// aihwkit's ReRAM soft-bounds preset with `dw_min` as one level: bounds +1.25 / -0.75 of
    /// weight in steps of 0.002, i.e. +625 / -375 levels, about 1000 states.
    pub fn reram() -> Self {
        Nominal {
            g_min_levels: -375,
            g_max_levels: 625,
            dtod: 0.3,
            p_stuck_on: 0.0,
            p_stuck_off: 0.0,
        }
    }
}

/// One programming pulse, `up` or down, on a device at `g`; returns the new conductance and
/// whether it clipped at a bound.
pub fn pulse(model: &Model, dev: &CellDevice, g: i64, up: bool, lfsr: &mut Lfsr) -> (i64, bool) {
    let n = if model.c2c_q16 != 0 {
        noise(lfsr.word())
    } else {
        0
    };
    match dev.stuck {
        Stuck::On => return (dev.g_max, false),
        Stuck::Off => return (dev.g_min, false),
        Stuck::No => {}
    }
    let mut dg = match (model.kind, up) {
        (Kind::Ideal, true) => dev.step_up,
        (Kind::Ideal, false) => dev.step_down,
        (Kind::SoftBounds, true) => div(dev.step_up * (dev.g_max - g), dev.g_max).max(0),
        (Kind::SoftBounds, false) => div(dev.step_down * (g - dev.g_min), -dev.g_min).max(0),
    };
    dg += (dg * n * model.c2c_q16) >> 16;
    let want = if up { g + dg } else { g - dg };
    let got = want.clamp(dev.g_min, dev.g_max);
    (got, got != want)
}

/// `a / b`, truncated toward zero as Rust and SystemVerilog divide; in 32 bits when both fit
/// (no sign bit, no high word), where the division is several times cheaper.
fn div(a: i64, b: i64) -> i64 {
    if (a | b) as u64 <= u32::MAX as u64 {
        ((a as u32) / (b as u32)) as i64
    } else {
        a / b
    }
}

/// Whether a pulse can clip device `dev` at a bound in practice. Hard bounds (ideal devices)
/// can. A soft-bounds step shrinks with the distance to the bound it approaches, so it can only
/// overshoot when the step, grown by the largest noise, exceeds the whole bound
/// (`step * (1 + c2c * 510) > |bound|`). (Noise below `-1 / c2c` turns a step around, which
/// could cross the other bound from within a few percent of a step of it: at a 30% spread that
/// noise has probability 1e-6 per pulse, so it is left out.) A stuck device never clips.
pub fn can_clip(model: &Model, dev: &CellDevice) -> bool {
    if dev.stuck != Stuck::No {
        return false;
    }
    let most = crate::protocol::NOISE_OFFSET * model.c2c_q16;
    match model.kind {
        Kind::Ideal => true,
        Kind::SoftBounds => {
            let grown = |step: i64| step + ((step * most) >> 16);
            grown(dev.step_up) > dev.g_max || grown(dev.step_down) > -dev.g_min
        }
    }
}

/// Draws every cell's parameters from `seed`: steps and bounds scaled by `max(0.1, 1 + dtod*z)`
/// with `z` standard normal (Box-Muller), stuck-at faults with their probabilities.
pub fn draw(nominal: &Nominal, frac_bits: u32, cells: usize, seed: u64) -> Vec<CellDevice> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut gauss = move || {
        let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let fault: f64 = rng.random();
        (z, fault)
    };
    let one = 1i64 << frac_bits;
    (0..cells)
        .map(|_| {
            let mut scaled = |v: i64| {
                let (z, _) = gauss();
                ((v as f64) * (1.0 + nominal.dtod * z).max(0.1)).round() as i64
            };
            let dev = CellDevice {
                g_min: scaled(nominal.g_min_levels * one).min(-1),
                g_max: scaled(nominal.g_max_levels * one).max(1),
                step_up: scaled(one),
                step_down: scaled(one),
                stuck: Stuck::No,
            };
            let (_, f) = gauss();
            let stuck = if f < nominal.p_stuck_on {
                Stuck::On
            } else if f < nominal.p_stuck_on + nominal.p_stuck_off {
                Stuck::Off
            } else {
                Stuck::No
            };
            CellDevice { stuck, ..dev }
        })
        .collect()
}

fn pack(d: &CellDevice) -> u128 {
    let fits = |v: i64, f: Field, signed: bool| {
        let (lo, hi) = if signed {
            crate::num::signed_range(f.bits)
        } else {
            (0, (1i64 << f.bits) - 1)
        };
        (lo..=hi).contains(&v)
    };
    assert!(
        fits(d.step_up, entry::STEP_UP, false)
            && fits(d.step_down, entry::STEP_DOWN, false)
            && fits(d.g_min, entry::G_MIN, true)
            && fits(d.g_max, entry::G_MAX, true),
        "device parameters outside the file format: {d:?}"
    );
    let raw = |v: i64| v as u128;
    entry::STUCK.put(d.stuck as u128)
        | entry::STEP_DOWN.put(raw(d.step_down))
        | entry::STEP_UP.put(raw(d.step_up))
        | entry::G_MAX.put(raw(d.g_max))
        | entry::G_MIN.put(raw(d.g_min))
}

fn unpack(v: u128) -> Option<CellDevice> {
    let signed = |f: Field| crate::num::sext(f.get(v), f.bits) as i64;
    Some(CellDevice {
        g_min: signed(entry::G_MIN),
        g_max: signed(entry::G_MAX),
        step_up: entry::STEP_UP.get(v) as i64,
        step_down: entry::STEP_DOWN.get(v) as i64,
        stuck: match entry::STUCK.get(v) as u64 {
            stuck::NO => Stuck::No,
            stuck::ON => Stuck::On,
            stuck::OFF => Stuck::Off,
            _ => return None,
        },
    })
}

/// The `$readmemh` text of a device file: one packed entry per line, cells row-major.
pub fn to_memh(devices: &[CellDevice]) -> String {
    devices
        .iter()
        .map(|d| format!("{:0w$x}\n", pack(d), w = entry::HEX_DIGITS))
        .collect()
}

/// Parses a device file written by [`to_memh`].
pub fn from_memh(text: &str) -> Result<Vec<CellDevice>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|(i, l)| {
            u128::from_str_radix(l.trim(), 16)
                .ok()
                .and_then(unpack)
                .ok_or_else(|| format!("line {}: not a device entry: {l}", i + 1))
        })
        .collect()
}

/// Q16 noise gain for a relative cycle-to-cycle spread (re-exported for configs).
pub fn c2c_gain(sigma: f64) -> i64 {
    noise_gain_q16(sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

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
    let gain = noise_gain(model, lfsr);
    match dev.stuck {
        Stuck::On => return (dev.g_max, false),
        Stuck::Off => return (dev.g_min, false),
        Stuck::No => {}
    }
    let dg = match (model.kind, up) {
        (Kind::Ideal, true) => dev.step_up,
        (Kind::Ideal, false) => dev.step_down,
        (Kind::SoftBounds, true) => div(dev.step_up * (dev.g_max - g), dev.g_max).max(0),
        (Kind::SoftBounds, false) => div(dev.step_down * (g - dev.g_min), -dev.g_min).max(0),
    };
    apply(dev, g, up, dg, gain)
}

/// `count` pulses, `up` or down, on a device at `g`, one after the other: the same as `count`
/// calls of [`pulse`], with the device's divisor turned into a multiplier once per train
/// ([`Divisor`]). Returns the final conductance and whether any pulse clipped.
pub fn pulse_train(
    model: &Model,
    dev: &CellDevice,
    g: i64,
    up: bool,
    count: u64,
    lfsr: &mut Lfsr,
) -> (i64, bool) {
    let (mut g, mut clipped) = (g, false);
    // Short trains, and devices without a divisor, pulse by pulse (a multiplier costs one
    // 64-bit division to make).
    if model.kind != Kind::SoftBounds || dev.stuck != Stuck::No || count < 4 {
        for _ in 0..count {
            let (ng, clip) = pulse(model, dev, g, up, lfsr);
            g = ng;
            clipped |= clip;
        }
        return (g, clipped);
    }
    let (step, bound, divisor) = if up {
        (dev.step_up, dev.g_max, Divisor::new(dev.g_max))
    } else {
        (dev.step_down, dev.g_min, Divisor::new(-dev.g_min))
    };
    for _ in 0..count {
        let gain = noise_gain(model, lfsr);
        let span = if up { bound - g } else { g - bound };
        let (ng, clip) = apply(dev, g, up, divisor.div(step * span).max(0), gain);
        g = ng;
        clipped |= clip;
    }
    (g, clipped)
}

/// The cycle-to-cycle noise's Q16 gain of one pulse, `noise * c2c`: one LFSR word when the
/// model has noise. It does not depend on the conductance, so a train computes it off the
/// chain that carries the conductance from pulse to pulse.
#[inline(always)]
fn noise_gain(model: &Model, lfsr: &mut Lfsr) -> i64 {
    if model.c2c_q16 != 0 {
        noise(lfsr.word()) * model.c2c_q16
    } else {
        0
    }
}

/// A pulse's step `dg` grown by its noise `gain` (Q16; the products are exact, far inside 64
/// bits), applied up or down and held inside the device's bounds: the new conductance and
/// whether it clipped.
#[inline(always)]
fn apply(dev: &CellDevice, g: i64, up: bool, dg: i64, gain: i64) -> (i64, bool) {
    let dg = dg + ((dg * gain) >> 16);
    let want = if up { g + dg } else { g - dg };
    let got = want.clamp(dev.g_min, dev.g_max);
    (got, got != want)
}

/// A divisor used many times: `a / d` truncated as [`div`], by one 128-bit multiplication when
/// `a` and `d` fit in 32 bits (`m = 2^64 / d` rounded up, exact for every such `a` and `d > 1`:
/// Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019), else by [`div`].
struct Divisor {
    d: i64,
    /// 0: no multiplier (`d` is 0, 1, negative or wider than 32 bits).
    m: u64,
}

impl Divisor {
    fn new(d: i64) -> Self {
        let m = if d > 1 && d <= u32::MAX as i64 {
            u64::MAX / d as u64 + 1
        } else {
            0
        };
        Divisor { d, m }
    }

    fn div(&self, a: i64) -> i64 {
        if self.m != 0 && a as u64 <= u32::MAX as u64 {
            ((self.m as u128 * a as u128) >> 64) as i64
        } else {
            div(a, self.d)
        }
    }
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
mod tests;

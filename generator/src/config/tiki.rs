//! The `tiki` section of a config: the Tiki-Taka unit beside a one-slice tile
//! (`docs/hardware.md`, Tiki-Taka): which member of the family, how its choppers flip, the widths
//! of H, of AGAD's means, of the transfer rate and of a pulse update's slot count, and the
//! reference offsets the generator draws into A's reference file.

use super::{bad, Config, FieldError};
use pimforge_golden::device::CellDevice;
use pimforge_golden::tiki::{
    beta_q16, period, symmetry_point, threshold, Flavor, Schedule, TransferShape,
};
use pimforge_golden::{TikiShape, TileShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Tiki-Taka v2: no choppers.
    Ttv2,
    /// Chopped TTv2 (c-TTv2).
    Cttv2,
    /// AGAD: chopped, against a running mean frozen at every flip.
    Agad,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flips {
    /// The choppers never flip (TTv2).
    None,
    /// With probability `flip_probability` per read of an input line (the unit's LFSR).
    Random,
    /// Every `max(ceil(1 / flip_probability), 2)` passes over the input lines.
    Regular,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tiki {
    pub algorithm: Algorithm,
    pub flips: Flips,
    pub flip_probability: f64,
    /// Width of each H word (signed; saturates, counted).
    pub h_bits: u32,
    /// H counts `2^-h_frac` of one pulse into C.
    pub h_frac: u32,
    /// AGAD: fraction bits of the means.
    pub mu_frac: u32,
    /// AGAD: the mean's weight is `min(tail / period, 1)`.
    pub tail: f64,
    /// AGAD: C is written only after this many passes; absent: the chopper period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup_passes: Option<u64>,
    /// Width of the transfer rate `lr_q` (H units per read code).
    pub lr_bits: u32,
    /// Width of a pulse update's slot count (at most `2^slot_bits - 1` slots).
    pub slot_bits: u32,
    /// Offset of A's reference from each cell's symmetry point, in levels: a mean and a
    /// device-to-device spread (standard deviation).
    pub offset_mean: f64,
    pub offset_std: f64,
}

impl Default for Tiki {
    fn default() -> Self {
        Tiki {
            algorithm: Algorithm::Cttv2,
            flips: Flips::Random,
            flip_probability: 0.01,
            h_bits: 32,
            h_frac: 16,
            mu_frac: 8,
            tail: 5.0,
            warmup_passes: None,
            lr_bits: 24,
            slot_bits: 5,
            offset_mean: 0.0,
            offset_std: 0.0,
        }
    }
}

impl Tiki {
    /// The unit set to `algorithm` with the flips the offset study measured: none for TTv2,
    /// random with p = 0.01 for c-TTv2, regular with p = 0.02 for AGAD (every 50 passes).
    pub fn with_algorithm(&self, algorithm: Algorithm) -> Tiki {
        let (flips, p) = match algorithm {
            Algorithm::Ttv2 => (Flips::None, self.flip_probability),
            Algorithm::Cttv2 => (Flips::Random, 0.01),
            Algorithm::Agad => (Flips::Regular, 0.02),
        };
        Tiki {
            algorithm,
            flips,
            flip_probability: p,
            ..self.clone()
        }
    }

    pub fn shape(&self) -> TikiShape {
        let p = self.flip_probability;
        let schedule = match self.flips {
            Flips::None => Schedule::Never,
            Flips::Random => Schedule::Random { thr: threshold(p) },
            Flips::Regular => Schedule::Regular { period: period(p) },
        };
        let flavor = match self.algorithm {
            Algorithm::Ttv2 => Flavor::Ttv2,
            Algorithm::Cttv2 => Flavor::Chopped,
            Algorithm::Agad => Flavor::Agad,
        };
        let agad = flavor == Flavor::Agad;
        TikiShape {
            transfer: TransferShape {
                flavor,
                schedule,
                h_bits: self.h_bits,
                h_frac: self.h_frac,
                mu_frac: if agad { self.mu_frac } else { 0 },
                beta_q16: if agad {
                    beta_q16(self.tail, period(p))
                } else {
                    0
                },
                warmup_passes: match agad {
                    true => self.warmup_passes.unwrap_or(period(p)),
                    false => 0,
                },
            },
            lr_bits: self.lr_bits,
            slot_bits: self.slot_bits,
        }
    }

    /// A's reference of every cell (fine units): the device's symmetry point plus
    /// `offset_mean + offset_std * z` levels (z standard normal, drawn from the seed and the
    /// tile), rounded, held inside the device's bounds.
    pub fn references(
        &self,
        shape: &TileShape,
        devices: &[CellDevice],
        seed: u64,
        tile: usize,
    ) -> Vec<i64> {
        let model = pimforge_golden::device::Model {
            kind: shape.device.kind,
            frac_bits: shape.device.frac_bits,
            c2c_q16: shape.device.c2c_q16,
        };
        let one = (1i64 << shape.device.frac_bits) as f64;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((tile as u64) << 32) ^ (0x7e4 << 48));
        devices
            .iter()
            .map(|d| {
                let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                let offset = ((self.offset_mean + self.offset_std * z) * one).round() as i64;
                (symmetry_point(&model, d) + offset).clamp(d.g_min, d.g_max)
            })
            .collect()
    }
}

/// Checks the `tiki` section (the crossbar and device sections are already sound).
pub(super) fn validate(cfg: &Config, errs: &mut Vec<FieldError>) {
    let Some(t) = &cfg.tiki else { return };
    if cfg.mixed.is_some() {
        bad(
            errs,
            "tiki",
            "a section".into(),
            "absent when the config has a mixed section (one update unit per tile)".into(),
        );
    }
    if cfg.slices() != 1 {
        bad(
            errs,
            "crossbar.value_bits",
            cfg.crossbar.value_bits.to_string(),
            format!(
                "weight.bits ({}) when the config has a tiki section: one slice, one multi-level cell per weight",
                cfg.weight.bits
            ),
        );
    }
    if cfg.input.bits / cfg.dac.bits.max(1) == 1 && cfg.dac.bits < 2 {
        bad(
            errs,
            "dac.bits",
            cfg.dac.bits.to_string(),
            "at least 2 when one plane holds the whole input (a transfer drives 1)".into(),
        );
    }
    let p = t.flip_probability;
    if !(p > 0.0 && p <= 1.0) {
        bad(
            errs,
            "tiki.flip_probability",
            p.to_string(),
            "above 0, at most 1".into(),
        );
    }
    if t.algorithm == Algorithm::Ttv2 && t.flips != Flips::None {
        bad(
            errs,
            "tiki.flips",
            super::shown(&t.flips),
            "none for ttv2 (TTv2 has no choppers)".into(),
        );
    }
    if !(2..=48).contains(&t.h_bits) {
        bad(errs, "tiki.h_bits", t.h_bits.to_string(), "2..=48".into());
    }
    if t.h_frac + 2 > t.h_bits.max(2) {
        bad(
            errs,
            "tiki.h_frac",
            t.h_frac.to_string(),
            format!(
                "0..={} (one pulse, 2^h_frac, fits tiki.h_bits with its sign)",
                t.h_bits.saturating_sub(2)
            ),
        );
    }
    if t.mu_frac > 16 {
        bad(errs, "tiki.mu_frac", t.mu_frac.to_string(), "0..=16".into());
    }
    if !(t.tail > 0.0 && t.tail.is_finite()) {
        bad(
            errs,
            "tiki.tail",
            t.tail.to_string(),
            "finite, above 0".into(),
        );
    }
    if t.warmup_passes.is_some_and(|w| w > 1 << 20) {
        bad(
            errs,
            "tiki.warmup_passes",
            super::shown(&t.warmup_passes),
            "0..=1048576".into(),
        );
    }
    if !(1..=32).contains(&t.lr_bits) {
        bad(errs, "tiki.lr_bits", t.lr_bits.to_string(), "1..=32".into());
    }
    if !(1..=16).contains(&t.slot_bits) {
        bad(
            errs,
            "tiki.slot_bits",
            t.slot_bits.to_string(),
            "1..=16".into(),
        );
    }
    for (field, v) in [
        ("tiki.offset_mean", t.offset_mean),
        ("tiki.offset_std", t.offset_std),
    ] {
        let max = 1i64 << 16;
        if !(v.is_finite() && v.abs() <= max as f64) || field.ends_with("std") && v < 0.0 {
            bad(
                errs,
                field,
                v.to_string(),
                format!("finite, |value| <= {max} levels (the spread at least 0)"),
            );
        }
    }
}

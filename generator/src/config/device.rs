//! The `device` and `mixed` sections of a config: how the cells' programmable devices respond to
//! pulses (`docs/hardware.md`, Devices), and the mixed-precision unit (Mixed precision).

use super::{bad, Config, FieldError};
use pimforge_golden::device::{c2c_gain, CellDevice, Kind};
use pimforge_golden::{DeviceShape, MixedShape, TileShape};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceModel {
    /// A constant step per pulse, clipped at the bounds.
    Ideal,
    /// The step shrinks linearly toward the bound it moves to (aihwkit's ReRAM model).
    SoftBounds,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Device {
    pub model: DeviceModel,
    /// Fine units per level, as a power of two: steps and noise act below one level.
    pub frac_bits: u32,
    /// Nominal bounds `[min, max]` in levels; absent: the cell range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[i64; 2]>,
    /// Cycle-to-cycle spread of a pulse's step (relative standard deviation; 0: none).
    pub c2c: f64,
    /// Read noise: standard deviation added to every sensed line current, in current units (one
    /// level driven by one DAC unit); 0: none.
    pub read_noise: f64,
    /// Device-to-device spread of steps and bounds (relative; 0: none).
    pub dtod: f64,
    /// Probability that a cell is stuck at its upper / lower bound.
    pub stuck_on: f64,
    pub stuck_off: f64,
    /// Seed of the variation draw and of the per-cell noise sources.
    pub seed: u64,
}

impl Default for Device {
    fn default() -> Self {
        Device {
            model: DeviceModel::Ideal,
            frac_bits: 0,
            bounds: None,
            c2c: 0.0,
            read_noise: 0.0,
            dtod: 0.0,
            stuck_on: 0.0,
            stuck_off: 0.0,
            seed: 1,
        }
    }
}

impl Device {
    /// Whether cells differ from each other: the generator then writes device files.
    pub fn has_variation(&self) -> bool {
        self.dtod > 0.0 || self.stuck_on > 0.0 || self.stuck_off > 0.0
    }

    pub fn shape(&self) -> DeviceShape {
        DeviceShape {
            kind: match self.model {
                DeviceModel::Ideal => Kind::Ideal,
                DeviceModel::SoftBounds => Kind::SoftBounds,
            },
            frac_bits: self.frac_bits,
            c2c_q16: c2c_gain(self.c2c),
            read_q16: c2c_gain(self.read_noise),
            bounds: self.bounds.map(|[a, b]| (a, b)),
            seed: self.seed as u32,
            files: self.has_variation(),
        }
    }

    /// The devices of tile `tile`, `[slice][r * cols + c]`: the nominal device of each slice
    /// with steps and bounds scaled by `max(0.1, 1 + dtod * z)` (z standard normal, drawn from
    /// the seed, the tile and the slice), bounds kept in the cell range, and stuck-at faults.
    pub fn draw(&self, shape: &TileShape, tile: usize) -> Vec<Vec<CellDevice>> {
        (0..shape.slices())
            .map(|m| self.draw_array(shape, tile, m, m))
            .collect()
    }

    /// The devices of array `m` of tile `tile` (a slice, or Tiki-Taka's A), with the nominal
    /// bounds of slice `like`.
    pub fn draw_array(
        &self,
        shape: &TileShape,
        tile: usize,
        m: usize,
        like: usize,
    ) -> Vec<CellDevice> {
        let f = shape.device.frac_bits;
        let (lo, hi) = shape.device_bounds(like);
        let nominal = pimforge_golden::device::Nominal {
            g_min_levels: lo,
            g_max_levels: hi,
            dtod: self.dtod,
            p_stuck_on: self.stuck_on,
            p_stuck_off: self.stuck_off,
        };
        let seed = self.seed ^ ((tile as u64) << 32) ^ ((m as u64) << 48);
        pimforge_golden::device::draw(&nominal, f, shape.rows * shape.cols, seed)
            .into_iter()
            .map(|d| CellDevice {
                g_min: d.g_min.clamp(lo << f, -1),
                g_max: d.g_max.clamp(1, hi << f),
                step_up: d.step_up.clamp(1, 0xffff),
                step_down: d.step_down.clamp(1, 0xffff),
                ..d
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mixed {
    /// Width of each accumulator chi (signed).
    pub chi_bits: u32,
    /// The transfer threshold epsilon = 2^epsilon_log2 chi units (one nominal pulse).
    pub epsilon_log2: u32,
    /// Most pulses one transfer sends to a cell.
    pub max_pulses: i64,
}

impl Mixed {
    pub fn shape(&self) -> MixedShape {
        MixedShape {
            chi_bits: self.chi_bits,
            epsilon_log2: self.epsilon_log2,
            max_pulses: self.max_pulses,
        }
    }
}

/// Checks the `device` and `mixed` sections (the crossbar section is already sound).
pub(super) fn validate(cfg: &Config, errs: &mut Vec<FieldError>) {
    let d = &cfg.device;
    let cells = cfg.cell_bits();
    let widest = cells.iter().copied().max().unwrap_or(0);
    let narrowest = cells.iter().copied().min().unwrap_or(0);
    if d.frac_bits > 15 || widest + d.frac_bits > 32 {
        bad(
            errs,
            "device.frac_bits",
            d.frac_bits.to_string(),
            format!(
                "0..={} (a step of 2^frac_bits fits 16 bits; cell_bits + frac_bits fits 32)",
                15.min(32 - widest.min(32))
            ),
        );
    }
    if let Some([lo, hi]) = d.bounds {
        let (clo, chi) = pimforge_golden::num::signed_range(narrowest);
        if !(lo < 0 && hi > 0 && lo >= clo && hi <= chi) {
            bad(
                errs,
                "device.bounds",
                super::shown(&[lo, hi]),
                format!(
                    "[min, max] with {clo} <= min < 0 < max <= {chi} (every slice's cell range)"
                ),
            );
        }
    }
    for (field, v) in [
        ("device.c2c", d.c2c),
        ("device.dtod", d.dtod),
        ("device.stuck_on", d.stuck_on),
        ("device.stuck_off", d.stuck_off),
    ] {
        if !(0.0..=1.0).contains(&v) {
            bad(errs, field, v.to_string(), "0..=1".into());
        }
    }
    if !(0.0..=64.0).contains(&d.read_noise) {
        bad(
            errs,
            "device.read_noise",
            d.read_noise.to_string(),
            "0..=64 (current units)".into(),
        );
    }
    if d.stuck_on + d.stuck_off > 1.0 {
        bad(
            errs,
            "device.stuck_off",
            d.stuck_off.to_string(),
            "at most 1 - device.stuck_on".into(),
        );
    }
    if d.seed > u32::MAX as u64 {
        bad(
            errs,
            "device.seed",
            d.seed.to_string(),
            "0..=4294967295".into(),
        );
    }
    if let Some(m) = &cfg.mixed {
        if cfg.slices() != 1 {
            bad(
                errs,
                "crossbar.value_bits",
                cfg.crossbar.value_bits.to_string(),
                format!(
                    "weight.bits ({}) when the config has a mixed section: one slice, one multi-level cell per weight",
                    cfg.weight.bits
                ),
            );
        }
        if !(2..=62).contains(&m.chi_bits) || cfg.input.bits + cfg.weight.bits > 62 {
            bad(
                errs,
                "mixed.chi_bits",
                m.chi_bits.to_string(),
                "2..=62, with input.bits + weight.bits <= 62".into(),
            );
        }
        if m.epsilon_log2 + 1 >= m.chi_bits.max(1) {
            bad(
                errs,
                "mixed.epsilon_log2",
                m.epsilon_log2.to_string(),
                format!(
                    "0..={} (below mixed.chi_bits - 1)",
                    m.chi_bits.saturating_sub(2)
                ),
            );
        }
        let max = (1i64 << cfg.crossbar.value_bits.min(16)) - 1;
        if !(1..=max).contains(&m.max_pulses) {
            bad(
                errs,
                "mixed.max_pulses",
                m.max_pulses.to_string(),
                format!("1..={max} (a pulse count is one crossbar digit)"),
            );
        }
    }
}

//! The configuration of a generated design: one YAML document, every field with a default.
//!
//! A config starts from a named preset (the `preset:` key, `--preset`, or `puma` by default) and
//! any field given in YAML or on the command line overrides it. [`Config::validate`] checks every
//! field and reports all problems at once, each naming the field, the value and the allowed range.
//! Widths that follow from the config (currents, accumulators, ports) are never typed in: they
//! come from [`pimforge_golden::TileShape`].

mod device;
mod inv;
pub mod locate;
mod lowrank;
mod tiki;

pub use device::{Device, DeviceModel, Mixed};
pub use inv::{Diagonal, Inv};
pub use lowrank::LowRank;
use pimforge_golden::{AdcShape, TileShape};
use serde::{Deserialize, Serialize};
use std::fmt;
pub use tiki::{Algorithm, Flips, Tiki};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Tiles in the array.
    pub tiles: usize,
    pub crossbar: Crossbar,
    /// Weights: signed fixed point.
    pub weight: Fixed,
    /// Activations and errors driven into the crossbars: signed fixed point.
    pub input: Fixed,
    pub dac: Dac,
    pub adc: Adc,
    /// The programmable devices of the cells (default: ideal, one level per pulse).
    #[serde(default)]
    pub device: Device,
    /// The mixed-precision unit (a digital accumulator per weight); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed: Option<Mixed>,
    /// The Tiki-Taka unit (a second array A and a hidden matrix H per weight); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiki: Option<Tiki>,
    /// The INV-mode crossbar for high-precision solves; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inv: Option<Inv>,
    /// SBPCA's low-rank unit (`pim_lowrank`, beside the tile); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowrank: Option<LowRank>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crossbar {
    pub rows: usize,
    pub cols: usize,
    /// Weight bits held by each slice (the canonical digit width).
    pub value_bits: u32,
    /// Signed cell width per slice, least significant slice first: value bits plus headroom
    /// bits for carries. One number applies to every slice.
    pub cell_bits: CellBits,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CellBits {
    All(u32),
    PerSlice(Vec<u32>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixed {
    pub bits: u32,
    pub frac: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dac {
    /// Bits per drive; inputs enter bit-serially in `input.bits / dac.bits` planes.
    pub bits: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adc {
    /// Signed code width.
    pub bits: u32,
    /// Quantisation step in current units (a power of two); codes round half up.
    pub step: u64,
    /// Lines served by one ADC, converted one per cycle (1 = an ADC per line).
    pub share: usize,
    /// Require every read to be exact: validation fails if any current could clip.
    pub exact: bool,
}

/// One invalid field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub value: String,
    pub allowed: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: allowed {}",
            self.field, self.value, self.allowed
        )
    }
}

/// All invalid fields of a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<FieldError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

pub(crate) fn bad(errs: &mut Vec<FieldError>, field: &str, value: String, allowed: String) {
    errs.push(FieldError {
        field: field.into(),
        value: truncated(value),
        allowed,
    });
}

/// Longest value a message echoes.
const SHOWN_CHARS: usize = 60;

/// `v` cut to [`SHOWN_CHARS`] characters (a 20-million-entry list is not echoed whole).
pub fn truncated(v: String) -> String {
    truncated_to(v, SHOWN_CHARS)
}

/// `v` cut to `n` characters.
pub fn truncated_to(v: String, n: usize) -> String {
    match v.char_indices().nth(n) {
        Some((at, _)) => format!("{}... ({} characters)", &v[..at], v.chars().count()),
        None => v,
    }
}

/// A value as the user writes it in YAML (`soft_bounds`, `[-4, 3]`), truncated.
pub fn shown<T: Serialize>(v: &T) -> String {
    let json = serde_json::to_value(v).expect("config values serialise");
    let text = match &json {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "null".into(),
        other => other.to_string().replace(',', ", "),
    };
    truncated(text)
}

/// A config that passed [`Config::validate`]: only [`Config::validated`] makes one, so a function
/// that takes it never sees an invalid field.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid(Config);

impl std::ops::Deref for Valid {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.0
    }
}

/// The largest array the host interface addresses (busy/error outputs are one bit per tile).
pub const MAX_TILES: usize = 128;
// Every tile index fits the tiles' `tile_i` port (the seed hash's tile field).
const _: () = assert!(MAX_TILES <= 1 << pimforge_golden::protocol::TILE_ID_BITS);

impl Config {
    pub fn slices(&self) -> usize {
        (self.weight.bits / self.crossbar.value_bits.max(1)) as usize
    }

    pub fn cell_bits(&self) -> Vec<u32> {
        match &self.crossbar.cell_bits {
            CellBits::All(b) => vec![*b; self.slices()],
            CellBits::PerSlice(v) => v.clone(),
        }
    }

    /// The datapath shape of one tile. Only meaningful for a validated config.
    pub fn shape(&self) -> TileShape {
        TileShape {
            rows: self.crossbar.rows,
            cols: self.crossbar.cols,
            value_bits: self.crossbar.value_bits,
            cell_bits: self.cell_bits(),
            weight_bits: self.weight.bits,
            input_bits: self.input.bits,
            dac_bits: self.dac.bits,
            adc: AdcShape {
                bits: self.adc.bits,
                step_log2: self.adc.step.trailing_zeros(),
                share: self.adc.share,
            },
            device: self.device.shape(),
            mixed: self.mixed.as_ref().map(Mixed::shape),
            tiki: self.tiki.as_ref().map(Tiki::shape),
            lowrank: self.lowrank.map(|l| pimforge_golden::shape::LowRankShape {
                rank: l.rank,
                batch: l.batch,
            }),
        }
    }

    /// The config, validated.
    pub fn validated(self) -> Result<Valid, ConfigErrors> {
        self.validate()?;
        Ok(Valid(self))
    }

    /// Checks every field; on failure lists every invalid field with its allowed range.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errs = Vec::new();
        let pow2 = |v: u64| v.is_power_of_two();
        let mut lines_ok = true;

        if !(1..=MAX_TILES).contains(&self.tiles) {
            bad(
                &mut errs,
                "tiles",
                self.tiles.to_string(),
                format!("1..={MAX_TILES}"),
            );
        }
        for (field, v) in [
            ("crossbar.rows", self.crossbar.rows),
            ("crossbar.cols", self.crossbar.cols),
        ] {
            if !(2..=1024).contains(&v) || !pow2(v as u64) {
                bad(
                    &mut errs,
                    field,
                    v.to_string(),
                    "a power of two in 2..=1024".into(),
                );
                lines_ok = false;
            }
        }
        let vb = self.crossbar.value_bits;
        if !(1..=16).contains(&vb) {
            bad(
                &mut errs,
                "crossbar.value_bits",
                vb.to_string(),
                "1..=16".into(),
            );
        }
        let w = self.weight;
        if !(2..=32).contains(&w.bits) {
            bad(
                &mut errs,
                "weight.bits",
                w.bits.to_string(),
                "2..=32".into(),
            );
        } else if (1..=16).contains(&vb) && !w.bits.is_multiple_of(vb) {
            bad(
                &mut errs,
                "weight.bits",
                w.bits.to_string(),
                format!("a multiple of crossbar.value_bits ({vb}), one slice per digit"),
            );
        }
        for (name, f) in [("weight", w), ("input", self.input)] {
            if f.frac >= f.bits {
                bad(
                    &mut errs,
                    &format!("{name}.frac"),
                    f.frac.to_string(),
                    format!("0..={} (below {name}.bits)", f.bits.saturating_sub(1)),
                );
            }
        }
        let slices_ok =
            (1..=16).contains(&vb) && (2..=32).contains(&w.bits) && w.bits.is_multiple_of(vb);
        let errs_before_cells = errs.len();
        if slices_ok {
            let cells = self.cell_bits();
            if cells.len() != self.slices() {
                bad(
                    &mut errs,
                    "crossbar.cell_bits",
                    format!("{} ({} entries)", shown(&cells), cells.len()),
                    format!(
                        "one width, or {} widths (weight.bits / crossbar.value_bits)",
                        self.slices()
                    ),
                );
            } else {
                for (m, &b) in cells.iter().enumerate() {
                    // Lower digits are unsigned and need a sign bit above them in a signed cell.
                    let min = if m + 1 == cells.len() { vb } else { vb + 1 };
                    if !(min..=16).contains(&b) {
                        bad(
                            &mut errs,
                            &format!("crossbar.cell_bits[{m}]"),
                            b.to_string(),
                            format!("{min}..=16 (slice {m} holds a {vb}-bit digit)"),
                        );
                    }
                }
            }
        }
        let x = self.input;
        if !(2..=32).contains(&x.bits) {
            bad(&mut errs, "input.bits", x.bits.to_string(), "2..=32".into());
        }
        let d = self.dac.bits;
        if !(1..=8).contains(&d) || (2..=32).contains(&x.bits) && !x.bits.is_multiple_of(d) {
            bad(
                &mut errs,
                "dac.bits",
                d.to_string(),
                "1..=8, dividing input.bits (one plane per DAC drive)".into(),
            );
        }
        let a = self.adc;
        if !(2..=24).contains(&a.bits) {
            bad(&mut errs, "adc.bits", a.bits.to_string(), "2..=24".into());
        }
        if !pow2(a.step) || a.step > 1 << 16 {
            bad(
                &mut errs,
                "adc.step",
                a.step.to_string(),
                "a power of two in 1..=65536".into(),
            );
        }
        let min_lines = self.crossbar.rows.min(self.crossbar.cols);
        if !pow2(a.share as u64) || lines_ok && a.share > min_lines {
            bad(
                &mut errs,
                "adc.share",
                a.share.to_string(),
                match lines_ok {
                    true => format!(
                        "a power of two in 1..={min_lines} (dividing crossbar.rows and crossbar.cols)"
                    ),
                    false => "a power of two dividing crossbar.rows and crossbar.cols".into(),
                },
            );
        }
        // The device section is checked against sound cell widths only.
        let cells_ok = slices_ok
            && self.cell_bits().len() == self.slices()
            && errs[errs_before_cells..]
                .iter()
                .all(|e| !e.field.starts_with("crossbar.cell_bits"));
        if cells_ok {
            device::validate(self, &mut errs);
            tiki::validate(self, &mut errs);
        }
        if let Some(inv) = &self.inv {
            inv::validate(inv, self.weight.bits, &mut errs);
            inv::validate_tile(self, inv, &mut errs);
        }
        if let Some(l) = &self.lowrank {
            lowrank::validate(self, l, &mut errs);
            if self.tiki.is_some() {
                bad(
                    &mut errs,
                    "lowrank",
                    "a section".into(),
                    "no lowrank section beside a tiki section (both units answer READ_UNIT and WRITE_UNIT)".into(),
                );
            }
        }
        if !errs.is_empty() {
            return Err(ConfigErrors(errs));
        }

        // Field by field the config is sound: now the derived quantities.
        let shape = self.shape();
        if self.adc.exact && !shape.adc_is_exact() {
            let max_rows = self.max_exact_lines();
            let (lo, hi) = (0..shape.slices())
                .map(|m| shape.current_range(m))
                .fold((0, 0), |(a, b), (lo, hi)| (lo.min(a), hi.max(b)));
            let lines = self.crossbar.rows.max(self.crossbar.cols);
            let (field, value, allowed) = if self.adc.step != 1 {
                (
                    "adc.step",
                    self.adc.step.to_string(),
                    "1 when adc.exact is true".to_string(),
                )
            } else if max_rows < 2 {
                (
                    "adc.bits",
                    self.adc.bits.to_string(),
                    format!(
                        "at least {} for an exact ADC on {lines}-line crossbars (no crossbar is exact with {} bits); or set adc.exact: false to allow counted clipping",
                        self.exact_adc_bits(),
                        self.adc.bits
                    ),
                )
            } else {
                (
                    "crossbar.rows",
                    format!("{lines} (lines reach currents {lo}..={hi}, beyond a {}-bit ADC)", self.adc.bits),
                    format!(
                        "at most {max_rows} lines (rows and cols) for an exact {}-bit ADC; or raise adc.bits to {}, or set adc.exact: false to allow counted clipping",
                        self.adc.bits,
                        self.exact_adc_bits()
                    ),
                )
            };
            // Not `bad`: the value carries the derived currents, which must not be cut short.
            errs.push(FieldError {
                field: field.into(),
                value,
                allowed,
            });
        }
        let acc = shape.acc_bits();
        if acc > 128 {
            bad(
                &mut errs,
                "weight.bits",
                self.weight.bits.to_string(),
                format!("a width whose accumulator fits 128 bits (this config needs {acc})"),
            );
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errs))
        }
    }

    /// Most lines an exact ADC of the configured width can serve.
    fn max_exact_lines(&self) -> usize {
        let mut c = self.clone();
        let mut n = 0;
        for lines in (0..=10).map(|p| 1usize << p) {
            c.crossbar.rows = lines;
            c.crossbar.cols = lines;
            if c.shape().adc_is_exact() {
                n = lines;
            }
        }
        n
    }

    /// Narrowest exact ADC for this geometry.
    pub fn exact_adc_bits(&self) -> u32 {
        let mut s = self.shape();
        s.adc.step_log2 = 0;
        s.adc.bits = 2;
        while !s.adc_is_exact() {
            s.adc.bits += 1;
        }
        s.adc.bits
    }
}

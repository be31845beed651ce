//! Named configurations. `puma` is the default: the PUMA/PANTHER-like 128x128 tile.

use crate::config::{Adc, CellBits, Config, Crossbar, Dac, Fixed};

/// Name and one-line description of every preset.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "puma",
        "default: 64 tiles of 128x128 crossbars, Q4.12 weights in 8 slices of 2-bit digits with [6,6,6,6,5,5,5,5]-bit cells, 1-bit DACs, exact 14-bit ADCs",
    ),
    (
        "tiny",
        "2 tiles of 8x8 crossbars, 8-bit weights in 4 slices of 4-bit cells, 8-bit inputs, exact ADCs: the fast test config",
    ),
    (
        "narrow-adc",
        "2 tiles of 16x16, 16-bit weights and inputs, 5-bit ADCs with step 2: reads round and saturate, and the counter shows it",
    ),
    (
        "shared-adc",
        "3 tiles (one id unused) of 16x32, 2-bit DACs, one exact ADC per 4 lines: MVMs take 4x the conversions",
    ),
];

pub fn preset(name: &str) -> Option<Config> {
    let q = |bits, frac| Fixed { bits, frac };
    Some(match name {
        "puma" => Config {
            tiles: 64,
            crossbar: Crossbar {
                rows: 128,
                cols: 128,
                value_bits: 2,
                cell_bits: CellBits::PerSlice(vec![6, 6, 6, 6, 5, 5, 5, 5]),
            },
            weight: q(16, 12),
            input: q(16, 12),
            dac: Dac { bits: 1 },
            adc: Adc {
                bits: 14,
                step: 1,
                share: 1,
                exact: true,
            },
        },
        "tiny" => Config {
            tiles: 2,
            crossbar: Crossbar {
                rows: 8,
                cols: 8,
                value_bits: 2,
                cell_bits: CellBits::All(4),
            },
            weight: q(8, 6),
            input: q(8, 6),
            dac: Dac { bits: 1 },
            adc: Adc {
                bits: 8,
                step: 1,
                share: 1,
                exact: true,
            },
        },
        "narrow-adc" => Config {
            tiles: 2,
            crossbar: Crossbar {
                rows: 16,
                cols: 16,
                value_bits: 2,
                cell_bits: CellBits::PerSlice(vec![6, 6, 6, 6, 5, 5, 5, 5]),
            },
            weight: q(16, 12),
            input: q(16, 12),
            dac: Dac { bits: 1 },
            adc: Adc {
                bits: 5,
                step: 2,
                share: 1,
                exact: false,
            },
        },
        "shared-adc" => Config {
            tiles: 3,
            crossbar: Crossbar {
                rows: 16,
                cols: 32,
                value_bits: 2,
                cell_bits: CellBits::PerSlice(vec![5, 5, 4, 4]),
            },
            weight: q(8, 6),
            input: q(8, 6),
            dac: Dac { bits: 2 },
            adc: Adc {
                bits: 12,
                step: 1,
                share: 4,
                exact: true,
            },
        },
        _ => return None,
    })
}

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in names() {
            let c = preset(name).unwrap();
            c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn exact_presets_use_the_narrowest_exact_adc() {
        for name in ["puma", "tiny", "shared-adc"] {
            let c = preset(name).unwrap();
            assert_eq!(c.adc.bits, c.exact_adc_bits(), "{name}");
        }
        assert!(!preset("narrow-adc").unwrap().shape().adc_is_exact());
    }
}

//! Every preset is valid; the Tiki-Taka section's validation and reference draw.

use super::*;

#[test]
fn every_preset_is_valid() {
    for name in names() {
        let c = preset(name).unwrap();
        c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn solver_configs_are_valid_and_a_tile_too_small_is_named() {
    for size in [2, 4, 16, 32, 64] {
        for taylor in [0, 2] {
            let c = solver(size, taylor);
            c.validate()
                .unwrap_or_else(|e| panic!("size {size} taylor {taylor}: {e}"));
        }
    }
    let mut tiny = preset("tiny").unwrap();
    tiny.inv = Some(Inv {
        taylor: 1,
        ..Inv::default()
    });
    tiny.device.c2c = 0.1;
    let e = tiny.validate().unwrap_err().to_string();
    for field in ["crossbar.rows", "crossbar.cols", "device.c2c"] {
        assert!(e.contains(field), "{field} in {e}");
    }
}

#[test]
fn exact_presets_use_the_narrowest_exact_adc() {
    for name in names() {
        let c = preset(name).unwrap();
        if c.adc.exact {
            assert_eq!(c.adc.bits, c.exact_adc_bits(), "{name}");
        }
    }
    assert!(!preset("narrow-adc").unwrap().shape().adc_is_exact());
}

/// The `tiki` section on the Tiki-Taka presets.
mod tiki {
    use super::super::preset;
    use crate::config::{Algorithm, Config, Tiki};
    use pimforge_golden::device::CellDevice;
    use pimforge_golden::tiki::symmetry_point;

    fn errors(c: &Config) -> String {
        c.validate()
            .map_or_else(|e| e.to_string(), |_| String::new())
    }

    #[test]
    fn a_tiki_section_needs_one_slice_no_mixed_unit_and_sound_fields() {
        for p in [
            "tiki",
            "tiki-agad",
            "tiki-ideal",
            "digits-tiki",
            "digits-tiki-offset",
        ] {
            assert_eq!(errors(&preset(p).unwrap()), "", "{p}");
        }
        let mut c = preset("puma").unwrap();
        c.tiki = Some(Tiki::default());
        assert!(errors(&c).contains("crossbar.value_bits"));
        let mut c = preset("mixed").unwrap();
        c.tiki = Some(Tiki::default());
        assert!(errors(&c).contains("tiki = a section"));
        let mut c = preset("tiki").unwrap();
        let t = c.tiki.as_mut().unwrap();
        (t.algorithm, t.h_bits, t.h_frac, t.flip_probability) = (Algorithm::Ttv2, 8, 7, 0.0);
        (t.slot_bits, t.lr_bits, t.offset_std) = (0, 40, -1.0);
        let e = errors(&c);
        for field in [
            "tiki.flips",
            "tiki.h_frac",
            "tiki.flip_probability",
            "tiki.slot_bits",
            "tiki.lr_bits",
            "tiki.offset_std",
        ] {
            assert!(e.contains(field), "{field} in {e}");
        }
    }

    #[test]
    fn references_sit_at_the_symmetry_point_plus_the_offset() {
        let c = preset("tiki").unwrap();
        let s = c.shape();
        let one = 1i64 << s.device.frac_bits;
        let dev = s.nominal_device(0);
        // Asymmetric steps move the symmetry point off 0 (toward the weaker direction's bound).
        let skew = CellDevice {
            step_up: 2 * one,
            ..dev
        };
        let flat = Tiki::default();
        let r = flat.references(&s, &[dev, skew], 1, 0);
        let model = pimforge_golden::device::Model {
            kind: s.device.kind,
            frac_bits: s.device.frac_bits,
            c2c_q16: 0,
        };
        assert_eq!(
            r,
            vec![symmetry_point(&model, &dev), symmetry_point(&model, &skew)]
        );
        assert!(r[1] > r[0]);
        let shifted = Tiki {
            offset_mean: 20.0,
            ..flat
        };
        let r2 = shifted.references(&s, &[dev], 1, 0);
        assert_eq!(r2[0], r[0] + 20 * one);
        // Held inside the device's bounds.
        let far = Tiki {
            offset_mean: 60000.0,
            ..Tiki::default()
        };
        assert_eq!(far.references(&s, &[dev], 1, 0)[0], dev.g_max);
    }
}

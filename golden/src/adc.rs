//! The ADC: `code = clip(round_half_up(I / 2^step_log2), lo, hi)`.
//!
//! Rounding is half-up (toward +infinity on ties), which is an add and an arithmetic shift in
//! hardware. Every clipped conversion is reported so that the tile can count it.

/// ADC of a tile: resolution, quantisation step and column multiplexing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdcShape {
    /// Output code width (signed).
    pub bits: u32,
    /// The step is `2^step_log2` current units; code = clip(round_half_up(I / step)).
    pub step_log2: u32,
    /// Lines (columns, or rows for the transpose) served by one ADC, one per cycle.
    pub share: usize,
}

/// `round_half_up(i / 2^step_log2)`.
pub fn round(i: i64, step_log2: u32) -> i64 {
    if step_log2 == 0 {
        i
    } else {
        (i + (1i64 << (step_log2 - 1))) >> step_log2
    }
}

/// One conversion: the code and whether it was clipped.
pub fn convert(i: i64, adc: &AdcShape) -> (i64, bool) {
    let lo = -(1i64 << (adc.bits - 1));
    let hi = (1i64 << (adc.bits - 1)) - 1;
    let r = round(i, adc.step_log2);
    (r.clamp(lo, hi), r < lo || r > hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_ties_go_up_and_clipping_is_flagged() {
        let adc = AdcShape {
            bits: 4,
            step_log2: 2,
            share: 1,
        };
        assert_eq!(convert(2, &adc), (1, false)); // 0.5 -> 1
        assert_eq!(convert(-2, &adc), (0, false)); // -0.5 -> 0
        assert_eq!(convert(-3, &adc), (-1, false));
        assert_eq!(convert(29, &adc), (7, false)); // 7.25 -> 7
        assert_eq!(convert(30, &adc), (7, true)); // 7.5 -> 8, clipped
        assert_eq!(convert(-34, &adc), (-8, false)); // -8.5 -> -8
        assert_eq!(convert(-35, &adc), (-8, true)); // -8.75 -> -9, clipped
    }

    #[test]
    fn step_one_is_identity_inside_the_range() {
        let adc = AdcShape {
            bits: 8,
            step_log2: 0,
            share: 1,
        };
        for i in -128..=127 {
            assert_eq!(convert(i, &adc), (i, false));
        }
        assert_eq!(convert(128, &adc), (127, true));
    }
}

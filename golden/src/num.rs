//! Integer helpers shared by the golden model and the generator: two's-complement ranges,
//! widths, sign extension, and the digit decompositions of weights (slices) and inputs (planes).

use num_bigint::BigInt;

/// Inclusive range of a signed two's-complement number of `bits` bits.
pub fn signed_range(bits: u32) -> (i64, i64) {
    assert!((1..=63).contains(&bits), "signed_range: {bits} bits");
    (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
}

/// Values that met the ends of a range: clamped below or above it, or landing exactly on its
/// minimum or maximum without a clamp. The hardware counts only clamps; the harness's coverage
/// asks for both ends, and for the exact ends that an off-by-one bound would mistake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ends {
    pub below: u64,
    pub above: u64,
    pub at_min: u64,
    pub at_max: u64,
}

impl Ends {
    /// `want` clamped to `[lo, hi]`, counted.
    pub fn clamp(&mut self, want: i64, lo: i64, hi: i64) -> i64 {
        self.below += (want < lo) as u64;
        self.above += (want > hi) as u64;
        self.at_min += (want == lo) as u64;
        self.at_max += (want == hi) as u64;
        want.clamp(lo, hi)
    }

    /// Values that were clamped.
    pub fn clamped(&self) -> u64 {
        self.below + self.above
    }
}

impl std::ops::AddAssign for Ends {
    fn add_assign(&mut self, o: Ends) {
        self.below += o.below;
        self.above += o.above;
        self.at_min += o.at_min;
        self.at_max += o.at_max;
    }
}

impl std::iter::Sum for Ends {
    fn sum<I: Iterator<Item = Ends>>(it: I) -> Ends {
        let mut total = Ends::default();
        it.for_each(|e| total += e);
        total
    }
}

/// Bits of `v` without its leading zeros (0 for 0).
pub fn bit_length(v: u128) -> u32 {
    128 - v.leading_zeros()
}

/// Inclusive range of an unsigned number of `bits` bits.
pub fn unsigned_range(bits: u32) -> (i64, i64) {
    assert!(bits <= 62, "unsigned_range: {bits} bits");
    (0, (1i64 << bits) - 1)
}

/// Smallest width `w >= 1` whose signed range holds every value of `[lo, hi]`.
pub fn signed_width(lo: &BigInt, hi: &BigInt) -> u32 {
    let mut w = 1u32;
    loop {
        let half = BigInt::from(1) << (w - 1);
        if *lo >= -half.clone() && *hi < half {
            return w;
        }
        w += 1;
    }
}

/// Lower-case hexadecimal of `bytes` (digests, cache keys).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `ceil(log2(n))`, with `clog2(1) == 0`, as SystemVerilog's `$clog2`.
pub fn clog2(n: u64) -> u32 {
    assert!(n > 0);
    64 - (n - 1).leading_zeros()
}

/// Mask of the low `bits` bits.
pub fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Interprets the low `bits` bits of `raw` as a two's-complement number.
pub fn sext(raw: u128, bits: u32) -> i128 {
    let shift = 128 - bits;
    ((raw << shift) as i128) >> shift
}

/// Two's-complement encoding of `v` in `bits` bits (what a port of that width carries).
pub fn to_raw(v: i128, bits: u32) -> u128 {
    (v as u128) & mask(bits)
}

/// Whether `v` is representable as a signed number of `bits` bits.
pub fn fits_signed(v: i64, bits: u32) -> bool {
    let (lo, hi) = signed_range(bits);
    (lo..=hi).contains(&v)
}

/// Canonical slice digits of a weight: `slices` digits of `value_bits` each, least significant
/// first. Lower digits are unsigned, the most significant digit is signed, so that
/// `sum_m 2^(value_bits*m) * digit_m == w` for every `w` of `value_bits * slices` bits.
pub fn weight_digits(w: i64, value_bits: u32, slices: usize) -> Vec<i64> {
    let total = value_bits * slices as u32;
    assert!(
        fits_signed(w, total),
        "weight {w} does not fit {total} bits"
    );
    (0..slices)
        .map(|m| {
            let shifted = w >> (value_bits * m as u32);
            if m + 1 == slices {
                shifted // arithmetic shift leaves the signed top digit
            } else {
                shifted & ((1i64 << value_bits) - 1)
            }
        })
        .collect()
}

/// `sum_m 2^(value_bits*m) * digit_m`: the weight a set of slice levels represents, carries
/// (levels outside the canonical digit range) included.
pub fn recompose(levels: &[i64], value_bits: u32) -> i64 {
    levels
        .iter()
        .enumerate()
        .map(|(m, &l)| l << (value_bits * m as u32))
        .sum()
}

/// Digit `k` of an input driven through `dac_bits`-bit DACs, least significant plane first. The
/// top plane (`k == planes - 1`) is signed, so that `sum_k 2^(dac_bits*k) * digit_k == x`.
pub fn input_digit(x: i64, k: usize, dac_bits: u32, planes: usize) -> i64 {
    let shifted = x >> (dac_bits * k as u32);
    if k + 1 == planes {
        shifted
    } else {
        shifted & ((1i64 << dac_bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_digits_recompose_for_every_8_bit_weight() {
        for w in -128..=127 {
            let d = weight_digits(w, 2, 4);
            assert_eq!(recompose(&d, 2), w);
            assert!(d[..3].iter().all(|&x| (0..=3).contains(&x)));
            assert!((-2..=1).contains(&d[3]));
        }
    }

    #[test]
    fn input_digits_recompose_for_every_8_bit_input() {
        for dac in [1u32, 2, 4] {
            let planes = (8 / dac) as usize;
            for x in -128..=127i64 {
                let sum: i64 = (0..planes)
                    .map(|k| input_digit(x, k, dac, planes) << (dac * k as u32))
                    .sum();
                assert_eq!(sum, x, "dac {dac} x {x}");
                let top = input_digit(x, planes - 1, dac, planes);
                assert!(fits_signed(top, dac));
            }
        }
    }

    #[test]
    fn widths() {
        assert_eq!(signed_width(&BigInt::from(-128), &BigInt::from(127)), 8);
        assert_eq!(signed_width(&BigInt::from(-129), &BigInt::from(0)), 9);
        assert_eq!(signed_width(&BigInt::from(0), &BigInt::from(128)), 9);
        assert_eq!(signed_width(&BigInt::from(0), &BigInt::from(0)), 1);
        assert_eq!(clog2(1), 0);
        assert_eq!(clog2(128), 7);
        assert_eq!(clog2(129), 8);
        assert_eq!(sext(0xff, 8), -1);
        assert_eq!(to_raw(-1, 12), 0xfff);
    }
}

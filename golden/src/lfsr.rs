//! The noise source shared by the RTL and the golden model: Galois LFSRs.
//!
//! The 32-bit LFSR uses the maximal polynomial `x^32 + x^22 + x^2 + x + 1` (Xilinx XAPP052) in
//! right-shifting Galois form, toggle mask `0x8020_0003`. One *word* is 32 shifts, so successive
//! words do not overlap. A zero seed is replaced by 1 (the all-zero state is a fixed point).

/// A right-shifting Galois LFSR of `bits` bits with toggle mask `taps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lfsr {
    pub state: u32,
    pub taps: u32,
    pub bits: u32,
}

/// Toggle mask of the 32-bit polynomial x^32 + x^22 + x^2 + x + 1.
pub const TAPS32: u32 = crate::protocol::LFSR_TAPS;

impl Lfsr {
    pub fn new32(seed: u32) -> Self {
        Lfsr {
            state: if seed == 0 { 1 } else { seed },
            taps: TAPS32,
            bits: 32,
        }
    }

    /// One shift; returns the bit shifted out.
    pub fn shift(&mut self) -> u32 {
        let out = self.state & 1;
        self.state >>= 1;
        if out == 1 {
            self.state ^= self.taps;
        }
        out
    }

    /// `bits` shifts; the state afterwards is the word.
    pub fn word(&mut self) -> u32 {
        for _ in 0..self.bits {
            self.shift();
        }
        self.state
    }
}

/// Zero-mean noise from one word: the sum of its four bytes minus 510 (Irwin-Hall of four
/// uniforms: range -510..=510, variance 4 * (256^2 - 1) / 12 = 21845).
pub fn noise(word: u32) -> i64 {
    word.to_le_bytes().iter().map(|&b| b as i64).sum::<i64>() - crate::protocol::NOISE_OFFSET
}

/// Variance of [`noise`].
pub const NOISE_VARIANCE: f64 = 21845.0;

/// Fixed-point gain (Q16) that turns [`noise`] into a relative spread of `sigma`.
pub fn noise_gain_q16(sigma: f64) -> i64 {
    (sigma * 65536.0 / NOISE_VARIANCE.sqrt()).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_galois_form_is_maximal_on_a_16_bit_polynomial() {
        // x^16 + x^14 + x^13 + x^11 + 1, mask 0xB400: period 2^16 - 1 visits every nonzero state.
        let mut l = Lfsr {
            state: 1,
            taps: 0xB400,
            bits: 16,
        };
        let mut seen = vec![false; 1 << 16];
        for _ in 0..65535 {
            assert!(!seen[l.state as usize]);
            seen[l.state as usize] = true;
            l.shift();
        }
        assert_eq!(l.state, 1);
        assert!(!seen[0]);
    }

    #[test]
    fn words_are_deterministic_and_noise_is_centred() {
        let mut a = Lfsr::new32(0);
        let mut b = Lfsr::new32(1);
        assert_eq!(a.word(), b.word());
        let mut l = Lfsr::new32(0xC0FFEE);
        let n: Vec<i64> = (0..20000).map(|_| noise(l.word())).collect();
        let mean = n.iter().sum::<i64>() as f64 / n.len() as f64;
        let var = n.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!(mean.abs() < 3.0, "mean {mean}");
        assert!((var / NOISE_VARIANCE - 1.0).abs() < 0.05, "variance {var}");
        assert!(n.iter().all(|v| (-510..=510).contains(v)));
    }
}

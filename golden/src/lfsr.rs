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
        self.state = step(self.state, self.taps);
        out
    }

    /// `bits` shifts; the state afterwards is the word. The 32-bit LFSR takes its 32 shifts at
    /// once from [`WORD_TABLE`].
    pub fn word(&mut self) -> u32 {
        if self.bits == 32 && self.taps == TAPS32 {
            let s = self.state as usize;
            let t = &WORD_TABLE;
            self.state =
                t[0][s & 255] ^ t[1][(s >> 8) & 255] ^ t[2][(s >> 16) & 255] ^ t[3][s >> 24];
            return self.state;
        }
        for _ in 0..self.bits {
            self.shift();
        }
        self.state
    }
}

/// One shift of the Galois form: right, then the taps XORed in when the bit shifted out is 1.
const fn step(state: u32, taps: u32) -> u32 {
    (state >> 1) ^ (taps & (state & 1).wrapping_neg())
}

/// 32 shifts of the 32-bit LFSR by bytes of the state: a shift is linear over GF(2) (a right
/// shift, then the taps XORed in by the bit shifted out), so 32 of them map a state to the XOR
/// of what they map each of its bytes to. `WORD_TABLE[k][b]` is the word of the state `b << 8k`.
pub static WORD_TABLE: [[u32; 256]; 4] = word_table();

/// The word of each one-bit state (`1 << i`): the word of any state is the XOR of the columns
/// of its set bits. The RTL's `pim_pkg::lfsr_word` is built from these (a parallel LFSR).
pub fn word_columns() -> [u32; 32] {
    std::array::from_fn(|i| WORD_TABLE[i / 8][1 << (i % 8)])
}

const fn word_table() -> [[u32; 256]; 4] {
    let mut t = [[0u32; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut b = 0;
        while b < 256 {
            let mut s = (b as u32) << (8 * k);
            let mut i = 0;
            while i < 32 {
                s = step(s, TAPS32);
                i += 1;
            }
            t[k][b] = s;
            b += 1;
        }
        k += 1;
    }
    t
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
    fn the_word_table_takes_the_32_shifts_at_once() {
        let mut l = Lfsr::new32(0xC0FFEE);
        for _ in 0..100_000 {
            let mut slow = l;
            for _ in 0..32 {
                slow.shift();
            }
            assert_eq!(l.word(), slow.state);
            assert_eq!(l, slow);
        }
        // Every byte position, at every bit, and the all-ones state.
        for s in (0..32).map(|i| 1u32 << i).chain([u32::MAX]) {
            let mut slow = Lfsr {
                state: s,
                ..Lfsr::new32(1)
            };
            let mut fast = slow;
            for _ in 0..32 {
                slow.shift();
            }
            assert_eq!(fast.word(), slow.state, "state {s:#x}");
        }
    }

    #[test]
    fn a_word_is_the_xor_of_its_bits_columns() {
        let cols = word_columns();
        let mut l = Lfsr::new32(0xBEEF);
        for _ in 0..1000 {
            let s = l.state;
            let xor = (0..32)
                .filter(|i| s >> i & 1 == 1)
                .fold(0, |acc, i| acc ^ cols[i]);
            assert_eq!(l.word(), xor);
        }
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

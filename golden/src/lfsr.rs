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

/// A word as a few shifts and XORs of the state, from the taps alone (what the RTL's
/// `pim_pkg::lfsr_word` computes: fewer operations than XORing the words of the state's set
/// bits, a masked copy of a constant per bit).
///
/// Over 32 steps every bit of the state is shifted out. The bit shifted out at step `i`,
/// `b_i`, is the state's bit `i` XOR the earlier feedback that reached bit 0 by then, and each
/// feedback XORs the taps in, shifted right by the steps left. As polynomials over GF(2) (bit
/// `i` the coefficient of `x^i`), with `R = sum of x^(t+1)` over the taps `t < 31`:
/// `b = state / (1 + R) mod x^32`, and the word is the XOR of `b >> (31 - t)` over all taps.
/// In characteristic 2, `1 / (1 + R) = (1 + R)(1 + R^2)(1 + R^4)(1 + R^8)(1 + R^16) mod x^32`
/// (the product telescopes to `1 + R^32`, which is 0 mod `x^32`), and `R^(2^k)` is `R` with its
/// exponents doubled `k` times: each factor is a few shifted copies of its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordShifts {
    /// Per factor `1 + R^(2^k)`, the left shifts (below 32) of its copies.
    pub stages: Vec<Vec<u32>>,
    /// The right shifts `31 - t` of the taps `t`, tap 31's (0) first when present.
    pub outputs: Vec<u32>,
}

/// [`WordShifts`] of the 32-bit LFSR's taps.
pub fn word_shifts() -> WordShifts {
    let taps: Vec<u32> = (0..32).filter(|t| TAPS32 >> t & 1 == 1).collect();
    let stages = (0..5)
        .map(|k| {
            taps.iter()
                .filter(|&&t| t < 31)
                .map(|t| (t + 1) << k)
                .filter(|&e| e < 32)
                .collect()
        })
        .collect();
    let outputs = taps.iter().rev().map(|t| 31 - t).collect();
    WordShifts { stages, outputs }
}

impl WordShifts {
    /// The word of `state`, by the shifts.
    pub fn word(&self, state: u32) -> u32 {
        let mut b = state;
        for stage in &self.stages {
            let v = b;
            for &e in stage {
                b ^= v << e;
            }
        }
        self.outputs.iter().fold(0, |w, &r| w ^ (b >> r))
    }
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
    fn a_word_is_a_few_shifts_and_xors_of_the_state() {
        let w = word_shifts();
        // x^32 + x^22 + x^2 + x + 1: R = x + x^2 + x^22, then its squares below x^32.
        assert_eq!(
            w.stages,
            vec![
                vec![1, 2, 22],
                vec![2, 4],
                vec![4, 8],
                vec![8, 16],
                vec![16]
            ]
        );
        assert_eq!(w.outputs, vec![0, 10, 30, 31]);
        let mut l = Lfsr::new32(0x1234_5678);
        let mut states: Vec<u32> = (0..32).map(|i| 1 << i).collect();
        states.extend([0, u32::MAX, 0x8000_0001, 0x0020_0003]);
        states.extend((0..5000).map(|_| l.word()));
        for s in states {
            let mut slow = Lfsr {
                state: s,
                ..Lfsr::new32(1)
            };
            for _ in 0..32 {
                slow.shift();
            }
            assert_eq!(w.word(s), slow.state, "state {s:#x}");
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

//! The refinement controller's exact products on a tile's bit-sliced VMM path (RePAST:
//! "r = b - A x with the full-precision A through the bit-sliced VMM path").
//!
//! The controller drives a [`TileModel`] through its command port, cycle by cycle, exactly as
//! `pim_refine` drives `pim_tile`:
//! - **Load** (during the `A_h` programming cycles): one `LOAD_W` per cycle. `A` goes to column
//!   block 0 transposed (weight `(j, i) = A_ij`, so that the forward product gives `A v`) and,
//!   with Taylor terms, `A_l` to column block 1 (weight `(j, n + i) = A_l,ij`).
//! - **Product** `A v` or `A_l v` of a wide vector `v` (`x_bits` signed): `v` is cut into
//!   `digits` digits of `input_bits - 1` bits, unsigned except the top one, which is signed, and
//!   each digit vector takes one pass: `n` `WRITE_X` cycles, one `MVM`, the wait while the tile is
//!   busy plus one cycle, and `n + 1` `READ_Y` cycles (the response of each read arrives in the
//!   next cycle). The passes' results are shifted into place and summed.
//!
//! With ideal devices and exact ADCs (the config requires both for a solver) every pass is exact,
//! so the sum is the exact integer product; [`tests`] check it against big integers.

use super::Products;
use crate::num::{sext, to_raw};
use crate::shape::TileShape;
use crate::tile::{Op, TileIn, TileModel};

/// A tile computing the controller's products.
#[derive(Clone, Debug)]
pub struct TileProducts {
    pub tile: TileModel,
    n: usize,
    /// Bits per digit of the wide operand (the tile's input width less the sign).
    pub digit_bits: u32,
    /// Passes per product.
    pub digits: u32,
}

impl TileProducts {
    /// A tile after reset, for an `n x n` solver with `x_bits`-wide operands.
    pub fn new(shape: &TileShape, n: usize, x_bits: u32) -> Self {
        let digit_bits = shape.input_bits - 1;
        TileProducts {
            tile: TileModel::new(shape),
            n,
            digit_bits,
            digits: x_bits.div_ceil(digit_bits),
        }
    }

    /// `(passes per product, cycles per pass)` of an `n x n` solver with `x_bits`-wide operands
    /// on a tile of `shape`: `n` writes, the `MVM`, its busy cycles and one more, `n + 1` reads.
    pub fn timing(shape: &TileShape, n: usize, x_bits: u32) -> (u32, u64) {
        let passes = x_bits.div_ceil(shape.input_bits - 1);
        (passes, 2 * n as u64 + 3 + shape.mvm_cycles() as u64)
    }

    /// Digit `d` of `v`: bits `[d w, (d + 1) w)` unsigned, or the signed rest for the top digit.
    pub fn digit(&self, v: i128, d: u32) -> i64 {
        let shift = d * self.digit_bits;
        if d + 1 == self.digits {
            (v >> shift) as i64
        } else {
            ((v >> shift) & ((1i128 << self.digit_bits) - 1)) as i64
        }
    }

    fn load_block(&mut self, m: &[i64], block: usize) {
        let s = self.tile.shape.clone();
        let wb = s.weight_bits;
        for i in 0..self.n {
            for j in 0..self.n {
                let addr = s.cell_addr(0, j, block * self.n + i);
                let data = to_raw(m[i * self.n + j] as i128, wb) as u64;
                self.tile.clock(&TileIn::command(Op::LoadW, addr, data));
            }
        }
    }
}

impl Products for TileProducts {
    fn load(&mut self, a: &[i64], al: Option<&[i64]>) -> u64 {
        self.load_block(a, 0);
        let sq = (self.n * self.n) as u64;
        match al {
            Some(al) => {
                self.load_block(al, 1);
                2 * sq
            }
            None => sq,
        }
    }

    fn product(&mut self, v: &[i128], low: bool) -> (Vec<i128>, u64) {
        let (n, w) = (self.n, self.digit_bits);
        let (in_bits, rsp_bits) = (self.tile.shape.input_bits, self.tile.shape.rsp_bits());
        let base = if low { n } else { 0 };
        let mut sum = vec![0i128; n];
        let mut cycles = 0u64;
        for d in 0..self.digits {
            for (i, &x) in v.iter().enumerate() {
                let data = to_raw(self.digit(x, d) as i128, in_bits) as u64;
                self.tile
                    .clock(&TileIn::command(Op::WriteX, i as u64, data));
            }
            self.tile.clock(&TileIn::command(Op::Mvm, 0, 0));
            cycles += n as u64 + 1;
            loop {
                let busy = self.tile.outputs().busy;
                self.tile.clock(&TileIn::default());
                cycles += 1;
                if !busy {
                    break;
                }
            }
            for k in 0..=n {
                if k > 0 {
                    let y = sext(self.tile.outputs().rsp_data, rsp_bits);
                    sum[k - 1] += y << (d * w);
                }
                let inp = if k < n {
                    TileIn::command(Op::ReadY, (base + k) as u64, 0)
                } else {
                    TileIn::default()
                };
                self.tile.clock(&inp);
                cycles += 1;
            }
        }
        (sum, cycles)
    }

    fn passes(&self) -> u32 {
        self.digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::tests::exact_shape;
    use crate::solver::{random_system, residual, split, Exact, InvShape};
    use num_bigint::BigInt;

    #[test]
    fn tile_products_are_the_exact_big_integer_products() {
        let shape = exact_shape(16, 32, 1);
        let n = 8;
        let (a, _) = random_system(n, 30.0, 16, 3);
        let s = split(&a, n, &InvShape::default());
        let mut t = TileProducts::new(&shape, n, 100);
        assert_eq!(t.digits, 7);
        t.load(&a, Some(&s.al));
        let v: Vec<i128> = (0..n as i128)
            .map(|i| (i - 4) * 0x1234_5678_9abc_def0_1234 + (i << 90) - 77)
            .collect();
        let big = |m: &[i64], j: usize| -> BigInt {
            (0..n)
                .map(|k| BigInt::from(m[j * n + k]) * BigInt::from(v[k]))
                .sum()
        };
        for low in [false, true] {
            let (p, cycles) = t.product(&v, low);
            let m = if low { &s.al } else { &a };
            for (j, pj) in p.iter().enumerate() {
                assert_eq!(BigInt::from(*pj), big(m, j), "row {j} low {low}");
            }
            // Seven passes of n writes, MVM, the wait and n + 1 reads.
            let wait = shape.planes() as u64 * shape.adc.share as u64 + 3;
            assert_eq!(cycles, 7 * (2 * n as u64 + 2 + wait));
            let (passes, pass) = TileProducts::timing(&shape, n, 100);
            assert_eq!(cycles, passes as u64 * pass);
        }
        // The residual through the tile equals the exact one.
        let b: Vec<i64> = (0..n as i64).map(|i| 1000 * i - 3000).collect();
        let mut exact = Exact::new(&a, n);
        let x: Vec<i128> = v.iter().map(|x| x >> 2).collect();
        let want = residual(&a, n, &b, &x, 48);
        for engine in [&mut t as &mut dyn Products, &mut exact] {
            let (ax, _) = engine.product(&x, false);
            let r: Vec<i128> = (0..n).map(|i| ((b[i] as i128) << 48) - ax[i]).collect();
            assert_eq!(r, want);
        }
    }
}

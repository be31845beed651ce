//! The noise and rounding generators' part of the contract: the LFSRs' taps, the seed hash and
//! the constants each unit's generators are seeded and drawn with.

/// Toggle mask of the 32-bit noise LFSRs: `x^32 + x^22 + x^2 + x + 1` in right-shifting Galois
/// form (Xilinx XAPP052).
pub const LFSR_TAPS: u32 = 0x8020_0003;
/// Multiplier of the LFSR seed hash: `base ^ (((tile << 24) ^ (slice << 20) ^ index) * mul)`.
pub const SEED_MUL: u32 = 0x9E37_79B9;
/// Position of the tile index in the seed hash.
pub const SEED_TILE_SHIFT: u32 = 24;
/// Width of a tile's index (the RTL's `tile_i` port): the seed hash's tile field, bits
/// `SEED_TILE_SHIFT..32`.
pub const TILE_ID_BITS: u32 = 32 - SEED_TILE_SHIFT;
/// Position of the slice index in the seed hash.
pub const SEED_SLICE_SHIFT: u32 = 20;
/// Read-noise LFSRs are seeded like cells, from the base seed XOR this constant, with the line
/// index in place of the cell index.
pub const READ_SEED: u32 = 0xA5A5_A5A5;
/// Noise of one LFSR word: the sum of its four bytes minus this offset (zero mean).
pub const NOISE_OFFSET: i64 = 510;
/// Tiki-Taka: A is array (slice index) 1 of its tile in the seed hash and the device files; C
/// is slice 0, the weight array.
pub const A_ARRAY: usize = 1;
/// Tiki-Taka: the line LFSRs of the pulse update are seeded from the base seed XOR this, slice
/// 0, with the line as index (rows, then columns).
pub const PULSE_SEED: u32 = 0x3C3C_3C3C;
/// Tiki-Taka: the chopper LFSR is seeded from the base seed XOR this, slice 0, index 0.
pub const CHOP_SEED: u32 = 0xC3C3_C3C3;
/// SBPCA: the low-rank unit's rounding LFSR is seeded from the base seed XOR this, slice 0,
/// index 0; each column operand of a term takes one word.
pub const ROUND_SEED: u32 = 0x5BCA_5BCA;
/// SBPCA: bits of a stochastic-rounding draw (the low bits of a word).
pub const DRAW_BITS: u32 = 16;
/// SBPCA: bits of the term scale's mantissa, of its shift and of the rows' fraction bits (the
/// `scale` unit word is `{row_frac, shift, mantissa}`).
pub const SCALE_MANT_BITS: u32 = 16;
pub const SCALE_SHIFT_BITS: u32 = 8;
pub const SCALE_FRAC_BITS: u32 = 5;
/// Fraction bits of a firing probability: a threshold is `round(p * 2^PROB_BITS)`, `2^PROB_BITS`
/// always fires; a line fires when the top `PROB_BITS` bits of its LFSR's next word are below it.
pub const PROB_BITS: u32 = 16;

/// The LFSR seed of `index` (a cell, or a line for read noise) of slice `slice` of tile
/// `tile`, from the base seed; zero becomes 1 (the all-zero state is a fixed point).
pub fn seed_hash(base: u32, tile: usize, slice: usize, index: usize) -> u32 {
    let key =
        ((tile as u32) << SEED_TILE_SHIFT) ^ ((slice as u32) << SEED_SLICE_SHIFT) ^ index as u32;
    match base ^ key.wrapping_mul(SEED_MUL) {
        0 => 1,
        s => s,
    }
}

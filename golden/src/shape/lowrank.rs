//! SBPCA's low-rank unit in the tile: its shape, its words and its busy windows.

use super::TileShape;
use crate::lowrank::fixed::FixedShape;
use crate::lowrank::operands::SCALE_BITS;
use crate::lowrank::unit::{absorb_cycles, reorth_cycles, INVSQRT_CYCLES};
use crate::protocol::{Units, COUNTER_BITS};

/// The low-rank unit: rank and samples per batch (every width follows from them and the tile's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowRankShape {
    pub rank: usize,
    /// A power of two.
    pub batch: usize,
}

/// The unit's words (`READ_UNIT`, `WRITE_UNIT`), in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowRankMap {
    /// `X_r[i]` at `x + r * rows + i`.
    pub x: u64,
    /// `D_r[j]` at `d + r * cols + j`.
    pub d: u64,
    /// The terms' scale `{row_frac, shift, mantissa}` (`crate::lowrank::operands::Scale`).
    pub scale: u64,
    /// Read-only counters: samples absorbed, saturated adds and clamped operands, vectors
    /// replaced, OPAs issued.
    pub samples: u64,
    pub saturations: u64,
    pub replaced: u64,
    pub opas: u64,
    pub words: u64,
}

impl TileShape {
    /// The update units the tile has.
    pub fn units(&self) -> Units {
        Units {
            mixed: self.mixed.is_some(),
            tiki: self.tiki.is_some(),
            lowrank: self.lowrank.is_some(),
        }
    }

    /// The estimate's shape (its widths), when the tile has the unit.
    pub fn lowrank_fixed(&self) -> Option<FixedShape> {
        self.lowrank.map(|l| FixedShape {
            inputs: self.rows,
            outputs: self.cols,
            k: l.rank,
            x_bits: self.input_bits,
            d_bits: self.weight_bits,
            batch: l.batch,
        })
    }

    pub fn lowrank_map(&self) -> Option<LowRankMap> {
        let l = self.lowrank?;
        let d = (l.rank * self.rows) as u64;
        let scale = d + (l.rank * self.cols) as u64;
        Some(LowRankMap {
            x: 0,
            d,
            scale,
            samples: scale + 1,
            saturations: scale + 2,
            replaced: scale + 3,
            opas: scale + 4,
            words: scale + 5,
        })
    }

    /// Width of the widest low-rank word: an entry of `X_r` or `D_r`, the scale, a counter.
    pub fn lowrank_word_bits(&self) -> u32 {
        self.lowrank_fixed()
            .map_or(0, |f| f.acc_bits().max(SCALE_BITS).max(COUNTER_BITS))
    }

    /// Cycles an `ABSORB` keeps the tile busy (`reorth`: the sample is the 8th of a run).
    pub fn absorb_cycles(&self, reorth: bool) -> usize {
        let f = self.lowrank_fixed().expect("low-rank unit");
        (absorb_cycles(&f) + if reorth { reorth_cycles(&f) } else { 0 }) as usize
    }

    /// Cycles the unit computes one term's operands and starts its OPA: the norm and the
    /// largest entry of `X_r` (`rows` cycles), the inverse square root, the row operands
    /// (`rows`), the column operands (`cols`), the OPA's start (1).
    pub fn term_cycles(&self) -> usize {
        2 * self.rows + self.cols + INVSQRT_CYCLES as usize + 1
    }

    /// Cycles an `END_BATCH` keeps the tile busy: the last re-orthogonalisation, per term its
    /// operands, its OPA and the cycle the unit sees the OPA end, and the warm start.
    pub fn end_batch_cycles(&self) -> usize {
        let f = self.lowrank_fixed().expect("low-rank unit");
        reorth_cycles(&f) as usize + f.k * (self.term_cycles() + self.opa_cycles() + 1) + 1
    }
}

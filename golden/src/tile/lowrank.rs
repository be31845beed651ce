//! SBPCA's low-rank unit in the tile's cycle model: its commands and its busy windows (the
//! unit's arithmetic is done when a command is accepted, with [`FixedLowRank`]'s functions; the
//! windows last as long as the RTL's, and nothing the unit changes is visible before they end).

use super::{add_count, err, Op, TileIn, TileModel};
use crate::cells::Cells;
use crate::events::Events;
use crate::lfsr::Lfsr;
use crate::lowrank::fixed::FixedLowRank;
use crate::lowrank::operands::{Operands, Scale};
use crate::lowrank::REORTH_EVERY;
use crate::num::{sext, to_raw};
use crate::opa::opa;
use crate::protocol::{seed_hash, ROUND_SEED};
use crate::shape::TileShape;

/// The unit's state: the estimate, the terms' scale, the rounding LFSR and its counters.
#[derive(Clone, Debug, PartialEq)]
pub struct LowRankTile {
    pub est: FixedLowRank,
    pub scale: Scale,
    pub lfsr: Lfsr,
    /// Operands of the terms clamped to the buffers' widths.
    pub clamped: u64,
    pub opas: u64,
}

impl LowRankTile {
    /// The unit of tile `tile` after reset: every pair zero (the host writes the first ones).
    pub fn new(shape: &TileShape, tile: usize) -> LowRankTile {
        let f = shape.lowrank_fixed().expect("a lowrank section");
        LowRankTile {
            est: FixedLowRank::zero(f),
            scale: Scale::default(),
            lfsr: Lfsr::new32(seed_hash(shape.device.seed ^ ROUND_SEED, tile, 0, 0)),
            clamped: 0,
            opas: 0,
        }
    }

    /// Word `addr` (None: outside the unit's words).
    pub fn read_word(&self, shape: &TileShape, addr: u64) -> Option<u128> {
        let map = shape.lowrank_map()?;
        let bits = self.est.shape.acc_bits();
        let c = &self.est.counts;
        let count = |v: u64| v.min(u32::MAX as u64) as u128;
        Some(match addr {
            a if a < map.d => to_raw(self.est.x[a as usize] as i128, bits),
            a if a < map.scale => to_raw(self.est.d[(a - map.d) as usize] as i128, bits),
            a if a == map.scale => self.scale.word() as u128,
            a if a == map.samples => count(c.samples),
            a if a == map.saturations => count(c.saturations + self.clamped),
            a if a == map.replaced => count(c.replaced),
            a if a == map.opas => count(self.opas),
            _ => return None,
        })
    }

    /// Sets word `addr` to `data`; returns the error flags (the counters are read-only).
    pub fn write_word(&mut self, shape: &TileShape, addr: u64, data: u64) -> u8 {
        let Some(map) = shape.lowrank_map() else {
            return err::BAD_OP;
        };
        let entry = || sext(data as u128, self.est.shape.acc_bits()) as i64;
        match addr {
            a if a < map.d => self.est.x[a as usize] = entry(),
            a if a < map.scale => self.est.d[(a - map.d) as usize] = entry(),
            a if a == map.scale => self.scale = Scale::from_word(data),
            _ => return err::BAD_ADDR,
        }
        0
    }
}

/// What an `END_BATCH` did to the crossbars.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndBatch {
    /// Cell updates that clipped at a device bound, pulses sent.
    pub clipped: u64,
    pub pulses: u64,
    /// The last term's operands (what the buffers hold afterwards).
    pub last: Option<Operands>,
}

impl LowRankTile {
    /// `ABSORB` of the sample `x` (the tile's rows), `d` (its columns); whether the sample
    /// closed a run of [`REORTH_EVERY`] (a re-orthogonalisation followed).
    pub fn absorb(&mut self, x: &[i64], d: &[i64]) -> bool {
        self.est.absorb(x, d);
        self.est.samples.is_multiple_of(REORTH_EVERY)
    }

    /// `END_BATCH` on crossbars `cells`: the last re-orthogonalisation, each term's operands
    /// and its OPA, the warm start.
    pub fn end_batch(&mut self, shape: &TileShape, cells: &mut Cells) -> EndBatch {
        self.est.finish();
        let mut done = EndBatch::default();
        for r in 0..self.est.shape.k {
            let o = self.est.operands(r, self.scale, &mut self.lfsr);
            self.clamped += o.clamped;
            let before = cells.pulses;
            done.clipped += opa(shape, cells, &o.rows, &o.cols);
            done.pulses += cells.pulses - before;
            self.opas += 1;
            done.last = Some(o);
        }
        self.est.warm_start();
        done
    }
}

impl TileModel {
    /// A low-rank command accepted (the tile has the unit).
    pub(super) fn accept_lowrank(&mut self, op: Op, inp: &TileIn) {
        let s = &self.shape;
        let addr = inp.cmd_addr;
        let unit = self.lowrank.as_mut().expect("low-rank unit");
        match op {
            Op::Absorb => {
                Events::absorb(s).add_to(&mut self.events);
                let reorth = unit.absorb(&self.x[..s.rows], &self.d);
                self.lowrank_busy = s.absorb_cycles(reorth);
            }
            Op::EndBatch => {
                Events::end_batch(s).add_to(&mut self.events);
                self.lowrank_busy = s.end_batch_cycles();
                self.end_batch();
            }
            Op::ReadUnit => {
                self.rsp_valid = true;
                self.rsp_data = unit.read_word(s, addr).unwrap_or_else(|| {
                    self.errors |= err::BAD_ADDR;
                    0
                });
            }
            Op::WriteUnit => self.errors |= unit.write_word(s, addr, inp.cmd_data),
            _ => unreachable!("{op:?} is not a low-rank command"),
        }
    }

    /// `END_BATCH`'s work, and the buffers left holding the last term's operands.
    fn end_batch(&mut self) {
        let unit = self.lowrank.as_mut().expect("low-rank unit");
        let done = unit.end_batch(&self.shape, &mut self.cells);
        add_count(&mut self.update_clips, done.clipped);
        add_count(&mut self.pulses, done.pulses);
        if let Some(o) = done.last {
            self.x[..self.shape.rows].copy_from_slice(&o.rows);
            self.d.copy_from_slice(&o.cols);
        }
    }
}

//! The low-rank unit on its own (`pim_lowrank_solo`: `pim_lowrank` beside sample buffers) cycle
//! by cycle: its golden cycle model and its ports.
//!
//! The host writes the first pairs entry by entry (`st_we_i`, at the entry the read port
//! selects). The unit holds one sample (`x`, written entry by entry like the tile's input buffer, and `d`,
//! like its error buffer), the sums `X_r`, `D_r` and its counters. `ABSORB` runs
//! [`FixedLowRank::absorb`] (with its re-orthogonalisation every 8th sample), `FINISH` the
//! batch's last re-orthogonalisation, `WARM` the shift into the next batch's warm start. While
//! busy, the read port and the counters show zero (the unit computes in place); the model
//! applies a command's arithmetic when it accepts it and counts its cycles down.
//!
//! One multiply-accumulate lane per quantity, serial over the entries (`n = max(rows, cols)`):
//! - a pair of `ABSORB`: `n` cycles of the four dot products `X.X`, `X.x`, `D.D`, `D.d`, one
//!   normalisation and [`NEWTON_STEPS`] Newton cycles of the two inverse square roots, one
//!   projection cycle, `n` cycles of the updates: [`absorb_cycles`];
//! - a side of a re-orthogonalisation (`m` entries) for pair `r`: `m` cycles of `|V_r|^2`, `2m`
//!   per earlier pair (the projection, the subtraction), `m` of the new norm, the two inverse
//!   square roots, one cycle of the norm ratio, `m` of the scaling, `m` of the norm of the
//!   result and its inverse square root (the unit vector the later pairs use): [`reorth_cycles`].

use super::fixed::{FixedLowRank, FixedShape, NEWTON_STEPS};
use crate::cycle::{one_bit, CycleModel, Interface, Signal};
use crate::num::{clog2, sext, to_raw};

/// Width of the unit's counters.
pub const COUNTER_BITS: u32 = 32;

/// Cycles of the two inverse square roots: the normalisation and the Newton steps.
pub const INVSQRT_CYCLES: u64 = 1 + NEWTON_STEPS as u64;

/// Cycles of one pair's part of `ABSORB`.
pub fn pair_cycles(s: &FixedShape) -> u64 {
    let n = s.inputs.max(s.outputs) as u64;
    2 * n + INVSQRT_CYCLES + 1
}

/// Cycles of `ABSORB` without a re-orthogonalisation.
pub fn absorb_cycles(s: &FixedShape) -> u64 {
    s.k as u64 * pair_cycles(s)
}

/// Cycles of one re-orthogonalisation (both sides).
pub fn reorth_cycles(s: &FixedShape) -> u64 {
    let side = |m: u64| -> u64 {
        (0..s.k as u64)
            .map(|r| m * (4 + 2 * r) + 2 * INVSQRT_CYCLES + 1)
            .sum()
    };
    side(s.inputs as u64) + side(s.outputs as u64)
}

/// Width of an entry index.
pub fn index_bits(s: &FixedShape) -> u32 {
    clog2(s.inputs.max(s.outputs) as u64).max(1)
}

/// Width of a pair index.
pub fn pair_bits(s: &FixedShape) -> u32 {
    clog2(s.k as u64).max(1)
}

/// Width of the sample port.
pub fn sample_bits(s: &FixedShape) -> u32 {
    s.x_bits.max(s.d_bits)
}

/// Inputs of `pim_lowrank` in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LowRankIn {
    pub x_we: bool,
    pub d_we: bool,
    pub idx: usize,
    pub data: u64,
    pub absorb: bool,
    pub finish: bool,
    pub warm: bool,
    /// 0: `X`, 1: `D`.
    pub rd_side: bool,
    pub rd_pair: usize,
    pub rd_idx: usize,
    /// Write `st_data` into the entry `rd_*` selects (the host's first pairs).
    pub st_we: bool,
    pub st_data: u128,
}

/// Outputs of `pim_lowrank` in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LowRankOut {
    pub busy: bool,
    pub rd: u128,
    pub samples: u64,
    pub saturations: u64,
    pub replaced: u64,
}

/// The golden cycle model of `pim_lowrank`.
#[derive(Clone, Debug)]
pub struct LowRankUnit {
    pub est: FixedLowRank,
    pub x: Vec<i64>,
    pub d: Vec<i64>,
    /// Busy cycles left.
    pub count: u64,
}

impl LowRankUnit {
    /// An idle unit after reset: every entry zero.
    pub fn new(shape: FixedShape) -> LowRankUnit {
        LowRankUnit {
            est: FixedLowRank::zero(shape),
            x: vec![0; shape.inputs],
            d: vec![0; shape.outputs],
            count: 0,
        }
    }

    pub fn shape(&self) -> &FixedShape {
        &self.est.shape
    }
}

fn saturate(v: u64) -> u64 {
    v.min((1u64 << COUNTER_BITS) - 1)
}

impl CycleModel for LowRankUnit {
    type In = LowRankIn;
    type Out = LowRankOut;

    fn outputs(&self, inp: &LowRankIn) -> LowRankOut {
        if self.count != 0 {
            return LowRankOut {
                busy: true,
                ..LowRankOut::default()
            };
        }
        let s = self.shape();
        let (v, n) = match inp.rd_side {
            false => (&self.est.x, s.inputs),
            true => (&self.est.d, s.outputs),
        };
        let rd = match (inp.rd_pair < s.k, inp.rd_idx < n) {
            (true, true) => to_raw(v[inp.rd_pair * n + inp.rd_idx] as i128, s.acc_bits()),
            _ => 0,
        };
        let c = &self.est.counts;
        LowRankOut {
            busy: false,
            rd,
            samples: saturate(c.samples),
            saturations: saturate(c.saturations),
            replaced: saturate(c.replaced),
        }
    }

    fn clock(&mut self, inp: &LowRankIn) {
        if self.count != 0 {
            self.count -= 1;
            return;
        }
        let s = *self.shape();
        let value = |bits: u32| sext(inp.data as u128 & ((1u128 << bits) - 1), bits) as i64;
        if inp.x_we && inp.idx < s.inputs {
            self.x[inp.idx] = value(s.x_bits);
        }
        if inp.d_we && inp.idx < s.outputs {
            self.d[inp.idx] = value(s.d_bits);
        }
        if inp.st_we && inp.rd_pair < s.k {
            let v = sext(inp.st_data & ((1u128 << s.acc_bits()) - 1), s.acc_bits()) as i64;
            match inp.rd_side {
                false if inp.rd_idx < s.inputs => {
                    self.est.x[inp.rd_pair * s.inputs + inp.rd_idx] = v
                }
                true if inp.rd_idx < s.outputs => {
                    self.est.d[inp.rd_pair * s.outputs + inp.rd_idx] = v
                }
                _ => {}
            }
        }
        if inp.absorb {
            self.est.absorb(&self.x, &self.d);
            self.count = absorb_cycles(&s)
                + match self.est.samples.is_multiple_of(super::REORTH_EVERY) {
                    true => reorth_cycles(&s),
                    false => 0,
                };
        } else if inp.finish {
            self.est.finish();
            self.count = reorth_cycles(&s);
        } else if inp.warm {
            self.est.warm_start();
            self.count = 1;
        }
    }
}

impl Interface for LowRankUnit {
    type Geometry = FixedShape;
    const TOP: &'static str = "pim_lowrank_solo";
    const INPUTS: &'static [Signal<LowRankIn, FixedShape>] = &[
        Signal::new("x_we_i", one_bit, |i| i.x_we as u128),
        Signal::new("d_we_i", one_bit, |i| i.d_we as u128),
        Signal::new("idx_i", index_bits, |i| i.idx as u128),
        Signal::new("data_i", sample_bits, |i| i.data as u128),
        Signal::new("absorb_i", one_bit, |i| i.absorb as u128),
        Signal::new("finish_i", one_bit, |i| i.finish as u128),
        Signal::new("warm_i", one_bit, |i| i.warm as u128),
        Signal::new("rd_side_i", one_bit, |i| i.rd_side as u128),
        Signal::new("rd_pair_i", pair_bits, |i| i.rd_pair as u128),
        Signal::new("rd_idx_i", index_bits, |i| i.rd_idx as u128),
        Signal::new("st_we_i", one_bit, |i| i.st_we as u128),
        Signal::new("st_data_i", |s| s.acc_bits(), |i| i.st_data),
    ];
    const OUTPUTS: &'static [Signal<LowRankOut, FixedShape>] = &[
        Signal::new("busy_o", one_bit, |o| o.busy as u128),
        Signal::new("rd_o", |s| s.acc_bits(), |o| o.rd),
        Signal::new("samples_o", |_| COUNTER_BITS, |o| o.samples as u128),
        Signal::new("saturations_o", |_| COUNTER_BITS, |o| o.saturations as u128),
        Signal::new("replaced_o", |_| COUNTER_BITS, |o| o.replaced as u128),
    ];

    fn geometry(&self) -> FixedShape {
        *self.shape()
    }
}

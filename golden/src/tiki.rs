//! The Tiki-Taka family (TTv2, chopped TTv2, AGAD) in integers: the rules a Tiki-Taka unit
//! beside a tile follows, so that its RTL and the golden model can agree bit for bit
//! (`docs/hardware.md`, Tiki-Taka). Two analog arrays hold each weight: A (fast) receives
//! stochastic pulse updates; C (slow) holds the weight the network uses. A digital hidden matrix
//! H sits between them: each transfer reads one input line of A, adds the read (sign-corrected
//! by the choppers, and for AGAD against a running reference) into H, and sends one pulse into C
//! where `|H|` reaches one pulse.
//!
//! Conventions (the reference is IBM aihwkit's C++; Rasch et al., arXiv 2303.04721):
//! - Rows of a crossbar are inputs `k`, columns outputs `j`; cell `k * cols + j`. "Column k of A"
//!   in aihwkit's notation is input line `k` here, read with a one-hot drive on row `k`.
//! - Probabilities are Q16 thresholds: a line fires in a slot when the top 16 bits of its LFSR's
//!   next word are below the threshold; a threshold of `2^16` always fires, 0 never.
//! - Pulse signs: a positive `x d` lowers A's weight (gradient descent), negated when the row's
//!   and the column's choppers differ. A transfer whose `omega` reaches `+1` raises C (C follows
//!   A: aihwkit writes `-n` with its update's minus sign).
//! - H counts `2^-h_frac` of one C pulse and saturates at `h_bits` (signed), counted. The read is
//!   an integer code `v`; the host's transfer learning rate arrives as `lr_q`, in H units per
//!   code. AGAD's means hold codes with `mu_frac` fraction bits; `beta` is a Q16 fraction
//!   (`round(beta * 2^16)`), the mean's update rounded half up.

use crate::device::{CellDevice, Kind, Model};
use crate::lfsr::Lfsr;
use crate::num::signed_range;

pub mod unit;
pub use unit::TikiUnit;

pub use crate::protocol::PROB_BITS;
pub use crate::shape::{Flavor, Schedule, TransferShape};
/// The threshold that always fires.
pub const ALWAYS: u32 = 1 << PROB_BITS;

/// The Q16 threshold of probability `p` (clamped into `[0, 1]`; NaN never fires).
pub fn threshold(p: f64) -> u32 {
    if p.is_nan() || p <= 0.0 {
        return 0;
    }
    (p.min(1.0) * ALWAYS as f64).round() as u32
}

/// Whether a line with threshold `thr` fires on LFSR word `word`.
pub fn fires(thr: u32, word: u32) -> bool {
    (word >> (32 - PROB_BITS)) < thr
}

/// The symmetry point of a device, in fine units: where an up and a down pulse move it by the
/// same step. For soft bounds (`up (g_max - g) / g_max = down (g - g_min) / -g_min`) it is
/// `(up - down) g_max g_min / (up g_min - down g_max)`, rounded to nearest; an ideal device's
/// steps do not depend on `g`, and its reference is 0.
pub fn symmetry_point(model: &Model, dev: &CellDevice) -> i64 {
    if model.kind == Kind::Ideal {
        return 0;
    }
    let (up, down) = (dev.step_up as i128, dev.step_down as i128);
    let (hi, lo) = (dev.g_max as i128, dev.g_min as i128);
    let num = (up - down) * hi * lo;
    let den = up * lo - down * hi; // negative: lo < 0 < hi, steps positive
                                   // num / den rounded half away from zero.
    let q = (num.abs() + den.abs() / 2) / den.abs();
    let q = if (num < 0) != (den < 0) { -q } else { q };
    (q as i64).clamp(dev.g_min, dev.g_max)
}

/// The operands of one stochastic pulse update of A: per-line thresholds and signs, and the
/// number of slots (`BL`). The host makes them from `x` and `d` with its update management.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulseOperands {
    pub x_thr: Vec<u32>,
    pub x_neg: Vec<bool>,
    pub d_thr: Vec<u32>,
    pub d_neg: Vec<bool>,
    pub slots: u32,
}

/// One slot: every row line draws one word, then every column line (in order), whatever its
/// threshold, so the draws never depend on the data. Returns the lines that fired.
pub fn slot(op: &PulseOperands, rows: &mut [Lfsr], cols: &mut [Lfsr]) -> (Vec<bool>, Vec<bool>) {
    let r = op
        .x_thr
        .iter()
        .zip(rows)
        .map(|(&t, l)| fires(t, l.word()))
        .collect();
    let c = op
        .d_thr
        .iter()
        .zip(cols)
        .map(|(&t, l)| fires(t, l.word()))
        .collect();
    (r, c)
}

/// Whether the pulse of a coincidence at row `r`, column `c` raises A's cell.
pub fn raises(op: &PulseOperands, c_in: &[bool], c_out: &[bool], r: usize, c: usize) -> bool {
    // x d > 0 lowers the weight; differing choppers negate the pulse.
    (op.x_neg[r] ^ op.d_neg[c]) ^ (c_in[r] ^ c_out[c])
}

/// Events a transfer unit counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferCounters {
    pub c_pulses: u64,
    pub h_saturations: u64,
    pub flips: u64,
    /// AGAD: pulses withheld during the warm-up passes.
    pub withheld: u64,
}

/// The digital state of a transfer unit for one `rows x cols` layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferState {
    pub rows: usize,
    pub cols: usize,
    /// `h[k * cols + j]`, units `2^-h_frac` of one C pulse.
    pub h: Vec<i64>,
    /// AGAD: running mean of the read and its value at the last flip (`2^-mu_frac` codes).
    pub mu: Vec<i64>,
    pub mu_past: Vec<i64>,
    pub c_in: Vec<bool>,
    pub c_out: Vec<bool>,
    /// AGAD: the input line's chopper flipped since its last read.
    pub switched: Vec<bool>,
    /// The input line the next transfer reads (in order, wrapping).
    pub next: usize,
    /// Completed passes over the input lines modulo the chopper period (regular flips; else 0).
    pub phase: u64,
    /// Completed passes, saturating at `warmup_passes + 1` (AGAD's write gate).
    pub warm: u64,
    pub lfsr: Lfsr,
    pub counters: TransferCounters,
}

/// A pulse a transfer sends into C: the output column and its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CPulse {
    pub col: usize,
    pub up: bool,
}

impl TransferState {
    pub fn new(rows: usize, cols: usize, seed: u32) -> Self {
        TransferState {
            rows,
            cols,
            h: vec![0; rows * cols],
            mu: vec![0; rows * cols],
            mu_past: vec![0; rows * cols],
            c_in: vec![false; rows],
            c_out: vec![false; cols],
            switched: vec![false; rows],
            next: 0,
            phase: 0,
            warm: 0,
            lfsr: Lfsr::new32(seed),
            counters: TransferCounters::default(),
        }
    }

    /// One transfer: `v` is input line `self.next` of A as read (one code per output column);
    /// returns the pulses into C on that line. Then the line's chopper may flip, and the unit
    /// moves to the next line.
    pub fn transfer(&mut self, s: &TransferShape, v: &[i64], lr_q: i64) -> Vec<CPulse> {
        let k = self.next;
        let one = 1i64 << s.h_frac;
        let (h_lo, h_hi) = signed_range(s.h_bits);
        let was_switched = std::mem::take(&mut self.switched[k]);
        let write = s.flavor != Flavor::Agad || self.warm > s.warmup_passes;
        let mut pulses = Vec::new();
        for (j, &vj) in v.iter().enumerate().take(self.cols) {
            let w = k * self.cols + j;
            let chopped = s.flavor != Flavor::Ttv2 && self.c_in[k] != self.c_out[j];
            let step = match s.flavor {
                Flavor::Ttv2 | Flavor::Chopped => vj as i128 * lr_q as i128,
                Flavor::Agad => {
                    if was_switched {
                        self.mu_past[w] = self.mu[w];
                    }
                    let dw = ((vj as i128) << s.mu_frac) - self.mu_past[w] as i128;
                    let half = (1i128 << s.mu_frac) >> 1;
                    let step = (dw * lr_q as i128 + half) >> s.mu_frac;
                    let diff = ((vj as i128) << s.mu_frac) - self.mu[w] as i128;
                    self.mu[w] += ((diff * s.beta_q16 as i128 + (1 << 15)) >> 16) as i64;
                    step
                }
            };
            let mut omega = self.h[w] as i128 + if chopped { -step } else { step };
            if omega < h_lo as i128 || omega > h_hi as i128 {
                self.counters.h_saturations += 1;
                omega = omega.clamp(h_lo as i128, h_hi as i128);
            }
            if omega.abs() >= one as i128 {
                if write {
                    pulses.push(CPulse {
                        col: j,
                        up: omega > 0,
                    });
                    self.counters.c_pulses += 1;
                } else {
                    self.counters.withheld += 1;
                }
                omega = 0; // the buffer is forgotten (momentum 0)
            }
            self.h[w] = omega as i64;
        }
        let flip = match s.schedule {
            Schedule::Never => false,
            Schedule::Random { thr } => fires(thr, self.lfsr.word()),
            Schedule::Regular { period } => self.phase + 1 == period,
        };
        if flip {
            self.c_in[k] = !self.c_in[k];
            self.switched[k] = true;
            self.counters.flips += 1;
        }
        self.next = (k + 1) % self.rows;
        if self.next == 0 {
            let period = match s.schedule {
                Schedule::Regular { period } => period,
                _ => 1,
            };
            self.phase = (self.phase + 1) % period;
            self.warm = (self.warm + 1).min(s.warmup_passes + 1);
        }
        pulses
    }
}

/// The chopper period of flip probability `p`: `max(ceil(1/p), 2)` passes.
pub fn period(p: f64) -> u64 {
    ((1.0 / p).ceil() as u64).max(2)
}

/// AGAD's mean weight `beta = min(tail / period, 1)` as a Q16 fraction.
pub fn beta_q16(tail: f64, period: u64) -> u32 {
    ((tail / period as f64).min(1.0) * 65536.0).round() as u32
}

#[cfg(test)]
mod tests;

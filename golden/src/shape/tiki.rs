//! The Tiki-Taka unit's parameters, and every width, latency and address of the unit that
//! follows from them and the tile's shape (`docs/hardware.md`, Tiki-Taka).

use super::TileShape;
use crate::num::clog2;

/// Which member of the family, and how its choppers flip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Tiki-Taka v2: no choppers.
    Ttv2,
    /// Chopped TTv2: the read is sign-corrected by the choppers.
    Chopped,
    /// AGAD: chopped, against a running mean of the read that is frozen at every chopper flip.
    Agad,
}

/// When an input line's chopper flips (after the line is read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    Never,
    /// With probability `thr / 2^16` per read, from the unit's own LFSR (one word per read).
    Random {
        thr: u32,
    },
    /// In the last pass of every `period` passes over the input lines (`max(ceil(1/p), 2)`).
    Regular {
        period: u64,
    },
}

/// The fixed parameters of a transfer unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferShape {
    pub flavor: Flavor,
    pub schedule: Schedule,
    pub h_bits: u32,
    pub h_frac: u32,
    /// AGAD: fraction bits of the means, and the mean's Q16 weight `beta`.
    pub mu_frac: u32,
    pub beta_q16: u32,
    /// AGAD: C is written only after this many passes (aihwkit: the chopper period, strict).
    pub warmup_passes: u64,
}

/// The Tiki-Taka unit beside a one-slice tile (`docs/hardware.md`, Tiki-Taka): the fast array
/// A (slice index [`crate::protocol::A_ARRAY`], with a reference level per cell), the hidden
/// matrix H, the choppers, the pulse generator and the transfer sequencer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TikiShape {
    pub transfer: TransferShape,
    /// Width of the transfer rate `lr_q` (unsigned, H units per read code).
    pub lr_bits: u32,
    /// Width of a `PULSE`'s slot count: at most `2^slot_bits - 1` slots.
    pub slot_bits: u32,
}

/// Where each word of the Tiki-Taka unit's state sits in the `READ_UNIT`/`WRITE_UNIT` address
/// space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitMap {
    /// `H[k * cols + j]` from here.
    pub h: u64,
    /// AGAD: the means `mu` and `mu_past`, one per weight, from here.
    pub mu: Option<u64>,
    pub mu_past: Option<u64>,
    /// One word per line, rows then columns: bit 0 the chopper, bit 1 (input lines) whether it
    /// flipped since the line's last read.
    pub chop: u64,
    /// The input line the next transfer reads.
    pub next: u64,
    /// Passes modulo the chopper period (regular flips).
    pub phase: u64,
    /// Completed passes, saturating at `warmup_passes + 1`.
    pub warm: u64,
    /// The transfer rate `lr_q`.
    pub lr: u64,
    /// Words in all.
    pub words: u64,
}

impl TileShape {
    /// Range of a level of A as read (`(g - ref) >> frac_bits` with `g` and the reference inside
    /// the device bounds).
    pub fn a_level_range(&self) -> (i64, i64) {
        let (lo, hi) = self.device_bounds(0);
        (lo - hi, hi - lo)
    }

    /// Tiki-Taka: width of a transfer read (an accumulator of the one-plane read of A).
    pub fn read_bits(&self) -> u32 {
        self.acc_bits()
    }

    /// Tiki-Taka (AGAD): width of a mean (a read with `mu_frac` fraction bits; an average of
    /// reads stays in their range).
    pub fn mu_bits(&self) -> u32 {
        self.read_bits() + self.tiki.as_ref().map_or(0, |t| t.transfer.mu_frac)
    }

    /// Tiki-Taka: width of one H step before it is added: `v * lr_q`, or AGAD's `((v << f) -
    /// mu_past) * lr_q` rounded back by `f` bits.
    pub fn h_step_bits(&self) -> u32 {
        self.read_bits() + self.tiki.as_ref().map_or(0, |t| t.lr_bits) + 2
    }

    /// Tiki-Taka: width of the sum `H +- step` before it saturates at `h_bits`.
    pub fn omega_bits(&self) -> u32 {
        self.h_step_bits()
            .max(self.tiki.as_ref().map_or(0, |t| t.transfer.h_bits))
            + 1
    }

    /// Tiki-Taka: the chopper period in passes (1 unless flips are regular).
    pub fn chop_period(&self) -> u64 {
        match self.tiki.as_ref().map(|t| t.transfer.schedule) {
            Some(Schedule::Regular { period }) => period,
            _ => 1,
        }
    }

    /// Tiki-Taka: where the passes counter saturates (`warmup_passes + 1`).
    pub fn warm_max(&self) -> u64 {
        self.tiki
            .as_ref()
            .map_or(1, |t| t.transfer.warmup_passes + 1)
    }

    /// Tiki-Taka: the unit's state words (`READ_UNIT`, `WRITE_UNIT`).
    pub fn unit_map(&self) -> Option<UnitMap> {
        let t = self.tiki.as_ref()?;
        let n = (self.rows * self.cols) as u64;
        let agad = t.transfer.flavor == Flavor::Agad;
        let chop = if agad { 3 * n } else { n };
        let next = chop + (self.rows + self.cols) as u64;
        Some(UnitMap {
            h: 0,
            mu: agad.then_some(n),
            mu_past: agad.then_some(2 * n),
            chop,
            next,
            phase: next + 1,
            warm: next + 2,
            lr: next + 3,
            words: next + 4,
        })
    }

    /// Tiki-Taka: width of the widest unit word (H, a mean, the rate, the pass counters).
    pub fn unit_word_bits(&self) -> u32 {
        let Some(t) = &self.tiki else { return 0 };
        let mu = if t.transfer.flavor == Flavor::Agad {
            self.mu_bits()
        } else {
            0
        };
        t.transfer
            .h_bits
            .max(mu)
            .max(t.lr_bits)
            .max(self.row_bits().max(1))
            .max(clog2(self.chop_period()).max(1))
            .max(clog2(self.warm_max() + 1))
            .max(2)
    }

    /// Tiki-Taka: cycles a `PULSE` of `slots` slots keeps the tile busy: two update cycles per
    /// slot (rows whose pulses go up for the columns' sign, then the others), then one cycle in
    /// which the last counts arrive.
    pub fn pulse_cycles(&self, slots: usize) -> usize {
        2 * slots + 1
    }

    /// Tiki-Taka: cycles a `TRANSFER` keeps the tile busy: the one-plane read of A (`share + 2`),
    /// one cycle per column for H, one pulse cycle into C and one for its counts.
    pub fn tiki_transfer_cycles(&self) -> usize {
        self.adc.share + 2 + self.cols + 2
    }
}

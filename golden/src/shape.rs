//! Geometry and precision of one tile, and every width and latency derived from them.
//!
//! The generator never asks the user for a derived width: it takes them from here, and the
//! tests check each bound against exhaustive or big-integer arithmetic.

pub use crate::adc::AdcShape;
use crate::device::{CellDevice, Kind, Stuck};
use crate::num::{clog2, signed_range, signed_width, unsigned_range};
use crate::protocol::PROB_BITS;
use num_bigint::BigInt;

/// Everything that fixes the datapath of one tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileShape {
    pub rows: usize,
    pub cols: usize,
    /// Bits of weight value per slice (the canonical digit width).
    pub value_bits: u32,
    /// Signed cell width per slice, least significant slice first (value plus headroom bits).
    pub cell_bits: Vec<u32>,
    pub weight_bits: u32,
    pub input_bits: u32,
    /// Bits per DAC drive; inputs enter in `input_bits / dac_bits` planes.
    pub dac_bits: u32,
    pub adc: AdcShape,
    pub device: DeviceShape,
    /// The mixed-precision unit (a digital accumulator per weight), when the tile has one.
    pub mixed: Option<MixedShape>,
    /// The Tiki-Taka unit (a second array A, a hidden matrix H), when the tile has one.
    pub tiki: Option<TikiShape>,
    /// SBPCA's low-rank unit (a rank-k estimate of the batch gradient), when the tile has one.
    pub lowrank: Option<LowRankShape>,
}

/// A tile's command address, command data and response widths ([`TileShape::port_widths`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortWidths {
    pub addr: u32,
    pub data: u32,
    pub rsp: u32,
}

/// The device model every cell of a tile follows (per-cell variation comes from device files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceShape {
    pub kind: Kind,
    /// Fine units per level: `2^frac_bits`.
    pub frac_bits: u32,
    /// Q16 gain of the cycle-to-cycle noise; 0 for none.
    pub c2c_q16: i64,
    /// Q16 gain of the read noise added to every sensed line current (in current units); 0 for
    /// none.
    pub read_q16: i64,
    /// Nominal bounds in levels (within every slice's cell range); none: the cell range.
    pub bounds: Option<(i64, i64)>,
    /// Base seed of the per-cell LFSRs.
    pub seed: u32,
    /// Whether per-cell parameters come from device files (`pim_dev_t<tile>_s<slice>.memh`).
    pub files: bool,
}

impl Default for DeviceShape {
    /// Ideal devices, one step per level, no noise, no variation: cells are plain counters.
    fn default() -> Self {
        DeviceShape {
            kind: Kind::Ideal,
            frac_bits: 0,
            c2c_q16: 0,
            read_q16: 0,
            bounds: None,
            seed: 1,
            files: false,
        }
    }
}

/// The mixed-precision accumulate-and-threshold unit (`docs/hardware.md`, Mixed precision).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixedShape {
    /// Width of each accumulator chi (signed; saturates, counted).
    pub chi_bits: u32,
    /// Threshold epsilon = 2^epsilon_log2 chi units: one nominal pulse.
    pub epsilon_log2: u32,
    /// Most pulses one transfer sends to a cell.
    pub max_pulses: i64,
}

pub use crate::protocol::COUNTER_BITS;

mod addresses;
mod lowrank;
mod tiki;
pub use lowrank::{LowRankMap, LowRankShape};
pub use tiki::{Flavor, Schedule, TikiShape, TransferShape, UnitMap};

impl TileShape {
    pub fn slices(&self) -> usize {
        self.cell_bits.len()
    }

    pub fn planes(&self) -> usize {
        (self.input_bits / self.dac_bits) as usize
    }

    /// Lines of the tile's line buffers: inputs and outputs of both directions share them.
    pub fn lines(&self) -> usize {
        self.rows.max(self.cols)
    }

    pub fn adcs(&self) -> usize {
        self.lines() / self.adc.share
    }

    pub fn cell_range(&self, m: usize) -> (i64, i64) {
        signed_range(self.cell_bits[m])
    }

    /// Bounds of slice `m`'s devices in levels: the configured bounds within the cell range.
    pub fn device_bounds(&self, m: usize) -> (i64, i64) {
        let (lo, hi) = self.cell_range(m);
        match self.device.bounds {
            Some((a, b)) => (a.max(lo), b.min(hi)),
            None => (lo, hi),
        }
    }

    /// The nominal device of slice `m`: bounds in fine units, one level per pulse.
    pub fn nominal_device(&self, m: usize) -> CellDevice {
        let f = self.device.frac_bits;
        let (lo, hi) = self.device_bounds(m);
        CellDevice {
            g_min: lo << f,
            g_max: hi << f,
            step_up: 1 << f,
            step_down: 1 << f,
            stuck: Stuck::No,
        }
    }

    /// Cycles of a mixed-precision accumulate: one row per cycle.
    pub fn acc_cycles(&self) -> usize {
        self.rows
    }

    /// Cycles of a transfer: one row per cycle, then one to count the last row's clips.
    pub fn transfer_cycles(&self) -> usize {
        self.rows + 1
    }

    /// Range of the DAC drive of plane `k` (the top plane is signed).
    pub fn drive_range(&self, k: usize) -> (i64, i64) {
        if k + 1 == self.planes() {
            signed_range(self.dac_bits)
        } else {
            unsigned_range(self.dac_bits)
        }
    }

    /// Signed width of one DAC drive value.
    pub fn drive_bits(&self) -> u32 {
        self.dac_bits + 1
    }

    /// Exact range of a line current of slice `m`, over every plane, both directions and every
    /// level the cells can hold.
    pub fn current_range(&self, m: usize) -> (i64, i64) {
        let (clo, chi) = self.cell_range(m);
        let n = self.lines() as i64;
        let noise = self.read_noise_bound();
        let (mut lo, mut hi) = (-noise, noise);
        if m == 0 && self.tiki.is_some() {
            // A's transfer read: one row driven with 1, levels `(g - ref) >> frac_bits`.
            let (alo, ahi) = self.a_level_range();
            lo = alo - noise;
            hi = ahi + noise;
        }
        for k in 0..self.planes() {
            let (dlo, dhi) = self.drive_range(k);
            for p in [dlo * clo, dlo * chi, dhi * clo, dhi * chi] {
                lo = lo.min(n * p - noise);
                hi = hi.max(n * p + noise);
            }
        }
        (lo, hi)
    }

    /// Largest read noise added to a line current: `|(n * read_q16 + 2^15) >> 16|` for
    /// `|n| <= 510`.
    pub fn read_noise_bound(&self) -> i64 {
        (crate::protocol::NOISE_OFFSET * self.device.read_q16 + (1 << 15)) >> 16
    }

    /// Width of the sample-and-hold current bus (the widest slice).
    pub fn current_bits(&self) -> u32 {
        (0..self.slices())
            .map(|m| {
                let (lo, hi) = self.current_range(m);
                signed_width(&BigInt::from(lo), &BigInt::from(hi))
            })
            .max()
            .unwrap_or(1)
    }

    pub fn code_range(&self) -> (i64, i64) {
        signed_range(self.adc.bits)
    }

    /// Codes the ADC of slice `m` can really produce: the rounded current range, clipped.
    pub fn reachable_code_range(&self, m: usize) -> (i64, i64) {
        let (clo, chi) = self.code_range();
        let (ilo, ihi) = self.current_range(m);
        let round = |i: i64| crate::adc::round(i, self.adc.step_log2);
        (round(ilo).clamp(clo, chi), round(ihi).clamp(clo, chi))
    }

    /// Whether every read of every slice is exact: step 1 and no current can clip.
    pub fn adc_is_exact(&self) -> bool {
        let (clo, chi) = self.code_range();
        self.adc.step_log2 == 0
            && (0..self.slices()).all(|m| {
                let (lo, hi) = self.current_range(m);
                clo <= lo && hi <= chi
            })
    }

    /// Exact range of a shift-and-add accumulator: the sum over planes and slices of the
    /// reachable codes times their weights `2^(dac_bits*k + value_bits*m + step_log2)`.
    pub fn acc_range(&self) -> (BigInt, BigInt) {
        let (mut lo, mut hi) = (BigInt::from(0), BigInt::from(0));
        for k in 0..self.planes() {
            for m in 0..self.slices() {
                let shift = self.dac_bits * k as u32 + self.value_bits * m as u32;
                let (clo, chi) = self.reachable_code_range(m);
                lo += BigInt::from(clo) << (shift + self.adc.step_log2);
                hi += BigInt::from(chi) << (shift + self.adc.step_log2);
            }
        }
        (lo, hi)
    }

    /// Width of each shift-and-add accumulator (never overflows, see [`Self::acc_range`]).
    pub fn acc_bits(&self) -> u32 {
        let (lo, hi) = self.acc_range();
        signed_width(&lo, &hi)
    }

    /// Width of the command data port: a weight, an input, a raw cell level, or (Tiki-Taka) a
    /// signed threshold, a slot count or a unit word.
    pub fn data_bits(&self) -> u32 {
        let cell = self.cell_bits.iter().copied().max().unwrap_or(1);
        let tiki = match &self.tiki {
            Some(t) => (PROB_BITS + 2)
                .max(t.slot_bits)
                .max(t.lr_bits)
                .max(self.unit_word_bits()),
            None => 0,
        };
        self.weight_bits
            .max(self.input_bits)
            .max(cell)
            .max(tiki)
            .max(self.lowrank_word_bits())
    }

    /// The command and response port widths, computed once: each is derived through the ranges
    /// of the whole datapath (big integers), too slow to derive on every command.
    pub fn port_widths(&self) -> PortWidths {
        PortWidths {
            addr: self.addr_bits(),
            data: self.data_bits(),
            rsp: self.rsp_bits(),
        }
    }

    /// Width of the response port: an accumulator, a counter or a unit word.
    pub fn rsp_bits(&self) -> u32 {
        self.acc_bits()
            .max(COUNTER_BITS)
            .max(self.unit_word_bits())
            .max(self.lowrank_word_bits())
    }

    /// Width of the command address: the raw cell space `{slice, row, col}`, or the Tiki-Taka
    /// unit's words where they are more.
    pub fn addr_bits(&self) -> u32 {
        let cells = self.slice_bits() + self.row_bits() + self.col_bits();
        let words = self
            .unit_map()
            .map(|m| m.words)
            .or(self.lowrank_map().map(|m| m.words));
        match words {
            Some(n) => cells.max(clog2(n)),
            None => cells,
        }
    }

    /// The command address of cell `(slice, row, col)`: the fields `{slice, row, col}` (`LOAD_W`
    /// addresses slice 0, all slices at once).
    pub fn cell_addr(&self, slice: usize, row: usize, col: usize) -> u64 {
        let (rb, cb) = (self.row_bits(), self.col_bits());
        ((slice as u64) << (rb + cb)) | ((row as u64) << cb) | col as u64
    }

    /// The fields `(slice, row, col)` of a command address (see [`Self::cell_addr`]).
    pub fn cell_of(&self, addr: u64) -> (u64, usize, usize) {
        let (rb, cb) = (self.row_bits(), self.col_bits());
        let row = ((addr >> cb) & ((1 << rb) - 1)) as usize;
        (addr >> (rb + cb), row, (addr & ((1 << cb) - 1)) as usize)
    }

    pub fn row_bits(&self) -> u32 {
        clog2(self.rows as u64)
    }

    pub fn col_bits(&self) -> u32 {
        clog2(self.cols as u64)
    }

    pub fn slice_bits(&self) -> u32 {
        clog2(self.slices() as u64).max(1)
    }

    /// Cycles an MVM or MTVM keeps the tile busy: one conversion per plane and shared line,
    /// plus the ADC and shift-and-add pipeline stages.
    pub fn mvm_cycles(&self) -> usize {
        self.planes() * self.adc.share + 2
    }

    /// Cycles an OPA keeps the tile busy: four sign phases of `input_bits` steps, plus one
    /// cycle in which the last step's clip count reaches the counter.
    pub fn opa_cycles(&self) -> usize {
        4 * self.input_bits as usize + 1
    }

    /// Cycles a CRS keeps the tile busy: one cell (all its slices) per cycle, read in one cycle
    /// and written back in the next.
    pub fn crs_cycles(&self) -> usize {
        self.rows * self.cols + 1
    }

    /// Exact range of `sum_m 2^(value_bits*m) * level_m` over every level the cells can hold.
    pub fn recompose_range(&self) -> (BigInt, BigInt) {
        let (mut lo, mut hi) = (BigInt::from(0), BigInt::from(0));
        for m in 0..self.slices() {
            let (clo, chi) = self.cell_range(m);
            lo += BigInt::from(clo) << (self.value_bits * m as u32);
            hi += BigInt::from(chi) << (self.value_bits * m as u32);
        }
        (lo, hi)
    }

    /// Width of the CRS recomposition (never overflows, see [`Self::recompose_range`]).
    pub fn recompose_bits(&self) -> u32 {
        let (lo, hi) = self.recompose_range();
        signed_width(&lo, &hi)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// puma's precision (16-bit weights in [6,6,6,6,5,5,5,5]-bit cells, 16-bit inputs) with the
    /// narrowest exact ADC.
    pub fn exact_shape(rows: usize, cols: usize, dac_bits: u32) -> TileShape {
        let mut s = TileShape {
            rows,
            cols,
            value_bits: 2,
            cell_bits: vec![6, 6, 6, 6, 5, 5, 5, 5],
            weight_bits: 16,
            input_bits: 16,
            dac_bits,
            adc: AdcShape {
                bits: 4,
                step_log2: 0,
                share: 1,
            },
            device: DeviceShape::default(),
            mixed: None,
            tiki: None,
            lowrank: None,
        };
        while !s.adc_is_exact() {
            s.adc.bits += 1;
        }
        s
    }

    pub fn small() -> TileShape {
        TileShape {
            rows: 8,
            cols: 4,
            value_bits: 2,
            cell_bits: vec![4, 4, 3, 3],
            weight_bits: 8,
            input_bits: 8,
            dac_bits: 1,
            adc: AdcShape {
                bits: 7,
                step_log2: 0,
                share: 2,
            },
            device: DeviceShape::default(),
            mixed: None,
            tiki: None,
            lowrank: None,
        }
    }

    #[test]
    fn current_range_is_attained_and_tight() {
        let s = small();
        // slice 0: 4-bit cells [-8, 7], drives {0,1} and top plane {-1, 0}, 8 lines.
        assert_eq!(s.current_range(0), (-64, 64));
        assert_eq!(s.current_range(3), (-32, 32));
        assert_eq!(s.current_bits(), 8);
        assert!(!s.adc_is_exact());
    }

    #[test]
    fn acc_range_bounds_every_reachable_sum() {
        let s = small();
        let (lo, hi) = s.acc_range();
        // Brute force: the extreme accumulator is every code at its extreme.
        let mut blo = BigInt::from(0);
        let mut bhi = BigInt::from(0);
        for k in 0..s.planes() {
            for m in 0..s.slices() {
                let (clo, chi) = s.reachable_code_range(m);
                let w = BigInt::from(1) << (k as u32 + 2 * m as u32);
                blo += BigInt::from(clo) * &w;
                bhi += BigInt::from(chi) * &w;
            }
        }
        assert_eq!((lo, hi), (blo, bhi));
        assert_eq!(s.mvm_cycles(), 8 * 2 + 2);
    }
}

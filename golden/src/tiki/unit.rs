//! The Tiki-Taka unit of a tile in its functional form: what each of its commands does to A, C,
//! H and the choppers, with the counts the status words report. The tile's cycle model
//! ([`crate::tile::TileModel`]) runs these functions inside the busy windows the RTL keeps, and
//! the stimulus keeps a shadow of every tile's unit with them.
//!
//! - `WRITE_PROB` line `l` (rows, then columns): `data = {neg, thr}`, `thr` in the low
//!   `PROB_BITS + 1` bits (at most `2^PROB_BITS`), the sign above it.
//! - `PULSE` into A (`addr` 0) or C (`addr` 1) for `data` slots: in each slot every row line,
//!   then every column line draws one word of its LFSR; each coincidence is one pulse, up when
//!   `x_neg ^ d_neg ^ (c_in ^ c_out)` (choppers only for A).
//! - `TRANSFER`: the next input line `k` of A read through the tile's product path with a
//!   one-hot drive (one plane: DAC, sample-and-hold with read noise, ADC with its rounding and
//!   clipping, shift-and-add), then [`TransferState::transfer`] with those codes, its pulses
//!   into row `k` of C.

use super::{raises, slot, PulseOperands, TransferState, PROB_BITS};
use crate::adc::convert;
use crate::cells::Cells;
use crate::device::CellDevice;
use crate::lfsr::Lfsr;
use crate::mvm::{code_shift, currents, drive, Direction};
use crate::num::{mask, sext, to_raw};
use crate::protocol::{err, seed_hash, CHOP_SEED, PULSE_SEED};
use crate::shape::TileShape;

/// What a unit's command sent: pulses and the cells whose pulse clipped at a bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub pulses: u64,
    pub clipped: u64,
}

/// The Tiki-Taka unit of one tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TikiUnit {
    /// The fast array A (one array, references subtracted in every read).
    pub a: Cells,
    pub state: TransferState,
    /// The thresholds and signs of every line (`WRITE_PROB`); its slot count is unused.
    pub op: PulseOperands,
    pub row_lfsr: Vec<Lfsr>,
    pub col_lfsr: Vec<Lfsr>,
    /// The transfer rate, H units per read code.
    pub lr_q: i64,
}

impl TikiUnit {
    /// The unit of tile `tile` after reset, A made of `devices` with references `refs`.
    pub fn new(shape: &TileShape, tile: usize, devices: Vec<CellDevice>, refs: Vec<i64>) -> Self {
        let (rows, cols) = (shape.rows, shape.cols);
        let seed = shape.device.seed;
        let line = |l: usize| Lfsr::new32(seed_hash(seed ^ PULSE_SEED, tile, 0, l));
        TikiUnit {
            a: Cells::tiki_a(shape, tile, devices, refs),
            state: TransferState::new(rows, cols, seed_hash(seed ^ CHOP_SEED, tile, 0, 0)),
            op: PulseOperands {
                x_thr: vec![0; rows],
                x_neg: vec![false; rows],
                d_thr: vec![0; cols],
                d_neg: vec![false; cols],
                slots: 0,
            },
            row_lfsr: (0..rows).map(line).collect(),
            col_lfsr: (rows..rows + cols).map(line).collect(),
            lr_q: 0,
        }
    }

    /// `WRITE_PROB`: returns the error flags it raises.
    pub fn write_prob(&mut self, line: u64, raw: u64) -> u8 {
        let op = &mut self.op;
        let (rows, lines) = (op.x_thr.len(), op.x_thr.len() + op.d_thr.len());
        let e = TikiUnit::prob_error(lines, line, raw);
        if e != 0 {
            return e;
        }
        let thr = (raw & mask(PROB_BITS + 1) as u64) as u32;
        let neg = (raw >> (PROB_BITS + 1)) & 1 == 1;
        let l = line as usize;
        if l < rows {
            (op.x_thr[l], op.x_neg[l]) = (thr, neg);
        } else {
            (op.d_thr[l - rows], op.d_neg[l - rows]) = (thr, neg);
        }
        0
    }

    /// The raw `WRITE_PROB` data of threshold `thr` and sign `neg`.
    pub fn prob_data(thr: u32, neg: bool) -> u64 {
        thr as u64 | (neg as u64) << (PROB_BITS + 1)
    }

    /// The error flags of a `PULSE` with address `addr` and data `slots`, none when it runs.
    /// The error flags of `WRITE_PROB` of `raw` into line `line` of a unit with `lines` lines.
    pub fn prob_error(lines: usize, line: u64, raw: u64) -> u8 {
        if line >= lines as u64 {
            err::BAD_ADDR
        } else if (raw & mask(PROB_BITS + 1) as u64) > 1 << PROB_BITS {
            err::BAD_LEVEL
        } else {
            0
        }
    }

    pub fn pulse_error(shape: &TileShape, addr: u64, slots: u64) -> u8 {
        let t = shape.tiki.as_ref().expect("Tiki-Taka unit");
        if addr > 1 {
            err::BAD_ADDR
        } else if slots > mask(t.slot_bits) as u64 {
            err::BAD_LEVEL
        } else {
            0
        }
    }

    /// `PULSE` of `slots` slots into A, or into `c` (slice 0 of the tile's cells) without the
    /// choppers.
    pub fn pulse(&mut self, slots: usize, into_c: bool, c: &mut Cells) -> Sent {
        let mut sent = Sent::default();
        let (rows, cols) = (self.op.x_thr.len(), self.op.d_thr.len());
        let unchopped = (vec![false; rows], vec![false; cols]);
        for _ in 0..slots {
            let (r, f) = slot(&self.op, &mut self.row_lfsr, &mut self.col_lfsr);
            let (c_in, c_out) = match into_c {
                true => (&unchopped.0, &unchopped.1),
                false => (&self.state.c_in, &self.state.c_out),
            };
            for k in (0..rows).filter(|&k| r[k]) {
                for j in (0..cols).filter(|&j| f[j]) {
                    let n = if raises(&self.op, c_in, c_out, k, j) {
                        1
                    } else {
                        -1
                    };
                    let cells = if into_c { &mut *c } else { &mut self.a };
                    sent.clipped += cells.pulse(0, k, j, n) as u64;
                    sent.pulses += 1;
                }
            }
        }
        sent
    }

    /// The thresholds and signs of `op` on every line, as `WRITE_PROB`s of each would set them
    /// (its slot count is not kept).
    pub fn set_operands(&mut self, op: &PulseOperands) {
        assert_eq!(op.x_thr.len(), self.op.x_thr.len(), "one threshold per row");
        assert_eq!(
            op.d_thr.len(),
            self.op.d_thr.len(),
            "one threshold per column"
        );
        self.op = PulseOperands {
            slots: 0,
            ..op.clone()
        };
    }

    /// The one-hot drive of a transfer read of input line `k` (plane 0 of input 1).
    pub fn read_drive(shape: &TileShape, k: usize) -> Vec<i64> {
        let mut x = vec![0; shape.rows];
        x[k] = 1;
        drive(shape, &x, 0)
    }

    /// The transfer read of the next input line of A as the tile's product path makes it: the
    /// accumulator of every output column, and the clipped conversions.
    pub fn read(&mut self, shape: &TileShape) -> (Vec<i64>, u64) {
        let d = TikiUnit::read_drive(shape, self.state.next);
        let cur = currents(shape, &mut self.a, 0, &d, Direction::Forward);
        let mut clipped = 0;
        let y = cur
            .iter()
            .map(|&i| {
                let (code, clip) = convert(i, &shape.adc);
                clipped += clip as u64;
                code << code_shift(shape, 0, 0)
            })
            .collect::<Vec<i64>>();
        (y[..shape.cols].to_vec(), clipped)
    }

    /// The transfer of read `v` (one accumulator per output column) into H and C.
    pub fn transfer(&mut self, shape: &TileShape, v: &[i64], c: &mut Cells) -> Sent {
        let t = shape.tiki.as_ref().expect("Tiki-Taka unit");
        let k = self.state.next;
        let pulses = self.state.transfer(&t.transfer, v, self.lr_q);
        let mut sent = Sent::default();
        for p in pulses {
            sent.clipped += c.pulse(0, k, p.col, if p.up { 1 } else { -1 }) as u64;
            sent.pulses += 1;
        }
        sent
    }

    /// `READ_UNIT` word `addr` as it appears on the response port, or `None` past the words.
    pub fn read_word(&self, shape: &TileShape, addr: u64) -> Option<u128> {
        let map = shape.unit_map()?;
        let n = (shape.rows * shape.cols) as u64;
        let rsp = shape.rsp_bits();
        let s = &self.state;
        let word = |v: i64| to_raw(v as i128, rsp);
        Some(match addr {
            a if a < map.h + n => word(s.h[(a - map.h) as usize]),
            a if map.mu.is_some_and(|b| a >= b && a < b + n) => {
                word(s.mu[(a - map.mu.unwrap()) as usize])
            }
            a if map.mu_past.is_some_and(|b| a >= b && a < b + n) => {
                word(s.mu_past[(a - map.mu_past.unwrap()) as usize])
            }
            a if a >= map.chop && a < map.next => {
                let l = (a - map.chop) as usize;
                match l.checked_sub(shape.rows) {
                    None => s.c_in[l] as u128 | (s.switched[l] as u128) << 1,
                    Some(j) => s.c_out[j] as u128,
                }
            }
            a if a == map.next => s.next as u128,
            a if a == map.phase => s.phase as u128,
            a if a == map.warm => s.warm as u128,
            a if a == map.lr => self.lr_q as u128,
            _ => return None,
        })
    }

    /// `WRITE_UNIT` of raw `data` into word `addr`: returns the error flags it raises. Signed
    /// words (H, the means) take the low bits of their width; the line index, the pass counters
    /// and the rate must be in their ranges.
    pub fn write_word(&mut self, shape: &TileShape, addr: u64, raw: u64) -> u8 {
        let Some(map) = shape.unit_map() else {
            return err::BAD_OP;
        };
        let t = shape.tiki.as_ref().expect("Tiki-Taka unit");
        let n = (shape.rows * shape.cols) as u64;
        let s = &mut self.state;
        let signed = |bits: u32| sext(raw as u128, bits) as i64;
        let in_range = |ok: bool| if ok { 0 } else { err::BAD_LEVEL };
        match addr {
            a if a < map.h + n => s.h[(a - map.h) as usize] = signed(t.transfer.h_bits),
            a if map.mu.is_some_and(|b| a >= b && a < b + n) => {
                s.mu[(a - map.mu.unwrap()) as usize] = signed(shape.mu_bits())
            }
            a if map.mu_past.is_some_and(|b| a >= b && a < b + n) => {
                s.mu_past[(a - map.mu_past.unwrap()) as usize] = signed(shape.mu_bits())
            }
            a if a >= map.chop && a < map.next => {
                let l = (a - map.chop) as usize;
                match l.checked_sub(shape.rows) {
                    None => (s.c_in[l], s.switched[l]) = (raw & 1 == 1, raw & 2 == 2),
                    Some(j) => s.c_out[j] = raw & 1 == 1,
                }
            }
            a if a == map.next => {
                if raw >= shape.rows as u64 {
                    return err::BAD_LEVEL;
                }
                s.next = raw as usize;
            }
            a if a == map.phase => {
                if raw >= shape.chop_period() {
                    return err::BAD_LEVEL;
                }
                s.phase = raw;
            }
            a if a == map.warm => {
                if raw > shape.warm_max() {
                    return err::BAD_LEVEL;
                }
                s.warm = raw;
            }
            a if a == map.lr => {
                let e = in_range(raw <= mask(t.lr_bits) as u64);
                if e == 0 {
                    self.lr_q = raw as i64;
                }
                return e;
            }
            _ => return err::BAD_ADDR,
        }
        0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::shape::tests::small;
    use crate::shape::{Flavor, Schedule, TikiShape, TransferShape};

    /// A one-slice 8x4 tile with an exact ADC and a Tiki-Taka unit of `flavor`.
    pub(crate) fn shape(flavor: Flavor) -> TileShape {
        let mut s = small();
        s.cell_bits = vec![8];
        s.value_bits = 8;
        s.weight_bits = 8;
        s.adc.bits = 12;
        s.adc.share = 1;
        s.tiki = Some(TikiShape {
            transfer: TransferShape {
                flavor,
                schedule: Schedule::Regular { period: 2 },
                h_bits: 12,
                h_frac: 4,
                mu_frac: 2,
                beta_q16: 1 << 15,
                warmup_passes: 0,
            },
            lr_bits: 8,
            slot_bits: 3,
        });
        s
    }

    fn unit(s: &TileShape, refs: Vec<i64>) -> TikiUnit {
        TikiUnit::new(s, 0, vec![s.nominal_device(0); s.rows * s.cols], refs)
    }

    #[test]
    fn thresholds_and_slot_counts_have_their_ranges() {
        let s = shape(Flavor::Chopped);
        let mut u = unit(&s, vec![0; 32]);
        assert_eq!(u.write_prob(0, TikiUnit::prob_data(1 << 16, true)), 0);
        assert_eq!((u.op.x_thr[0], u.op.x_neg[0]), (1 << 16, true));
        assert_eq!(u.write_prob(8, TikiUnit::prob_data(7, false)), 0);
        assert_eq!(u.op.d_thr[0], 7);
        assert_eq!(u.write_prob(0, (1 << 16) + 1), err::BAD_LEVEL);
        assert_eq!(u.write_prob(12, 0), err::BAD_ADDR);
        assert_eq!(TikiUnit::pulse_error(&s, 1, 7), 0);
        assert_eq!(TikiUnit::pulse_error(&s, 1, 8), err::BAD_LEVEL);
        assert_eq!(TikiUnit::pulse_error(&s, 2, 0), err::BAD_ADDR);
    }

    #[test]
    fn unit_words_round_trip_and_refuse_out_of_range_values() {
        let s = shape(Flavor::Agad);
        let map = s.unit_map().unwrap();
        assert_eq!((map.mu, map.mu_past, map.chop), (Some(32), Some(64), 96));
        assert_eq!(map.words, 96 + 12 + 4);
        let mut u = unit(&s, vec![0; 32]);
        let rsp = s.rsp_bits();
        for (addr, v) in [
            (3, -5i64),
            (map.mu.unwrap() + 1, 9),
            (map.mu_past.unwrap(), -1),
        ] {
            let raw = crate::num::to_raw(v as i128, s.data_bits()) as u64;
            assert_eq!(u.write_word(&s, addr, raw), 0);
            assert_eq!(
                u.read_word(&s, addr),
                Some(crate::num::to_raw(v as i128, rsp))
            );
        }
        assert_eq!(u.write_word(&s, map.chop + 2, 3), 0);
        assert_eq!((u.state.c_in[2], u.state.switched[2]), (true, true));
        assert_eq!(u.write_word(&s, map.chop + 9, 1), 0);
        assert!(u.state.c_out[1]);
        assert_eq!(u.read_word(&s, map.chop + 9), Some(1));
        assert_eq!(u.write_word(&s, map.next, 8), err::BAD_LEVEL);
        assert_eq!(u.write_word(&s, map.phase, 2), err::BAD_LEVEL);
        assert_eq!(u.write_word(&s, map.warm, 2), err::BAD_LEVEL);
        assert_eq!(u.write_word(&s, map.lr, 256), err::BAD_LEVEL);
        assert_eq!(u.write_word(&s, map.lr, 255), 0);
        assert_eq!(u.read_word(&s, map.lr), Some(255));
        assert_eq!(u.write_word(&s, map.words, 0), err::BAD_ADDR);
        assert_eq!(u.read_word(&s, map.words), None);
    }

    #[test]
    fn the_transfer_read_sees_each_cell_minus_its_reference() {
        let s = shape(Flavor::Ttv2);
        let refs: Vec<i64> = (0..32).map(|i| i * 3 - 40).collect();
        let mut u = unit(&s, refs.clone());
        for k in 0..s.rows {
            u.state.next = k;
            let (v, clipped) = u.read(&s);
            assert_eq!(clipped, 0);
            // Cells at 0: the read is -ref (frac_bits 0), row k only.
            let want: Vec<i64> = (0..s.cols).map(|j| -refs[k * s.cols + j]).collect();
            assert_eq!(v, want, "line {k}");
        }
    }

    #[test]
    fn pulses_follow_thresholds_signs_and_choppers() {
        let s = shape(Flavor::Chopped);
        let mut u = unit(&s, vec![0; 32]);
        let mut c = Cells::new(&s);
        // Row 1 and columns 0 and 2 always fire, positive x and d: each pulse lowers A.
        assert_eq!(u.write_prob(1, TikiUnit::prob_data(1 << 16, false)), 0);
        for j in [0, 2] {
            assert_eq!(u.write_prob(8 + j, TikiUnit::prob_data(1 << 16, false)), 0);
        }
        u.state.c_out[2] = true; // differing choppers raise instead
        let sent = u.pulse(3, false, &mut c);
        assert_eq!((sent.pulses, sent.clipped), (6, 0));
        assert_eq!(u.a.get(0, 1, 0), -3);
        assert_eq!(u.a.get(0, 1, 2), 3);
        assert_eq!(u.a.pulses, 6);
        // Into C the choppers do not apply.
        let sent = u.pulse(2, true, &mut c);
        assert_eq!(sent.pulses, 4);
        assert_eq!((c.get(0, 1, 0), c.get(0, 1, 2)), (-2, -2));
    }

    #[test]
    fn a_transfer_pulses_c_where_h_reaches_one_pulse() {
        let s = shape(Flavor::Ttv2);
        let mut u = unit(&s, vec![0; 32]);
        let mut c = Cells::new(&s);
        u.lr_q = 4; // a quarter pulse per read code (h_frac 4)
        let sent = u.transfer(&s, &[4, -4, 3, 0], &mut c);
        assert_eq!(sent.pulses, 2);
        assert_eq!((c.get(0, 0, 0), c.get(0, 0, 1)), (1, -1));
        assert_eq!(&u.state.h[..4], &[0, 0, 12, 0]);
        assert_eq!(u.state.next, 1);
    }
}

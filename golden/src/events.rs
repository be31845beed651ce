//! The hardware events a cost table prices, and how many of each one tile operation causes.
//!
//! The tile counts every [`Event`] in a saturating status word (`READ_STAT` at
//! [`stat::EVENTS`]` + e`, cleared by `CLEAR`); the cycle model counts them at the cycle the RTL
//! does. The per-operation counts here are the functional form of the same rules, for backends
//! that run whole operations: a unit test runs each command on the cycle model and checks that
//! the counters moved by exactly these counts.

use crate::mvm::Direction;
use crate::num::{fits_signed, sext};
use crate::protocol::{stat, Op};
use crate::shape::TileShape;
use crate::tiki::TikiUnit;

/// A counted hardware action (the status word `stat::EVENTS + e as u64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    DacDrives,
    ForwardReads,
    TransposeReads,
    Conversions,
    ShiftAdds,
    UpdateSteps,
    CellReads,
    CellWrites,
    AccUpdates,
    BufferAccesses,
}

/// Number of events.
pub const COUNT: usize = (stat::COUNT - stat::EVENTS) as usize;

impl Event {
    /// Every event, in status-word order.
    pub const ALL: [Event; COUNT] = [
        Event::DacDrives,
        Event::ForwardReads,
        Event::TransposeReads,
        Event::Conversions,
        Event::ShiftAdds,
        Event::UpdateSteps,
        Event::CellReads,
        Event::CellWrites,
        Event::AccUpdates,
        Event::BufferAccesses,
    ];

    /// The event's status word.
    pub fn word(self) -> u64 {
        stat::EVENTS + self as u64
    }

    /// The status word's name (`DAC_DRIVES`).
    pub fn name(self) -> &'static str {
        stat::TABLE[self.word() as usize].1
    }

    /// The name in lower case (`dac_drives`), as reports and cost tables spell it.
    pub fn key(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// The event of a report's or a cost table's key.
    pub fn from_key(key: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.key() == key)
    }
}

crate::counts!(
    /// A count per event (exact, 64 bits: the status words saturate at 32).
    Events,
    Event,
    COUNT
);

impl Events {
    /// `count` of each event listed.
    pub fn of(pairs: &[(Event, usize)]) -> Events {
        let mut e = Events::default();
        for &(ev, n) in pairs {
            e[ev] += n as u64;
        }
        e
    }

    /// Adds these counts to saturating 32-bit counters (the status words).
    pub fn add_to(&self, counters: &mut [u32; COUNT]) {
        for (c, n) in counters.iter_mut().zip(self.0) {
            *c = c.saturating_add(n.min(u32::MAX as u64) as u32);
        }
    }

    /// An MVM (forward) or MTVM (transpose): every plane driven on the input lines and sampled
    /// on every slice, every line group converted and added.
    pub fn product(shape: &TileShape, dir: Direction) -> Events {
        let (n_in, _) = dir.extent(shape);
        let (planes, slices) = (shape.planes(), shape.slices());
        let reads = match dir {
            Direction::Forward => Event::ForwardReads,
            Direction::Transpose => Event::TransposeReads,
        };
        let codes = planes * shape.lines() * slices;
        Events::of(&[
            (Event::DacDrives, planes * n_in),
            (reads, planes * slices),
            (Event::Conversions, codes),
            (Event::ShiftAdds, codes),
        ])
    }

    /// An outer-product update: four sign phases of `input_bits` steps on every slice.
    pub fn opa(shape: &TileShape) -> Events {
        let steps = 4 * shape.input_bits as usize * shape.slices();
        Events::of(&[(Event::UpdateSteps, steps)])
    }

    /// Carry resolution: every cell of every slice read and written back.
    pub fn crs(shape: &TileShape) -> Events {
        let cells = shape.rows * shape.cols * shape.slices();
        Events::of(&[(Event::CellReads, cells), (Event::CellWrites, cells)])
    }

    /// One weight programmed (`LOAD_W`): one write per slice.
    pub fn load_weight(shape: &TileShape) -> Events {
        Events::of(&[(Event::CellWrites, shape.slices())])
    }

    /// `n` operand or result values moved through the tile's buffers.
    pub fn buffer(n: usize) -> Events {
        Events::of(&[(Event::BufferAccesses, n)])
    }

    /// Mixed precision, `ACCUMULATE`: every accumulator updated.
    pub fn accumulate(shape: &TileShape) -> Events {
        Events::of(&[(Event::AccUpdates, shape.rows * shape.cols)])
    }

    /// Mixed precision, `TRANSFER`: every accumulator read and reduced, one row pulsed per step.
    pub fn mixed_transfer(shape: &TileShape) -> Events {
        Events::of(&[
            (Event::AccUpdates, shape.rows * shape.cols),
            (Event::UpdateSteps, shape.rows),
        ])
    }

    /// Tiki-Taka, `TRANSFER`: one plane of A read on one line, H updated per column, one line
    /// of C pulsed.
    pub fn tiki_transfer(shape: &TileShape) -> Events {
        let codes = shape.lines() * shape.slices();
        Events::of(&[
            (Event::DacDrives, shape.rows),
            (Event::ForwardReads, 1),
            (Event::Conversions, codes),
            (Event::ShiftAdds, codes),
            (Event::AccUpdates, shape.cols),
            (Event::UpdateSteps, 1),
        ])
    }

    /// SBPCA, `ABSORB`: every entry of every pair's `X_r` and `D_r` updated.
    pub fn absorb(shape: &TileShape) -> Events {
        let k = shape.lowrank.map_or(0, |l| l.rank);
        Events::of(&[(Event::AccUpdates, k * (shape.rows + shape.cols))])
    }

    /// SBPCA, `END_BATCH`: per term, its operands written into the buffers and one OPA.
    pub fn end_batch(shape: &TileShape) -> Events {
        let k = shape.lowrank.map_or(0, |l| l.rank);
        let mut e = Events::opa(shape).times(k as u64);
        e += Events::buffer(k * (shape.rows + shape.cols));
        e
    }

    /// Tiki-Taka, `PULSE`: one array update step per slot.
    pub fn pulse(slots: usize) -> Events {
        Events::of(&[(Event::UpdateSteps, slots)])
    }

    /// What one accepted command counts, from the command alone (the stimulus's expectation;
    /// the cycle model counts in its own command decoding). `CLEAR` zeroes the counters instead.
    pub fn command(shape: &TileShape, op: u8, addr: u64, data: u64) -> Events {
        let s = shape;
        let in_space = |op: Op| s.addresses(op).is_some_and(|n| addr < n);
        let Some(op) = Op::from_code(op).filter(|o| o.available(s.units())) else {
            return Events::default();
        };
        match op {
            Op::WriteX | Op::WriteD | Op::ReadY if in_space(op) => Events::buffer(1),
            Op::LoadW if in_space(op) => Events::load_weight(s),
            Op::WriteCell if in_space(op) => {
                let m = s.cell_of(addr).0 as usize;
                let level = sext(data as u128, s.data_bits()) as i64;
                match fits_signed(level, s.cell_bits[m]) {
                    true => Events::of(&[(Event::CellWrites, 1)]),
                    false => Events::default(),
                }
            }
            Op::Mvm => Events::product(s, Direction::Forward),
            Op::Mtvm => Events::product(s, Direction::Transpose),
            Op::Opa => Events::opa(s),
            Op::Crs => Events::crs(s),
            Op::Accumulate => Events::accumulate(s),
            Op::Transfer if s.tiki.is_some() => Events::tiki_transfer(s),
            Op::Transfer => Events::mixed_transfer(s),
            Op::WriteProb if TikiUnit::prob_error(s.rows + s.cols, addr, data) == 0 => {
                Events::buffer(1)
            }
            Op::Pulse if TikiUnit::pulse_error(s, addr, data) == 0 => Events::pulse(data as usize),
            Op::Absorb => Events::absorb(s),
            Op::EndBatch => Events::end_batch(s),
            _ => Events::default(),
        }
    }
}

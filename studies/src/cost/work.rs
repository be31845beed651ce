//! The work of one tile operation as the training backends issue it: its events (the
//! functional form of the tile's counters) and the tile's cycles, commands included.

use super::phase::Work;
use pimforge_golden::events::Events;
use pimforge_golden::{Direction, TileShape};

/// A tile operation with the commands that feed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileOp {
    /// Every weight programmed (`LOAD_W` per cell).
    Load,
    /// `WRITE_X` per driven line, the product, `READ_Y` per output.
    Product {
        dir: Direction,
        outputs: usize,
    },
    /// `WRITE_X` per row, `WRITE_D` per column, `OPA`.
    Opa,
    Crs,
    /// `WRITE_X` per row, `WRITE_D` per column, `ACCUMULATE`.
    Accumulate,
    /// Mixed precision's `TRANSFER`.
    MixedTransfer,
    /// `WRITE_PROB` per line, `PULSE` of `slots` slots.
    Pulse {
        slots: usize,
    },
    /// Tiki-Taka's `TRANSFER`: the read of A, H per column, the pulses into C, the drain.
    TikiTransfer,
}

/// The events, cycles and sequential update steps of `op` on a tile of `shape`.
pub fn of(shape: &TileShape, op: TileOp) -> Work {
    let s = shape;
    let (rows, cols) = (s.rows, s.cols);
    let mut planes = 0;
    let (events, cycles, rounds) = match op {
        TileOp::Load => {
            let mut e = Events::default();
            for _ in 0..rows * cols {
                e += Events::load_weight(s);
            }
            (e, rows * cols, 0)
        }
        TileOp::Product { dir, outputs } => {
            let (n_in, _) = dir.extent(s);
            let mut e = Events::product(s, dir);
            e += Events::buffer(n_in + outputs);
            planes = s.planes();
            (e, n_in + s.mvm_cycles() + outputs, 0)
        }
        TileOp::Opa => {
            let mut e = Events::opa(s);
            e += Events::buffer(rows + cols);
            let bits = s.input_bits as usize;
            (e, rows + cols + s.opa_cycles(), 4 * bits)
        }
        TileOp::Crs => (Events::crs(s), s.crs_cycles(), 0),
        TileOp::Accumulate => {
            let mut e = Events::accumulate(s);
            e += Events::buffer(rows + cols);
            (e, rows + cols + s.acc_cycles(), 0)
        }
        TileOp::MixedTransfer => (Events::mixed_transfer(s), s.transfer_cycles(), rows),
        TileOp::Pulse { slots } => {
            let mut e = Events::pulse(slots);
            e += Events::buffer(rows + cols);
            (e, rows + cols + s.pulse_cycles(slots), slots)
        }
        TileOp::TikiTransfer => {
            let read = s.adc.share + 2;
            planes = 1;
            (Events::tiki_transfer(s), read + cols + 2, 1)
        }
    };
    Work {
        events,
        cycles: cycles as u64,
        update_rounds: rounds as u64,
        planes: planes as u64,
    }
}

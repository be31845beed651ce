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
    /// SBPCA: `WRITE_X` per row, `WRITE_D` per column, `ABSORB` (`reorth`: the sample closed a
    /// run and the unit re-orthogonalised).
    Absorb {
        reorth: bool,
    },
    /// SBPCA: the scale's `WRITE_UNIT`, `END_BATCH` (its terms' OPAs included).
    EndBatch,
}

/// The events, cycles and sequential update steps of `op` on a tile of `shape`.
pub fn of(shape: &TileShape, op: TileOp) -> Work {
    let s = shape;
    let (rows, cols) = (s.rows, s.cols);
    let mut planes = 0;
    let (events, cycles, rounds) = match op {
        TileOp::Load => (
            Events::load_weight(s).times((rows * cols) as u64),
            rows * cols,
            0,
        ),
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
        TileOp::Absorb { reorth } => {
            let mut e = Events::absorb(s);
            e += Events::buffer(rows + cols);
            (e, rows + cols + s.absorb_cycles(reorth), 0)
        }
        TileOp::EndBatch => {
            let k = s.lowrank.map_or(0, |l| l.rank);
            let bits = s.input_bits as usize;
            (Events::end_batch(s), 1 + s.end_batch_cycles(), 4 * bits * k)
        }
    };
    Work {
        events,
        cycles: cycles as u64,
        update_rounds: rounds as u64,
        planes: planes as u64,
    }
}

/// The work of one accepted command of a recorded host program (`pimforge replay`): its events
/// as the tile counts them ([`Events::command`]), the planes its product samples and its
/// sequential update steps (an OPA's bit-steps of all slices together, a transfer row, a pulse
/// slot, a Tiki-Taka transfer line), for the latency model; its cycles are the program's.
pub fn of_command(shape: &TileShape, op: u8, addr: u64, data: u64) -> Work {
    use pimforge_golden::events::Event;
    use pimforge_golden::protocol::Op;
    let events = Events::command(shape, op, addr, data);
    let slices = shape.slices().max(1) as u64;
    let steps = events[Event::UpdateSteps];
    let reads = events[Event::ForwardReads] + events[Event::TransposeReads];
    // An OPA's (and END_BATCH's OPAs') bit-steps run on all slices at once.
    let is_opa = [Op::Opa, Op::EndBatch].map(Op::code).contains(&op);
    Work {
        events,
        cycles: 0,
        update_rounds: if is_opa { steps / slices } else { steps },
        // A Tiki-Taka transfer reads one plane of A, on one array.
        planes: if reads == 1 { 1 } else { reads / slices },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimforge_golden::protocol::Op;

    /// An operation's commands, one by one, do the work of the operation (its cycles apart).
    #[test]
    fn commands_add_up_to_their_operation() {
        let digits = pimforge_gen::presets::preset("digits").unwrap().shape();
        let tiki = pimforge_gen::presets::preset("digits-tiki")
            .unwrap()
            .shape();
        let sum = |s: &TileShape, cmds: &[(Op, u64, u64)]| {
            let mut w = Work::default();
            for &(op, addr, data) in cmds {
                let c = of_command(s, op.code(), addr, data);
                w.events += c.events;
                w.update_rounds += c.update_rounds;
                w.planes += c.planes;
            }
            w
        };
        let (r, c) = (digits.rows as u64, digits.cols as u64);
        let mut opa: Vec<(Op, u64, u64)> = (0..r).map(|i| (Op::WriteX, i, 1)).collect();
        opa.extend((0..c).map(|j| (Op::WriteD, j, 1)));
        opa.push((Op::Opa, 0, 0));
        let mut mvm: Vec<(Op, u64, u64)> = (0..r).map(|i| (Op::WriteX, i, 1)).collect();
        mvm.push((Op::Mvm, 0, 0));
        mvm.extend((0..c).map(|j| (Op::ReadY, j, 0)));
        let forward = TileOp::Product {
            dir: Direction::Forward,
            outputs: digits.cols,
        };
        let tr = tiki.rows as u64;
        let mut pulse: Vec<(Op, u64, u64)> = (0..tr + tiki.cols as u64)
            .map(|i| (Op::WriteProb, i, 3))
            .collect();
        pulse.push((Op::Pulse, 0, 5));
        for (s, cmds, op) in [
            (&digits, opa, TileOp::Opa),
            (&digits, mvm, forward),
            (&digits, vec![(Op::Crs, 0, 0)], TileOp::Crs),
            (&tiki, pulse, TileOp::Pulse { slots: 5 }),
            (&tiki, vec![(Op::Transfer, 0, 0)], TileOp::TikiTransfer),
        ] {
            let (got, want) = (sum(s, &cmds), of(s, op));
            assert_eq!(
                (got.events, got.update_rounds, got.planes),
                (want.events, want.update_rounds, want.planes),
                "{op:?}"
            );
        }
    }
}

//! The Tiki-Taka unit's part of the tile's cycle model: its commands, and the steps of its busy
//! windows (the unit's work is done at one step of each, with the functions of
//! [`crate::tiki::TikiUnit`]; the windows last as long as the RTL's).

use super::{add_count, err, Op, TileIn, TileModel};
use crate::events::Events;
use crate::mvm::Direction;
use crate::tiki::TikiUnit;

/// Where a Tiki-Taka command is (the unit's work is done at one step of each window; the
/// windows last as long as the RTL's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TikiRun {
    /// A `PULSE`: cycles left.
    Pulse(usize),
    /// A `TRANSFER`: the read of A runs as a product.
    Read,
    /// H updated from column `j` of the read.
    Column(usize),
    /// The pulses into C.
    Fire,
    /// Their counts arrive.
    Drain,
}

impl TileModel {
    /// A Tiki-Taka command accepted (the tile has the unit).
    pub(super) fn accept_tiki(&mut self, op: Op, inp: &TileIn) {
        let s = &self.shape;
        let addr = inp.cmd_addr;
        match op {
            Op::Transfer => {
                Events::tiki_transfer(s).add_to(&mut self.events);
                // The read of A runs as a one-plane product.
                self.running = true;
                self.read_a = true;
                self.step = 0;
                self.dir = Direction::Forward;
                self.acc.fill(0);
                self.tiki_run = Some(TikiRun::Read);
            }
            Op::WriteProb => {
                let unit = self.tiki.as_mut().expect("Tiki-Taka unit");
                match unit.write_prob(addr, inp.cmd_data) {
                    0 => Events::buffer(1).add_to(&mut self.events),
                    e => self.errors |= e,
                }
            }
            Op::Pulse => match TikiUnit::pulse_error(s, addr, inp.cmd_data) {
                0 => {
                    Events::pulse(inp.cmd_data as usize).add_to(&mut self.events);
                    self.tiki_pulse(inp.cmd_data as usize, addr == 1)
                }
                e => self.errors |= e,
            },
            Op::ReadUnit => {
                let unit = self.tiki.as_ref().expect("Tiki-Taka unit");
                self.rsp_valid = true;
                self.rsp_data = unit.read_word(s, addr).unwrap_or_else(|| {
                    self.errors |= err::BAD_ADDR;
                    0
                });
            }
            Op::WriteUnit => {
                let unit = self.tiki.as_mut().expect("Tiki-Taka unit");
                self.errors |= unit.write_word(s, addr, inp.cmd_data);
            }
            _ => unreachable!("{op:?} is not a Tiki-Taka command"),
        }
    }

    /// One clock edge of the unit's windows after the read of A (the read's end starts them).
    pub(super) fn tiki_step(&mut self) {
        let cols = self.shape.cols;
        self.tiki_run = match self.tiki_run {
            Some(TikiRun::Pulse(left)) => (left > 1).then_some(TikiRun::Pulse(left - 1)),
            Some(TikiRun::Column(j)) if j + 1 < cols => Some(TikiRun::Column(j + 1)),
            Some(TikiRun::Column(_)) => Some(TikiRun::Fire),
            Some(TikiRun::Fire) => {
                self.tiki_fire();
                Some(TikiRun::Drain)
            }
            Some(TikiRun::Drain) => None,
            run => run,
        };
    }

    /// The transfer's pulses into C, from the read in the accumulators; its counts.
    pub(super) fn tiki_fire(&mut self) {
        let unit = self.tiki.as_mut().expect("Tiki-Taka unit");
        let v: Vec<i64> = self.acc[..self.shape.cols]
            .iter()
            .map(|&y| y as i64)
            .collect();
        let before = unit.state.counters;
        let sent = unit.transfer(&self.shape, &v, &mut self.cells);
        let after = unit.state.counters;
        add_count(&mut self.pulses, sent.pulses);
        add_count(&mut self.update_clips, sent.clipped);
        add_count(
            &mut self.h_saturations,
            after.h_saturations - before.h_saturations,
        );
        add_count(&mut self.flips, after.flips - before.flips);
        add_count(&mut self.withheld, after.withheld - before.withheld);
    }

    /// A `PULSE` of `slots` slots into A or C (its work done at once, its window kept).
    fn tiki_pulse(&mut self, slots: usize, into_c: bool) {
        let unit = self.tiki.as_mut().expect("Tiki-Taka unit");
        let sent = unit.pulse(slots, into_c, &mut self.cells);
        add_count(
            if into_c {
                &mut self.pulses
            } else {
                &mut self.a_pulses
            },
            sent.pulses,
        );
        add_count(&mut self.update_clips, sent.clipped);
        self.tiki_run = Some(TikiRun::Pulse(self.shape.pulse_cycles(slots)));
    }
}

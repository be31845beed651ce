//! An interactive lock-step session: a host program (e.g. a training loop) issues commands one
//! at a time and gets the responses, while the DUT and the cycle-level golden model run side by
//! side with every output compared on every cycle.
//!
//! Responses come from the golden model after the DUT has been checked to give the same ones,
//! so a host computing with them computes with the RTL's answers.

use crate::bench::Bench;
use crate::lockstep::ArrayBuild;
use crate::mismatch::Mismatch;
use anyhow::Result;
use pimforge_golden::{ArrayIn, ArrayModel, ArrayOut, Op};

pub struct Session {
    pub bench: Bench<ArrayModel>,
    pub commands: u64,
    pub responses: u64,
    last: String,
}

impl Session {
    /// Loads the design's model, resets it, and starts the golden model with the design's
    /// power-up crossbars.
    pub fn new(design: &ArrayBuild, seed: u64, replay: String) -> Result<Session> {
        let model =
            ArrayModel::with_units(&design.shape, design.cells.clone(), design.units.clone());
        Ok(Session {
            bench: Bench::load(&design.library, model, seed, &replay)?,
            commands: 0,
            responses: 0,
            last: String::new(),
        })
    }

    /// The golden model (its state is the RTL's: every output matched so far).
    pub fn model(&self) -> &ArrayModel {
        &self.bench.model
    }

    /// Cycles run.
    pub fn cycle(&self) -> u64 {
        self.bench.cycle
    }

    /// One cycle with inputs `inp`: outputs compared before the edge. Returns the outputs.
    fn cycle_with(&mut self, inp: &ArrayIn) -> std::result::Result<ArrayOut, Box<Mismatch>> {
        let last = &self.last;
        self.bench
            .step(inp, |_| vec![format!("last command: {last}")])
            .expect("an untraced bench opens no waveform")
    }

    /// Presents a command until it is accepted; returns its response when it is a read.
    pub fn command(
        &mut self,
        tile: usize,
        op: Op,
        addr: u64,
        data: u64,
    ) -> std::result::Result<Option<u128>, Box<Mismatch>> {
        let inp = ArrayIn {
            cmd_valid: true,
            cmd_tile: tile as u32,
            cmd_op: op as u8,
            cmd_addr: addr,
            cmd_data: data,
        };
        self.last = format!("tile {tile} {} addr {addr:#x} data {data:#x}", op.name());
        while !self.cycle_with(&inp)?.cmd_ready {}
        self.commands += 1;
        if matches!(op, Op::ReadY | Op::ReadStat) {
            let out = self.cycle_with(&ArrayIn::default())?;
            self.responses += 1;
            return Ok(Some(out.rsp_data));
        }
        Ok(None)
    }

    /// Runs idle cycles until every tile is idle.
    pub fn wait_idle(&mut self) -> std::result::Result<(), Box<Mismatch>> {
        while self.cycle_with(&ArrayIn::default())?.busy != 0 {}
        Ok(())
    }
}

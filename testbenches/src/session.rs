//! An interactive lock-step session: a host program (e.g. a training loop) issues commands one
//! at a time and gets the responses, while the DUT and the cycle-level golden model run side by
//! side with every output compared on every cycle.
//!
//! Responses come from the golden model after the DUT has been checked to give the same ones,
//! so a host computing with them computes with the RTL's answers.

use crate::dut::{Dut, Port};
use crate::lockstep::{Cause, Design, Mismatch};
use crate::ports::{array_ports, output_values};
use anyhow::Result;
use pimforge_golden::{ArrayIn, ArrayModel, ArrayOut, Op};

pub struct Session {
    dut: Dut,
    clk: Port,
    inputs: [Port; 5],
    outs: Vec<(String, Port)>,
    pub model: ArrayModel,
    pub cycle: u64,
    pub commands: u64,
    pub responses: u64,
    seed: u64,
    replay: String,
    last: String,
}

impl Session {
    /// Loads the design's model, resets it, and starts the golden model with the design's
    /// power-up crossbars.
    pub fn new(design: &Design, seed: u64, replay: String) -> Result<Session> {
        let ports = array_ports(&design.shape, design.tiles);
        let mut dut = Dut::load(&design.library, &ports, false)?;
        let port = |n: &str| dut.port(n);
        let (clk, rst) = (port("clk_i"), port("rst_ni"));
        let inputs = [
            port("cmd_valid_i"),
            port("cmd_tile_i"),
            port("cmd_op_i"),
            port("cmd_addr_i"),
            port("cmd_data_i"),
        ];
        let outs = output_values(&ArrayOut::default())
            .iter()
            .map(|(n, _)| (n.to_string(), port(n)))
            .collect();
        rst.set(0);
        clk.set(0);
        dut.eval();
        clk.set(1);
        dut.eval();
        clk.set(0);
        dut.eval();
        rst.set(1);
        dut.eval();
        Ok(Session {
            dut,
            clk,
            inputs,
            outs,
            model: ArrayModel::with_cells(&design.shape, design.cells.clone()),
            cycle: 0,
            commands: 0,
            responses: 0,
            seed,
            replay,
            last: String::new(),
        })
    }

    /// One cycle with inputs `inp`: outputs compared before the edge. Returns the outputs.
    fn cycle(&mut self, inp: &ArrayIn) -> std::result::Result<ArrayOut, Box<Mismatch>> {
        let [valid, tile, op, addr, data] = &self.inputs;
        valid.set(inp.cmd_valid as u128);
        tile.set(inp.cmd_tile as u128);
        op.set(inp.cmd_op as u128);
        addr.set(inp.cmd_addr as u128);
        data.set(inp.cmd_data as u128);
        self.clk.set(0);
        self.dut.eval();
        let exp = self.model.outputs(inp);
        for ((name, e), (_, port)) in output_values(&exp).iter().zip(&self.outs) {
            let a = port.get();
            if a != *e {
                return Err(Box::new(Mismatch {
                    cause: Cause::Port,
                    cycle: self.cycle,
                    signal: name.to_string(),
                    expected: *e,
                    actual: a,
                    in_flight: vec![format!("last command: {}", self.last)],
                    seed: self.seed,
                    replay: self.replay.clone(),
                    waves: None,
                }));
            }
        }
        self.clk.set(1);
        self.dut.eval();
        self.model.clock(inp);
        self.cycle += 1;
        Ok(exp)
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
        while !self.cycle(&inp)?.cmd_ready {}
        self.commands += 1;
        if matches!(op, Op::ReadY | Op::ReadStat) {
            let out = self.cycle(&ArrayIn::default())?;
            self.responses += 1;
            return Ok(Some(out.rsp_data));
        }
        Ok(None)
    }

    /// Runs idle cycles until every tile is idle.
    pub fn wait_idle(&mut self) -> std::result::Result<(), Box<Mismatch>> {
        while self.cycle(&ArrayIn::default())?.busy != 0 {}
        Ok(())
    }
}

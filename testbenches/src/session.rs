//! An interactive session: a host program (e.g. a training loop) issues commands one at a time
//! and gets the responses, either from the DUT and the cycle-level golden model running side by
//! side with every output compared on every cycle (lock-step), or from the cycle-level golden
//! model alone (to record a host program without building the RTL).
//!
//! Responses come from the golden model; the DUT runs the same cycles on a thread of its own a
//! little behind ([`crate::pipeline`]), and a cycle where it differs stops the session at the
//! next command (or at [`Session::settle`]), so a host whose session settles without a mismatch
//! computed with the RTL's answers. A session can record what it issued, with the cycles every
//! command waited and the responses ([`crate::program`]).

use crate::bench::Bench;
use crate::lockstep::ArrayBuild;
use crate::mismatch::Mismatch;
use crate::program::{Command, Entry, Program, Replayed};
use anyhow::{anyhow, bail, Result};
use pimforge_golden::tiki::TikiUnit;
use pimforge_golden::{ArrayIn, ArrayModel, ArrayOut, Cells, CycleModel, Op, TileShape};
use std::collections::VecDeque;

/// What runs the cycles.
enum Engine {
    /// The Verilated DUT in lock-step with the golden model.
    Lockstep(Box<Bench<ArrayModel>>),
    /// The cycle-level golden model alone.
    Golden { model: Box<ArrayModel>, cycle: u64 },
}

pub struct Session {
    engine: Engine,
    /// The commands of the cycles the DUT may still owe, with the cycle each was first
    /// presented: the context of a mismatch found behind the golden model.
    recent: VecDeque<(u64, String)>,
    pub commands: u64,
    pub responses: u64,
    /// What was issued so far, when recording.
    pub record: Option<Vec<Entry>>,
}

impl Session {
    /// Loads the design's model, resets it, and starts the golden model with the design's
    /// power-up crossbars.
    pub fn new(design: &ArrayBuild, seed: u64, replay: String) -> Result<Session> {
        let model =
            ArrayModel::with_units(&design.shape, design.cells.clone(), design.units.clone());
        let bench = Bench::pipelined(&design.library, model, seed, &replay)?;
        Ok(Self::with(Engine::Lockstep(Box::new(bench))))
    }

    /// The cycle-level golden model alone, with these power-up crossbars and units.
    pub fn golden(shape: &TileShape, cells: Vec<Cells>, units: Vec<Option<TikiUnit>>) -> Session {
        let model = Box::new(ArrayModel::with_units(shape, cells, units));
        Self::with(Engine::Golden { model, cycle: 0 })
    }

    fn with(engine: Engine) -> Session {
        Session {
            engine,
            recent: VecDeque::new(),
            commands: 0,
            responses: 0,
            record: None,
        }
    }

    /// Whether the RTL runs beside the golden model.
    pub fn is_lockstep(&self) -> bool {
        matches!(self.engine, Engine::Lockstep(_))
    }

    /// The golden model (in lock-step, its state is the RTL's: every output matched so far).
    pub fn model(&self) -> &ArrayModel {
        match &self.engine {
            Engine::Lockstep(b) => &b.model,
            Engine::Golden { model, .. } => model,
        }
    }

    /// Cycles run.
    pub fn cycle(&self) -> u64 {
        match &self.engine {
            Engine::Lockstep(b) => b.cycle,
            Engine::Golden { cycle, .. } => *cycle,
        }
    }

    /// One cycle with inputs `inp` (in lock-step: outputs compared before the edge). Returns the
    /// outputs.
    fn cycle_with(&mut self, inp: &ArrayIn) -> std::result::Result<ArrayOut, Box<Mismatch>> {
        match &mut self.engine {
            Engine::Lockstep(b) => {
                let r = b
                    .step(inp, |_| vec![])
                    .expect("an untraced bench opens no waveform");
                r.map_err(|m| self.with_context(m))
            }
            Engine::Golden { model, cycle } => {
                let out = model.outputs(inp);
                model.clock(inp);
                *cycle += 1;
                Ok(out)
            }
        }
    }

    /// A mismatch with the command that was last presented at its cycle.
    fn with_context(&self, mut m: Box<Mismatch>) -> Box<Mismatch> {
        let last = self.recent.iter().rev().find(|(c, _)| *c <= m.cycle);
        m.in_flight = vec![match last {
            Some((c, what)) => format!("last command: {what} (presented from cycle {c})"),
            None => "no command presented yet".into(),
        }];
        m
    }

    /// Runs every cycle the DUT still owes and checks it: the session's answers so far are the
    /// RTL's unless this returns a mismatch.
    pub fn settle(&mut self) -> std::result::Result<(), Box<Mismatch>> {
        if let Engine::Lockstep(b) = &mut self.engine {
            let settled = b.settle().expect("the DUT's thread runs");
            if let Some(m) = settled {
                return Err(self.with_context(m));
            }
        }
        Ok(())
    }

    /// Presents a command until it is accepted; returns its response when it is a read.
    pub fn command(
        &mut self,
        tile: usize,
        op: Op,
        addr: u64,
        data: u64,
    ) -> std::result::Result<Option<u128>, Box<Mismatch>> {
        let cmd = Command {
            tile,
            op,
            addr,
            data,
        };
        Ok(self.issue(cmd)?.0)
    }

    /// [`Self::command`], also returning the cycles the command waited before it was accepted.
    fn issue(&mut self, cmd: Command) -> std::result::Result<(Option<u128>, u64), Box<Mismatch>> {
        let inp = ArrayIn {
            cmd_valid: true,
            cmd_tile: cmd.tile as u32,
            cmd_op: cmd.op as u8,
            cmd_addr: cmd.addr,
            cmd_data: cmd.data,
        };
        let Command {
            tile,
            op,
            addr,
            data,
        } = cmd;
        let start = self.cycle();
        if self.is_lockstep() {
            // Commands before the newest one older than the DUT's window (a generous bound on
            // it) can no longer be a mismatch's context.
            let window = (crate::pipeline::BATCH * (crate::pipeline::IN_FLIGHT + 3)) as u64;
            while self.recent.get(1).is_some_and(|(c, _)| c + window < start) {
                self.recent.pop_front();
            }
            let what = format!("tile {tile} {} addr {addr:#x} data {data:#x}", op.name());
            self.recent.push_back((start, what));
        }
        while !self.cycle_with(&inp)?.cmd_ready {}
        let wait = self.cycle() - start - 1;
        self.commands += 1;
        let response = match cmd.op {
            Op::ReadY | Op::ReadStat => {
                let out = self.cycle_with(&ArrayIn::default())?;
                self.responses += 1;
                Some(out.rsp_data)
            }
            _ => None,
        };
        if let Some(r) = &mut self.record {
            r.push(Entry::Command {
                cmd,
                wait,
                response,
            });
        }
        Ok((response, wait))
    }

    /// Runs idle cycles until every tile is idle; returns how many.
    pub fn wait_idle(&mut self) -> std::result::Result<u64, Box<Mismatch>> {
        let start = self.cycle();
        while self.cycle_with(&ArrayIn::default())?.busy != 0 {}
        let cycles = self.cycle() - start;
        if let Some(r) = &mut self.record {
            r.push(Entry::Idle { cycles });
        }
        Ok(cycles)
    }

    /// Replays `program`: every command presented as recorded; every wait, response
    /// and idle time compared with the recording (in lock-step, every output on every cycle too).
    /// An error names the program line, what was recorded and what ran, and the cycle.
    pub fn replay(&mut self, program: &Program, origin: &str) -> Result<Replayed> {
        let mut done = Replayed::default();
        let tiles = self.model().tiles.len();
        for (line, e) in &program.entries {
            match *e {
                Entry::Command {
                    cmd,
                    wait,
                    response,
                } => {
                    if cmd.tile >= tiles {
                        bail!(
                            "{origin} line {line}: tile {}, but the design has {tiles}",
                            cmd.tile
                        );
                    }
                    let (got, waited) = self
                        .issue(cmd)
                        .map_err(|m| anyhow!("{origin} line {line}: lock-step mismatch:\n{m}"))?;
                    let what = format!("tile {cmd}");
                    if waited != wait {
                        bail!("{origin} line {line}: {what} was accepted after {waited} cycles of waiting, recorded {wait} (cycle {})", self.cycle());
                    }
                    if got != response {
                        let show = |r: Option<u128>| r.map_or("none".into(), |v| format!("{v:#x}"));
                        bail!(
                            "{origin} line {line}: {what}: response {}, recorded {} (cycle {})",
                            show(got),
                            show(response),
                            self.cycle()
                        );
                    }
                    done.commands += 1;
                    done.responses += got.is_some() as u64;
                }
                Entry::Idle { cycles } => {
                    let took = self
                        .wait_idle()
                        .map_err(|m| anyhow!("{origin} line {line}: lock-step mismatch:\n{m}"))?;
                    if took != cycles {
                        bail!("{origin} line {line}: the tiles were idle after {took} cycles, recorded {cycles} (cycle {})", self.cycle());
                    }
                    done.idles += 1;
                }
            }
        }
        self.settle()
            .map_err(|m| anyhow!("{origin}: lock-step mismatch:\n{m}"))?;
        done.cycles = self.cycle();
        Ok(done)
    }
}

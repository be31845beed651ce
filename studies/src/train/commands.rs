//! The command-level backend: tile operations issued as host commands to a [`Session`]: the
//! Verilated design in lock-step with the cycle-level golden model (every output compared on
//! every cycle; a mismatch stops the run with the cycle, the signal, both values and the replay
//! command), or the cycle-level golden model alone. Either can record the host program it
//! issues ([`pimforge_tb::program`]).

use super::backend::{padded, padded_operands, phase_of, Backend, Counters};
use crate::cost::TileOp;
use anyhow::{anyhow, Result};
use pimforge_golden::events::{Event, Events};
use pimforge_golden::lowrank::operands::Scale;
use pimforge_golden::num::{sext, to_raw};
use pimforge_golden::tiki::{PulseOperands, TikiUnit};
use pimforge_golden::tile::stat;
use pimforge_golden::tile::LowRankTile;
use pimforge_golden::{Cells, Direction, Op, TileShape};
use pimforge_tb::program::Entry;
use pimforge_tb::{ArrayBuild, Session};

pub struct Commands {
    shape: TileShape,
    session: Session,
    /// Counters accumulated from the tiles' status words (read and cleared after each update).
    counters: Vec<Counters>,
    testing: bool,
}

impl Commands {
    /// The RTL of `design` in lock-step with the golden model.
    pub fn lockstep(design: &ArrayBuild, seed: u64, replay: String) -> Result<Self> {
        Ok(Self::on(
            design.shape.clone(),
            Session::new(design, seed, replay)?,
        ))
    }

    /// The cycle-level golden model alone, from these power-up crossbars and units.
    pub fn golden(shape: &TileShape, cells: Vec<Cells>, units: Vec<Option<TikiUnit>>) -> Self {
        Self::on(shape.clone(), Session::golden(shape, cells, units))
    }

    fn on(shape: TileShape, session: Session) -> Self {
        let tiles = session.model().tiles.len();
        Commands {
            shape,
            session,
            counters: vec![Counters::default(); tiles],
            testing: false,
        }
    }

    /// Cycles run so far (the RTL's and the cycle model's: they run the same cycles).
    pub fn cycles(&self) -> u64 {
        self.session.cycle()
    }

    /// Records every command from now on.
    pub fn start_recording(&mut self) {
        self.session.record = Some(Vec::new());
    }

    fn cmd(&mut self, tile: usize, op: Op, addr: u64, data: u64) -> Result<Option<u128>> {
        self.session
            .command(tile, op, addr, data)
            .map_err(|m| anyhow!("lock-step mismatch:\n{m}"))
    }

    fn write_vec(&mut self, tile: usize, op: Op, v: &[i64]) -> Result<()> {
        let bits = self.shape.data_bits();
        for (i, &x) in v.iter().enumerate() {
            self.cmd(tile, op, i as u64, to_raw(x as i128, bits) as u64)?;
        }
        Ok(())
    }

    /// Reads and clears the tile's status counters into the running totals; the cost events
    /// are charged to the phase of `op`, the operation they counted.
    fn collect(&mut self, tile: usize, op: TileOp) -> Result<()> {
        let read = |s: &mut Self, w: u64| -> Result<u64> {
            Ok(s.cmd(tile, Op::ReadStat, w, 0)?.unwrap_or(0) as u64)
        };
        let adc = read(self, stat::SATURATIONS)?;
        let clips = read(self, stat::UPDATE_CLIPS)?;
        let crs = read(self, stat::CRS_SATURATIONS)?;
        let pulses = read(self, stat::PULSES)?;
        let chi = read(self, stat::CHI_SATURATIONS)?;
        let tiki = match self.shape.tiki {
            Some(_) => [
                read(self, stat::A_PULSES)?,
                read(self, stat::H_SATURATIONS)?,
                read(self, stat::FLIPS)?,
                read(self, stat::WITHHELD)?,
            ],
            None => [0; 4],
        };
        let mut events = Events::default();
        for e in Event::ALL {
            events[e] = read(self, e.word())?;
        }
        self.cmd(tile, Op::Clear, 0, 0)?;
        let phase = phase_of(op, self.testing);
        self.counters[tile].charge(&self.shape, phase, op, Some(events));
        let c = &mut self.counters[tile];
        c.adc_clips += adc;
        c.update_clips += clips;
        c.crs_saturations += crs;
        c.pulses += pulses;
        c.chi_saturations += chi;
        c.a_pulses += tiki[0];
        c.h_saturations += tiki[1];
        c.flips += tiki[2];
        c.withheld += tiki[3];
        Ok(())
    }

    fn run(&mut self, tile: usize, op: Op, work: TileOp) -> Result<()> {
        self.cmd(tile, op, 0, 0)?;
        self.session
            .wait_idle()
            .map_err(|m| anyhow!("lock-step mismatch:\n{m}"))?;
        self.collect(tile, work)
    }
}

impl Backend for Commands {
    fn shape(&self) -> &TileShape {
        &self.shape
    }

    fn load(&mut self, tile: usize, w: &[i64]) -> Result<()> {
        let s = self.shape.clone();
        for r in 0..s.rows {
            for c in 0..s.cols {
                let addr = s.cell_addr(0, r, c);
                let raw = to_raw(w[r * s.cols + c] as i128, s.data_bits()) as u64;
                self.cmd(tile, Op::LoadW, addr, raw)?;
            }
        }
        self.collect(tile, TileOp::Load)
    }

    fn product(
        &mut self,
        tile: usize,
        x: &[i64],
        dir: Direction,
        outputs: usize,
    ) -> Result<Vec<i128>> {
        let (n_in, _) = dir.extent(&self.shape);
        self.write_vec(tile, Op::WriteX, &padded(x, n_in))?;
        let op = match dir {
            Direction::Forward => Op::Mvm,
            Direction::Transpose => Op::Mtvm,
        };
        self.cmd(tile, op, 0, 0)?;
        let bits = self.shape.rsp_bits();
        let y = (0..outputs)
            .map(|o| {
                let raw = self.cmd(tile, Op::ReadY, o as u64, 0)?.unwrap_or(0);
                Ok(sext(raw, bits))
            })
            .collect::<Result<Vec<_>>>()?;
        self.counters[tile].products += 1;
        self.collect(tile, TileOp::Product { dir, outputs })?;
        Ok(y)
    }

    fn opa(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        self.write_vec(tile, Op::WriteX, &padded(x, self.shape.rows))?;
        self.write_vec(tile, Op::WriteD, &padded(d, self.shape.cols))?;
        self.counters[tile].opas += 1;
        self.run(tile, Op::Opa, TileOp::Opa)
    }

    fn crs(&mut self, tile: usize) -> Result<()> {
        self.counters[tile].crs_passes += 1;
        self.run(tile, Op::Crs, TileOp::Crs)
    }

    fn accumulate(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        self.write_vec(tile, Op::WriteX, &padded(x, self.shape.rows))?;
        self.write_vec(tile, Op::WriteD, &padded(d, self.shape.cols))?;
        self.counters[tile].accumulates += 1;
        self.run(tile, Op::Accumulate, TileOp::Accumulate)
    }

    fn transfer(&mut self, tile: usize) -> Result<()> {
        self.counters[tile].transfers += 1;
        self.run(tile, Op::Transfer, TileOp::MixedTransfer)
    }

    fn set_rate(&mut self, tile: usize, lr_q: i64) -> Result<()> {
        let map = self.shape.unit_map().expect("a Tiki-Taka tile");
        self.cmd(tile, Op::WriteUnit, map.lr, lr_q as u64)?;
        Ok(())
    }

    fn pulse(&mut self, tile: usize, op: &PulseOperands, into_c: bool) -> Result<()> {
        let op = padded_operands(&self.shape, op);
        let lines = op.x_thr.iter().zip(&op.x_neg);
        for (l, (&thr, &neg)) in lines.chain(op.d_thr.iter().zip(&op.d_neg)).enumerate() {
            self.cmd(tile, Op::WriteProb, l as u64, TikiUnit::prob_data(thr, neg))?;
        }
        self.counters[tile].pulse_updates += 1;
        self.cmd(tile, Op::Pulse, into_c as u64, op.slots as u64)?;
        self.session
            .wait_idle()
            .map_err(|m| anyhow!("lock-step mismatch:\n{m}"))?;
        let slots = op.slots as usize;
        self.collect(tile, TileOp::Pulse { slots })
    }

    fn tiki_transfer(&mut self, tile: usize) -> Result<()> {
        let c = &mut self.counters[tile];
        c.line_transfers += 1;
        c.products += 1;
        self.run(tile, Op::Transfer, TileOp::TikiTransfer)
    }

    fn lowrank_start(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        let map = self.shape.lowrank_map().expect("a low-rank tile");
        let bits = self.shape.data_bits();
        for (i, &v) in x.iter().chain(d).enumerate() {
            self.cmd(
                tile,
                Op::WriteUnit,
                map.x + i as u64,
                to_raw(v as i128, bits) as u64,
            )?;
        }
        Ok(())
    }

    fn absorb(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        self.write_vec(tile, Op::WriteX, &padded(x, self.shape.rows))?;
        self.write_vec(tile, Op::WriteD, &padded(d, self.shape.cols))?;
        // Whether this sample closes a run (the unit then re-orthogonalises), for the cost.
        let unit = self.session.model().tiles[tile].lowrank.as_ref();
        let samples = unit.expect("a low-rank tile").est.samples + 1;
        let reorth = samples.is_multiple_of(pimforge_golden::lowrank::REORTH_EVERY);
        self.counters[tile].absorbs += 1;
        self.run(tile, Op::Absorb, TileOp::Absorb { reorth })
    }

    fn end_batch(&mut self, tile: usize, scale: Scale) -> Result<()> {
        let map = self.shape.lowrank_map().expect("a low-rank tile");
        self.cmd(tile, Op::WriteUnit, map.scale, scale.word())?;
        let c = &mut self.counters[tile];
        c.opas += self.shape.lowrank.map_or(0, |l| l.rank) as u64;
        c.end_batches += 1;
        self.run(tile, Op::EndBatch, TileOp::EndBatch)
    }

    fn lowrank(&self, tile: usize) -> Option<&LowRankTile> {
        self.session.model().tiles[tile].lowrank.as_ref()
    }

    fn cells(&self, tile: usize) -> &Cells {
        &self.session.model().tiles[tile].cells
    }

    fn unit(&self, tile: usize) -> Option<&TikiUnit> {
        self.session.model().tiles[tile].tiki.as_ref()
    }

    fn chi(&self, tile: usize) -> &[i64] {
        &self.session.model().tiles[tile].chi
    }

    fn counters(&self, tile: usize) -> Counters {
        self.counters[tile]
    }

    fn set_testing(&mut self, testing: bool) {
        self.testing = testing;
    }

    fn recorded(&self) -> Option<&[Entry]> {
        self.session.record.as_deref()
    }

    fn evidence(&mut self) -> Result<Option<serde_json::Value>> {
        if !self.session.is_lockstep() {
            return Ok(None);
        }
        self.session
            .settle()
            .map_err(|m| anyhow!("lock-step mismatch:\n{m}"))?;
        Ok(Some(serde_json::json!({
            "cycles_matched": self.session.cycle(),
            "commands": self.session.commands,
            "responses": self.session.responses,
        })))
    }
}

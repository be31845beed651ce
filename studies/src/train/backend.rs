//! What a training run asks of the tiles, and the golden model's answer to it.
//!
//! A [`Backend`] performs tile operations on integer operands exactly as the hardware commands
//! do (products, OPA, CRS, accumulate, transfer). [`Golden`] runs them on the golden model's
//! functional form (fast); `super::commands::Commands` issues the same commands to the Verilated RTL
//! and the cycle-level golden model in lock-step. Both see the same crossbars at power-up.

use crate::cost::{work, Phase, PhaseWork, TileOp};
use anyhow::Result;
use pimforge_golden::events::Events;
use pimforge_golden::lowrank::operands::Scale;
use pimforge_golden::mixed::{accumulate, transfer_all};
use pimforge_golden::mvm::product;
use pimforge_golden::opa::{crs, opa};
use pimforge_golden::tiki::{PulseOperands, TikiUnit};
use pimforge_golden::tile::LowRankTile;
use pimforge_golden::{Cells, Direction, TileShape};
use serde::Serialize;

/// Events the tiles counted (the hardware's status counters, without their 32-bit saturation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// ADC conversions that clipped.
    pub adc_clips: u64,
    /// Cell updates (OPA steps, transfer trains) that clipped at a device bound.
    pub update_clips: u64,
    /// Weights CRS saturated.
    pub crs_saturations: u64,
    /// Accumulator updates that saturated.
    pub chi_saturations: u64,
    /// Programming pulses sent to the devices.
    pub pulses: u64,
    pub opas: u64,
    pub crs_passes: u64,
    pub accumulates: u64,
    pub transfers: u64,
    pub products: u64,
    /// Tiki-Taka: pulses into A, H saturations, chopper flips, pulses withheld (AGAD's warm-up),
    /// pulse updates and transfers of one input line.
    pub a_pulses: u64,
    pub h_saturations: u64,
    pub flips: u64,
    pub withheld: u64,
    pub pulse_updates: u64,
    pub line_transfers: u64,
    /// SBPCA's low-rank units: samples absorbed, batches ended (each `k` OPAs, counted in
    /// `opas`).
    pub absorbs: u64,
    pub end_batches: u64,
    /// The cost events and tile cycles of every phase (`docs/cost.md`).
    pub work: PhaseWork,
}

impl Counters {
    /// Charges the work of `op` (its events as counted: `events`) to phase `phase`.
    pub fn charge(&mut self, shape: &TileShape, phase: Phase, op: TileOp, events: Option<Events>) {
        let mut w = work::of(shape, op);
        if let Some(e) = events {
            w.events = e;
        }
        self.work.add(phase, w);
    }
}

/// The phase of an operation: test products while the test set runs.
pub fn phase_of(op: TileOp, testing: bool) -> Phase {
    match op {
        TileOp::Load => Phase::Load,
        TileOp::Product { .. } if testing => Phase::Test,
        TileOp::Product {
            dir: Direction::Forward,
            ..
        } => Phase::Forward,
        TileOp::Product { .. } => Phase::Backward,
        TileOp::Opa
        | TileOp::Accumulate
        | TileOp::Pulse { .. }
        | TileOp::Absorb { .. }
        | TileOp::EndBatch => Phase::Update,
        TileOp::Crs | TileOp::MixedTransfer | TileOp::TikiTransfer => Phase::Resolve,
    }
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.adc_clips += o.adc_clips;
        self.update_clips += o.update_clips;
        self.crs_saturations += o.crs_saturations;
        self.chi_saturations += o.chi_saturations;
        self.pulses += o.pulses;
        self.opas += o.opas;
        self.crs_passes += o.crs_passes;
        self.accumulates += o.accumulates;
        self.transfers += o.transfers;
        self.products += o.products;
        self.a_pulses += o.a_pulses;
        self.h_saturations += o.h_saturations;
        self.flips += o.flips;
        self.withheld += o.withheld;
        self.pulse_updates += o.pulse_updates;
        self.line_transfers += o.line_transfers;
        self.absorbs += o.absorbs;
        self.end_batches += o.end_batches;
        self.work += o.work;
    }
}

/// Tile operations, on the tiles of one array.
pub trait Backend {
    fn shape(&self) -> &TileShape;
    /// Programs every weight of `tile` (`w[r * cols + c]`, canonical digits).
    fn load(&mut self, tile: usize, w: &[i64]) -> Result<()>;
    /// The product of `x` (one value per driven line) with the tile's weights; returns the
    /// first `outputs` accumulators.
    fn product(
        &mut self,
        tile: usize,
        x: &[i64],
        dir: Direction,
        outputs: usize,
    ) -> Result<Vec<i128>>;
    /// `W += x d^T` in the crossbars (OPA).
    fn opa(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()>;
    /// Carry resolution of every cell.
    fn crs(&mut self, tile: usize) -> Result<()>;
    /// `chi += x d^T` in the mixed-precision accumulators.
    fn accumulate(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()>;
    /// Threshold transfer of chi into the devices.
    fn transfer(&mut self, tile: usize) -> Result<()>;
    /// Tiki-Taka: the transfer rate `lr_q` (H units per read code).
    fn set_rate(&mut self, tile: usize, lr_q: i64) -> Result<()>;
    /// Tiki-Taka: a stochastic pulse update with these operands (padded to the tile's lines),
    /// into A, or into C without the choppers (`into_c`: plain analog SGD).
    fn pulse(&mut self, tile: usize, op: &PulseOperands, into_c: bool) -> Result<()>;
    /// Tiki-Taka: one transfer (the next input line of A read into H, pulses into C).
    fn tiki_transfer(&mut self, tile: usize) -> Result<()>;
    /// SBPCA: the low-rank unit's first pairs (`x[r * rows + i]`, `d[r * cols + j]`, the
    /// tile's sizes), one `WRITE_UNIT` per entry.
    fn lowrank_start(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()>;
    /// SBPCA: the sample into the buffers (padded to the tile's rows and columns) and `ABSORB`.
    fn absorb(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()>;
    /// SBPCA: the terms' scale and `END_BATCH`.
    fn end_batch(&mut self, tile: usize, scale: Scale) -> Result<()>;
    /// The tile's low-rank unit now, when it has one.
    fn lowrank(&self, tile: usize) -> Option<&LowRankTile>;
    /// The tile's crossbars now (for weights and checks).
    fn cells(&self, tile: usize) -> &Cells;
    /// The tile's Tiki-Taka unit now (A, H, choppers), when it has one.
    fn unit(&self, tile: usize) -> Option<&TikiUnit>;
    /// The tile's accumulators now (empty without a mixed-precision unit).
    fn chi(&self, tile: usize) -> &[i64];
    fn counters(&self, tile: usize) -> Counters;
    /// Whether the products from now on evaluate the test set (their cost is reported apart).
    fn set_testing(&mut self, testing: bool);
    /// The host program issued so far, when the backend records one (command-level backends).
    fn recorded(&self) -> Option<&[pimforge_tb::program::Entry]> {
        None
    }
    /// What a lock-step backend checked (cycles and commands that matched), once every cycle
    /// run is checked (a mismatch there is an error); none otherwise.
    fn evidence(&mut self) -> Result<Option<serde_json::Value>> {
        Ok(None)
    }
}

struct Tile {
    cells: Cells,
    chi: Vec<i64>,
    unit: Option<TikiUnit>,
    lowrank: Option<LowRankTile>,
    counters: Counters,
}

/// The golden model's functional form: every operation as the plain functions of the golden
/// crate (bit-serial sliced products through the ADC model, or their direct integer form where
/// every read is exact, OPA phases and steps, pulse trains through the device models).
pub struct Golden {
    shape: TileShape,
    tiles: Vec<Tile>,
    testing: bool,
}

impl Golden {
    /// Tiles whose power-up crossbars are `cells` and Tiki-Taka units `units` (empty: none).
    pub fn new(shape: &TileShape, cells: Vec<Cells>, units: Vec<Option<TikiUnit>>) -> Self {
        let mut units = units.into_iter();
        Golden {
            shape: shape.clone(),
            tiles: cells
                .into_iter()
                .enumerate()
                .map(|(i, cells)| Tile {
                    cells,
                    chi: match shape.mixed {
                        Some(_) => vec![0; shape.rows * shape.cols],
                        None => vec![],
                    },
                    unit: units.next().flatten(),
                    lowrank: shape.lowrank.map(|_| LowRankTile::new(shape, i)),
                    counters: Counters::default(),
                })
                .collect(),
            testing: false,
        }
    }

    /// Charges `op` on `tile` to its phase.
    fn charge(&mut self, tile: usize, op: TileOp) {
        let phase = phase_of(op, self.testing);
        self.tiles[tile]
            .counters
            .charge(&self.shape, phase, op, None);
    }

    fn pulses<T>(&mut self, tile: usize, f: impl FnOnce(&TileShape, &mut Tile) -> T) -> T {
        let t = &mut self.tiles[tile];
        let before = t.cells.pulses;
        let out = f(&self.shape, t);
        t.counters.pulses += t.cells.pulses - before;
        out
    }
}

/// Pulse operands padded to the tile's rows and columns (idle lines never fire).
pub fn padded_operands(shape: &TileShape, op: &PulseOperands) -> PulseOperands {
    let pad = |thr: &[u32], neg: &[bool], n: usize| {
        let (mut t, mut g) = (thr.to_vec(), neg.to_vec());
        t.resize(n, 0);
        g.resize(n, false);
        (t, g)
    };
    let (x_thr, x_neg) = pad(&op.x_thr, &op.x_neg, shape.rows);
    let (d_thr, d_neg) = pad(&op.d_thr, &op.d_neg, shape.cols);
    PulseOperands {
        x_thr,
        x_neg,
        d_thr,
        d_neg,
        slots: op.slots,
    }
}

/// Pads `v` with zeros to `n` entries.
pub fn padded(v: &[i64], n: usize) -> Vec<i64> {
    let mut out = v.to_vec();
    out.resize(n, 0);
    out
}

impl Backend for Golden {
    fn shape(&self) -> &TileShape {
        &self.shape
    }

    fn load(&mut self, tile: usize, w: &[i64]) -> Result<()> {
        let s = &self.shape;
        let t = &mut self.tiles[tile];
        for r in 0..s.rows {
            for c in 0..s.cols {
                t.cells.load_weight(s, r, c, w[r * s.cols + c]);
            }
        }
        self.charge(tile, TileOp::Load);
        Ok(())
    }

    fn product(
        &mut self,
        tile: usize,
        x: &[i64],
        dir: Direction,
        outputs: usize,
    ) -> Result<Vec<i128>> {
        let (n_in, _) = dir.extent(&self.shape);
        let t = &mut self.tiles[tile];
        let r = product(&self.shape, &mut t.cells, &padded(x, n_in), dir);
        t.counters.adc_clips += r.clipped;
        t.counters.products += 1;
        let y = r.y[..outputs].to_vec();
        self.charge(tile, TileOp::Product { dir, outputs });
        Ok(y)
    }

    fn opa(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        let (x, d) = (padded(x, self.shape.rows), padded(d, self.shape.cols));
        self.pulses(tile, |s, t| {
            t.counters.update_clips += opa(s, &mut t.cells, &x, &d);
            t.counters.opas += 1;
        });
        self.charge(tile, TileOp::Opa);
        Ok(())
    }

    fn crs(&mut self, tile: usize) -> Result<()> {
        let t = &mut self.tiles[tile];
        t.counters.crs_saturations += crs(&self.shape, &mut t.cells);
        t.counters.crs_passes += 1;
        self.charge(tile, TileOp::Crs);
        Ok(())
    }

    fn accumulate(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        let mixed = self.shape.mixed.clone().expect("a mixed-precision tile");
        let (x, d) = (padded(x, self.shape.rows), padded(d, self.shape.cols));
        let t = &mut self.tiles[tile];
        t.counters.chi_saturations += accumulate(&mixed, &mut t.chi, &x, &d).clamped();
        t.counters.accumulates += 1;
        self.charge(tile, TileOp::Accumulate);
        Ok(())
    }

    fn transfer(&mut self, tile: usize) -> Result<()> {
        let mixed = self.shape.mixed.clone().expect("a mixed-precision tile");
        self.pulses(tile, |_, t| {
            t.counters.update_clips += transfer_all(&mixed, &mut t.chi, &mut t.cells).clipped;
            t.counters.transfers += 1;
        });
        self.charge(tile, TileOp::MixedTransfer);
        Ok(())
    }

    fn set_rate(&mut self, tile: usize, lr_q: i64) -> Result<()> {
        let unit = self.tiles[tile].unit.as_mut().expect("a Tiki-Taka tile");
        unit.lr_q = lr_q;
        Ok(())
    }

    fn pulse(&mut self, tile: usize, op: &PulseOperands, into_c: bool) -> Result<()> {
        let op = padded_operands(&self.shape, op);
        let t = &mut self.tiles[tile];
        let unit = t.unit.as_mut().expect("a Tiki-Taka tile");
        unit.set_operands(&op);
        let sent = unit.pulse(op.slots as usize, into_c, &mut t.cells);
        t.counters.update_clips += sent.clipped;
        match into_c {
            true => t.counters.pulses += sent.pulses,
            false => t.counters.a_pulses += sent.pulses,
        }
        t.counters.pulse_updates += 1;
        let slots = op.slots as usize;
        self.charge(tile, TileOp::Pulse { slots });
        Ok(())
    }

    fn tiki_transfer(&mut self, tile: usize) -> Result<()> {
        let t = &mut self.tiles[tile];
        let unit = t.unit.as_mut().expect("a Tiki-Taka tile");
        let before = unit.state.counters;
        let (v, clipped) = unit.read(&self.shape);
        let sent = unit.transfer(&self.shape, &v, &mut t.cells);
        let after = unit.state.counters;
        let c = &mut t.counters;
        c.adc_clips += clipped;
        c.update_clips += sent.clipped;
        c.pulses += sent.pulses;
        c.h_saturations += after.h_saturations - before.h_saturations;
        c.flips += after.flips - before.flips;
        c.withheld += after.withheld - before.withheld;
        c.line_transfers += 1;
        c.products += 1;
        self.charge(tile, TileOp::TikiTransfer);
        Ok(())
    }

    fn lowrank_start(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        let unit = self.tiles[tile].lowrank.as_mut().expect("a low-rank tile");
        unit.est.x.copy_from_slice(x);
        unit.est.d.copy_from_slice(d);
        Ok(())
    }

    fn absorb(&mut self, tile: usize, x: &[i64], d: &[i64]) -> Result<()> {
        let (x, d) = (padded(x, self.shape.rows), padded(d, self.shape.cols));
        let t = &mut self.tiles[tile];
        let reorth = t.lowrank.as_mut().expect("a low-rank tile").absorb(&x, &d);
        t.counters.absorbs += 1;
        self.charge(tile, TileOp::Absorb { reorth });
        Ok(())
    }

    fn end_batch(&mut self, tile: usize, scale: Scale) -> Result<()> {
        let t = &mut self.tiles[tile];
        let unit = t.lowrank.as_mut().expect("a low-rank tile");
        unit.scale = scale;
        let done = unit.end_batch(&self.shape, &mut t.cells);
        let c = &mut t.counters;
        c.update_clips += done.clipped;
        c.pulses += done.pulses;
        c.opas += unit.est.shape.k as u64;
        c.end_batches += 1;
        self.charge(tile, TileOp::EndBatch);
        Ok(())
    }

    fn lowrank(&self, tile: usize) -> Option<&LowRankTile> {
        self.tiles[tile].lowrank.as_ref()
    }

    fn cells(&self, tile: usize) -> &Cells {
        &self.tiles[tile].cells
    }

    fn unit(&self, tile: usize) -> Option<&TikiUnit> {
        self.tiles[tile].unit.as_ref()
    }

    fn chi(&self, tile: usize) -> &[i64] {
        &self.tiles[tile].chi
    }

    fn counters(&self, tile: usize) -> Counters {
        self.tiles[tile].counters
    }

    fn set_testing(&mut self, testing: bool) {
        self.testing = testing;
    }
}

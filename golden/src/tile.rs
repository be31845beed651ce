//! Cycle-level model of one tile: predicts every output of the generated `pim_tile` on every cycle.
//! The model holds the same registers as the RTL and updates them with the same next-state
//! rules, all computed from the current state (as non-blocking assignments are). Protocol:
//!
//! - A command is accepted in a cycle where `cmd_valid && cmd_ready`; `cmd_ready` is low only
//!   while an MVM or MTVM runs (`busy`).
//! - Reads answer in the next cycle with `rsp_valid` high for one cycle.
//! - An MVM/MTVM accepted in cycle `t` runs for [`TileShape::mvm_cycles`] cycles: step `n` of
//!   the run samples plane `n / share` into the sample-and-hold when `n % share == 0`
//!   (stage 1), converts line group `n - 1` (stage 2) and accumulates group `n - 2` (stage 3).

use crate::adc::convert;
use crate::cells::Cells;
use crate::cycle::CycleModel;
use crate::events::{self, Events};
use crate::mvm::{code_shift, currents, drive, Direction};
use crate::num::{fits_signed, sext, to_raw};
use crate::opa::{crs_cell, opa_step, PHASES};
pub use crate::protocol::{err, stat, Op};
use crate::shape::{PortWidths, TileShape};
use crate::tiki::TikiUnit;
pub use lowrank::{EndBatch, LowRankTile};
use tiki::TikiRun;

/// Inputs of a tile in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TileIn {
    pub cmd_valid: bool,
    pub cmd_op: u8,
    pub cmd_addr: u64,
    pub cmd_data: u64,
}

impl TileIn {
    /// A valid command.
    pub fn command(op: Op, addr: u64, data: u64) -> Self {
        TileIn {
            cmd_valid: true,
            cmd_op: op as u8,
            cmd_addr: addr,
            cmd_data: data,
        }
    }
}

/// Outputs of a tile in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TileOut {
    pub cmd_ready: bool,
    pub rsp_valid: bool,
    pub rsp_data: u128,
    pub busy: bool,
    pub err: bool,
}

/// A line group in flight in the pipeline: plane `k`, shared-line index `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tag {
    k: usize,
    s: usize,
}

#[derive(Clone, Debug)]
pub struct TileModel {
    pub shape: TileShape,
    widths: PortWidths,
    pub cells: Cells,
    /// Input buffer, one signed entry per line.
    pub x: Vec<i64>,
    /// Outer-product column operands, one per column.
    pub d: Vec<i64>,
    /// Shift-and-add accumulators, one per line (the result buffer).
    pub acc: Vec<i128>,
    running: bool,
    /// OPA run step (`4 * input_bits` update steps, then one drain step).
    opa: Option<usize>,
    /// CRS run step: reads cell `step`, writes back cell `step - 1` (row-major).
    crs: Option<usize>,
    /// Mixed-precision accumulators, `chi[r * cols + c]` (empty without the unit).
    pub chi: Vec<i64>,
    /// Accumulate run: the row updated next.
    accumulate: Option<usize>,
    /// Transfer run: the row pulsed next (`rows`: the drain step).
    transfer: Option<usize>,
    /// The Tiki-Taka unit (A, H, choppers), when the tile has one.
    pub tiki: Option<TikiUnit>,
    tiki_run: Option<TikiRun>,
    /// SBPCA's low-rank unit, when the tile has one.
    pub lowrank: Option<LowRankTile>,
    /// Cycles left of the low-rank unit's busy window.
    lowrank_busy: usize,
    /// The product running is a transfer read of A (one plane, one-hot drive).
    read_a: bool,
    pub a_pulses: u32,
    pub h_saturations: u32,
    pub flips: u32,
    pub withheld: u32,
    /// Clip and pulse counts the crossbars registered at the last update step.
    pending_clips: u32,
    pending_pulses: u64,
    pub update_clips: u32,
    pub pulses: u32,
    pub chi_saturations: u32,
    pub crs_saturations: u32,
    dir: Direction,
    step: usize,
    /// Sample-and-hold: line currents per slice.
    held: Vec<Vec<i64>>,
    stage2: Option<Tag>,
    stage3: Option<Tag>,
    /// ADC output registers per slice and ADC, with their clip flags.
    codes: Vec<Vec<(i64, bool)>>,
    pub saturations: u32,
    pub errors: u8,
    pub products: u32,
    /// The cost event counters (status words from [`stat::EVENTS`]), counted when the command
    /// is accepted: no status word can be read before the operation ends.
    pub events: [u32; events::COUNT],
    rsp_valid: bool,
    rsp_data: u128,
}

impl TileModel {
    /// The state after reset.
    pub fn new(shape: &TileShape) -> Self {
        TileModel::with_cells(shape, Cells::new(shape))
    }

    /// The state after reset of a tile whose crossbars hold `cells` (e.g. with device
    /// variation).
    pub fn with_cells(shape: &TileShape, cells: Cells) -> Self {
        let tiki = shape.tiki.as_ref().map(|_| {
            let n = shape.rows * shape.cols;
            TikiUnit::new(shape, 0, vec![shape.nominal_device(0); n], vec![0; n])
        });
        TileModel::with_units(shape, cells, tiki)
    }

    /// The state after reset of a tile whose crossbars hold `cells` and whose Tiki-Taka unit
    /// (with a `tiki` section) is `tiki`.
    pub fn with_units(shape: &TileShape, cells: Cells, tiki: Option<TikiUnit>) -> Self {
        assert_eq!(
            tiki.is_some(),
            shape.tiki.is_some(),
            "a unit for a tiki section"
        );
        let (m, l, a) = (shape.slices(), shape.lines(), shape.adcs());
        TileModel {
            shape: shape.clone(),
            widths: shape.port_widths(),
            cells,
            x: vec![0; l],
            d: vec![0; shape.cols],
            acc: vec![0; l],
            running: false,
            opa: None,
            crs: None,
            chi: match shape.mixed {
                Some(_) => vec![0; shape.rows * shape.cols],
                None => vec![],
            },
            accumulate: None,
            transfer: None,
            lowrank: shape.lowrank.map(|_| LowRankTile::new(shape, 0)),
            lowrank_busy: 0,
            tiki,
            tiki_run: None,
            read_a: false,
            a_pulses: 0,
            h_saturations: 0,
            flips: 0,
            withheld: 0,
            pending_clips: 0,
            pending_pulses: 0,
            update_clips: 0,
            pulses: 0,
            chi_saturations: 0,
            crs_saturations: 0,
            dir: Direction::Forward,
            step: 0,
            held: vec![vec![0; l]; m],
            stage2: None,
            stage3: None,
            codes: vec![vec![(0, false); a]; m],
            saturations: 0,
            errors: 0,
            products: 0,
            events: [0; events::COUNT],
            rsp_valid: false,
            rsp_data: 0,
        }
    }

    /// The tile as tile `index` of its array (the seeds of its low-rank unit's LFSR).
    pub fn at_index(mut self, index: usize) -> Self {
        if self.lowrank.is_some() {
            self.lowrank = Some(LowRankTile::new(&self.shape, index));
        }
        self
    }

    /// Outputs in the current cycle (they depend on state only).
    pub fn outputs(&self) -> TileOut {
        let busy = self.running
            || self.opa.is_some()
            || self.crs.is_some()
            || self.accumulate.is_some()
            || self.transfer.is_some()
            || self.tiki_run.is_some()
            || self.lowrank_busy != 0;
        TileOut {
            cmd_ready: !busy,
            rsp_valid: self.rsp_valid,
            rsp_data: self.rsp_data,
            busy,
            err: self.errors != 0,
        }
    }

    /// One rising clock edge with inputs `inp`.
    pub fn clock(&mut self, inp: &TileIn) {
        // `cmd_ready` is a registered output: it is the ready of the cycle before this edge.
        let ready = self.outputs().cmd_ready;
        let s = &self.shape;
        let (share, planes) = (s.adc.share, s.planes());
        let conversions = if self.read_a { share } else { planes * share };

        // Stage 3: shift-and-add of the registered codes; clipped conversions are counted.
        if let Some(t) = self.stage3 {
            let mut clipped = 0u32;
            for j in 0..s.adcs() {
                let mut term = 0i128;
                for m in 0..s.slices() {
                    let (code, clip) = self.codes[m][j];
                    term += (code as i128) << code_shift(s, t.k, m);
                    clipped += clip as u32;
                }
                self.acc[j * share + t.s] += term;
            }
            self.saturations = self.saturations.saturating_add(clipped);
        }

        // Stage 2: convert line `j * share + s` of the sample-and-hold for every ADC `j`.
        let next3 = self.stage2;
        if let Some(t) = self.stage2 {
            for m in 0..s.slices() {
                for j in 0..s.adcs() {
                    self.codes[m][j] = convert(self.held[m][j * share + t.s], &s.adc);
                }
            }
        }
        self.stage3 = next3;

        // Stage 1: DAC drive of plane k, array, sample-and-hold at the first group of a plane.
        self.stage2 = None;
        if self.running && self.step < conversions {
            let t = Tag {
                k: self.step / share,
                s: self.step % share,
            };
            if t.s == 0 && self.read_a {
                let unit = self.tiki.as_mut().expect("Tiki-Taka unit");
                let d = TikiUnit::read_drive(s, unit.state.next);
                self.held[0] = currents(s, &mut unit.a, 0, &d, Direction::Forward);
            } else if t.s == 0 {
                let (n_in, _) = self.dir.extent(s);
                let d = drive(s, &self.x[..n_in], t.k);
                for m in 0..s.slices() {
                    self.held[m] = currents(s, &mut self.cells, m, &d, self.dir);
                }
            }
            self.stage2 = Some(t);
        }
        // Tiki-Taka: the steps after the read (the read's end starts them, below).
        self.tiki_step();
        if self.running {
            if self.step == conversions + 1 {
                self.running = false;
                self.products = self.products.wrapping_add(1);
                if std::mem::take(&mut self.read_a) {
                    self.tiki_run = Some(TikiRun::Column(0));
                }
            } else {
                self.step += 1;
            }
        }

        // OPA and transfer: one update step per cycle; the crossbars register each step's clip
        // and pulse counts, which reach the counters one cycle later.
        self.update_clips = self.update_clips.saturating_add(self.pending_clips);
        self.pulses = self
            .pulses
            .saturating_add(self.pending_pulses.min(u32::MAX as u64) as u32);
        self.pending_clips = 0;
        self.pending_pulses = 0;
        let pulses_before = self.cells.pulses;
        if let Some(n) = self.opa {
            let bits = self.shape.input_bits as usize;
            if n < 4 * bits {
                let rows = self.shape.rows;
                self.pending_clips = opa_step(
                    &self.shape,
                    &mut self.cells,
                    &self.x[..rows],
                    &self.d,
                    PHASES[n / bits],
                    (n % bits) as u32,
                ) as u32;
            }
            self.opa = (n + 1 < self.shape.opa_cycles()).then_some(n + 1);
        }

        // CRS: at step i, cell i is read and cell i - 1 (read at the step before, unchanged
        // since) is written back.
        if let Some(i) = self.crs {
            if i > 0 {
                let (r, c) = ((i - 1) / self.shape.cols, (i - 1) % self.shape.cols);
                if crs_cell(&self.shape, &mut self.cells, r, c).clamped() > 0 {
                    self.crs_saturations = self.crs_saturations.saturating_add(1);
                }
            }
            self.crs = (i + 1 < self.shape.crs_cycles()).then_some(i + 1);
        }

        // Mixed precision: accumulate row r, or transfer row r (then a drain step).
        if let Some(r) = self.accumulate {
            self.accumulate_row(r);
            self.accumulate = (r + 1 < self.shape.acc_cycles()).then_some(r + 1);
        }
        if let Some(r) = self.transfer {
            if r < self.shape.rows {
                self.pending_clips = self.transfer_row(r);
            }
            self.transfer = (r + 1 < self.shape.transfer_cycles()).then_some(r + 1);
        }
        self.pending_pulses = self.cells.pulses - pulses_before;

        // The low-rank unit's window (its work was done when the command was accepted).
        self.lowrank_busy = self.lowrank_busy.saturating_sub(1);

        // Command interface.
        self.rsp_valid = false;
        if inp.cmd_valid && ready {
            self.accept(inp);
        }
    }

    fn accept(&mut self, inp: &TileIn) {
        let s = &self.shape;
        let addr = inp.cmd_addr;
        let (slice, row, col) = s.cell_of(addr);
        let in_space = |op: Op| s.addresses(op).is_some_and(|n| addr < n);
        match Op::from_code(inp.cmd_op) {
            Some(Op::WriteX) => {
                if in_space(Op::WriteX) {
                    Events::buffer(1).add_to(&mut self.events);
                    self.x[addr as usize] = sext(inp.cmd_data as u128, s.input_bits) as i64;
                } else {
                    self.errors |= err::BAD_ADDR;
                }
            }
            Some(Op::WriteD) => {
                if in_space(Op::WriteD) {
                    Events::buffer(1).add_to(&mut self.events);
                    self.d[addr as usize] = sext(inp.cmd_data as u128, s.weight_bits) as i64;
                } else {
                    self.errors |= err::BAD_ADDR;
                }
            }
            Some(Op::Opa) => {
                Events::opa(s).add_to(&mut self.events);
                self.opa = Some(0);
            }
            Some(Op::Crs) => {
                Events::crs(s).add_to(&mut self.events);
                self.crs = Some(0);
            }
            Some(op) if !op.available(s.units()) => self.errors |= err::BAD_OP,
            Some(Op::Accumulate) => {
                Events::accumulate(s).add_to(&mut self.events);
                self.accumulate = Some(0);
            }
            Some(Op::Transfer) if s.tiki.is_none() => {
                Events::mixed_transfer(s).add_to(&mut self.events);
                self.transfer = Some(0);
            }
            // The low-rank unit's commands, and its words.
            Some(op @ (Op::ReadUnit | Op::WriteUnit)) if s.lowrank.is_some() => {
                self.accept_lowrank(op, inp)
            }
            Some(op @ (Op::Absorb | Op::EndBatch)) => self.accept_lowrank(op, inp),
            // The Tiki-Taka unit's commands (without the unit they are bad opcodes, above).
            Some(
                op @ (Op::Transfer | Op::WriteProb | Op::Pulse | Op::ReadUnit | Op::WriteUnit),
            ) => self.accept_tiki(op, inp),
            Some(Op::LoadW) => {
                if in_space(Op::LoadW) {
                    let w = sext(inp.cmd_data as u128, s.weight_bits) as i64;
                    Events::load_weight(s).add_to(&mut self.events);
                    self.cells.load_weight(&self.shape, row, col, w);
                } else {
                    self.errors |= err::BAD_ADDR;
                }
            }
            Some(Op::WriteCell) => {
                let m = slice as usize;
                let level = sext(inp.cmd_data as u128, self.widths.data) as i64;
                if !in_space(Op::WriteCell) {
                    self.errors |= err::BAD_ADDR;
                } else if !fits_signed(level, s.cell_bits[m]) {
                    self.errors |= err::BAD_LEVEL;
                } else {
                    Events::of(&[(events::Event::CellWrites, 1)]).add_to(&mut self.events);
                    self.cells.set(m, row, col, level);
                }
            }
            Some(op @ (Op::Mvm | Op::Mtvm)) => {
                self.running = true;
                self.step = 0;
                self.dir = if op == Op::Mvm {
                    Direction::Forward
                } else {
                    Direction::Transpose
                };
                Events::product(s, self.dir).add_to(&mut self.events);
                self.acc.fill(0);
            }
            Some(Op::ReadY) => {
                self.rsp_valid = true;
                self.rsp_data = if in_space(Op::ReadY) {
                    Events::buffer(1).add_to(&mut self.events);
                    to_raw(self.acc[addr as usize], self.widths.rsp)
                } else {
                    self.errors |= err::BAD_ADDR;
                    0
                };
            }
            Some(Op::ReadStat) => {
                self.rsp_valid = true;
                self.rsp_data = match addr {
                    stat::SATURATIONS => self.saturations as u128,
                    stat::ERRORS => self.errors as u128,
                    stat::PRODUCTS => self.products as u128,
                    stat::UPDATE_CLIPS => self.update_clips as u128,
                    stat::CRS_SATURATIONS => self.crs_saturations as u128,
                    stat::PULSES => self.pulses as u128,
                    stat::CHI_SATURATIONS => self.chi_saturations as u128,
                    stat::A_PULSES => self.a_pulses as u128,
                    stat::H_SATURATIONS => self.h_saturations as u128,
                    stat::FLIPS => self.flips as u128,
                    stat::WITHHELD => self.withheld as u128,
                    w if w < stat::COUNT => self.events[(w - stat::EVENTS) as usize] as u128,
                    _ => {
                        self.errors |= err::BAD_ADDR;
                        0
                    }
                };
            }
            Some(Op::Clear) => {
                self.saturations = 0;
                self.update_clips = 0;
                self.crs_saturations = 0;
                self.pulses = 0;
                self.chi_saturations = 0;
                self.a_pulses = 0;
                self.h_saturations = 0;
                self.flips = 0;
                self.withheld = 0;
                self.events = [0; events::COUNT];
                self.errors = 0;
            }
            None => self.errors |= err::BAD_OP,
        }
    }
}

/// Adds `n` to a saturating 32-bit status counter.
fn add_count(c: &mut u32, n: u64) {
    *c = c.saturating_add(n.min(u32::MAX as u64) as u32);
}

impl CycleModel for TileModel {
    type In = TileIn;
    type Out = TileOut;

    /// A tile's outputs depend on its state only.
    fn outputs(&self, _: &TileIn) -> TileOut {
        TileModel::outputs(self)
    }

    fn clock(&mut self, inp: &TileIn) {
        TileModel::clock(self, inp)
    }
}

mod lowrank;
mod mixed;
#[cfg(test)]
mod tests;
mod tiki;

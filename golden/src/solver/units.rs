//! Cycle models of the INV crossbar unit (`pim_inv`) and of the solver (`pim_solver`): they
//! predict every output on every cycle for the lock-step harness.

use super::{inv, refine_with, InvShape, Solve, SolverEvent, Split, Status};
use crate::cycle::{one_bit, CycleModel, Interface, Signal};
use crate::num::clog2;
use crate::protocol::{
    solver_event, COUNTER_BITS, DIAG_SHIFT_BITS, EXP_BITS, ITERS_BITS, SOLVE_STATUS_BITS,
};

/// Width of an index into `n` entries (at least one bit).
fn index_bits(n: usize) -> u32 {
    clog2(n as u64).max(1)
}

/// Inputs of the INV crossbar unit (`pim_inv`) in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvIn {
    pub prog_we: bool,
    pub prog_row: usize,
    pub prog_col: usize,
    pub prog_level: u64,
    pub r_we: bool,
    pub r_idx: usize,
    pub r_data: u64,
    pub start: bool,
    /// The diagonal's gain `dsh` (sampled by START).
    pub diag_shift: u64,
    pub rd_idx: usize,
}

/// Outputs of `pim_inv` in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvOut {
    pub busy: bool,
    pub singular: bool,
    pub k: u64,
    pub code: u64,
}

/// Cycle-level model of `pim_inv`: programming and input writes take effect at the edge; a
/// START (when idle) solves with the state before the edge and keeps the unit busy for
/// `latency` cycles, after which the codes, the exponent and the singular flag are visible.
#[derive(Clone, Debug)]
pub struct InvUnit {
    pub split: Split,
    pub h_bits: u32,
    pub in_bits: u32,
    pub out_bits: u32,
    pub latency: u32,
    pub r: Vec<i64>,
    codes: Vec<i64>,
    k: i32,
    singular: bool,
    count: u32,
}

impl InvUnit {
    pub fn new(n: usize, h_bits: u32, in_bits: u32, out_bits: u32, latency: u32) -> Self {
        InvUnit {
            split: Split {
                n,
                ah: vec![0; n * n],
                sh: 0,
                dsh: 0,
                al: vec![0; n * n],
            },
            h_bits,
            in_bits,
            out_bits,
            latency,
            r: vec![0; n],
            codes: vec![0; n],
            k: 0,
            singular: false,
            count: 0,
        }
    }
}

impl CycleModel for InvUnit {
    type In = InvIn;
    type Out = InvOut;

    fn outputs(&self, inp: &InvIn) -> InvOut {
        let busy = self.count != 0;
        let mask = |v: i64, bits: u32| (v as u64) & ((1u64 << bits) - 1);
        InvOut {
            busy,
            singular: self.singular && !busy,
            k: if busy {
                0
            } else {
                mask(self.k as i64, EXP_BITS)
            },
            code: if busy {
                0
            } else {
                mask(self.codes[inp.rd_idx], self.out_bits)
            },
        }
    }

    fn clock(&mut self, inp: &InvIn) {
        let sext = |raw: u64, bits: u32| crate::num::sext(raw as u128, bits) as i64;
        if inp.start && self.count == 0 {
            self.split.dsh = inp.diag_shift as u32;
            match inv(&self.split, &self.r, self.out_bits) {
                Some((codes, k)) => {
                    self.codes = codes;
                    self.k = k;
                    self.singular = false;
                }
                None => {
                    self.codes.fill(0);
                    self.k = 0;
                    self.singular = true;
                }
            }
            self.count = self.latency;
        } else if self.count != 0 {
            self.count -= 1;
        }
        let n = self.split.n;
        if inp.prog_we {
            self.split.ah[inp.prog_row * n + inp.prog_col] = sext(inp.prog_level, self.h_bits);
        }
        if inp.r_we {
            self.r[inp.r_idx] = sext(inp.r_data, self.in_bits);
        }
    }
}

/// Status codes of the refinement controller (`status_o`).
pub fn status_code(s: Status) -> u64 {
    s.code()
}

/// Inputs of the refinement controller (`pim_refine`) in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefineIn {
    pub a_we: bool,
    pub a_row: usize,
    pub a_col: usize,
    pub a_data: u64,
    pub b_we: bool,
    pub b_idx: usize,
    pub b_data: u64,
    pub start: bool,
    pub rd_idx: usize,
    /// The solver event `ev_o` shows ([`crate::solver::SolverEvent`] index).
    pub ev_idx: usize,
}

/// Outputs of `pim_refine` in one cycle (raw port values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefineOut {
    pub busy: bool,
    pub status: u64,
    pub iters: u64,
    pub x: u128,
    /// [`Solve::residual`].
    pub residual: u128,
    /// The last solve's count of event `ev_idx` ([`Solve::events`], saturated at 32 bits).
    pub ev: u64,
}

/// Width of the controller's residuals and `residual_o` (`pim_refine`'s `RW`): `a_bits`-bit
/// entries times `x_bits`-bit values, summed over `n`, and `b`.
pub fn residual_bits(n: usize, a_bits: u32, x_bits: u32) -> u32 {
    a_bits + x_bits + crate::num::clog2(n as u64) + 2
}

/// Cycle-level model of `pim_solver` (the refinement controller `pim_refine` with its INV
/// crossbar and its tile): `A` and `b` writes take effect at the edge; a START (when idle) solves
/// with the state before the edge ([`refine_with`], the products on the tile model, driven cycle
/// by cycle as the controller drives it) and keeps the controller busy for [`Solve::cycles`]
/// cycles; then the status, the iteration count and `X` (entry `rd_idx`, `x_bits` wide) are
/// visible (all zero while busy).
#[derive(Clone, Debug)]
pub struct RefineUnit {
    pub n: usize,
    pub shape: InvShape,
    pub a: Vec<i64>,
    pub b: Vec<i64>,
    pub products: crate::solver::tile_products::TileProducts,
    result: Option<Solve>,
    count: u64,
}

impl RefineUnit {
    pub fn new(n: usize, shape: &InvShape, tile: &crate::shape::TileShape) -> Self {
        RefineUnit {
            n,
            shape: shape.clone(),
            a: vec![0; n * n],
            b: vec![0; n],
            products: crate::solver::tile_products::TileProducts::new(tile, n, shape.x_bits),
            result: None,
            count: 0,
        }
    }

    /// The solve of the last START (for scoreboards).
    pub fn result(&self) -> Option<&Solve> {
        self.result.as_ref()
    }
}

impl CycleModel for RefineUnit {
    type In = RefineIn;
    type Out = RefineOut;

    fn outputs(&self, inp: &RefineIn) -> RefineOut {
        match (&self.result, self.count) {
            (Some(r), 0) => RefineOut {
                busy: false,
                status: status_code(r.status),
                iters: r.steps.len() as u64,
                x: crate::num::to_raw(r.x[inp.rd_idx], self.shape.x_bits),
                residual: r.residual,
                ev: r.events.word(SolverEvent::ALL[inp.ev_idx]),
            },
            (_, c) => RefineOut {
                busy: c != 0,
                ..RefineOut::default()
            },
        }
    }

    fn clock(&mut self, inp: &RefineIn) {
        let sext = |raw: u64, bits: u32| crate::num::sext(raw as u128, bits) as i64;
        if inp.start && self.count == 0 {
            let sol = refine_with(&self.a, self.n, &self.b, &self.shape, &mut self.products);
            self.count = sol.cycles;
            self.result = Some(sol);
        } else if self.count != 0 {
            self.count -= 1;
        }
        if inp.a_we {
            self.a[inp.a_row * self.n + inp.a_col] = sext(inp.a_data, self.shape.a_bits);
        }
        if inp.b_we {
            self.b[inp.b_idx] = sext(inp.b_data, self.shape.a_bits);
        }
    }
}

/// What fixes the INV unit's ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvGeometry {
    pub n: usize,
    pub h_bits: u32,
    pub in_bits: u32,
    pub out_bits: u32,
}

impl Interface for InvUnit {
    type Geometry = InvGeometry;
    const TOP: &'static str = "pim_inv";
    const INPUTS: &'static [Signal<InvIn, InvGeometry>] = &[
        Signal::new("prog_we_i", one_bit, |i| i.prog_we as u128),
        Signal::new("prog_row_i", |m| index_bits(m.n), |i| i.prog_row as u128),
        Signal::new("prog_col_i", |m| index_bits(m.n), |i| i.prog_col as u128),
        Signal::new("prog_level_i", |m| m.h_bits, |i| i.prog_level as u128),
        Signal::new("r_we_i", one_bit, |i| i.r_we as u128),
        Signal::new("r_idx_i", |m| index_bits(m.n), |i| i.r_idx as u128),
        Signal::new("r_data_i", |m| m.in_bits, |i| i.r_data as u128),
        Signal::new("start_i", one_bit, |i| i.start as u128),
        Signal::new(
            "diag_shift_i",
            |_| DIAG_SHIFT_BITS,
            |i| i.diag_shift as u128,
        ),
        Signal::new("rd_idx_i", |m| index_bits(m.n), |i| i.rd_idx as u128),
    ];
    const OUTPUTS: &'static [Signal<InvOut, InvGeometry>] = &[
        Signal::new("busy_o", one_bit, |o| o.busy as u128),
        Signal::new("singular_o", one_bit, |o| o.singular as u128),
        Signal::new("k_o", |_| EXP_BITS, |o| o.k as u128),
        Signal::new("code_o", |m| m.out_bits, |o| o.code as u128),
    ];

    fn geometry(&self) -> InvGeometry {
        InvGeometry {
            n: self.split.n,
            h_bits: self.h_bits,
            in_bits: self.in_bits,
            out_bits: self.out_bits,
        }
    }
}

/// What fixes the solver's ports: the system size and the solver's widths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolverGeometry {
    pub n: usize,
    pub shape: InvShape,
}

impl Interface for RefineUnit {
    type Geometry = SolverGeometry;
    const TOP: &'static str = "pim_solver";
    const INPUTS: &'static [Signal<RefineIn, SolverGeometry>] = &[
        Signal::new("a_we_i", one_bit, |i| i.a_we as u128),
        Signal::new("a_row_i", |m| index_bits(m.n), |i| i.a_row as u128),
        Signal::new("a_col_i", |m| index_bits(m.n), |i| i.a_col as u128),
        Signal::new("a_data_i", |m| m.shape.a_bits, |i| i.a_data as u128),
        Signal::new("b_we_i", one_bit, |i| i.b_we as u128),
        Signal::new("b_idx_i", |m| index_bits(m.n), |i| i.b_idx as u128),
        Signal::new("b_data_i", |m| m.shape.a_bits, |i| i.b_data as u128),
        Signal::new("start_i", one_bit, |i| i.start as u128),
        Signal::new("rd_idx_i", |m| index_bits(m.n), |i| i.rd_idx as u128),
        Signal::new(
            "ev_idx_i",
            |_| solver_event::INDEX_BITS,
            |i| i.ev_idx as u128,
        ),
    ];
    const OUTPUTS: &'static [Signal<RefineOut, SolverGeometry>] = &[
        Signal::new("busy_o", one_bit, |o| o.busy as u128),
        Signal::new("status_o", |_| SOLVE_STATUS_BITS, |o| o.status as u128),
        Signal::new("iters_o", |_| ITERS_BITS, |o| o.iters as u128),
        Signal::new("x_o", |m| m.shape.x_bits, |o| o.x),
        Signal::new(
            "residual_o",
            |m| residual_bits(m.n, m.shape.a_bits, m.shape.x_bits),
            |o| o.residual,
        ),
        Signal::new("ev_o", |_| COUNTER_BITS, |o| o.ev as u128),
    ];

    fn geometry(&self) -> SolverGeometry {
        SolverGeometry {
            n: self.n,
            shape: self.shape.clone(),
        }
    }
}

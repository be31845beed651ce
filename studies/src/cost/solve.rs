//! The cost of a refined solve (RePAST): the controller's and the INV crossbar's counted events
//! and its tile's, priced by a cost table, beside a digital solve of the same system
//! ([`super::digital`]); `docs/cost.md` gives the model.

use super::digital::{gaussian_elimination, DigitalOp, DigitalOps};
use super::table::{CostTable, Instances};
use pimforge_golden::events::Events;
use pimforge_golden::protocol::Op;
use pimforge_golden::solver::{InvShape, Solve, SolverEvent, SolverEvents};
use pimforge_golden::TileShape;
use serde::Serialize;
use std::collections::BTreeMap;

/// The tile's events in a solve of size `n` with `taylor` terms and `passes` product passes (as
/// the controller drives it, `golden::solver::tile_products`): `A` loaded (and `A_l`), and per
/// pass `n` `WRITE_X`, one `MVM` and `n` `READ_Y`; each command counted as the tile counts it.
pub fn tile_events(tile: &TileShape, n: usize, taylor: u32, passes: u64) -> Events {
    let cmd = |op: Op, addr: u64| Events::command(tile, op.code(), addr, 0);
    // Every load and every operand or result address is in range: each command of a kind counts
    // alike.
    let blocks = 1 + (taylor > 0) as u64;
    let n = n as u64;
    let mut pass = cmd(Op::WriteX, 0).times(n);
    pass += cmd(Op::ReadY, 0).times(n);
    pass += cmd(Op::Mvm, 0);
    let mut e = cmd(Op::LoadW, 0).times(blocks * n * n);
    e += pass.times(passes);
    e
}

/// Energy and time of one part of a solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Part {
    pub energy_pj: f64,
    pub latency_ns: f64,
}

/// What a refined solve cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolveCost {
    pub table: String,
    pub n: usize,
    pub solves: u64,
    /// Iterations of all the solves.
    pub iterations: u64,
    pub cycles: u64,
    /// Every counted event: the solver's and its tile's.
    pub events: BTreeMap<String, u64>,
    /// Dynamic energy per component, pJ.
    pub dynamic_pj: BTreeMap<String, f64>,
    /// Leakage of the solver and its tile over the solve, pJ.
    pub leakage_pj: f64,
    pub total: Part,
    /// Splitting `A` and programming it (and loading the tile), per solve.
    pub setup: Part,
    /// The rest, per iteration.
    pub per_iteration: Part,
    /// Area of the solver and its tile per component, um^2.
    pub area_um2: BTreeMap<String, f64>,
}

/// The tile of an `n x n` solver (`n` a power of two) with `taylor` terms when the design gives
/// none: the `solver` preset's, grown to hold `A` (and `A_l`), with an exact ADC.
pub fn solver_tile(n: usize, taylor: u32) -> TileShape {
    // Only the tile: the sizes beyond inv.size's range are priced too.
    let mut cfg = pimforge_gen::presets::solver(n, taylor);
    cfg.inv = None;
    let cfg = cfg
        .validated()
        .expect("the solver preset's tile validates at every power-of-two size");
    pimforge_gen::design::Design::new(cfg, None).shape
}

/// The counted work of one or more solves of size `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub solves: u64,
    pub iterations: u64,
    pub cycles: u64,
    #[serde(skip)]
    pub events: SolverEvents,
}

impl Tally {
    pub fn add(&mut self, sol: &Solve) {
        self.solves += 1;
        self.iterations += sol.steps.len() as u64;
        self.cycles += sol.cycles;
        self.events += sol.events;
    }
}

/// Prices `sol`, a solve of size `n` on a solver of `inv` whose tile is `tile`.
pub fn price_solve(
    t: &CostTable,
    tile: &TileShape,
    inv: &InvShape,
    n: usize,
    sol: &Solve,
) -> SolveCost {
    let mut tally = Tally::default();
    tally.add(sol);
    price_tally(t, tile, inv, n, &tally)
}

/// Prices the solves of `tally` (of size `n`, on a solver of `inv` whose tile is `tile`); the
/// setup and per-iteration parts are per solve.
pub fn price_tally(
    t: &CostTable,
    tile: &TileShape,
    inv: &InvShape,
    n: usize,
    tally: &Tally,
) -> SolveCost {
    let sol = tally;
    let passes = sol.events[SolverEvent::ProductPasses];
    let mut tile_ev = tile_events(tile, n, inv.taylor, passes);
    let load_ev = tile_events(tile, n, inv.taylor, 0);
    // Every solve loads the tile: the loads beyond the first.
    for (ev, k) in load_ev.iter() {
        tile_ev[ev] += k * sol.solves.saturating_sub(1);
    }
    let mut events = BTreeMap::new();
    let mut dynamic_pj: BTreeMap<String, f64> = BTreeMap::new();
    let mut setup_pj = 0.0;
    let sizes = Some((inv, n));
    for (ev, k) in sol.events.iter() {
        let e = t.by_key(&ev.key());
        let pj = k as f64 * CostTable::scaled(e, tile, sizes);
        *dynamic_pj.entry(e.component.clone()).or_default() += pj;
        if ev == SolverEvent::InvWrites {
            setup_pj += pj;
        }
        events.insert(ev.key(), k);
    }
    for (ev, k) in tile_ev.iter() {
        let e = t.entry(ev);
        let pj = k as f64 * t.energy_pj(ev, tile);
        *dynamic_pj.entry(e.component.clone()).or_default() += pj;
        setup_pj += (load_ev[ev] * sol.solves) as f64 * t.energy_pj(ev, tile);
        events.insert(ev.key(), k);
    }
    // Latency: the controller's cycles, each INV solve stretched past its settle cycles where the
    // table's INV latency exceeds them.
    let clk = t.clock_ns;
    let settle =
        (t.by_key(&SolverEvent::InvSolves.key()).latency_ns - inv.latency as f64 * clk).max(0.0);
    let latency_ns = sol.cycles as f64 * clk + sol.events[SolverEvent::InvSolves] as f64 * settle;
    let sq = (n * n) as u64;
    let setup_ns = (sol.solves * (2 * sq + 1 + if inv.taylor > 0 { sq } else { 0 })) as f64 * clk;
    let owned = |e: &super::table::Entry| match e.instances {
        Instances::Solver => 1,
        _ => CostTable::instances(e, tile),
    };
    let leak_mw: f64 = t
        .components
        .iter()
        .map(|e| e.leak_mw * owned(e) as f64)
        .sum();
    let leakage_pj = leak_mw * latency_ns;
    let mut area_um2: BTreeMap<String, f64> = BTreeMap::new();
    for e in &t.components {
        let a = e.area_um2 * owned(e) as f64;
        if a > 0.0 {
            *area_um2.entry(e.component.clone()).or_default() += a;
        }
    }
    let total_pj = dynamic_pj.values().sum::<f64>() + leakage_pj;
    let setup = Part {
        energy_pj: setup_pj + leak_mw * setup_ns,
        latency_ns: setup_ns,
    };
    let (per, iters) = (sol.solves.max(1) as f64, sol.iterations.max(1) as f64);
    let setup = Part {
        energy_pj: setup.energy_pj / per,
        latency_ns: setup.latency_ns / per,
    };
    SolveCost {
        table: t.name.clone(),
        n,
        solves: sol.solves,
        iterations: sol.iterations,
        cycles: sol.cycles,
        events,
        dynamic_pj,
        leakage_pj,
        total: Part {
            energy_pj: total_pj,
            latency_ns,
        },
        setup,
        per_iteration: Part {
            energy_pj: (total_pj - setup.energy_pj * per) / iters,
            latency_ns: (latency_ns - setup.latency_ns * per) / iters,
        },
        area_um2,
    }
}

/// What the digital solve of the same system cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DigitalCost {
    pub table: String,
    pub ops: BTreeMap<String, u64>,
    pub total: Part,
    /// Bits of its solution that agree with the float64 solution (relative to the largest
    /// entry).
    pub bits: f64,
}

/// Prices `ops` with `t`'s digital entries: the ALU operations one after another, the memory
/// accesses overlapped with them.
pub fn price_digital(t: &CostTable, ops: &DigitalOps) -> Part {
    let (mut pj, mut alu_ns, mut mem_ns) = (0.0, 0.0, 0.0);
    for op in DigitalOp::ALL {
        let e = t.by_key(&op.key());
        let k = ops[op] as f64;
        pj += k * e.energy_pj;
        match op {
            DigitalOp::MemoryAccesses => mem_ns += k * e.latency_ns,
            _ => alu_ns += k * e.latency_ns,
        }
    }
    Part {
        energy_pj: pj,
        latency_ns: f64::max(alu_ns, mem_ns),
    }
}

/// The digital solve of the integer system `(a, b)` (`n x n`): Gaussian elimination in 32-bit
/// floats, its accuracy against the float64 solution `reference`, and its cost.
pub fn digital_solve(
    t: &CostTable,
    a: &[i64],
    n: usize,
    b: &[i64],
    reference: Option<&[f64]>,
) -> DigitalCost {
    let af: Vec<f64> = a.iter().map(|&v| v as f64).collect();
    let bf: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    let (x, ops) = gaussian_elimination(&af, n, &bf);
    // As golden::solver::accuracy_bits counts them.
    let bits = reference.map_or(f64::NAN, |r| {
        let norm = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = x
            .iter()
            .zip(r)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        if err == 0.0 {
            52.0
        } else {
            (-(err / norm).log2()).min(52.0)
        }
    });
    DigitalCost {
        table: t.name.clone(),
        ops: DigitalOp::ALL.iter().map(|&o| (o.key(), ops[o])).collect(),
        total: price_digital(t, &ops),
        bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimforge_golden::solver::{random_system, refine_with, TileProducts};

    fn solver(taylor: u32) -> (usize, InvShape, TileShape) {
        let cfg = pimforge_gen::presets::solver(8, taylor)
            .validated()
            .unwrap();
        let d = pimforge_gen::design::Design::new(cfg, None);
        let (n, inv) = d.solver.clone().unwrap();
        (n, inv, d.shape)
    }

    #[test]
    fn a_solves_tile_events_are_what_its_tile_counted() {
        for taylor in [0, 1] {
            let (n, inv, tile) = solver(taylor);
            let (a, b) = random_system(n, 30.0, 16, 4);
            let mut products = TileProducts::new(&tile, n, inv.x_bits);
            let sol = refine_with(&a, n, &b, &inv, &mut products);
            let want = tile_events(&tile, n, taylor, sol.events[SolverEvent::ProductPasses]);
            let counted: Vec<u64> = products.tile.events.iter().map(|&c| c as u64).collect();
            assert_eq!(want.0.to_vec(), counted, "taylor {taylor}");
        }
    }

    #[test]
    fn each_solver_and_digital_entry_prices_a_known_count_as_computed_by_hand() {
        let (n, inv, tile) = solver(0);
        let t = CostTable::load("panther").unwrap();
        let sizes = Some((&inv, n));
        // pJ per event: PANTHER's constants at 8x8 INV cells, an 8-bit INV ADC, 100-bit X.
        let x = inv.x_bits as f64 / 16.0;
        let add = 0.373 * 32.0 / 45.0;
        let want = [
            (SolverEvent::InvWrites, 1.37983),
            (SolverEvent::InvDrives, 16.0 * 0.00350625),
            (SolverEvent::InvSolves, 309.0 * 64.0 / 16384.0),
            (SolverEvent::InvConversions, 1.8),
            (SolverEvent::ProductPasses, 0.0),
            (SolverEvent::PartialSums, add * x),
            (SolverEvent::SolutionUpdates, add * x),
            (SolverEvent::StopSteps, 2.0 * 0.795 * 32.0 / 45.0 * x),
        ];
        for (ev, pj) in want {
            let got = CostTable::scaled(t.by_key(&ev.key()), &tile, sizes);
            assert!((got - pj).abs() < 1e-9, "{ev:?}: {got} pJ, want {pj}");
        }
        let mut ops = DigitalOps::default();
        for (op, pj) in [
            (DigitalOp::Adds, 2.0 * add),
            (DigitalOp::Muls, 4.0 * 0.795 * 32.0 / 45.0),
            (DigitalOp::Divs, 4.0 * 1.52 * 32.0 / 45.0),
            (DigitalOp::MemoryAccesses, 2.0 * 0.16),
        ] {
            let mut one = DigitalOps::default();
            one[op] = 1000;
            ops[op] = 1000;
            let got = price_digital(&t, &one).energy_pj;
            assert!((got - 1000.0 * pj).abs() < 1e-6, "{op:?}: {got} pJ");
        }
        // ALU operations in sequence, memory beside them: 3000 ns.
        assert!((price_digital(&t, &ops).latency_ns - 3000.0).abs() < 1e-9);
    }

    #[test]
    fn a_solves_price_adds_up_and_splits_into_setup_and_iterations() {
        let (n, inv, tile) = solver(0);
        let t = CostTable::load("panther").unwrap();
        let (a, b) = random_system(n, 10.0, 16, 2);
        let mut products = TileProducts::new(&tile, n, inv.x_bits);
        let sol = refine_with(&a, n, &b, &inv, &mut products);
        let c = price_solve(&t, &tile, &inv, n, &sol);
        let parts: f64 = c.dynamic_pj.values().sum::<f64>() + c.leakage_pj;
        assert!((parts - c.total.energy_pj).abs() < 1e-9 * parts);
        assert_eq!(c.total.latency_ns, sol.cycles as f64);
        let k = sol.steps.len() as f64;
        let back = c.setup.energy_pj + k * c.per_iteration.energy_pj;
        assert!((back - c.total.energy_pj).abs() < 1e-6 * back);
        assert!(c.area_um2.contains_key("inv_adc") && c.area_um2.contains_key("adc"));
        assert_eq!(c.events["inv_solves"], sol.inv_ops as u64);
    }
}

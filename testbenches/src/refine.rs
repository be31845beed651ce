//! Lock-step runs of the refinement controller (`pim_refine`, with its INV crossbar) against
//! its golden cycle model (`golden::solver::RefineUnit`): every output compared on every cycle.

use crate::bench::Bench;
use crate::mismatch::Mismatch;
use anyhow::Result;
use pimforge_golden::num::{sext, to_raw};
use pimforge_golden::solver::{RefineIn, RefineUnit, Solve, SolverEvents, SOLVER_EVENTS};
use std::path::Path;

/// One solve of a run, as the RTL reported it.
#[derive(Clone, Debug)]
pub struct Solved {
    pub solve: Solve,
    /// `X` as read from the RTL (units `2^-x_frac`).
    pub x: Vec<i128>,
    /// The solve's cost events as read from the RTL (`ev_o`).
    pub events: SolverEvents,
    pub busy_cycles: u64,
}

/// The solves of a passing run and its cycle count, or the first mismatch.
pub type RefineRun = std::result::Result<(Vec<Solved>, u64), Box<Mismatch>>;

/// Solves every `(A, b)` of `systems` on the RTL in lock-step with `model` (fresh, idle).
pub fn run_refine(
    library: &Path,
    model: RefineUnit,
    systems: &[(Vec<i64>, Vec<i64>)],
    seed: u64,
    replay: &str,
) -> Result<RefineRun> {
    let (n, a_bits, x_bits) = (model.n, model.shape.a_bits, model.shape.x_bits);
    let mut bench = Bench::load(library, model, seed, replay)?;
    let mut solved = Vec::new();
    for (k, (a, b)) in systems.iter().enumerate() {
        // One cycle; a mismatch names the system and how far its solve had come.
        let go = |bench: &mut Bench<RefineUnit>, inp: RefineIn| {
            bench.step(&inp, |m: &RefineUnit| {
                vec![format!(
                    "system {k} of the run: {:?}",
                    m.result().map(|r| (r.status, r.steps.len(), r.cycles))
                )]
            })
        };
        for (i, &v) in a.iter().enumerate() {
            let inp = RefineIn {
                a_we: true,
                a_row: i / n,
                a_col: i % n,
                a_data: to_raw(v as i128, a_bits) as u64,
                rd_idx: i % n,
                ..RefineIn::default()
            };
            if let Err(m) = go(&mut bench, inp)? {
                return Ok(Err(m));
            }
        }
        for (i, &v) in b.iter().enumerate() {
            let inp = RefineIn {
                b_we: true,
                b_idx: i,
                b_data: to_raw(v as i128, a_bits) as u64,
                ..RefineIn::default()
            };
            if let Err(m) = go(&mut bench, inp)? {
                return Ok(Err(m));
            }
        }
        let start = RefineIn {
            start: true,
            ..RefineIn::default()
        };
        if let Err(m) = go(&mut bench, start)? {
            return Ok(Err(m));
        }
        let mut busy_cycles = 0;
        loop {
            // Every event index is compared while busy too (ev_o is zero then).
            let wait = RefineIn {
                ev_idx: busy_cycles as usize % SOLVER_EVENTS,
                ..RefineIn::default()
            };
            match go(&mut bench, wait)? {
                Ok(o) if o.busy => busy_cycles += 1,
                Ok(_) => break,
                Err(m) => return Ok(Err(m)),
            }
        }
        let mut x = Vec::with_capacity(n);
        for i in 0..n {
            let read = RefineIn {
                rd_idx: i,
                ..RefineIn::default()
            };
            match go(&mut bench, read)? {
                Ok(o) => x.push(sext(o.x, x_bits)),
                Err(m) => return Ok(Err(m)),
            }
        }
        let mut events = SolverEvents::default();
        for e in 0..SOLVER_EVENTS {
            let read = RefineIn {
                ev_idx: e,
                ..RefineIn::default()
            };
            match go(&mut bench, read)? {
                Ok(o) => events.0[e] = o.ev,
                Err(m) => return Ok(Err(m)),
            }
        }
        solved.push(Solved {
            solve: bench.model.result().expect("a solve ran").clone(),
            x,
            events,
            busy_cycles,
        });
    }
    Ok(Ok((solved, bench.cycle)))
}

//! Lock-step runs of the refinement controller (`pim_refine`, with its INV crossbar) against
//! its golden cycle model (`golden::solver::RefineUnit`): every output compared on every cycle.

use crate::lockstep::Mismatch;
use crate::unit::UnitBench;
use crate::verilate::PortSpec;
use anyhow::Result;
use pimforge_golden::num::{clog2, sext, to_raw};
use pimforge_golden::solver::{residual_bits, RefineIn, RefineOut, RefineUnit, Solve};
use std::path::Path;

pub fn refine_ports(n: usize, a_bits: u32, x_bits: u32) -> Vec<PortSpec> {
    let idx = clog2(n as u64).max(1);
    let port = |name: &str, width, output| PortSpec {
        name: name.into(),
        width,
        output,
    };
    vec![
        port("clk_i", 1, false),
        port("rst_ni", 1, false),
        port("a_we_i", 1, false),
        port("a_row_i", idx, false),
        port("a_col_i", idx, false),
        port("a_data_i", a_bits, false),
        port("b_we_i", 1, false),
        port("b_idx_i", idx, false),
        port("b_data_i", a_bits, false),
        port("start_i", 1, false),
        port("rd_idx_i", idx, false),
        port("busy_o", 1, true),
        port("status_o", 2, true),
        port("iters_o", 8, true),
        port("x_o", x_bits, true),
        port("residual_o", residual_bits(n, a_bits, x_bits), true),
    ]
}

/// One solve of a run, as the RTL reported it.
#[derive(Clone, Debug)]
pub struct Solved {
    pub solve: Solve,
    /// `X` as read from the RTL (units `2^-x_frac`).
    pub x: Vec<i128>,
    pub busy_cycles: u64,
}

/// The solves of a passing run and its cycle count, or the first mismatch.
pub type RefineRun = std::result::Result<(Vec<Solved>, u64), Box<Mismatch>>;

fn values(i: &RefineIn) -> [u128; 9] {
    [
        i.a_we as u128,
        i.a_row as u128,
        i.a_col as u128,
        i.a_data as u128,
        i.b_we as u128,
        i.b_idx as u128,
        i.b_data as u128,
        i.start as u128,
        i.rd_idx as u128,
    ]
}

/// One cycle of the controller and its model.
fn step(
    bench: &mut UnitBench,
    model: &mut RefineUnit,
    system: usize,
    inp: RefineIn,
) -> std::result::Result<RefineOut, Box<Mismatch>> {
    let exp = model.outputs(&inp);
    let want = [
        exp.busy as u128,
        exp.status as u128,
        exp.iters as u128,
        exp.x,
        exp.residual,
    ];
    bench.cycle(&values(&inp), &want, || {
        format!(
            "system {system} of the run: {:?}",
            model.result().map(|r| (r.status, r.steps.len(), r.cycles))
        )
    })?;
    model.clock(&inp);
    Ok(exp)
}

/// Solves every `(A, b)` of `systems` on the RTL in lock-step with `model` (fresh, idle).
pub fn run_refine(
    library: &Path,
    mut model: RefineUnit,
    systems: &[(Vec<i64>, Vec<i64>)],
    seed: u64,
    replay: &str,
) -> Result<RefineRun> {
    let (n, a_bits, x_bits) = (model.n, model.shape.a_bits, model.x_bits);
    let mut bench = UnitBench::load(library, &refine_ports(n, a_bits, x_bits), seed, replay)?;
    let mut solved = Vec::new();
    for (k, (a, b)) in systems.iter().enumerate() {
        let go = |bench: &mut UnitBench, model: &mut RefineUnit, inp| step(bench, model, k, inp);
        for (i, &v) in a.iter().enumerate() {
            let inp = RefineIn {
                a_we: true,
                a_row: i / n,
                a_col: i % n,
                a_data: to_raw(v as i128, a_bits) as u64,
                rd_idx: i % n,
                ..RefineIn::default()
            };
            if let Err(m) = go(&mut bench, &mut model, inp) {
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
            if let Err(m) = go(&mut bench, &mut model, inp) {
                return Ok(Err(m));
            }
        }
        let start = RefineIn {
            start: true,
            ..RefineIn::default()
        };
        if let Err(m) = go(&mut bench, &mut model, start) {
            return Ok(Err(m));
        }
        let mut busy_cycles = 0;
        loop {
            match go(&mut bench, &mut model, RefineIn::default()) {
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
            match go(&mut bench, &mut model, read) {
                Ok(o) => x.push(sext(o.x, x_bits)),
                Err(m) => return Ok(Err(m)),
            }
        }
        solved.push(Solved {
            solve: model.result().expect("a solve ran").clone(),
            x,
            busy_cycles,
        });
    }
    Ok(Ok((solved, bench.cycle)))
}

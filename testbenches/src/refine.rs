//! Lock-step runs of the refinement controller (`pim_refine`, with its INV crossbar) against
//! its golden cycle model (`golden::inv::RefineUnit`): every output compared on every cycle.

use crate::dut::Dut;
use crate::lockstep::{Cause, Mismatch};
use crate::verilate::PortSpec;
use anyhow::Result;
use pimforge_golden::inv::{RefineIn, RefineOut, RefineUnit, Solve};
use pimforge_golden::num::{clog2, sext, to_raw};
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

/// Solves every `(A, b)` of `systems` on the RTL in lock-step with `model` (fresh, idle).
pub fn run_refine(
    library: &Path,
    mut model: RefineUnit,
    systems: &[(Vec<i64>, Vec<i64>)],
    seed: u64,
    replay: &str,
) -> Result<RefineRun> {
    let (n, a_bits, x_bits) = (model.n, model.shape.a_bits, model.x_bits);
    let ports = refine_ports(n, a_bits, x_bits);
    let mut dut = Dut::load(library, &ports, false)?;
    let pin = |name: &str| dut.port(name);
    let (clk, rst) = (pin("clk_i"), pin("rst_ni"));
    let ins = [
        pin("a_we_i"),
        pin("a_row_i"),
        pin("a_col_i"),
        pin("a_data_i"),
        pin("b_we_i"),
        pin("b_idx_i"),
        pin("b_data_i"),
        pin("start_i"),
        pin("rd_idx_i"),
    ];
    let outs = [pin("busy_o"), pin("status_o"), pin("iters_o"), pin("x_o")];
    rst.set(0);
    clk.set(0);
    dut.eval();
    clk.set(1);
    dut.eval();
    clk.set(0);
    rst.set(1);
    dut.eval();
    let mut cycle = 0u64;
    let current = std::cell::Cell::new(0usize);
    let mut step = |dut: &mut Dut,
                    model: &mut RefineUnit,
                    inp: RefineIn|
     -> std::result::Result<RefineOut, Box<Mismatch>> {
        let v = [
            inp.a_we as u128,
            inp.a_row as u128,
            inp.a_col as u128,
            inp.a_data as u128,
            inp.b_we as u128,
            inp.b_idx as u128,
            inp.b_data as u128,
            inp.start as u128,
            inp.rd_idx as u128,
        ];
        for (port, val) in ins.iter().zip(v) {
            port.set(val);
        }
        clk.set(0);
        dut.eval();
        let exp = model.outputs(&inp);
        let want = [
            exp.busy as u128,
            exp.status as u128,
            exp.iters as u128,
            exp.x,
        ];
        for ((port, e), name) in outs
            .iter()
            .zip(want)
            .zip(["busy_o", "status_o", "iters_o", "x_o"])
        {
            let a = port.get();
            if a != e {
                return Err(Box::new(Mismatch {
                    cause: Cause::Port,
                    cycle,
                    signal: name.into(),
                    expected: e,
                    actual: a,
                    in_flight: vec![format!(
                        "system {} of the run: {:?}",
                        current.get(),
                        model.result().map(|r| (r.status, r.steps.len(), r.cycles))
                    )],
                    seed,
                    replay: replay.into(),
                    waves: None,
                }));
            }
        }
        clk.set(1);
        dut.eval();
        model.clock(&inp);
        cycle += 1;
        Ok(exp)
    };
    let mut solved = Vec::new();
    for (k, (a, b)) in systems.iter().enumerate() {
        current.set(k);
        for (i, &v) in a.iter().enumerate() {
            let inp = RefineIn {
                a_we: true,
                a_row: i / n,
                a_col: i % n,
                a_data: to_raw(v as i128, a_bits) as u64,
                rd_idx: i % n,
                ..RefineIn::default()
            };
            if let Err(m) = step(&mut dut, &mut model, inp) {
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
            if let Err(m) = step(&mut dut, &mut model, inp) {
                return Ok(Err(m));
            }
        }
        let start = RefineIn {
            start: true,
            ..RefineIn::default()
        };
        if let Err(m) = step(&mut dut, &mut model, start) {
            return Ok(Err(m));
        }
        let mut busy_cycles = 0;
        loop {
            match step(&mut dut, &mut model, RefineIn::default()) {
                Ok(o) if o.busy => busy_cycles += 1,
                Ok(_) => break,
                Err(m) => return Ok(Err(m)),
            }
        }
        let mut x = Vec::with_capacity(n);
        for i in 0..n {
            let o = match step(
                &mut dut,
                &mut model,
                RefineIn {
                    rd_idx: i,
                    ..RefineIn::default()
                },
            ) {
                Ok(o) => o,
                Err(m) => return Ok(Err(m)),
            };
            x.push(sext(o.x, x_bits));
        }
        solved.push(Solved {
            solve: model.result().expect("a solve ran").clone(),
            x,
            busy_cycles,
        });
    }
    Ok(Ok((solved, cycle)))
}

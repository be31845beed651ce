//! Lock-step runs of the INV crossbar (`pim_inv`) against its golden cycle model
//! (`golden::solver::InvUnit`): every output compared on every cycle, and every solve's codes also
//! checked against the functional INV model (`golden::solver::inv`).

use crate::lockstep::{Cause, Mismatch};
use crate::unit::UnitBench;
use crate::verilate::PortSpec;
use anyhow::Result;
use pimforge_golden::num::{clog2, to_raw};
use pimforge_golden::solver::{inv, InvIn, InvOut, InvUnit, Split};
use std::path::Path;

/// The unit's geometry.
#[derive(Clone, Copy, Debug)]
pub struct InvParams {
    pub n: usize,
    pub h_bits: u32,
    pub in_bits: u32,
    pub out_bits: u32,
    pub latency: u32,
}

pub fn inv_ports(p: &InvParams) -> Vec<PortSpec> {
    let idx = clog2(p.n as u64).max(1);
    let port = |name: &str, width, output| PortSpec {
        name: name.into(),
        width,
        output,
    };
    vec![
        port("clk_i", 1, false),
        port("rst_ni", 1, false),
        port("prog_we_i", 1, false),
        port("prog_row_i", idx, false),
        port("prog_col_i", idx, false),
        port("prog_level_i", p.h_bits, false),
        port("r_we_i", 1, false),
        port("r_idx_i", idx, false),
        port("r_data_i", p.in_bits, false),
        port("start_i", 1, false),
        port("diag_shift_i", DIAG_SHIFT_BITS, false),
        port("rd_idx_i", idx, false),
        port("busy_o", 1, true),
        port("singular_o", 1, true),
        port("k_o", 16, true),
        port("code_o", p.out_bits, true),
    ]
}

/// Width of `pim_inv`'s `diag_shift_i` (the diagonal's gain `dsh`).
pub const DIAG_SHIFT_BITS: u32 = 5;

/// One system: the levels of `A_h`, the diagonal's gain, and the input vectors to solve with
/// them.
pub struct InvJob {
    pub ah: Vec<i64>,
    pub dsh: u32,
    pub inputs: Vec<Vec<i64>>,
}

/// What a passing run checked.
#[derive(Clone, Debug, Default)]
pub struct InvSummary {
    pub cycles: u64,
    pub solves: u64,
    pub singular: u64,
    pub codes_checked: u64,
}

fn values(i: &InvIn) -> [u128; 10] {
    [
        i.prog_we as u128,
        i.prog_row as u128,
        i.prog_col as u128,
        i.prog_level as u128,
        i.r_we as u128,
        i.r_idx as u128,
        i.r_data as u128,
        i.start as u128,
        i.diag_shift as u128,
        i.rd_idx as u128,
    ]
}

/// One cycle of the unit and its model.
fn step(
    bench: &mut UnitBench,
    model: &mut InvUnit,
    solves: u64,
    inp: InvIn,
) -> std::result::Result<InvOut, Box<Mismatch>> {
    let exp = model.outputs(&inp);
    let want = [
        exp.busy as u128,
        exp.singular as u128,
        exp.k as u128,
        exp.code as u128,
    ];
    bench.cycle(&values(&inp), &want, || {
        format!("solve {solves} of the run")
    })?;
    model.clock(&inp);
    Ok(exp)
}

/// Runs `jobs` through the unit in lock-step.
pub fn run_inv(
    library: &Path,
    p: &InvParams,
    jobs: &[InvJob],
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<InvSummary, Box<Mismatch>>> {
    let mut bench = UnitBench::load(library, &inv_ports(p), seed, replay)?;
    let mut model = InvUnit::new(p.n, p.h_bits, p.in_bits, p.out_bits, p.latency);
    let mut sum = InvSummary::default();
    let mut rd = 0usize;
    macro_rules! cycle {
        ($inp:expr) => {
            match step(&mut bench, &mut model, sum.solves, $inp) {
                Ok(o) => o,
                Err(m) => return Ok(Err(m)),
            }
        };
    }
    for job in jobs {
        for (i, &level) in job.ah.iter().enumerate() {
            cycle!(InvIn {
                prog_we: true,
                prog_row: i / p.n,
                prog_col: i % p.n,
                prog_level: to_raw(level as i128, p.h_bits) as u64,
                rd_idx: rd % p.n,
                ..InvIn::default()
            });
            rd += 1;
        }
        let split = Split {
            n: p.n,
            ah: job.ah.clone(),
            sh: 0,
            dsh: job.dsh,
            al: vec![0; p.n * p.n],
        };
        for r in &job.inputs {
            for (i, &v) in r.iter().enumerate() {
                cycle!(InvIn {
                    r_we: true,
                    r_idx: i,
                    r_data: to_raw(v as i128, p.in_bits) as u64,
                    rd_idx: rd % p.n,
                    ..InvIn::default()
                });
                rd += 1;
            }
            cycle!(InvIn {
                start: true,
                diag_shift: job.dsh as u64,
                ..InvIn::default()
            });
            for _ in 0..p.latency {
                cycle!(InvIn::default());
            }
            // Read every code and check it against the functional model.
            let want = inv(&split, r, p.out_bits);
            sum.solves += 1;
            for i in 0..p.n {
                let o = cycle!(InvIn {
                    rd_idx: i,
                    ..InvIn::default()
                });
                let (code, k, singular) = match &want {
                    Some((c, k)) => (to_raw(c[i] as i128, p.out_bits) as u64, *k, false),
                    None => (0, 0, true),
                };
                let expect = (code, to_raw(k as i128, 16) as u64, singular);
                if (o.code, o.k, o.singular) != expect {
                    return Ok(Err(Box::new(Mismatch {
                        cause: Cause::Scoreboard,
                        cycle: bench.cycle,
                        signal: format!("code_o[{i}], k_o, singular_o"),
                        expected: expect.0 as u128,
                        actual: o.code as u128,
                        in_flight: vec![format!(
                            "solve {}: expected k {} singular {}, got k {:#x} singular {}",
                            sum.solves, k, singular, o.k, o.singular
                        )],
                        seed,
                        replay: replay.into(),
                        waves: None,
                    })));
                }
                sum.codes_checked += 1;
            }
            sum.singular += want.is_none() as u64;
        }
    }
    sum.cycles = bench.cycle;
    Ok(Ok(sum))
}

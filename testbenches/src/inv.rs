//! Lock-step runs of the INV crossbar (`pim_inv`) against its golden cycle model
//! (`golden::inv::InvUnit`): every output compared on every cycle, and every solve's codes also
//! checked against the functional INV model (`golden::inv::inv`).

use crate::dut::Dut;
use crate::lockstep::{Cause, Mismatch};
use crate::verilate::PortSpec;
use anyhow::Result;
use pimforge_golden::inv::{inv, InvIn, InvUnit, Split};
use pimforge_golden::num::{clog2, to_raw};
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
        port("rd_idx_i", idx, false),
        port("busy_o", 1, true),
        port("singular_o", 1, true),
        port("k_o", 16, true),
        port("code_o", p.out_bits, true),
    ]
}

/// One system: the levels of `A_h` and the input vectors to solve with them.
pub struct InvJob {
    pub ah: Vec<i64>,
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

/// Runs `jobs` through the unit in lock-step.
pub fn run_inv(
    library: &Path,
    p: &InvParams,
    jobs: &[InvJob],
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<InvSummary, Box<Mismatch>>> {
    let ports = inv_ports(p);
    let mut dut = Dut::load(library, &ports, false)?;
    let pin = |n: &str| dut.port(n);
    let (clk, rst) = (pin("clk_i"), pin("rst_ni"));
    let ins = [
        pin("prog_we_i"),
        pin("prog_row_i"),
        pin("prog_col_i"),
        pin("prog_level_i"),
        pin("r_we_i"),
        pin("r_idx_i"),
        pin("r_data_i"),
        pin("start_i"),
        pin("rd_idx_i"),
    ];
    let outs = [pin("busy_o"), pin("singular_o"), pin("k_o"), pin("code_o")];
    rst.set(0);
    clk.set(0);
    dut.eval();
    clk.set(1);
    dut.eval();
    clk.set(0);
    rst.set(1);
    dut.eval();
    let mut model = InvUnit::new(p.n, p.h_bits, p.in_bits, p.out_bits, p.latency);
    let mut sum = InvSummary::default();
    let mut rd = 0usize;
    let step = |dut: &mut Dut,
                model: &mut InvUnit,
                sum: &mut InvSummary,
                inp: InvIn|
     -> std::result::Result<pimforge_golden::inv::InvOut, Box<Mismatch>> {
        let v = [
            inp.prog_we as u128,
            inp.prog_row as u128,
            inp.prog_col as u128,
            inp.prog_level as u128,
            inp.r_we as u128,
            inp.r_idx as u128,
            inp.r_data as u128,
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
            exp.singular as u128,
            exp.k as u128,
            exp.code as u128,
        ];
        for ((port, e), name) in
            outs.iter()
                .zip(want)
                .zip(["busy_o", "singular_o", "k_o", "code_o"])
        {
            let a = port.get();
            if a != e {
                return Err(Box::new(Mismatch {
                    cause: Cause::Port,
                    cycle: sum.cycles,
                    signal: name.into(),
                    expected: e,
                    actual: a,
                    in_flight: vec![format!("solve {} of the run", sum.solves)],
                    seed,
                    replay: replay.into(),
                    waves: None,
                }));
            }
        }
        clk.set(1);
        dut.eval();
        model.clock(&inp);
        sum.cycles += 1;
        Ok(exp)
    };
    for job in jobs {
        for (i, &level) in job.ah.iter().enumerate() {
            let inp = InvIn {
                prog_we: true,
                prog_row: i / p.n,
                prog_col: i % p.n,
                prog_level: to_raw(level as i128, p.h_bits) as u64,
                rd_idx: rd % p.n,
                ..InvIn::default()
            };
            rd += 1;
            if let Err(m) = step(&mut dut, &mut model, &mut sum, inp) {
                return Ok(Err(m));
            }
        }
        let split = Split {
            n: p.n,
            ah: job.ah.clone(),
            sh: 0,
            al: vec![0; p.n * p.n],
        };
        for r in &job.inputs {
            for (i, &v) in r.iter().enumerate() {
                let inp = InvIn {
                    r_we: true,
                    r_idx: i,
                    r_data: to_raw(v as i128, p.in_bits) as u64,
                    rd_idx: rd % p.n,
                    ..InvIn::default()
                };
                rd += 1;
                if let Err(m) = step(&mut dut, &mut model, &mut sum, inp) {
                    return Ok(Err(m));
                }
            }
            let start = InvIn {
                start: true,
                ..InvIn::default()
            };
            if let Err(m) = step(&mut dut, &mut model, &mut sum, start) {
                return Ok(Err(m));
            }
            for _ in 0..p.latency {
                if let Err(m) = step(&mut dut, &mut model, &mut sum, InvIn::default()) {
                    return Ok(Err(m));
                }
            }
            // Read every code and check it against the functional model.
            let want = inv(&split, r, p.out_bits);
            sum.solves += 1;
            for i in 0..p.n {
                let o = match step(
                    &mut dut,
                    &mut model,
                    &mut sum,
                    InvIn {
                        rd_idx: i,
                        ..InvIn::default()
                    },
                ) {
                    Ok(o) => o,
                    Err(m) => return Ok(Err(m)),
                };
                let (code, k, singular) = match &want {
                    Some((c, k)) => (to_raw(c[i] as i128, p.out_bits) as u64, *k, false),
                    None => (0, 0, true),
                };
                let expect = (code, to_raw(k as i128, 16) as u64, singular);
                if (o.code, o.k, o.singular) != expect {
                    return Ok(Err(Box::new(Mismatch {
                        cause: Cause::Scoreboard,
                        cycle: sum.cycles,
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
    Ok(Ok(sum))
}

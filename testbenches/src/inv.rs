//! Lock-step runs of the INV crossbar (`pim_inv`) against its golden cycle model
//! (`golden::solver::InvUnit`): every output compared on every cycle, and every solve's codes also
//! checked against the functional INV model (`golden::solver::inv`).

use crate::bench::Bench;
use crate::mismatch::{Cause, Mismatch};
use anyhow::Result;
use pimforge_golden::num::to_raw;
use pimforge_golden::protocol::EXP_BITS;
use pimforge_golden::solver::{inv, InvIn, InvUnit, Split};
use std::path::Path;

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

/// Runs `jobs` through the unit in lock-step with `model` (fresh, idle).
pub fn run_inv(
    library: &Path,
    model: InvUnit,
    jobs: &[InvJob],
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<InvSummary, Box<Mismatch>>> {
    let (n, h_bits, in_bits, out_bits, latency) = (
        model.split.n,
        model.h_bits,
        model.in_bits,
        model.out_bits,
        model.latency,
    );
    let mut bench = Bench::load(library, model, seed, replay)?;
    let mut sum = InvSummary::default();
    let mut rd = 0usize;
    macro_rules! cycle {
        ($inp:expr) => {{
            let solves = sum.solves;
            match bench.step(&$inp, |_| vec![format!("solve {solves} of the run")])? {
                Ok(o) => o,
                Err(m) => return Ok(Err(m)),
            }
        }};
    }
    for job in jobs {
        for (i, &level) in job.ah.iter().enumerate() {
            cycle!(InvIn {
                prog_we: true,
                prog_row: i / n,
                prog_col: i % n,
                prog_level: to_raw(level as i128, h_bits) as u64,
                rd_idx: rd % n,
                ..InvIn::default()
            });
            rd += 1;
        }
        let split = Split {
            n,
            ah: job.ah.clone(),
            sh: 0,
            dsh: job.dsh,
            al: vec![0; n * n],
        };
        for r in &job.inputs {
            for (i, &v) in r.iter().enumerate() {
                cycle!(InvIn {
                    r_we: true,
                    r_idx: i,
                    r_data: to_raw(v as i128, in_bits) as u64,
                    rd_idx: rd % n,
                    ..InvIn::default()
                });
                rd += 1;
            }
            cycle!(InvIn {
                start: true,
                diag_shift: job.dsh as u64,
                ..InvIn::default()
            });
            for _ in 0..latency {
                cycle!(InvIn::default());
            }
            // Read every code and check it against the functional model.
            let want = inv(&split, r, out_bits);
            sum.solves += 1;
            for i in 0..n {
                let o = cycle!(InvIn {
                    rd_idx: i,
                    ..InvIn::default()
                });
                let (code, k, singular) = match &want {
                    Some((c, k)) => (to_raw(c[i] as i128, out_bits) as u64, *k, false),
                    None => (0, 0, true),
                };
                let expect = (code, to_raw(k as i128, EXP_BITS) as u64, singular);
                if (o.code, o.k, o.singular) != expect {
                    return Ok(Err(bench.mismatch(
                        bench.cycle - 1,
                        Cause::Scoreboard,
                        &format!("code_o[{i}], k_o, singular_o"),
                        expect.0 as u128,
                        o.code as u128,
                        vec![format!(
                            "solve {}: expected k {} singular {}, got k {:#x} singular {}",
                            sum.solves, k, singular, o.k, o.singular
                        )],
                    )));
                }
                sum.codes_checked += 1;
            }
            sum.singular += want.is_none() as u64;
        }
    }
    sum.cycles = bench.cycle;
    Ok(Ok(sum))
}

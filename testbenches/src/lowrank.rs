//! Lock-step runs of SBPCA's low-rank unit (`pim_lowrank`) against its golden cycle model
//! (`golden::lowrank::unit::LowRankUnit`): every output compared on every cycle, and every entry
//! of `X` and `D` read back (and so compared) after every command.

use crate::bench::Bench;
use crate::mismatch::Mismatch;
use anyhow::Result;
use pimforge_golden::lowrank::fixed::FixedCounts;
use pimforge_golden::lowrank::unit::{LowRankIn, LowRankUnit};
use pimforge_golden::num::to_raw;
use std::path::Path;

/// One host transaction of the unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Txn {
    /// Write entry `(side, pair, idx)` of `X` (side false) or `D` (true).
    Set {
        side: bool,
        pair: usize,
        idx: usize,
        value: i64,
    },
    /// Write a sample and absorb it.
    Absorb { x: Vec<i64>, d: Vec<i64> },
    /// The batch's last re-orthogonalisation.
    Finish,
    /// The warm start of the next batch.
    Warm,
}

/// What a passing run checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowRankRun {
    pub cycles: u64,
    /// Commands (`ABSORB`, `FINISH`, `WARM`) and their busy cycles, in order.
    pub busy: Vec<(&'static str, u64)>,
    /// Entries of `X` and `D` read back and compared.
    pub reads: u64,
    /// What the unit counted (samples, saturated adds, replaced vectors), as its counters read.
    pub counts: FixedCounts,
}

/// Runs `txns` on the unit in lock-step with `model` (after reset).
pub fn run_lowrank(
    library: &Path,
    model: LowRankUnit,
    txns: &[Txn],
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<LowRankRun, Box<Mismatch>>> {
    let s = *model.shape();
    let mut bench = Bench::load(library, model, seed, replay)?;
    let mut run = LowRankRun::default();
    for (k, t) in txns.iter().enumerate() {
        let go = |bench: &mut Bench<LowRankUnit>, inp: LowRankIn| {
            bench.step(&inp, |m: &LowRankUnit| {
                vec![format!(
                    "transaction {k} of the run ({t:?}); the unit's samples: {} in the batch, {} in all",
                    m.est.samples, m.est.counts.samples
                )
                .chars()
                .take(300)
                .collect()]
            })
        };
        let command = |inp: LowRankIn, name: &'static str, bench: &mut Bench<LowRankUnit>| {
            if let Err(m) = go(bench, inp)? {
                return Ok::<_, anyhow::Error>(Err(m));
            }
            let mut busy = 0;
            loop {
                let wait = LowRankIn {
                    rd_idx: busy as usize % s.inputs.max(s.outputs),
                    ..LowRankIn::default()
                };
                match go(bench, wait)? {
                    Ok(o) if o.busy => busy += 1,
                    Ok(_) => break,
                    Err(m) => return Ok(Err(m)),
                }
            }
            Ok(Ok((name, busy)))
        };
        let done = match t {
            Txn::Set {
                side,
                pair,
                idx,
                value,
            } => go(
                &mut bench,
                LowRankIn {
                    st_we: true,
                    rd_side: *side,
                    rd_pair: *pair,
                    rd_idx: *idx,
                    st_data: to_raw(*value as i128, s.acc_bits()),
                    ..LowRankIn::default()
                },
            )?
            .map(|_| None),
            Txn::Absorb { x, d } => {
                let n = x.len().max(d.len());
                let mut failed = None;
                for i in 0..n {
                    let inp = LowRankIn {
                        x_we: i < x.len(),
                        d_we: i < d.len(),
                        idx: i,
                        // One port for both: x's and d's widths differ, so they take turns.
                        data: 0,
                        ..LowRankIn::default()
                    };
                    for (we_x, v) in [(true, x.get(i)), (false, d.get(i))] {
                        let Some(v) = v else { continue };
                        let bits = if we_x { s.x_bits } else { s.d_bits };
                        let one = LowRankIn {
                            x_we: we_x,
                            d_we: !we_x,
                            data: to_raw(*v as i128, bits) as u64,
                            ..inp
                        };
                        if let Err(m) = go(&mut bench, one)? {
                            failed = Some(m);
                            break;
                        }
                    }
                    if failed.is_some() {
                        break;
                    }
                }
                match failed {
                    Some(m) => Err(m),
                    None => command(
                        LowRankIn {
                            absorb: true,
                            ..LowRankIn::default()
                        },
                        "ABSORB",
                        &mut bench,
                    )?
                    .map(Some),
                }
            }
            Txn::Finish => command(
                LowRankIn {
                    finish: true,
                    ..LowRankIn::default()
                },
                "FINISH",
                &mut bench,
            )?
            .map(Some),
            Txn::Warm => command(
                LowRankIn {
                    warm: true,
                    ..LowRankIn::default()
                },
                "WARM",
                &mut bench,
            )?
            .map(Some),
        };
        match done {
            Err(m) => return Ok(Err(m)),
            Ok(None) => continue,
            Ok(Some(b)) => run.busy.push(b),
        }
        // Every entry read back.
        for (side, n) in [(false, s.inputs), (true, s.outputs)] {
            for pair in 0..s.k {
                for idx in 0..n {
                    let read = LowRankIn {
                        rd_side: side,
                        rd_pair: pair,
                        rd_idx: idx,
                        ..LowRankIn::default()
                    };
                    if let Err(m) = go(&mut bench, read)? {
                        return Ok(Err(m));
                    }
                    run.reads += 1;
                }
            }
        }
    }
    run.cycles = bench.cycle;
    run.counts = bench.model.est.counts;
    Ok(Ok(run))
}

//! `pimforge sbpca`: the SBPCA study. The digits MLP trained with low-rank batch updates over
//! batch sizes and ranks, beside per-sample OPA and float64 mini-batch SGD; test accuracy,
//! array writes and device pulses in a table, a JSON report and a plot.

use super::flags::{count, positive};
use super::study_args::StudyArgs;
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::sbpca_study::{run as study, SbpcaStudy};
use pimforge_studies::train::lowrank::Arith;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SbpcaArgs {
    /// Samples per batch (powers of two, 1..=1024, for the fixed-point estimate).
    #[arg(long, value_delimiter = ',', default_value = "16,64,128",
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub batches: Vec<usize>,
    /// Ranks of the estimates (1..=32).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4",
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=32))]
    pub ranks: Vec<usize>,
    /// Seeds (initial weights, sample order, rounding) averaged per setting.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4")]
    pub seeds: Vec<u64>,
    /// Per-sample learning rates tried for every method (finite, above 0); mini-batch SGD steps
    /// at `lr * batch` on the mean gradient.
    #[arg(long, value_delimiter = ',', default_value = "0.0025,0.005,0.01,0.02", value_parser = positive)]
    pub lrs: Vec<f64>,
    /// Epochs (1..=10000).
    #[arg(long, default_value_t = 50,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub epochs: usize,
    /// The estimate's arithmetic: `fixed` (the hardware's) or `float` (the float64 reference).
    #[arg(long, value_enum, default_value_t = Arith::Fixed)]
    pub arith: Arith,
    /// Also train SBPCA with the estimates in the tiles' low-rank units (the hardware's terms:
    /// power-of-two rows, columns rounded from the unit's LFSR), beside the host's.
    #[arg(long)]
    pub in_tiles: bool,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Report directory (report.json, table.md, sbpca.png), rewritten after every run.
    #[arg(long, default_value = "build/sbpca")]
    pub out: PathBuf,
}

pub fn run(a: &SbpcaArgs, dry: bool) -> Result<()> {
    let jobs = a.study.jobs();
    for &b in &a.batches {
        pimforge_studies::train::lowrank::check(a.arith, b, None)
            .map_err(|e| anyhow::anyhow!("--batches: {e}"))?;
    }
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        pimforge_studies::train::digits::load(a.study.data.as_deref())?;
        say!(
            "pimforge: dry run: would train batches {:?} x ranks {:?} x rates {:?} x seeds {:?} ({}) on {} and write {}",
            a.batches,
            a.ranks,
            a.lrs,
            a.seeds,
            count(a.epochs, "epoch"),
            count(jobs, "thread"),
            a.out.display()
        );
        return Ok(());
    }
    let text = study(
        &SbpcaStudy {
            batches: a.batches.clone(),
            ranks: a.ranks.clone(),
            seeds: a.seeds.clone(),
            lrs: a.lrs.clone(),
            epochs: a.epochs,
            arith: a.arith,
            train_limit: a.study.train_limit,
            test_limit: a.study.test_limit,
            jobs,
            data: a.study.data.clone(),
            out: a.out.clone(),
            in_tiles: a.in_tiles,
        },
        &|done, total, p| {
            warn!(
                "pimforge sbpca: {done}/{total} runs done ({} lr {} seed {}: {:.2}% in {:.1} s)",
                p.method,
                p.lr,
                p.seed,
                100.0 * p.final_accuracy,
                p.seconds
            )
        },
    )?;
    say_raw!("{text}");
    say!("pimforge: wrote {}", a.out.display());
    Ok(())
}

//! `pimforge kfac`: second-order (K-FAC) training of the digits MLP's output layer with the
//! factors inverted by INV-crossbar refinement, against SGD, in steps to a test accuracy.

use super::cost_args::CostArgs;
use super::flags::{fraction, positive};
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::kfac_study::{run as study, KfacStudy};
use pimforge_studies::train::digits::TRAIN_ROWS;
use pimforge_studies::train::kfac::Layers;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct KfacArgs {
    /// Samples per mini-batch (1..=1347, the training split).
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=TRAIN_ROWS as u64))]
    pub batch: usize,
    /// Epochs (1..=1000).
    #[arg(long, default_value_t = 10,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub epochs: usize,
    /// Seeds (initial weights and sample order) averaged per setting.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    pub seeds: Vec<u64>,
    /// SGD learning rates tried (mini-batch SGD, both layers; finite, above 0).
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.3,0.5,1.0,1.5", value_parser = positive)]
    pub sgd_lr: Vec<f64>,
    /// K-FAC learning rates tried (finite, above 0).
    #[arg(long, value_delimiter = ',', default_value = "0.02,0.05,0.1,0.2,0.3", value_parser = positive)]
    pub kfac_lr: Vec<f64>,
    /// K-FAC damping, relative to each factor's mean eigenvalue (trace / n; finite, above 0). At
    /// 1 and above every refined solve converges; at 0.3 a few percent do not (factor condition
    /// numbers beyond what the 8-bit INV can refine).
    #[arg(long, default_value_t = 1.0, value_parser = positive)]
    pub damping: f64,
    /// Layers K-FAC preconditions: `output` (the hidden layer takes SGD steps) or `both`.
    #[arg(long, default_value = "both", value_parser = ["output", "both"])]
    pub layers: String,
    /// Test accuracy the steps are counted to (a fraction in (0, 1]).
    #[arg(long, default_value_t = 0.9, value_parser = fraction)]
    pub target: f64,
    /// Data set: CSV (gzipped or not) of 64 pixels 0..=16 and a label per line, as the shipped
    /// digits data (the default); the first 1347 lines train, the rest test.
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
    /// Report directory (report.json, table.md, kfac.png).
    #[arg(long, default_value = "build/kfac")]
    pub out: PathBuf,
    #[command(flatten)]
    pub cost: CostArgs,
}

pub fn run(a: &KfacArgs, dry: bool) -> Result<()> {
    let table = a.cost.table()?;
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        pimforge_studies::train::digits::load(a.data.as_deref())?;
        say!("pimforge: dry run: would write {}", a.out.display());
        return Ok(());
    }
    let text = study(
        &KfacStudy {
            batch: a.batch,
            epochs: a.epochs,
            seeds: a.seeds.clone(),
            sgd_lr: a.sgd_lr.clone(),
            kfac_lr: a.kfac_lr.clone(),
            damping: a.damping,
            layers: if a.layers == "both" {
                Layers::Both
            } else {
                Layers::Output
            },
            target: a.target,
            data: a.data.clone(),
            table,
            out: a.out.clone(),
        },
        &mut |done, total, row| warn!("pimforge kfac: {done}/{total} settings done ({row})"),
    )?;
    say_raw!("{text}");
    say!("pimforge: wrote {}", a.out.display());
    Ok(())
}

//! `pimforge faults`: the fault study. The digits MLP trained in memory on chips with stuck
//! cells and with growing device-to-device variation, for every update algorithm; a table, a
//! JSON report and plots, and where each algorithm has lost 5 points.

use super::flags::count;
use super::study_args::{chip_seed, fraction, StudyArgs};
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::faults::{run as study, FaultStudy, Kind};
use pimforge_studies::train::config::Algorithm;
use pimforge_studies::train::study_run::Length;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct FaultsArgs {
    /// Update algorithms, each on its default design (digits, digits-mixed, digits-tiki).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "opa,mixed,ttv2,cttv2,agad,sgd,sbpca"
    )]
    pub algorithms: Vec<Algorithm>,
    /// Fractions of stuck cells (0..=1; the fault-free chip always runs).
    #[arg(long, value_delimiter = ',', default_value = "0.005,0.01,0.02,0.05,0.1",
          value_parser = fraction)]
    pub stuck: Vec<f64>,
    /// Which bound the stuck cells sit at: on (upper), off (lower), both (half each).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "on,off")]
    pub kinds: Vec<Kind>,
    /// Device-to-device spreads of steps and bounds (0..=1), without stuck cells; `none`
    /// for no spread sweep.
    #[arg(long, value_delimiter = ',', default_value = "0,0.1,0.3,0.5",
          value_parser = fraction_or_none)]
    pub dtod: Vec<Option<f64>>,
    /// Seeds (initial weights, sample order, rounding); seed s trains on chip s + 1
    /// (0..=4294967294).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4", value_parser = chip_seed)]
    pub seeds: Vec<u64>,
    /// Epochs (1..=10000).
    #[arg(long, default_value_t = 20,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub epochs: usize,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Report directory (report.json, table.md, stuck.png, dtod.png), rewritten after every run.
    #[arg(long, default_value = "build/faults")]
    pub out: PathBuf,
}

fn fraction_or_none(s: &str) -> Result<Option<f64>, String> {
    match s {
        "none" => Ok(None),
        _ => fraction(s).map(Some),
    }
}

pub fn run(a: &FaultsArgs, dry: bool) -> Result<()> {
    let jobs = a.study.jobs();
    let s = FaultStudy {
        algorithms: a.algorithms.clone(),
        stuck: a.stuck.clone(),
        kinds: a.kinds.clone(),
        dtod: a.dtod.iter().flatten().copied().collect(),
        seeds: a.seeds.clone(),
        len: Length {
            epochs: a.epochs,
            train_limit: a.study.train_limit,
            test_limit: a.study.test_limit,
        },
        jobs,
        data: a.study.data.clone(),
        out: a.out.clone(),
    };
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        pimforge_studies::train::digits::load(a.study.data.as_deref())?;
        say!(
            "pimforge: dry run: would train {} on chips with stuck cells {:?} ({}) and spreads {:?}, seeds {:?} ({}) on {} and write {}",
            a.algorithms.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "),
            s.stuck,
            a.kinds.iter().map(|k| format!("{k:?}").to_lowercase()).collect::<Vec<_>>().join(", "),
            s.dtod,
            a.seeds,
            count(a.epochs, "epoch"),
            count(jobs, "thread"),
            a.out.display()
        );
        return Ok(());
    }
    let text = study(&s, &|done, total, p| {
        warn!(
            "pimforge faults: {done}/{total} runs done ({} stuck on {} off {} spread {} seed {}: {:.2}% in {:.0} s)",
            p.algorithm,
            p.faults.stuck_on,
            p.faults.stuck_off,
            p.faults.dtod.map_or("design's".into(), |d| d.to_string()),
            p.seed,
            100.0 * p.final_accuracy,
            p.seconds
        )
    })?;
    say_raw!("{text}");
    say!("pimforge: wrote {}", a.out.display());
    Ok(())
}

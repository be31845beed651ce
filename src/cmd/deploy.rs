//! `pimforge deploy`: the deployment study. The digits MLP trained in memory on one chip,
//! programmed by write-and-verify onto other chips and tested there, beside the float64 model
//! deployed onto the same chips; a table, a JSON report and a plot.

use super::flags::count;
use super::study_args::{chip_seed, fraction, StudyArgs};
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::deploy_study::{run as study, DeployStudy};
use pimforge_studies::train::config::Algorithm;
use pimforge_studies::train::study_run::Length;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Update algorithms, each on its default design (digits, digits-mixed, digits-tiki).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "mixed,opa")]
    pub algorithms: Vec<Algorithm>,
    /// Fractions of stuck cells on every chip, training and deployment alike, half at each
    /// bound (0..=1).
    #[arg(long, value_delimiter = ',', default_value = "0,0.002,0.01", value_parser = fraction)]
    pub stuck: Vec<f64>,
    /// Device seeds of the chips deployed onto (0..=4294967295).
    #[arg(long, value_delimiter = ',', default_value = "101,102,103,104,105",
          value_parser = RangedU64ValueParser::<u64>::new().range(0..=u32::MAX as u64))]
    pub chips: Vec<u64>,
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
    /// Report directory (report.json, table.md, deploy.png), rewritten after every run.
    #[arg(long, default_value = "build/deploy")]
    pub out: PathBuf,
}

pub fn run(a: &DeployArgs, dry: bool) -> Result<()> {
    let jobs = a.study.jobs();
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        pimforge_studies::train::digits::load(a.study.data.as_deref())?;
        say!(
            "pimforge: dry run: would train {} with stuck cells {:?}, seeds {:?} ({}), deploy onto chips {:?} on {} and write {}",
            a.algorithms.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "),
            a.stuck,
            a.seeds,
            count(a.epochs, "epoch"),
            a.chips,
            count(jobs, "thread"),
            a.out.display()
        );
        return Ok(());
    }
    let s = DeployStudy {
        algorithms: a.algorithms.clone(),
        stuck: a.stuck.clone(),
        chips: a.chips.clone(),
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
    let text = study(&s, &|done, total, p| {
        let d = &p.deployment;
        warn!(
            "pimforge deploy: {done}/{total} runs done ({} stuck {} seed {}: {:.2}% -> {:.2}% on the other chips; float64 {:.2}% -> {:.2}%; {:.0} s)",
            p.algorithm,
            p.stuck,
            p.seed,
            100.0 * d.trained.before,
            100.0 * d.trained.mean_accuracy,
            100.0 * d.reference.before,
            100.0 * d.reference.mean_accuracy,
            p.seconds
        )
    })?;
    say_raw!("{text}");
    say!("pimforge: wrote {}", a.out.display());
    Ok(())
}

//! `pimforge offsets`: the Tiki-Taka offset study. The digits MLP trained with TTv2, c-TTv2 and
//! AGAD while A's references are offset from the devices' symmetry points, beside analog SGD and
//! mixed precision; a table, a JSON report and a plot.

use super::flags::count;
use super::study_args::StudyArgs;
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::offsets::{run as study, OffsetStudy};
use pimforge_studies::train::config::Algorithm;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct OffsetsArgs {
    /// Algorithms: ttv2, cttv2 and agad run at every offset; sgd and mixed (no A) once.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "ttv2,cttv2,agad,sgd,mixed"
    )]
    pub algorithms: Vec<Algorithm>,
    /// Mean offsets of A's references from the symmetry points, in levels (device steps); the
    /// spread is half the mean. Finite, |offset| <= 65536.
    #[arg(long, value_delimiter = ',', default_value = "0,25,50,100,150", value_parser = offset)]
    pub offsets: Vec<f64>,
    /// Seeds (initial weights, sample order, rounding) averaged per setting.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4")]
    pub seeds: Vec<u64>,
    /// Epochs (1..=10000).
    #[arg(long, default_value_t = 50,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub epochs: usize,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Report directory (report.json, table.md, offsets.png), rewritten after every run.
    #[arg(long, default_value = "build/offsets")]
    pub out: PathBuf,
}

fn offset(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= 65536.0 => Ok(v),
        _ => Err(format!(
            "'{s}': allowed a finite number of levels, |offset| <= 65536"
        )),
    }
}

pub fn run(a: &OffsetsArgs, dry: bool) -> Result<()> {
    let jobs = a.study.jobs();
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        pimforge_studies::train::digits::load(a.study.data.as_deref())?;
        say!(
            "pimforge: dry run: would train {} over offsets {:?} and seeds {:?} ({}) on {} and write {}",
            a.algorithms.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "),
            a.offsets,
            a.seeds,
            count(a.epochs, "epoch"),
            count(jobs, "thread"),
            a.out.display()
        );
        return Ok(());
    }
    let text = study(
        &OffsetStudy {
            algorithms: a.algorithms.clone(),
            offsets: a.offsets.clone(),
            seeds: a.seeds.clone(),
            epochs: a.epochs,
            train_limit: a.study.train_limit,
            test_limit: a.study.test_limit,
            jobs,
            data: a.study.data.clone(),
            out: a.out.clone(),
        },
        &|done, total, p| {
            warn!(
                "pimforge offsets: {done}/{total} runs done ({} offset {} seed {}: {:.2}% in {:.0} s)",
                p.algorithm,
                p.offset,
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

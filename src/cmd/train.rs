//! `pimforge train`: the digits MLP trained in memory on the golden model or on the RTL in
//! lock-step, with a progress bar.

use super::ConfigArgs;
use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pimforge_gen::design::Design;
use pimforge_studies::train::network::{Algorithm, TrainConfig};
use pimforge_studies::train::reference;
use pimforge_studies::train::run::{run as train, BackendKind, TrainRun};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The design (default preset: `digits` for opa, `digits-mixed` for mixed).
    #[command(flatten)]
    pub cfg: ConfigArgs,
    #[arg(long, value_enum, default_value_t = Algorithm::Opa)]
    pub algorithm: Algorithm,
    #[arg(long, value_enum, default_value_t = BackendKind::Golden)]
    pub backend: BackendKind,
    #[arg(long, default_value_t = reference::REFERENCE_EPOCHS)]
    pub epochs: usize,
    #[arg(long, default_value_t = reference::REFERENCE_LR)]
    pub lr: f64,
    /// Seed of the initial weights, the sample order and the stochastic rounding.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// OPA: carry resolution of every tile after this many samples (0: never).
    #[arg(long, default_value_t = 256)]
    pub crs_every: usize,
    /// Mixed precision: transfer after this many samples.
    #[arg(long, default_value_t = 64)]
    pub transfer_every: usize,
    /// Fraction bits of the update's row operand (activations).
    #[arg(long, default_value_t = 4)]
    pub x_frac: u32,
    /// Train on the first N samples of each epoch only.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test samples only.
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
    /// Report directory (report.json, accuracy.png); default build/train/<design>-<algorithm>-s<seed>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Work directory of RTL builds.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: &TrainArgs) -> Result<()> {
    // The default design follows the algorithm.
    let mut source = a.cfg.clone();
    let name = match (&source.preset, &source.config) {
        (None, None) => {
            let p = match a.algorithm {
                Algorithm::Opa => "digits",
                Algorithm::Mixed => "digits-mixed",
            };
            source.preset = Some(p.into());
            p.to_string()
        }
        (Some(p), None) => p.clone(),
        (_, Some(f)) => f
            .file_stem()
            .map_or("config".into(), |s| s.to_string_lossy().into_owned()),
    };
    let design = Design::new(source.resolve()?, None);
    let algorithm = format!("{:?}", a.algorithm);
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("build/train").join(format!(
            "{name}-{}-s{}",
            algorithm.to_lowercase(),
            a.seed
        ))
    });
    if a.backend == BackendKind::Rtl {
        warn!(
            "pimforge: building the RTL model of {name} (cached in {})",
            a.work.display()
        );
    }
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} samples ({per_sec}, eta {eta}) {msg}",
        )
        .expect("valid template"),
    );
    let run = TrainRun {
        design: &design,
        name: name.clone(),
        backend: a.backend,
        train: TrainConfig {
            algorithm: a.algorithm,
            epochs: a.epochs,
            lr: a.lr,
            seed: a.seed,
            crs_every: a.crs_every,
            transfer_every: a.transfer_every,
            x_frac: a.x_frac,
            train_limit: a.train_limit,
            test_limit: a.test_limit,
        },
        replay: pimforge_flows::replay::train(&source.source(), &algorithm, a.seed),
        work: a.work.clone(),
        out: out.clone(),
    };
    let report = train(&run, &mut |done, total, epoch| {
        bar.set_length(total);
        bar.set_position(done);
        if let Some(ep) = epoch {
            bar.println(format!(
                "epoch {:>3}: test accuracy {:6.2}%  train loss {:.4}  pulses {}  CRS {} ({} saturated)  update clips {}",
                ep.epoch,
                100.0 * ep.test_accuracy,
                ep.train_loss,
                ep.counters.pulses,
                ep.counters.crs_passes,
                ep.counters.crs_saturations,
                ep.counters.update_clips
            ));
        }
    })?;
    bar.finish_and_clear();
    let c = &report.counters;
    say!(
        "pimforge: {:?} on {name} ({} backend): test accuracy {:.2}% after {} epochs (float64 reference, same seed: {:.2}%); {} pulses, {} CRS passes ({} saturated weights), {} clipped cell updates, {} chi saturations; {:.0} samples/s; report in {}",
        a.algorithm,
        report.backend,
        100.0 * report.final_test_accuracy,
        a.epochs,
        100.0 * report.reference.accuracy.last().copied().unwrap_or(0.0),
        c.pulses,
        c.crs_passes,
        c.crs_saturations,
        c.update_clips,
        c.chi_saturations,
        report.train_samples_per_second,
        out.display()
    );
    if let Some(l) = &report.lockstep {
        say!("pimforge: lock-step: {l}");
    }
    Ok(())
}

//! `pimforge train`: the digits MLP trained in memory on the golden model or on the RTL in
//! lock-step; `pimforge plot`: accuracy curves of several runs in one PNG.

use super::ConfigArgs;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pimforge_flows::verify::prepare;
use pimforge_gen::design::Design;
use pimforge_gen::output::write_tree;
use pimforge_studies::train::backend::{Backend, Counters, Golden};
use pimforge_studies::train::digits::{default_path, load, split};
use pimforge_studies::train::network::{check_shape, train, Algorithm, TrainConfig};
use pimforge_studies::train::reference;
use pimforge_studies::train::report::{group_runs, plot_png, Curve, Report, Run, TOOL};
use pimforge_studies::train::rtl::Lockstep;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// The golden model's functional form (fast; full-length runs).
    Golden,
    /// The Verilated RTL in lock-step with the cycle-level golden model, every output compared
    /// on every cycle (slow; short runs).
    Rtl,
}

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

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Reports written by `pimforge train`.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output directory (accuracy.png).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value = "Digits MLP 64-32-10: test accuracy")]
    pub title: String,
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let mut source = a.cfg.clone();
    let design = match (&source.preset, &source.config) {
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
    let hw = Design::new(source.resolve()?, None);
    let (cfg, shape) = (hw.config(), &hw.shape);
    check_shape(shape, cfg.tiles, a.algorithm)?;
    let tc = TrainConfig {
        algorithm: a.algorithm,
        epochs: a.epochs,
        lr: a.lr,
        seed: a.seed,
        crs_every: a.crs_every,
        transfer_every: a.transfer_every,
        x_frac: a.x_frac,
        train_limit: a.train_limit,
        test_limit: a.test_limit,
    };
    let all = load(&default_path())?;
    let (tr, te) = split(&all);
    let formats = (cfg.input.frac, cfg.weight.frac);
    let algorithm = format!("{:?}", a.algorithm);
    let replay = pimforge_flows::replay::train(&source.source(), &algorithm, a.seed);
    let mut backend: Box<dyn Backend> = match a.backend {
        BackendKind::Golden => Box::new(Golden::new(shape, hw.cells().to_vec())),
        BackendKind::Rtl => {
            pimforge_flows::tools::require("verilator")?;
            eprintln!(
                "pimforge: building the RTL model of {design} (cached in {})",
                a.work.display()
            );
            let p = prepare(&hw, &a.work, false)?;
            Box::new(Lockstep::new(&p.built, a.seed, replay)?)
        }
    };

    let n_train = a.train_limit.unwrap_or(tr.len()).min(tr.len());
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new((n_train * a.epochs) as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} samples ({per_sec}, eta {eta}) {msg}",
        )
        .expect("valid template"),
    );
    let t0 = Instant::now();
    let (epochs, clips) = train(backend.as_mut(), tr, te, &tc, formats, &mut |e, i, done| {
        bar.set_position((e * n_train + i) as u64);
        if let Some(ep) = done {
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
    let seconds = t0.elapsed().as_secs_f64();

    let reference = {
        let acc = reference::train(tr, te, a.epochs, a.lr, a.seed);
        Curve {
            label: format!(
                "float64 SGD reference ({:.2}%)",
                100.0 * acc.last().copied().unwrap_or(0.0)
            ),
            accuracy: acc,
        }
    };
    let mut counters = Counters::default();
    for t in pimforge_studies::train::network::LAYER_TILES {
        counters += backend.counters(t);
    }
    let samples = (n_train * a.epochs) as u64;
    let report = Report {
        tool: TOOL,
        version: pimforge_gen::emit::VERSION,
        design: design.clone(),
        config_hash: hw.hash.clone(),
        backend: format!("{:?}", a.backend).to_lowercase(),
        train: tc,
        input_frac: formats.0,
        weight_frac: formats.1,
        final_test_accuracy: epochs.last().map_or(0.0, |e| e.test_accuracy),
        epochs,
        reference,
        counters,
        host_clips: clips,
        samples_trained: samples,
        seconds,
        train_samples_per_second: samples as f64 / seconds.max(1e-9),
        lockstep: backend.evidence(),
    };
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("build/train").join(format!(
            "{design}-{}-s{}",
            format!("{:?}", a.algorithm).to_lowercase(),
            a.seed
        ))
    });
    let json = serde_json::to_string_pretty(&report)? + "\n";
    let curves = vec![report.curve(), report.reference.clone()];
    let png = plot_png(
        &format!(
            "Digits MLP 64-32-10 trained on {design} ({:?})",
            a.algorithm
        ),
        &curves,
    )?;
    write_tree(
        &out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("accuracy.png".to_string(), png),
        ],
    )?;
    println!(
        "pimforge: {:?} on {design} ({} backend): test accuracy {:.2}% after {} epochs (float64 reference, same seed: {:.2}%); {} pulses, {} CRS passes ({} saturated weights), {} clipped cell updates, {} chi saturations; {:.0} samples/s; report in {}",
        a.algorithm,
        report.backend,
        100.0 * report.final_test_accuracy,
        a.epochs,
        100.0 * report.reference.accuracy.last().copied().unwrap_or(0.0),
        counters.pulses,
        counters.crs_passes,
        counters.crs_saturations,
        counters.update_clips,
        counters.chi_saturations,
        report.train_samples_per_second,
        out.display()
    );
    if let Some(l) = &report.lockstep {
        println!("pimforge: lock-step: {l}");
    }
    Ok(())
}

pub fn plot(a: &PlotArgs) -> Result<()> {
    let mut runs = Vec::new();
    for r in &a.reports {
        let text =
            std::fs::read_to_string(r).with_context(|| format!("cannot read {}", r.display()))?;
        runs.push(Run::parse(&text).with_context(|| format!("{}", r.display()))?);
    }
    let groups = group_runs(&runs);
    println!("| design | algorithm | seeds | test accuracy (mean, range) | float64 reference (mean) | gap | pulses | CRS passes | CRS saturations | clipped updates | chi saturations |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut curves = Vec::new();
    for g in &groups {
        println!(
            "| {} | {} | {} | {:.2}% ({:.2}-{:.2}) | {:.2}% | {:+.2} | {} | {} | {} | {} | {} |",
            g.design,
            g.algorithm,
            g.seeds,
            100.0 * g.mean,
            100.0 * g.min,
            100.0 * g.max,
            100.0 * g.reference,
            100.0 * (g.mean - g.reference),
            g.counters.pulses / g.seeds as u64,
            g.counters.crs_passes / g.seeds as u64,
            g.counters.crs_saturations / g.seeds as u64,
            g.counters.update_clips / g.seeds as u64,
            g.counters.chi_saturations / g.seeds as u64,
        );
        curves.push(Curve {
            label: format!(
                "{} on {} ({:.2}%, {} seeds)",
                g.algorithm,
                g.design,
                100.0 * g.mean,
                g.seeds
            ),
            accuracy: g.curve.clone(),
        });
    }
    println!("(counts are per run; the gap is to the float64 reference of the same seeds)");
    if let Some(g) = groups.first() {
        curves.push(Curve {
            label: format!(
                "float64 SGD reference ({:.2}%, {} seeds)",
                100.0 * g.reference,
                g.seeds
            ),
            accuracy: g.reference_curve.clone(),
        });
    }
    let png = plot_png(&a.title, &curves)?;
    write_tree(&a.out, &[("accuracy.png".to_string(), png)])?;
    println!("pimforge: wrote {}", a.out.join("accuracy.png").display());
    Ok(())
}

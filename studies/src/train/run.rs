//! One `pimforge train` run: the digits MLP trained in memory on a design, on the golden model or
//! on the RTL in lock-step, beside the float64 reference of the same seed; the report and its
//! accuracy plot written into a directory.

use super::backend::{Backend, Counters, Golden};
use super::digits::{default_path, load, split};
use super::network::{check_shape, train, Epoch, TrainConfig, LAYER_TILES};
use super::reference;
use super::report::{plot_png, Curve, Report, TOOL};
use super::rtl::Lockstep;
use anyhow::Result;
use pimforge_flows::verify::prepare;
use pimforge_gen::design::Design;
use pimforge_gen::output::write_tree;
use std::path::PathBuf;
use std::time::Instant;

/// Where the tile operations run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// The golden model's functional form (fast; full-length runs).
    Golden,
    /// The Verilated RTL in lock-step with the cycle-level golden model, every output compared
    /// on every cycle (slow; short runs).
    Rtl,
}

/// A training run.
pub struct TrainRun<'a> {
    pub design: &'a Design,
    /// The design's name in reports (its preset or config file).
    pub name: String,
    pub backend: BackendKind,
    pub train: TrainConfig,
    /// The command that replays an RTL run (printed on a mismatch).
    pub replay: String,
    /// Work directory of RTL builds.
    pub work: PathBuf,
    /// Report directory (`report.json`, `accuracy.png`).
    pub out: PathBuf,
}

/// Progress of a run: `(samples done, samples in all, the epoch just finished)`.
pub type Progress<'a> = dyn FnMut(u64, u64, Option<&Epoch>) + 'a;

/// Trains, writes the report and its plot into `r.out`, and returns the report.
pub fn run(r: &TrainRun, progress: &mut Progress) -> Result<Report> {
    let (cfg, shape) = (r.design.config(), &r.design.shape);
    let tc = r.train.clone();
    check_shape(shape, cfg.tiles, tc.algorithm)?;
    let all = load(&default_path())?;
    let (tr, te) = split(&all);
    let formats = (cfg.input.frac, cfg.weight.frac);
    let mut backend: Box<dyn Backend> = match r.backend {
        BackendKind::Golden => Box::new(Golden::new(shape, r.design.cells().to_vec())),
        BackendKind::Rtl => {
            pimforge_flows::tools::require("verilator")?;
            let p = prepare(r.design, &r.work, false)?;
            Box::new(Lockstep::new(&p.built, tc.seed, r.replay.clone())?)
        }
    };
    let n_train = tc.train_limit.unwrap_or(tr.len()).min(tr.len());
    let total = (n_train * tc.epochs) as u64;
    let t0 = Instant::now();
    let (epochs, clips) = train(backend.as_mut(), tr, te, &tc, formats, &mut |e, i, done| {
        progress((e * n_train + i) as u64, total, done)
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    let reference = {
        let acc = reference::train(tr, te, tc.epochs, tc.lr, tc.seed);
        Curve {
            label: format!(
                "float64 SGD reference ({:.2}%)",
                100.0 * acc.last().copied().unwrap_or(0.0)
            ),
            accuracy: acc,
        }
    };
    let mut counters = Counters::default();
    for t in LAYER_TILES {
        counters += backend.counters(t);
    }
    let report = Report {
        tool: TOOL,
        version: pimforge_gen::emit::VERSION,
        design: r.name.clone(),
        config_hash: r.design.hash.clone(),
        backend: format!("{:?}", r.backend).to_lowercase(),
        train: tc.clone(),
        input_frac: formats.0,
        weight_frac: formats.1,
        final_test_accuracy: epochs.last().map_or(0.0, |e| e.test_accuracy),
        epochs,
        reference,
        counters,
        host_clips: clips,
        samples_trained: total,
        seconds,
        train_samples_per_second: total as f64 / seconds.max(1e-9),
        lockstep: backend.evidence(),
    };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    let curves = vec![report.curve(), report.reference.clone()];
    let title = format!(
        "Digits MLP 64-32-10 trained on {} ({:?})",
        r.name, tc.algorithm
    );
    let png = plot_png(&title, &curves)?;
    write_tree(
        &r.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("accuracy.png".to_string(), png),
        ],
        "--out",
    )?;
    Ok(report)
}

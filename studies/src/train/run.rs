//! One `pimforge train` run: a network placed on a design's tiles and trained in memory on a
//! data set, on the golden model or on the RTL in lock-step, beside the float64 reference of
//! the same seed; the report and its accuracy plot written into a directory.

use super::backend::{Backend, Counters, Golden};
use super::commands::Commands;
use super::config::{check_units, TrainConfig};
use super::data::Dataset;
use super::deploy::{deploy_both, read_model};
use super::epochs::{counters, train, Epoch};
use super::mapping::{place, Placement};
use super::reference;
use super::report::{plot_png, Curve, Report, TOOL};
use super::spec::NetworkSpec;
use crate::cost::plot::bars_png;
use crate::cost::price::price;
use crate::cost::CostTable;
use anyhow::{bail, Result};
use pimforge_flows::verify::prepare;
use pimforge_gen::design::Design;
use pimforge_gen::output::write_tree;
use pimforge_tb::program::{self, Program};
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

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            BackendKind::Golden => "golden",
            BackendKind::Rtl => "rtl",
        })
    }
}

/// A training run.
pub struct TrainRun<'a> {
    pub design: &'a Design,
    /// The design's name in reports (its preset or config file).
    pub name: String,
    pub backend: BackendKind,
    pub train: TrainConfig,
    pub network: NetworkSpec,
    /// The data set, split and scaled.
    pub data: &'a Dataset,
    /// The command that replays an RTL run (printed on a mismatch).
    pub replay: String,
    /// Work directory of RTL builds.
    pub work: PathBuf,
    /// Report directory (`report.json`, `accuracy.png`, `cost.png`).
    pub out: PathBuf,
    /// Where to write the host program the run issues (then the golden backend runs the
    /// cycle-level model, command by command).
    pub record: Option<PathBuf>,
    /// The table that prices the run's counted events.
    pub cost: CostTable,
    /// Device seeds of the chips the trained model, and the float64 reference, are deployed
    /// onto after training ([`super::deploy`]); empty: none.
    pub deploy: Vec<u64>,
}

/// Progress of a run: `(samples done, samples in all, the epoch just finished)`.
pub type Progress<'a> = dyn FnMut(u64, u64, Option<&Epoch>) + 'a;

/// Checks, before any work, that the report can be written into `r.out`: the directory is
/// writable, holds only pimforge's files, and any report in it is of this same run (a rerun
/// replaces it; another run's report is never replaced).
pub fn check_out(r: &TrainRun) -> Result<()> {
    let dir = pimforge_gen::output::check_out(&r.out, "--out")?;
    let Ok(text) = std::fs::read_to_string(dir.join("report.json")) else {
        return Ok(());
    };
    let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let ours = [
        ("design", serde_json::json!(r.name)),
        ("config_hash", serde_json::json!(r.design.hash)),
        ("backend", serde_json::json!(r.backend.to_string())),
        ("train", serde_json::to_value(&r.train)?),
        ("network", serde_json::to_value(&r.network)?),
        ("data", serde_json::to_value(r.data.info())?),
    ];
    let differ: Vec<&str> = ours
        .iter()
        .filter(|(k, v)| &old[*k] != v)
        .map(|(k, _)| *k)
        .collect();
    if !differ.is_empty() {
        bail!(
            "--out {} holds the report of another run (its {} differ from this run's); choose another --out, or remove it",
            r.out.display(),
            differ.join(", ")
        );
    }
    Ok(())
}

/// The run's placement, after checking that the design's tiles can run the algorithm and the
/// data fits the network.
pub fn placement(r: &TrainRun) -> Result<Placement> {
    let shape = &r.design.shape;
    check_units(shape, r.train.algorithm)?;
    if r.train.algorithm == super::config::Algorithm::Sbpca {
        super::lowrank::check(r.train.sbpca.arith, r.train.sbpca.batch, Some(shape))?;
        let s = &r.train.sbpca;
        super::lowrank::check_units((s.rank, s.batch, s.arith), shape)?;
    }
    r.data
        .check_network(r.network.inputs, r.network.classes())?;
    let tiles = r.design.config().tiles;
    place(&r.network, (shape.rows, shape.cols), tiles, r.train.order)
}

/// Trains, writes the report and its plot into `r.out` after every epoch (so an interrupted
/// run keeps the epochs it finished, marked incomplete), and returns the final report.
pub fn run(r: &TrainRun, progress: &mut Progress) -> Result<Report> {
    let (cfg, shape) = (r.design.config(), &r.design.shape);
    let tc = r.train.clone();
    let placement = placement(r)?;
    check_out(r)?;
    if let Some(p) = &r.record {
        program::check_target(p, "--record")?;
    }
    let (tr, te) = (&r.data.train[..], r.data.test_limited(tc.test_limit));
    let n_train = tc.train_limit.unwrap_or(tr.len()).min(tr.len());
    // The float64 reference on the same samples: computed first, so every report has it.
    let lr = tc.reference_lr();
    let (float_model, acc) =
        reference::train_model(&r.network, (tr, te), tc.epochs, lr, tc.seed, n_train);
    let reference = Curve {
        label: format!(
            "float64 SGD reference ({:.2}%)",
            100.0 * acc.last().copied().unwrap_or(0.0)
        ),
        accuracy: acc,
    };
    let formats = (cfg.input.frac, cfg.weight.frac);
    let mut backend = new_backend(r, r.design, r.record.is_some())?;
    let total = (n_train * tc.epochs) as u64;
    let mut report = Report {
        tool: TOOL,
        version: pimforge_gen::emit::VERSION,
        design: r.name.clone(),
        config_hash: r.design.hash.clone(),
        design_config: cfg.clone(),
        backend: r.backend.to_string(),
        data: r.data.info(),
        network: r.network.clone(),
        placement: placement.clone(),
        train: tc.clone(),
        complete: false,
        input_frac: formats.0,
        weight_frac: formats.1,
        epochs: vec![],
        final_test_accuracy: 0.0,
        reference,
        counters: Counters::default(),
        host_clips: Default::default(),
        samples_trained: 0,
        seconds: 0.0,
        train_samples_per_second: 0.0,
        lockstep: None,
        lowrank: None,
        cost: None,
        tile_work: vec![],
        deployment: None,
    };
    let t0 = Instant::now();
    let net = (&r.network, &placement);
    let trained = train(
        backend.as_mut(),
        net,
        (tr, te),
        &tc,
        formats,
        &mut |e, i, done| {
            progress((e * n_train + i) as u64, total, done);
            if let Some(ep) = done {
                report.epochs.push(ep.clone());
                report.update(t0.elapsed().as_secs_f64(), n_train);
                write(r, &report)?;
            }
            Ok(())
        },
    )?;
    let counters = counters(backend.as_ref(), &placement.used_tiles());
    report.epochs = trained.epochs.clone();
    report.update(t0.elapsed().as_secs_f64(), n_train);
    report.counters = counters;
    report.host_clips = trained.clips;
    if tc.algorithm == super::config::Algorithm::Sbpca {
        report.lowrank = Some(trained.lowrank);
    }
    report.lockstep = backend.evidence()?;
    let work: Vec<_> = placement
        .used_tiles()
        .iter()
        .map(|&t| backend.counters(t).work)
        .collect();
    let samples = report.samples_trained as usize;
    let mut cost = price(&r.cost, shape, &work, samples, tc.epochs)?;
    cost.split_by_layer(&r.cost, shape, &work, &placement.layer_tiles(), samples)?;
    report.cost = Some(cost);
    report.tile_work = work;
    if !r.deploy.is_empty() {
        let model = read_model(&trained.network, backend.as_ref(), formats.1);
        let before = (report.final_test_accuracy, report.reference_accuracy());
        let test = r.data.test_limited(tc.test_limit);
        let models = ((&model, &float_model), before);
        report.deployment = Some(deploy_both(
            r.design,
            &r.deploy,
            &placement,
            models,
            test,
            &mut |chip| new_backend(r, chip, false),
        )?);
    }
    report.complete = true;
    if let (Some(path), Some(entries)) = (&r.record, backend.recorded()) {
        let meta = vec![
            ("design".to_string(), r.name.clone()),
            ("config_hash".to_string(), r.design.hash.clone()),
            (
                "config".to_string(),
                serde_json::to_string(r.design.config())?,
            ),
            ("network".to_string(), r.network.shape_string()),
            (
                "recorded_by".to_string(),
                format!("{} ({} backend)", TOOL, r.backend),
            ),
        ];
        program::write(path, &Program::new(meta, entries.to_vec()), "--record")?;
    }
    write(r, &report)?;
    Ok(report)
}

/// A backend on the power-up state of `design`'s tiles: the golden model (the cycle-level one
/// when `record`ing the host program), or the RTL in lock-step.
fn new_backend(r: &TrainRun, design: &Design, record: bool) -> Result<Box<dyn Backend>> {
    let shape = &design.shape;
    let (cells, units) = (design.cells().to_vec(), design.units().to_vec());
    Ok(match (r.backend, record) {
        (BackendKind::Golden, false) => Box::new(Golden::new(shape, cells, units)),
        (BackendKind::Golden, true) => {
            let mut c = Commands::golden(shape, cells, units);
            c.start_recording();
            Box::new(c)
        }
        (BackendKind::Rtl, _) => {
            pimforge_flows::tools::require("verilator")?;
            let p = prepare(design, &r.work, None)?;
            let mut c = Commands::lockstep(&p.built, r.train.seed, r.replay.clone())?;
            if record {
                c.start_recording();
            }
            Box::new(c)
        }
    })
}

/// Writes `report.json`, `accuracy.png` and `cost.png` (atomically).
fn write(r: &TrainRun, report: &Report) -> Result<()> {
    let json = serde_json::to_string_pretty(report)? + "\n";
    let curves = vec![report.curve(), report.reference.clone()];
    let title = format!(
        "MLP {} trained on {} ({})",
        r.network.shape_string(),
        r.name,
        report.train.algorithm
    );
    let png = plot_png(&title, &curves)?;
    let mut files = vec![
        ("report.json".to_string(), json.into_bytes()),
        ("accuracy.png".to_string(), png),
    ];
    if let Some(c) = &report.cost {
        let title = format!(
            "{} on {}: energy per phase ({} table)",
            report.train.algorithm, r.name, c.table
        );
        files.push(("cost.png".to_string(), bars_png(&title, c)?));
    }
    write_tree(&r.out, &files, "--out")
}

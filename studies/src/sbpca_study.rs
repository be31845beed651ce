//! The SBPCA study: the digits MLP trained on the tiles' golden model with SBPCA's low-rank batch
//! updates over batch sizes and ranks, beside per-sample OPA on the same tiles and float64
//! mini-batch SGD at the same batch sizes; test accuracy and the array writes (OPAs) and device
//! pulses each costs, in a table, a JSON report and a plot.
//!
//! Every rate comes from one grid of per-sample rates (`lr`: SBPCA's `W -= lr n G_k`, OPA's
//! `W -= lr g`, and for mini-batch SGD `lr n` on the batch's mean gradient, the same step), and
//! each row keeps the rate with the best mean final test accuracy over the seeds (the data has
//! no separate validation split: every row's figure is the best of the same grid).

use crate::train::backend::Golden;
use crate::train::config::{Algorithm, Sbpca, TrainConfig};
use crate::train::data::Sample;
use crate::train::digits::load;
use crate::train::epochs::{counters, train};
use crate::train::kfac::{self, Layers, Method as KfacMethod, Setup};
use crate::train::lowrank::{Arith, LowRankCounts};
use crate::train::mapping::{place, Order};
use crate::train::spec::NetworkSpec;
use anyhow::{anyhow, Result};
use pimforge_gen::design::Design;
use pimforge_gen::output::write_tree;
use pimforge_gen::presets::preset;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// What the study runs.
#[derive(Clone, Debug)]
pub struct SbpcaStudy {
    /// Samples per batch (powers of two: the fixed-point estimate's).
    pub batches: Vec<usize>,
    pub ranks: Vec<usize>,
    pub seeds: Vec<u64>,
    /// The per-sample learning rates tried for every row.
    pub lrs: Vec<f64>,
    pub epochs: usize,
    pub arith: Arith,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// Runs in parallel.
    pub jobs: usize,
    /// The data set (`None`: the shipped digits data).
    pub data: Option<PathBuf>,
    /// Directory of `report.json`, `table.md` and `sbpca.png`.
    pub out: PathBuf,
    /// Also SBPCA with the estimate in the tiles' low-rank units (a `lowrank:` section of the
    /// row's rank and batch), beside the host's.
    pub in_tiles: bool,
}

/// How a run trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Method {
    /// SBPCA on the tiles: rank-`rank` estimates on the host, `batch` samples per write.
    Sbpca { batch: usize, rank: usize },
    /// SBPCA with the estimates in the tiles' low-rank units.
    #[serde(rename = "sbpca-tiles")]
    SbpcaTiles { batch: usize, rank: usize },
    /// Per-sample OPA on the tiles.
    Opa,
    /// Float64 mini-batch SGD (no tiles).
    Sgd { batch: usize },
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Method::Sbpca { batch, rank } => write!(f, "SBPCA batch {batch} rank {rank}"),
            Method::SbpcaTiles { batch, rank } => {
                write!(f, "SBPCA in the tiles, batch {batch} rank {rank}")
            }
            Method::Opa => f.write_str("per-sample OPA"),
            Method::Sgd { batch } => write!(f, "float64 mini-batch SGD, batch {batch}"),
        }
    }
}

/// One finished run.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    #[serde(flatten)]
    pub method: Method,
    /// The per-sample learning rate.
    pub lr: f64,
    pub seed: u64,
    /// Test accuracy after every epoch.
    pub accuracy: Vec<f64>,
    pub final_accuracy: f64,
    /// Outer-product updates written (all tiles, all epochs); 0 for SGD.
    pub opas: u64,
    /// Device programming pulses (OPA steps and CRS), all epochs; 0 for SGD.
    pub pulses: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowrank: Option<LowRankCounts>,
    pub seconds: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    tool: &'a str,
    version: &'a str,
    data: String,
    design: &'a str,
    config_hash: &'a str,
    epochs: usize,
    seeds: &'a [u64],
    lrs: &'a [f64],
    arithmetic: Arith,
    complete: bool,
    /// Per row, the chosen rate and the means over the seeds at it.
    rows: Vec<Row>,
    points: Vec<&'a Point>,
}

/// A row of the table: one method at its chosen rate.
#[derive(Clone, Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    method: Method,
    lr: f64,
    seeds: usize,
    accuracy_mean: f64,
    accuracy_min: f64,
    accuracy_max: f64,
    opas_per_epoch: f64,
    pulses_per_epoch: f64,
}

const DESIGN: &str = "digits";

fn design() -> Result<Design> {
    let cfg = preset(DESIGN).ok_or_else(|| anyhow!("preset {DESIGN}"))?;
    Ok(Design::new(cfg.validated()?, None))
}

fn one(
    s: &SbpcaStudy,
    d: &Design,
    (method, lr, seed): (Method, f64, u64),
    tr: &[Sample],
    te: &[Sample],
) -> Result<Point> {
    let t0 = Instant::now();
    if let Method::Sgd { batch } = method {
        let run = kfac::train(
            &tr[..s.train_limit.unwrap_or(tr.len()).min(tr.len())],
            te,
            &Setup {
                method: KfacMethod::Sgd,
                layers: Layers::Both,
                batch,
                lr: lr * batch as f64,
                damping: 1.0,
                epochs: s.epochs,
                seed,
            },
        )?;
        // Test accuracy after each step: the epochs' ends.
        let steps = (s.train_limit.unwrap_or(tr.len()).min(tr.len()) / batch).max(1);
        let accuracy: Vec<f64> = run
            .accuracy
            .iter()
            .skip(steps - 1)
            .step_by(steps)
            .copied()
            .collect();
        return Ok(Point {
            method,
            lr,
            seed,
            final_accuracy: run.accuracy.last().copied().unwrap_or(0.0),
            accuracy,
            opas: 0,
            pulses: 0,
            lowrank: None,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    let with_units;
    let d = match method {
        Method::SbpcaTiles { batch, rank } => {
            let mut cfg = d.config().clone();
            cfg.lowrank = Some(pimforge_gen::config::LowRank { rank, batch });
            with_units = Design::new(cfg.validated()?, None);
            &with_units
        }
        _ => d,
    };
    let cfg = d.config();
    let mut b = Golden::new(&d.shape, d.cells().to_vec(), d.units().to_vec());
    let (algorithm, sbpca) = match method {
        Method::Sbpca { batch, rank } | Method::SbpcaTiles { batch, rank } => (
            Algorithm::Sbpca,
            Sbpca {
                rank,
                batch,
                arith: s.arith,
            },
        ),
        _ => (Algorithm::Opa, Sbpca::default()),
    };
    let tc = TrainConfig {
        algorithm,
        epochs: s.epochs,
        lr,
        seed,
        crs_every: 256,
        transfer_every: 64,
        x_frac: 4,
        train_limit: s.train_limit,
        test_limit: s.test_limit,
        fast_lr: 0.5,
        bias_lr: None,
        order: Order::RowMajor,
        scale_errors: false,
        stochastic_rows: false,
        sbpca,
    };
    let formats = (cfg.input.frac, cfg.weight.frac);
    let spec = NetworkSpec::digits();
    let p = place(&spec, (d.shape.rows, d.shape.cols), cfg.tiles, tc.order)?;
    let trained = train(
        &mut b,
        (&spec, &p),
        (tr, te),
        &tc,
        formats,
        &mut |_, _, _| Ok(()),
    )?;
    let c = counters(&b, &p.used_tiles());
    let accuracy: Vec<f64> = trained.epochs.iter().map(|e| e.test_accuracy).collect();
    Ok(Point {
        method,
        lr,
        seed,
        final_accuracy: accuracy.last().copied().unwrap_or(0.0),
        accuracy,
        opas: c.opas,
        pulses: c.pulses,
        lowrank: (algorithm == Algorithm::Sbpca).then_some(trained.lowrank),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The methods of the study, in the table's order.
fn methods(s: &SbpcaStudy) -> Vec<Method> {
    let mut m = Vec::new();
    for &batch in &s.batches {
        m.push(Method::Sgd { batch });
        for &rank in &s.ranks {
            m.push(Method::Sbpca { batch, rank });
            if s.in_tiles {
                m.push(Method::SbpcaTiles { batch, rank });
            }
        }
    }
    m.push(Method::Opa);
    m
}

/// Progress: `(runs done, runs in all, the run just done)`.
pub type Progress<'a> = dyn Fn(usize, usize, &Point) + Sync + 'a;

/// Runs the study on `s.jobs` threads; after every run writes the report, the table and the
/// plot (an interrupted study keeps its finished runs, marked incomplete); returns the table.
pub fn run(s: &SbpcaStudy, progress: &Progress) -> Result<String> {
    pimforge_gen::output::check_out(&s.out, "--out")?;
    let d = design()?;
    for &b in &s.batches {
        crate::train::lowrank::check(s.arith, b, Some(&d.shape))?;
    }
    let data = load(s.data.as_deref())?;
    let (tr, te) = (&data.train[..], data.test_limited(s.test_limit));
    let mut work = Vec::new();
    for m in methods(s) {
        for &lr in &s.lrs {
            for &seed in &s.seeds {
                work.push((m, lr, seed));
            }
        }
    }
    let points = crate::pool::run_study(
        &work,
        s.jobs,
        |&w| one(s, &d, w, tr, te),
        |done, all| write(s, &d, done, all),
        progress,
    )?;
    Ok(table(s, &rows(s, &points)))
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (n, sum) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    sum / n.max(1) as f64
}

/// Every method at the rate with the best mean final accuracy over the seeds finished.
fn rows(s: &SbpcaStudy, points: &[Point]) -> Vec<Row> {
    methods(s)
        .into_iter()
        .filter_map(|m| {
            let mut by_lr: BTreeMap<u64, Vec<&Point>> = BTreeMap::new();
            for p in points.iter().filter(|p| p.method == m) {
                by_lr.entry(p.lr.to_bits()).or_default().push(p);
            }
            let (lr, runs) = by_lr.into_iter().max_by(|a, b| {
                let (ma, mb) = (
                    mean(a.1.iter().map(|p| p.final_accuracy)),
                    mean(b.1.iter().map(|p| p.final_accuracy)),
                );
                ma.total_cmp(&mb)
            })?;
            let acc = runs.iter().map(|p| p.final_accuracy);
            let epochs = s.epochs as f64;
            Some(Row {
                method: m,
                lr: f64::from_bits(lr),
                seeds: runs.len(),
                accuracy_mean: mean(acc.clone()),
                accuracy_min: acc.clone().fold(f64::MAX, f64::min),
                accuracy_max: acc.fold(f64::MIN, f64::max),
                opas_per_epoch: mean(runs.iter().map(|p| p.opas as f64)) / epochs,
                pulses_per_epoch: mean(runs.iter().map(|p| p.pulses as f64)) / epochs,
            })
        })
        .collect()
}

/// The table and the findings.
fn table(s: &SbpcaStudy, rows: &[Row]) -> String {
    let opa = rows.iter().find(|r| r.method == Method::Opa);
    let sgd = |batch: usize| rows.iter().find(|r| r.method == Method::Sgd { batch });
    let mut t = format!(
        "Digits MLP 64-32-10, {} epochs, seeds {}; SBPCA and OPA on the `{DESIGN}` tiles' golden model (the RTL's arithmetic; SBPCA's estimate in {} arithmetic). Each row at the per-sample rate of {{{}}} with the best mean final test accuracy. Ratios: per-sample OPA's writes over the row's.\n\n| method | lr | test accuracy, mean (min..max) | below SGD at its batch | OPAs per epoch | pulses per epoch | fewer OPAs | fewer pulses |\n|---|---|---|---|---|---|---|---|\n",
        s.epochs,
        s.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
        match s.arith {
            Arith::Fixed => "the hardware's fixed-point",
            Arith::Float => "float64",
        },
        s.lrs.iter().map(f64::to_string).collect::<Vec<_>>().join(", "),
    );
    let ratio = |a: Option<f64>, b: f64| match (a, b > 0.0) {
        (Some(a), true) => format!("{:.1}x", a / b),
        _ => "-".to_string(),
    };
    for r in rows {
        let batch = match r.method {
            Method::Sbpca { batch, .. }
            | Method::SbpcaTiles { batch, .. }
            | Method::Sgd { batch } => Some(batch),
            Method::Opa => None,
        };
        let gap = match (r.method, batch.and_then(sgd)) {
            (Method::Sbpca { .. } | Method::SbpcaTiles { .. }, Some(g)) => {
                format!("{:.2} points", 100.0 * (g.accuracy_mean - r.accuracy_mean))
            }
            _ => "-".to_string(),
        };
        let tiles = !matches!(r.method, Method::Sgd { .. });
        t += &format!(
            "| {} | {} | {:.2}% ({:.1}..{:.1}) | {gap} | {} | {} | {} | {} |\n",
            r.method,
            r.lr,
            100.0 * r.accuracy_mean,
            100.0 * r.accuracy_min,
            100.0 * r.accuracy_max,
            if tiles {
                format!("{:.0}", r.opas_per_epoch)
            } else {
                "-".into()
            },
            if tiles {
                format!("{:.0}", r.pulses_per_epoch)
            } else {
                "-".into()
            },
            if tiles {
                ratio(opa.map(|o| o.opas_per_epoch), r.opas_per_epoch)
            } else {
                "-".into()
            },
            if tiles {
                ratio(opa.map(|o| o.pulses_per_epoch), r.pulses_per_epoch)
            } else {
                "-".into()
            },
        );
    }
    t += &findings(rows, opa, sgd(128));
    t
}

/// The target at batch 128: a rank within 2 points of mini-batch SGD with 20x fewer
/// OPAs and pulses than per-sample OPA.
fn findings(rows: &[Row], opa: Option<&Row>, sgd: Option<&Row>) -> String {
    let (Some(opa), Some(sgd)) = (opa, sgd) else {
        return String::new();
    };
    let mut t = String::from("\n");
    for r in rows {
        let (Method::Sbpca { batch: 128, rank } | Method::SbpcaTiles { batch: 128, rank }) =
            r.method
        else {
            continue;
        };
        let at = match r.method {
            Method::SbpcaTiles { .. } => ", in the tiles",
            _ => "",
        };
        let gap = 100.0 * (sgd.accuracy_mean - r.accuracy_mean);
        let (fo, fp) = (
            opa.opas_per_epoch / r.opas_per_epoch.max(1.0),
            opa.pulses_per_epoch / r.pulses_per_epoch.max(1.0),
        );
        t += &format!(
            "- batch 128, rank {rank}{at}: {gap:.2} points below SGD ({}), {fo:.1}x fewer OPAs ({}), {fp:.1}x fewer pulses ({}) than per-sample OPA.\n",
            if gap <= 2.0 { "within 2" } else { "not within 2" },
            if fo >= 20.0 { "at least 20x" } else { "below 20x" },
            if fp >= 20.0 { "at least 20x" } else { "below 20x" },
        );
    }
    t
}

fn write(s: &SbpcaStudy, d: &Design, points: &[Point], complete: bool) -> Result<()> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by(|x, y| {
        (x.method, x.lr, x.seed)
            .partial_cmp(&(y.method, y.lr, y.seed))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let rows = rows(s, points);
    let report = Report {
        tool: crate::train::report::TOOL,
        version: pimforge_gen::emit::VERSION,
        data: s
            .data
            .as_ref()
            .map_or(crate::train::digits::SHIPPED_NAME.into(), |p| {
                p.display().to_string()
            }),
        design: DESIGN,
        config_hash: &d.hash,
        epochs: s.epochs,
        seeds: &s.seeds,
        lrs: &s.lrs,
        arithmetic: s.arith,
        complete,
        rows: rows.clone(),
        points: sorted,
    };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    write_tree(
        &s.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("table.md".to_string(), table(s, &rows).into_bytes()),
            ("sbpca.png".to_string(), plot(s, &rows)?),
        ],
        "--out",
    )
}

mod plot;
use plot::plot;

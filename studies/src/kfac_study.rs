//! The K-FAC study: mini-batch SGD against K-FAC with factors inverted by refinement around an
//! 8-bit INV crossbar and exactly, over a grid of learning rates and seeds, in steps to a target
//! test accuracy; a table and a plot of the best curves.

use crate::plot::{line_png, Frame, Series};
use crate::train::digits::{default_path, load, split};
use crate::train::kfac::{train, Layers, Method, Run, Setup};
use anyhow::Result;
use pimforge_gen::output::write_tree;
use std::path::PathBuf;

/// What the study runs.
#[derive(Clone, Debug)]
pub struct KfacStudy {
    pub batch: usize,
    pub epochs: usize,
    pub seeds: Vec<u64>,
    pub sgd_lr: Vec<f64>,
    pub kfac_lr: Vec<f64>,
    pub damping: f64,
    pub layers: Layers,
    /// Test accuracy to count steps to.
    pub target: f64,
    /// Directory of the table and the plot.
    pub out: PathBuf,
}

struct Row {
    method: Method,
    lr: f64,
    runs: Vec<Run>,
}

impl Row {
    fn mean_curve(&self) -> Vec<f64> {
        let n = self
            .runs
            .iter()
            .map(|r| r.accuracy.len())
            .min()
            .unwrap_or(0);
        (0..n)
            .map(|i| self.runs.iter().map(|r| r.accuracy[i]).sum::<f64>() / self.runs.len() as f64)
            .collect()
    }
    /// Mean steps to the target (None when a seed never reaches it).
    fn steps(&self, target: f64) -> Option<f64> {
        let s: Option<Vec<usize>> = self.runs.iter().map(|r| r.steps_to(target)).collect();
        s.map(|v| v.iter().sum::<usize>() as f64 / v.len() as f64)
    }
}

/// Runs the study, writes `table.md` and `kfac.png` into `a.out`, and returns the table.
pub fn run(a: &KfacStudy) -> Result<String> {
    let all = load(&default_path())?;
    let (tr, te) = split(&all);
    let mut rows = Vec::new();
    let layers = a.layers;
    let grid = a
        .sgd_lr
        .iter()
        .map(|&lr| (Method::Sgd, lr))
        .chain(a.kfac_lr.iter().map(|&lr| (Method::KfacRefine, lr)))
        .chain(a.kfac_lr.iter().map(|&lr| (Method::KfacExact, lr)));
    for (method, lr) in grid {
        let runs = a
            .seeds
            .iter()
            .map(|&seed| {
                train(
                    tr,
                    te,
                    &Setup {
                        method,
                        layers,
                        batch: a.batch,
                        lr,
                        damping: a.damping,
                        epochs: a.epochs,
                        seed,
                    },
                )
            })
            .collect();
        rows.push(Row { method, lr, runs });
    }
    let mut text = format!(
        "Digits MLP, mini-batches of {}, {} epochs, seeds {:?}; K-FAC on {} (damping {}), factors inverted by refinement around an 8-bit INV crossbar (KfacRefine) or exactly in float64 (KfacExact):\n\n| method | lr | steps to {:.0}% (mean) | final test accuracy (mean) | solves | refinement iterations per solve | unconverged solves |\n|---|---|---|---|---|---|---|\n",
        a.batch,
        a.epochs,
        a.seeds,
        if layers == Layers::Both {
            "both layers"
        } else {
            "the output layer"
        },
        a.damping,
        100.0 * a.target
    );
    for r in &rows {
        let solves: u64 = r.runs.iter().map(|x| x.solves).sum();
        let iters: u64 = r.runs.iter().map(|x| x.refine_iterations).sum();
        let failed: u64 = r.runs.iter().map(|x| x.failed_solves).sum();
        text += &format!(
            "| {:?} | {} | {} | {:.2}% | {} | {} | {} |\n",
            r.method,
            r.lr,
            r.steps(a.target)
                .map_or("not reached".into(), |s| format!("{s:.1}")),
            100.0 * r.mean_curve().last().copied().unwrap_or(0.0),
            solves,
            if solves > 0 && r.method == Method::KfacRefine {
                format!("{:.2}", iters as f64 / solves as f64)
            } else {
                "-".into()
            },
            failed
        );
    }
    let best = |m: Method| {
        rows.iter().filter(|r| r.method == m).min_by(|x, y| {
            x.steps(a.target)
                .unwrap_or(f64::MAX)
                .total_cmp(&y.steps(a.target).unwrap_or(f64::MAX))
        })
    };
    let mut series = Vec::new();
    for m in [Method::Sgd, Method::KfacRefine, Method::KfacExact] {
        if let Some(r) = best(m) {
            text += &format!(
                "\nbest {:?}: lr {}, {} steps to {:.0}%",
                m,
                r.lr,
                r.steps(a.target)
                    .map_or("never".into(), |s| format!("{s:.1}")),
                100.0 * a.target
            );
            series.push(Series {
                label: format!("{m:?} (lr {})", r.lr),
                points: r
                    .mean_curve()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ((i + 1) as f64, 100.0 * v))
                    .collect(),
                dashed: false,
            });
        }
    }
    text += "\n";
    let steps = series
        .iter()
        .map(|s| s.points.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let png = line_png(
        &Frame {
            title: "Digits MLP: K-FAC (refined 16-bit solves) vs SGD, mean over seeds",
            x_desc: "step (mini-batch update)",
            y_desc: "test accuracy (%)",
            x: (1.0, steps as f64),
            y: (50.0, 100.0),
        },
        &series,
    )?;
    write_tree(
        &a.out,
        &[
            ("table.md".to_string(), text.clone().into_bytes()),
            ("kfac.png".to_string(), png),
        ],
        "--out",
    )?;
    Ok(text)
}

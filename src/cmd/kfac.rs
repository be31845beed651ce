//! `pimforge kfac`: second-order (K-FAC) training of the digits MLP's output layer with the
//! factors inverted by INV-crossbar refinement, against SGD, in steps to a test accuracy.

use anyhow::Result;
use clap::Args;
use pimforge_gen::output::write_tree;
use pimforge_studies::plot::{line_png, Frame, Series};
use pimforge_studies::train::digits::{default_path, load, split};
use pimforge_studies::train::kfac::{train, Layers, Method, Run, Setup};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct KfacArgs {
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seeds (initial weights and sample order) averaged per setting.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    pub seeds: Vec<u64>,
    /// SGD learning rates tried (mini-batch SGD, both layers).
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.3,0.5,1.0,1.5")]
    pub sgd_lr: Vec<f64>,
    /// K-FAC learning rates tried (output layer).
    #[arg(long, value_delimiter = ',', default_value = "0.02,0.05,0.1,0.2,0.3")]
    pub kfac_lr: Vec<f64>,
    /// K-FAC damping, relative to each factor's mean eigenvalue (trace / n). At 1 and above
    /// every refined solve converges; at 0.3 a few percent do not (factor condition numbers
    /// beyond what the 8-bit INV can refine).
    #[arg(long, default_value_t = 1.0)]
    pub damping: f64,
    /// Layers K-FAC preconditions: `output` (the hidden layer takes SGD steps) or `both`.
    #[arg(long, default_value = "both", value_parser = ["output", "both"])]
    pub layers: String,
    /// Test accuracy the steps are counted to.
    #[arg(long, default_value_t = 0.9)]
    pub target: f64,
    /// Report directory (report.json, table.md, kfac.png).
    #[arg(long, default_value = "build/kfac")]
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

pub fn run(a: &KfacArgs) -> Result<()> {
    let all = load(&default_path())?;
    let (tr, te) = split(&all);
    let mut rows = Vec::new();
    let layers = if a.layers == "both" {
        Layers::Both
    } else {
        Layers::Output
    };
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
    print!("{text}");
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
            ("table.md".to_string(), text.into_bytes()),
            ("kfac.png".to_string(), png),
        ],
    )?;
    println!("pimforge: wrote {}", a.out.display());
    Ok(())
}

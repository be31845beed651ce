//! The K-FAC study: mini-batch SGD against K-FAC with factors inverted by refinement around an
//! 8-bit INV crossbar and exactly, over a grid of learning rates and seeds, in steps to a target
//! test accuracy; a table and a plot of the best curves.

use crate::cost::price::{energy, time};
use crate::cost::solve::{price_tally, solver_tile, Part, Tally};
use crate::cost::CostTable;
use crate::plot::{line_png, Frame, Series};
use crate::train::digits::load;
use crate::train::kfac::{train, Layers, Method, Run, Setup};
use anyhow::Result;
use pimforge_gen::output::write_tree;
use pimforge_golden::solver::InvShape;
use std::collections::BTreeMap;
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
    /// The data set (`None`: the shipped digits data).
    pub data: Option<PathBuf>,
    /// The cost table that prices the refined solves.
    pub table: CostTable,
    /// Directory of the report, the table and the plot.
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
    fn sum(&self, f: impl Fn(&Run) -> u64) -> u64 {
        self.runs.iter().map(f).sum()
    }
    /// Energy (pJ) and time (ns) of the refined solves per step, mean over the seeds' runs.
    fn solves_per_step(&self, table: &CostTable) -> Part {
        let mut tally: BTreeMap<usize, Tally> = BTreeMap::new();
        for (&n, t) in self.runs.iter().flat_map(|r| &r.solved) {
            let s = tally.entry(n).or_default();
            (s.solves, s.iterations, s.cycles) = (
                s.solves + t.solves,
                s.iterations + t.iterations,
                s.cycles + t.cycles,
            );
            s.events += t.events;
        }
        let steps = self.sum(|r| r.accuracy.len() as u64).max(1) as f64;
        let inv = InvShape::default();
        let mut p = Part::default();
        for (&n, t) in &tally {
            let c = price_tally(table, &solver_tile(n, 0), &inv, n, t);
            p.energy_pj += c.total.energy_pj / steps;
            p.latency_ns += c.total.latency_ns / steps;
        }
        p
    }
}

/// Progress of the study: `(rows done, rows in all, the method and rate of the row just done)`.
pub type Progress<'a> = dyn FnMut(usize, usize, &str) + 'a;

/// Runs the study; after every row of the grid writes `report.json`, `table.md` and `kfac.png`
/// into `a.out` (so an interrupted study keeps its finished rows, marked incomplete); returns
/// the table.
pub fn run(a: &KfacStudy, progress: &mut Progress) -> Result<String> {
    pimforge_gen::output::check_out(&a.out, "--out")?;
    let data = load(a.data.as_deref())?;
    let (tr, te) = (&data.train[..], &data.test[..]);
    let grid: Vec<(Method, f64)> = a
        .sgd_lr
        .iter()
        .map(|&lr| (Method::Sgd, lr))
        .chain(a.kfac_lr.iter().map(|&lr| (Method::KfacRefine, lr)))
        .chain(a.kfac_lr.iter().map(|&lr| (Method::KfacExact, lr)))
        .collect();
    let mut rows = Vec::new();
    let mut text = String::new();
    for (i, &(method, lr)) in grid.iter().enumerate() {
        let runs = a
            .seeds
            .iter()
            .map(|&seed| {
                let setup = Setup {
                    method,
                    layers: a.layers,
                    batch: a.batch,
                    lr,
                    damping: a.damping,
                    epochs: a.epochs,
                    seed,
                };
                train(tr, te, &setup)
            })
            .collect::<Result<Vec<Run>>>()?;
        rows.push(Row { method, lr, runs });
        text = write(a, &rows, i + 1 == grid.len())?;
        progress(i + 1, grid.len(), &format!("{method} lr {lr}"));
    }
    if grid.is_empty() {
        text = write(a, &rows, true)?;
    }
    Ok(text)
}

/// The table of the rows so far, written with its report and plot; returns the table.
fn write(a: &KfacStudy, rows: &[Row], complete: bool) -> Result<String> {
    let mut text = format!(
        "Digits MLP, mini-batches of {}, {} epochs, seeds {}; K-FAC on {} (damping {}), factors inverted by refinement around an 8-bit INV crossbar (kfac-refine) or exactly in float64 (kfac-exact); the refined solves priced by the {} table (docs/cost.md):\n\n| method | lr | steps to {:.0}% (mean) | final test accuracy (mean) | solves | refinement iterations per solve | unconverged solves | refined solves per step: energy / time | to the target |\n|---|---|---|---|---|---|---|---|---|\n",
        a.batch,
        a.epochs,
        a.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if a.layers == Layers::Both {
            "both layers"
        } else {
            "the output layer"
        },
        a.damping,
        a.table.name,
        100.0 * a.target
    );
    let mut table = Vec::new();
    for r in rows {
        let solves = r.sum(|x| x.solves);
        let failed = r.sum(|x| x.failed_solves);
        let per_solve = (solves > 0 && r.method == Method::KfacRefine)
            .then(|| r.sum(|x| x.refine_iterations) as f64 / solves as f64);
        let steps = r.steps(a.target);
        let last = r.mean_curve().last().copied();
        let cost = (r.method == Method::KfacRefine).then(|| r.solves_per_step(&a.table));
        let cost_cell = |scale: Option<f64>| match (cost, scale) {
            (Some(c), Some(k)) => {
                format!("{} / {}", energy(c.energy_pj * k), time(c.latency_ns * k))
            }
            _ => "-".to_string(),
        };
        text += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.method,
            r.lr,
            steps.map_or("not reached".into(), |s| format!("{s:.1}")),
            last.map_or("-".into(), |v| format!("{:.2}%", 100.0 * v)),
            solves,
            per_solve.map_or("-".into(), |v| format!("{v:.2}")),
            failed,
            cost_cell(Some(1.0)),
            cost_cell(steps)
        );
        table.push(serde_json::json!({
            "method": r.method,
            "lr": r.lr,
            "steps_to_target_mean": steps,
            "final_test_accuracy_mean": last,
            "solves": solves,
            "refinement_iterations_per_solve": per_solve,
            "unconverged_solves": failed,
            "refined_solves_per_step": cost,
            "seeds": r.runs.iter().map(|x| &x.accuracy).collect::<Vec<_>>(),
        }));
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
                "\nbest {m}: lr {}, {} steps to {:.0}%",
                r.lr,
                r.steps(a.target)
                    .map_or("never".into(), |s| format!("{s:.1}")),
                100.0 * a.target
            );
            series.push(Series {
                label: format!("{m} (lr {})", r.lr),
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
    let report = serde_json::json!({
        "tool": "pimforge kfac",
        "complete": complete,
        "batch": a.batch,
        "epochs": a.epochs,
        "seeds": a.seeds,
        "damping": a.damping,
        "layers": a.layers,
        "target": a.target,
        "data": a.data.as_ref().map_or(crate::train::digits::SHIPPED_NAME.into(), |p| p.display().to_string()),
        "rows": table,
    });
    write_tree(
        &a.out,
        &[
            (
                "report.json".to_string(),
                (serde_json::to_string_pretty(&report)? + "\n").into_bytes(),
            ),
            ("table.md".to_string(), text.clone().into_bytes()),
            ("kfac.png".to_string(), png),
        ],
        "--out",
    )?;
    Ok(text)
}

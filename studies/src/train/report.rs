//! Reports of training runs: a JSON document per run and a PNG plot of test accuracy against
//! epoch for one or more runs (with the float64 reference of the same seed).

use super::backend::Counters;
use super::config::TrainConfig;
use super::data::DataInfo;
use super::epochs::Epoch;
use super::mapping::Placement;
use super::network::HostClips;
use super::spec::NetworkSpec;
use crate::cost::price::CostReport;
use crate::cost::PhaseWork;
use crate::plot::{line_png, Frame, Series};
use anyhow::{anyhow, Context, Result};
use pimforge_gen::output::write_tree;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Marks a report as written by `pimforge train` (its files may be replaced by a later run).
pub const TOOL: &str = "pimforge train";

/// One accuracy curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Curve {
    pub label: String,
    /// Test accuracy after each epoch (fraction).
    pub accuracy: Vec<f64>,
}

/// Everything a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub design: String,
    pub config_hash: String,
    /// The resolved config of the design (what `pimforge cost` prices the work on).
    pub design_config: pimforge_gen::config::Config,
    pub backend: String,
    /// The data set trained on: where from, its split and the features' scaling.
    pub data: DataInfo,
    pub network: NetworkSpec,
    /// Which tiles hold which blocks of the layers.
    pub placement: Placement,
    pub train: TrainConfig,
    /// False while the run is going (the report is rewritten after every epoch) and when it was
    /// interrupted: `epochs` then holds the epochs finished.
    pub complete: bool,
    pub input_frac: u32,
    pub weight_frac: u32,
    pub epochs: Vec<Epoch>,
    pub final_test_accuracy: f64,
    /// The float64 SGD reference with the same seed, initial weights and sample order.
    pub reference: Curve,
    pub counters: Counters,
    pub host_clips: HostClips,
    /// SBPCA: what the low-rank estimates counted (samples absorbed, saturated adds, vectors
    /// replaced in Gram-Schmidt; zero for the float64 reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowrank: Option<super::lowrank::LowRankCounts>,
    pub samples_trained: u64,
    pub seconds: f64,
    pub train_samples_per_second: f64,
    /// Lock-step evidence (RTL backend): cycles and commands that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockstep: Option<serde_json::Value>,
    /// What the run cost, priced from the counted events (a finished run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
    /// The counted work of every tile used, per phase (what `pimforge cost` prices again).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tile_work: Vec<PhaseWork>,
    /// The trained model and the float64 reference deployed onto other chips (`--deploy-seed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<super::deploy::DeployReport>,
}

impl Report {
    /// The totals after the epochs so far, `seconds` into the run.
    pub fn update(&mut self, seconds: f64, n_train: usize) {
        let last = self.epochs.last();
        self.final_test_accuracy = last.map_or(0.0, |e| e.test_accuracy);
        self.counters = last.map_or_else(Counters::default, |e| e.counters);
        self.samples_trained = (self.epochs.len() * n_train) as u64;
        self.seconds = seconds;
        self.train_samples_per_second = self.samples_trained as f64 / seconds.max(1e-9);
    }

    /// The float64 reference's final test accuracy.
    pub fn reference_accuracy(&self) -> f64 {
        self.reference.accuracy.last().copied().unwrap_or(0.0)
    }

    pub fn curve(&self) -> Curve {
        Curve {
            label: format!(
                "{} on {} ({:.2}%)",
                serde_json::to_value(self.train.algorithm)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                self.design,
                100.0 * self.final_test_accuracy
            ),
            accuracy: self.epochs.iter().map(|e| e.test_accuracy).collect(),
        }
    }
}

/// What `pimforge plot` reads back from a report.
#[derive(Clone, Debug)]
pub struct Run {
    pub design: String,
    pub algorithm: String,
    /// Everything that makes runs comparable but the seed: the design's hash, the backend, the
    /// data and every training setting, in words (`golden, 2 epochs, lr 0.01, ...`).
    pub settings: String,
    /// The settings and the seed: two reports of the same run have the same identity.
    pub identity: String,
    pub complete: bool,
    pub accuracy: Vec<f64>,
    pub reference: Vec<f64>,
    pub counters: Counters,
}

/// A report's split in words: `first 1347`, `stratified 0.25 seed 0`.
fn split_words(s: &serde_json::Value) -> String {
    match s["kind"].as_str() {
        Some("first") => format!("first {}", s["train"]),
        Some(k) => format!("{k} {} seed {}", s["test_fraction"], s["seed"]),
        None => s.to_string(),
    }
}

impl Run {
    pub fn parse(json: &str) -> Result<Run> {
        let v: serde_json::Value = serde_json::from_str(json)?;
        if v["tool"] != TOOL {
            return Err(anyhow!("not a `{TOOL}` report"));
        }
        let list = |a: &serde_json::Value| -> Vec<f64> {
            a.as_array()
                .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
                .unwrap_or_default()
        };
        let counter = |k: &str| v["counters"][k].as_u64().unwrap_or(0);
        let t = &v["train"];
        let text = |x: &serde_json::Value| match x {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "none".into(),
            other => other.to_string(),
        };
        let settings = format!(
            "{}, network {}, {} epochs, lr {}, x_frac {}, crs_every {}, transfer_every {}, train limit {}, test limit {}, data {}, config {}",
            text(&v["backend"]),
            text(&v["network"]["name"]),
            text(&t["epochs"]),
            text(&t["lr"]),
            text(&t["x_frac"]),
            text(&t["crs_every"]),
            text(&t["transfer_every"]),
            text(&t["train_limit"]),
            text(&t["test_limit"]),
            match &v["data"]["source"] {
                serde_json::Value::Null => text(&v["data"]),
                src => format!("{} ({})", text(src), split_words(&v["data"]["split"])),
            },
            text(&v["config_hash"]),
        );
        Ok(Run {
            design: v["design"].as_str().unwrap_or("?").into(),
            algorithm: t["algorithm"].as_str().unwrap_or("?").into(),
            identity: format!("{settings}, seed {}", text(&t["seed"])),
            settings,
            complete: v["complete"].as_bool().unwrap_or(true),
            accuracy: v["epochs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e["test_accuracy"].as_f64())
                        .collect()
                })
                .unwrap_or_default(),
            reference: list(&v["reference"]["accuracy"]),
            counters: Counters {
                pulses: counter("pulses"),
                crs_passes: counter("crs_passes"),
                crs_saturations: counter("crs_saturations"),
                update_clips: counter("update_clips"),
                chi_saturations: counter("chi_saturations"),
                ..Counters::default()
            },
        })
    }
}

/// Runs of one design, algorithm and settings (over seeds), averaged.
#[derive(Clone, Debug)]
pub struct Group {
    pub design: String,
    pub algorithm: String,
    pub settings: String,
    pub seeds: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Mean final accuracy of the float64 reference over the same seeds.
    pub reference: f64,
    pub curve: Vec<f64>,
    pub reference_curve: Vec<f64>,
    /// Summed over the runs.
    pub counters: Counters,
}

fn mean_curve(curves: &[&Vec<f64>]) -> Vec<f64> {
    let n = curves.iter().map(|c| c.len()).min().unwrap_or(0);
    (0..n)
        .map(|i| curves.iter().map(|c| c[i]).sum::<f64>() / curves.len() as f64)
        .collect()
}

/// Groups runs by (design, algorithm, settings), in order of first appearance: only runs that
/// differ in their seed alone are averaged.
pub fn group_runs(runs: &[Run]) -> Vec<Group> {
    let key = |r: &Run| (r.design.clone(), r.algorithm.clone(), r.settings.clone());
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in runs {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    keys.into_iter()
        .map(|k| {
            let rs: Vec<&Run> = runs.iter().filter(|r| key(r) == k).collect();
            let finals: Vec<f64> = rs
                .iter()
                .map(|r| *r.accuracy.last().unwrap_or(&0.0))
                .collect();
            let refs: Vec<f64> = rs
                .iter()
                .map(|r| *r.reference.last().unwrap_or(&0.0))
                .collect();
            let mut counters = Counters::default();
            for r in &rs {
                counters += r.counters;
            }
            let (design, algorithm, settings) = k;
            Group {
                seeds: rs.len(),
                mean: finals.iter().sum::<f64>() / finals.len() as f64,
                min: finals.iter().cloned().fold(f64::MAX, f64::min),
                max: finals.iter().cloned().fold(f64::MIN, f64::max),
                reference: refs.iter().sum::<f64>() / refs.len() as f64,
                curve: mean_curve(&rs.iter().map(|r| &r.accuracy).collect::<Vec<_>>()),
                reference_curve: mean_curve(&rs.iter().map(|r| &r.reference).collect::<Vec<_>>()),
                counters,
                design,
                algorithm,
                settings,
            }
        })
        .collect()
}

/// Renders test accuracy (percent) against epoch for `curves` as a PNG.
pub fn plot_png(title: &str, curves: &[Curve]) -> Result<Vec<u8>> {
    let epochs = curves
        .iter()
        .map(|c| c.accuracy.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let lo = curves
        .iter()
        .flat_map(|c| c.accuracy.iter())
        .fold(1.0f64, |a, &b| a.min(b));
    let y0 = ((lo * 100.0 / 5.0).floor() * 5.0).clamp(0.0, 95.0);
    let series: Vec<Series> = curves
        .iter()
        .map(|c| Series {
            label: c.label.clone(),
            points: c
                .accuracy
                .iter()
                .enumerate()
                .map(|(e, a)| ((e + 1) as f64, 100.0 * a))
                .collect(),
            dashed: false,
        })
        .collect();
    let frame = Frame {
        title,
        x_desc: "epoch",
        y_desc: "test accuracy (%)",
        x: (1.0, epochs as f64),
        y: (y0, 100.0),
    };
    line_png(&frame, &series)
}

/// The runs of several reports grouped by design, algorithm and settings: a Markdown table of
/// their accuracy and counts (returned) and their mean curves in `out/accuracy.png`. A report
/// given twice (the same file, or the same run) counts once; incomplete reports are left out;
/// both are said in the returned text.
pub fn plot_reports(reports: &[PathBuf], title: &str, out: &Path) -> anyhow::Result<String> {
    pimforge_gen::output::check_out(out, "--out")?;
    let mut runs: Vec<Run> = Vec::new();
    let mut notes = String::new();
    let mut seen_files = Vec::new();
    for r in reports {
        let canonical = r.canonicalize().unwrap_or_else(|_| r.clone());
        if seen_files.contains(&canonical) {
            notes += &format!("(skipped {}: given twice)\n", r.display());
            continue;
        }
        seen_files.push(canonical);
        let text = std::fs::read_to_string(r)
            .with_context(|| format!("report {}: cannot read", r.display()))?;
        let run = Run::parse(&text).with_context(|| format!("{}", r.display()))?;
        if !run.complete {
            notes += &format!(
                "(skipped {}: an incomplete run, {} epochs done)\n",
                r.display(),
                run.accuracy.len()
            );
        } else if runs.iter().any(|o| o.identity == run.identity) {
            notes += &format!(
                "(skipped {}: the same run as an earlier report)\n",
                r.display()
            );
        } else {
            runs.push(run);
        }
    }
    if runs.is_empty() {
        anyhow::bail!("no complete report to plot\n{notes}");
    }
    let groups = group_runs(&runs);
    let mut text = String::new();
    text += "| design | algorithm | settings | seeds | test accuracy (mean, range) | float64 reference (mean) | gap | pulses | CRS passes | CRS saturations | clipped updates | chi saturations |\n";
    text += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    let mut curves = Vec::new();
    for g in &groups {
        text += &format!(
            "| {} | {} | {} | {} | {:.2}% ({:.2}-{:.2}) | {:.2}% | {:+.2} | {} | {} | {} | {} | {} |\n",
            g.design,
            g.algorithm,
            g.settings,
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
        let which = if groups
            .iter()
            .filter(|o| o.design == g.design && o.algorithm == g.algorithm)
            .count()
            > 1
        {
            format!(
                ", {}",
                g.settings.split(", data").next().unwrap_or_default()
            )
        } else {
            String::new()
        };
        curves.push(Curve {
            label: format!(
                "{} on {}{which} ({:.2}%, {} seeds)",
                g.algorithm,
                g.design,
                100.0 * g.mean,
                g.seeds
            ),
            accuracy: g.curve.clone(),
        });
        // Groups on the same samples and seeds share one reference curve.
        if !curves.iter().any(|c| c.accuracy == g.reference_curve) {
            curves.push(Curve {
                label: format!(
                    "float64 SGD reference ({:.2}%, {} seeds)",
                    100.0 * g.reference,
                    g.seeds
                ),
                accuracy: g.reference_curve.clone(),
            });
        }
    }
    text +=
        "(counts are per run; the gap is to the float64 reference of the same seeds and samples)\n";
    text += &notes;
    let png = plot_png(title, &curves)?;
    write_tree(out, &[("accuracy.png".to_string(), png)], "--out")?;
    Ok(text)
}

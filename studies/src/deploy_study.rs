//! The deployment study: the digits MLP trained in memory on one chip, then programmed by
//! write-and-verify onto other chips of the same design and tested there, beside the float64
//! model of the same seed deployed onto the same chips (the comparison of Wu et al.: models
//! trained on chip map onto other chips without retraining); for each algorithm and fraction of
//! stuck cells (half at each bound, the design's own device spread), on the golden model.
//!
//! Seed `s` trains on chip `device.seed = s + 1` (seed 0 on the presets' chip); every model is
//! deployed onto the same chips, `--chips`. [`crate::train::deploy`] says what is programmed.

use crate::plot::{line_png, Frame, Series};
use crate::train::backend::Golden;
use crate::train::config::Algorithm;
use crate::train::data::Sample;
use crate::train::deploy::{deploy_both, read_model, DeployReport};
use crate::train::digits::load;
use crate::train::reference;
use crate::train::spec::NetworkSpec;
use crate::train::study_run::{self, train_config, Length};
use anyhow::Result;
use pimforge_gen::output::write_tree;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// What the study runs.
#[derive(Clone, Debug)]
pub struct DeployStudy {
    pub algorithms: Vec<Algorithm>,
    /// Fractions of stuck cells on every chip, half at each bound.
    pub stuck: Vec<f64>,
    /// Device seeds of the chips deployed onto.
    pub chips: Vec<u64>,
    pub seeds: Vec<u64>,
    pub len: Length,
    pub jobs: usize,
    pub data: Option<PathBuf>,
    /// Directory of `report.json`, `table.md` and `deploy.png`.
    pub out: PathBuf,
}

/// One finished run: a model trained, and it and the float64 model deployed.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub algorithm: String,
    pub stuck: f64,
    pub seed: u64,
    pub design: String,
    pub config_hash: String,
    pub deployment: DeployReport,
    pub seconds: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    tool: &'a str,
    version: &'a str,
    epochs: usize,
    seeds: &'a [u64],
    chips: &'a [u64],
    stuck: &'a [f64],
    complete: bool,
    points: Vec<&'a Point>,
}

fn one(
    s: &DeployStudy,
    (a, stuck, seed): (Algorithm, f64, u64),
    (tr, te): (&[Sample], &[Sample]),
) -> Result<Point> {
    let (name, d) = study_run::design(a, |cfg| {
        (cfg.device.stuck_on, cfg.device.stuck_off) = (stuck / 2.0, stuck / 2.0);
        cfg.device.seed = seed + 1;
    })?;
    let tc = train_config(a, seed, s.len);
    let t0 = Instant::now();
    let run = study_run::run(&d, &tc, (tr, te))?;
    let w_frac = d.config().weight.frac;
    let model = read_model(&run.trained.network, &run.backend, w_frac);
    let n_train = s.len.train_limit.unwrap_or(tr.len()).min(tr.len());
    let spec = NetworkSpec::digits();
    let lr = tc.reference_lr();
    let (float_model, acc) = reference::train_model(&spec, (tr, te), tc.epochs, lr, seed, n_train);
    let before = (run.final_accuracy(), acc.last().copied().unwrap_or(0.0));
    let deployment = deploy_both(
        &d,
        &s.chips,
        &run.placement,
        ((&model, &float_model), before),
        te,
        &mut |chip| {
            let b = Golden::new(&chip.shape, chip.cells().to_vec(), chip.units().to_vec());
            Ok(Box::new(b))
        },
    )?;
    Ok(Point {
        algorithm: a.to_string(),
        stuck,
        seed,
        design: name,
        config_hash: d.hash.clone(),
        deployment,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Progress: `(runs done, runs in all, the run just done)`.
pub type Progress<'a> = dyn Fn(usize, usize, &Point) + Sync + 'a;

/// Runs the study on `s.jobs` threads, rewriting the report after every run; returns the table.
pub fn run(s: &DeployStudy, progress: &Progress) -> Result<String> {
    pimforge_gen::output::check_out(&s.out, "--out")?;
    let set = load(s.data.as_deref())?;
    let (tr, te) = (&set.train[..], set.test_limited(s.len.test_limit));
    let mut work = Vec::new();
    for &a in &s.algorithms {
        for &f in &s.stuck {
            for &seed in &s.seeds {
                work.push((a, f, seed));
            }
        }
    }
    let points = crate::pool::run_study(
        &work,
        s.jobs,
        |&w| one(s, w, (tr, te)),
        |d, all| write(s, d, all),
        progress,
    )?;
    Ok(table(s, &points))
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    sum / n.max(1) as f64
}

/// The runs of `a` at `stuck`.
fn cell<'a>(points: &'a [Point], a: &str, stuck: f64) -> Vec<&'a DeployReport> {
    points
        .iter()
        .filter(|p| p.algorithm == a && p.stuck == stuck)
        .map(|p| &p.deployment)
        .collect()
}

/// Means over runs and chips: (trained before, after, float64 before, after, weights off).
fn means(runs: &[&DeployReport]) -> (f64, f64, f64, f64, f64) {
    let chips = |side: fn(&DeployReport) -> &crate::train::deploy::Deployed| {
        mean(
            runs.iter()
                .flat_map(|r| side(r).chips.iter().map(|c| c.test_accuracy)),
        )
    };
    (
        mean(runs.iter().map(|r| r.trained.before)),
        chips(|r| &r.trained),
        mean(runs.iter().map(|r| r.reference.before)),
        chips(|r| &r.reference),
        mean(
            runs.iter()
                .flat_map(|r| r.trained.chips.iter().map(|c| c.weights_off as f64)),
        ),
    )
}

/// The spread of the drops over runs and chips: (min, max) in points.
fn drop_range(runs: &[&DeployReport], trained: bool) -> (f64, f64) {
    let drops = runs.iter().flat_map(|r| {
        let side = if trained { &r.trained } else { &r.reference };
        side.chips
            .iter()
            .map(move |c| 100.0 * (side.before - c.test_accuracy))
    });
    drops.fold((f64::MAX, f64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)))
}

fn table(s: &DeployStudy, points: &[Point]) -> String {
    let pct = |v: f64| format!("{:.2}%", 100.0 * v);
    let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let mut t = format!(
        "Digits MLP 64-32-10 ({} epochs, seeds {}; seed s trained on chip s + 1), deployed by write-and-verify onto chips {} (stuck cells half at each bound, the design's own device spread). Accuracy before deployment (the training chip, or float64 on the host) and the mean over seeds and chips after; drops in points, mean (min..max).\n\n",
        s.len.epochs,
        list(&s.seeds),
        list(&s.chips)
    );
    t += "| algorithm | stuck cells | trained on chip | deployed | drop | float64 | float64 deployed | drop | weights off target |\n|---|---|---|---|---|---|---|---|---|\n";
    let mut findings = String::new();
    for &a in &s.algorithms {
        for &f in &s.stuck {
            let runs = cell(points, &a.to_string(), f);
            if runs.is_empty() {
                continue;
            }
            let (tb, ta, rb, ra, off) = means(&runs);
            // Points, with a drop below half a hundredth shown as 0.00 (never -0.00).
            let points = |before: f64, after: f64| match 100.0 * (before - after) {
                d if d.abs() < 0.005 => 0.0,
                d => d,
            };
            let (tl, th) = drop_range(&runs, true);
            let (rl, rh) = drop_range(&runs, false);
            let weights = runs[0].trained.chips.first().map_or(0, |c| c.weights);
            t += &format!(
                "| {a} | {}% | {} | {} | {:.2} ({tl:.1}..{th:.1}) | {} | {} | {:.2} ({rl:.1}..{rh:.1}) | {off:.1} of {weights} |\n",
                100.0 * f,
                pct(tb),
                pct(ta),
                points(tb, ta),
                pct(rb),
                pct(ra),
                points(rb, ra),
            );
            if runs.len() == s.seeds.len() {
                let (dt, dr) = (points(tb, ta), points(rb, ra));
                findings += &format!(
                    "- {a}, {}% stuck: the model trained on chip loses {dt:.2} points on the other chips ({}), the float64 model {dr:.2} ({}).\n",
                    100.0 * f,
                    match dt <= 1.0 {
                        true => "it maps onto them without retraining, as Wu et al. report",
                        false => "Wu et al.'s claim does not hold here",
                    },
                    match dt - dr {
                        d if d.abs() <= 0.5 => "as robust".to_string(),
                        d if d < 0.0 => format!("{:.2} points less robust than the model trained on chip", -d),
                        d => format!("{d:.2} points more robust than the model trained on chip"),
                    }
                );
            }
        }
    }
    t + "\n" + &findings
}

fn write(s: &DeployStudy, points: &[Point], complete: bool) -> Result<()> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by(|x, y| {
        (x.algorithm.as_str(), x.stuck, x.seed)
            .partial_cmp(&(y.algorithm.as_str(), y.stuck, y.seed))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let report = Report {
        tool: crate::train::report::TOOL,
        version: pimforge_gen::emit::VERSION,
        epochs: s.len.epochs,
        seeds: &s.seeds,
        chips: &s.chips,
        stuck: &s.stuck,
        complete,
        points: sorted,
    };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    write_tree(
        &s.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("table.md".to_string(), table(s, points).into_bytes()),
            ("deploy.png".to_string(), plot(s, points)?),
        ],
        "--out",
    )
}

/// The drop from deployment against the stuck fraction: a line per algorithm, its float64
/// model's thin in the same colour.
fn plot(s: &DeployStudy, points: &[Point]) -> Result<Vec<u8>> {
    let mut series = Vec::new();
    for &a in &s.algorithms {
        let name = a.to_string();
        let side = |trained: bool| -> Vec<(f64, f64)> {
            s.stuck
                .iter()
                .filter_map(|&f| {
                    let runs = cell(points, &name, f);
                    let (tb, ta, rb, ra, _) = means(&runs);
                    let drop = if trained { tb - ta } else { rb - ra };
                    (!runs.is_empty()).then_some((100.0 * f, 100.0 * drop))
                })
                .collect()
        };
        series.push(Series {
            label: format!("{name}, trained on chip"),
            points: side(true),
            dashed: false,
        });
        series.push(Series {
            label: format!("{name}, float64 model"),
            points: side(false),
            dashed: true,
        });
    }
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = ys.fold((0.0f64, 1.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let xhi = 100.0 * s.stuck.iter().cloned().fold(0.0, f64::max);
    line_png(
        &Frame {
            title: "Digits MLP deployed onto other chips: accuracy lost",
            x_desc: "stuck cells on every chip (% of all cells, half at each bound)",
            y_desc: "test accuracy lost on the other chips (points)",
            x: (0.0, xhi.max(1e-3)),
            y: ((lo - 1.0).floor(), (hi + 1.0).ceil()),
        },
        &series,
    )
}

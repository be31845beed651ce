//! The fault study: the digits MLP trained in memory on chips with stuck cells (a fraction of
//! the cells stuck at their upper bound, at their lower one, or half and half) and with a
//! growing device-to-device spread, for every update algorithm, on the golden model; a table,
//! a JSON report, plots of test accuracy against the fault rate, and the fraction at which
//! each algorithm has lost 5 points.
//!
//! Each seed trains on a chip of its own (`device.seed = seed + 1`: seed 0 on the presets'
//! chip), so the seeds average over chips too. A fraction is of cells: a bit-sliced weight of
//! `digits` has 8 cells, so a fraction `f` of stuck cells hits about `8 f` of its weights; the
//! single-cell designs (`digits-mixed`, `digits-tiki`) have one cell per weight (and Tiki-Taka
//! has A's cells too, stuck alike). The stuck sweep keeps each design's own spread (0 for the
//! ideal cells of `digits`, 0.3 for the ReRAM cells); the spread sweep has no stuck cells.

use crate::plot::{accuracy_range, line_png, Frame, Series};
use crate::train::config::Algorithm;
use crate::train::deploy::stuck_cells;
use crate::train::digits::load;
use crate::train::reference;
use crate::train::spec::NetworkSpec;
use crate::train::study_run::{self, train_config, Length};
use anyhow::Result;
use pimforge_gen::output::write_tree;
use pimforge_gen::presets::preset;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Which bound stuck cells sit at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// At the upper bound (`device.stuck_on`).
    On,
    /// At the lower bound (`device.stuck_off`).
    Off,
    /// Half at each.
    Both,
}

impl Kind {
    /// `(stuck_on, stuck_off)` for a fraction `f` of stuck cells.
    fn split(self, f: f64) -> (f64, f64) {
        match self {
            Kind::On => (f, 0.0),
            Kind::Off => (0.0, f),
            Kind::Both => (f / 2.0, f / 2.0),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::On => "on",
            Kind::Off => "off",
            Kind::Both => "both",
        }
    }
}

/// The faults of a chip.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Faults {
    pub stuck_on: f64,
    pub stuck_off: f64,
    /// The device-to-device spread (`None`: the design's own).
    pub dtod: Option<f64>,
}

const NONE: Faults = Faults {
    stuck_on: 0.0,
    stuck_off: 0.0,
    dtod: None,
};

/// What the study runs.
#[derive(Clone, Debug)]
pub struct FaultStudy {
    pub algorithms: Vec<Algorithm>,
    /// Fractions of stuck cells (the fault-free chip always runs).
    pub stuck: Vec<f64>,
    pub kinds: Vec<Kind>,
    /// Device-to-device spreads (relative; empty: no spread sweep).
    pub dtod: Vec<f64>,
    pub seeds: Vec<u64>,
    pub len: Length,
    /// Runs in parallel.
    pub jobs: usize,
    /// The data set (`None`: the shipped digits data).
    pub data: Option<PathBuf>,
    /// Directory of `report.json`, `table.md`, `stuck.png` and `dtod.png`.
    pub out: PathBuf,
}

/// One finished run.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub algorithm: String,
    pub faults: Faults,
    pub seed: u64,
    pub design: String,
    pub config_hash: String,
    /// Stuck cells under the network's weights.
    pub stuck_cells: usize,
    pub accuracy: Vec<f64>,
    pub final_accuracy: f64,
    pub pulses: u64,
    pub seconds: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    tool: &'a str,
    version: &'a str,
    epochs: usize,
    seeds: &'a [u64],
    stuck: &'a [f64],
    kinds: &'a [Kind],
    dtod: &'a [f64],
    complete: bool,
    /// The float64 reference's final test accuracy per seed.
    reference: Vec<f64>,
    points: Vec<&'a Point>,
}

/// The faults of every run of `a`: none, each kind at each fraction, each spread (the design's
/// own spread is the fault-free run).
fn chips(s: &FaultStudy, a: Algorithm) -> Vec<Faults> {
    let own = own_dtod(a);
    let mut v = vec![NONE];
    for &k in &s.kinds {
        for &f in s.stuck.iter().filter(|&&f| f > 0.0) {
            let (stuck_on, stuck_off) = k.split(f);
            v.push(Faults {
                stuck_on,
                stuck_off,
                dtod: None,
            });
        }
    }
    for &d in &s.dtod {
        v.push(Faults {
            dtod: (d != own).then_some(d),
            ..NONE
        });
    }
    let mut unique = Vec::new();
    for f in v {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    unique
}

/// The device-to-device spread of `a`'s design.
fn own_dtod(a: Algorithm) -> f64 {
    preset(a.default_preset()).map_or(0.0, |c| c.device.dtod)
}

fn one(s: &FaultStudy, (a, f, seed): (Algorithm, Faults, u64), data: &Data) -> Result<Point> {
    let (name, d) = study_run::design(a, |cfg| {
        cfg.device.stuck_on = f.stuck_on;
        cfg.device.stuck_off = f.stuck_off;
        cfg.device.dtod = f.dtod.unwrap_or(cfg.device.dtod);
        cfg.device.seed = seed + 1;
    })?;
    let tc = train_config(a, seed, s.len);
    let t0 = Instant::now();
    let run = study_run::run(&d, &tc, (&data.0, &data.1))?;
    Ok(Point {
        algorithm: a.to_string(),
        faults: f,
        seed,
        design: name,
        config_hash: d.hash.clone(),
        stuck_cells: stuck_cells(&run.backend, &run.placement),
        final_accuracy: run.final_accuracy(),
        accuracy: run.accuracy(),
        pulses: run.counters.pulses,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

type Data = (
    Vec<crate::train::data::Sample>,
    Vec<crate::train::data::Sample>,
);

/// Progress: `(runs done, runs in all, the run just done)`.
pub type Progress<'a> = dyn Fn(usize, usize, &Point) + Sync + 'a;

/// Runs the study on `s.jobs` threads; after every run writes the report, the table and the
/// plots (an interrupted study keeps its finished runs, marked incomplete); returns the table.
pub fn run(s: &FaultStudy, progress: &Progress) -> Result<String> {
    pimforge_gen::output::check_out(&s.out, "--out")?;
    let set = load(s.data.as_deref())?;
    let n_train = s.len.train_limit.unwrap_or(set.train.len());
    let data: Data = (
        set.train.clone(),
        set.test_limited(s.len.test_limit).to_vec(),
    );
    let mut work = Vec::new();
    for &a in &s.algorithms {
        for f in chips(s, a) {
            for &seed in &s.seeds {
                work.push((a, f, seed));
            }
        }
    }
    let (spec, lr) = (NetworkSpec::digits(), reference::REFERENCE_LR);
    let both = (&data.0[..], &data.1[..]);
    let reference = reference::finals(&spec, both, s.len.epochs, lr, &s.seeds, n_train);
    let points = crate::pool::run_study(
        &work,
        s.jobs,
        |&w| one(s, w, &data),
        |d, all| write(s, &reference, d, all),
        progress,
    )?;
    Ok(table(s, &reference, &points))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The final accuracies of `a`'s finished runs with faults `f`.
fn accuracies(points: &[Point], a: &str, f: Faults) -> Vec<f64> {
    points
        .iter()
        .filter(|p| p.algorithm == a && p.faults == f)
        .map(|p| p.final_accuracy)
        .collect()
}

/// The smallest x at which `curve` (x ascending, accuracy fractions) has fallen 0.05 below its
/// first point, interpolated linearly between the grid points around it; `None`: never.
pub fn five_points(curve: &[(f64, f64)]) -> Option<f64> {
    let &(_, base) = curve.first()?;
    let target = base - 0.05;
    curve.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (y1 <= target).then(|| match y0 - y1 {
            d if d > 0.0 => x0 + (x1 - x0) * ((y0 - target) / d).clamp(0.0, 1.0),
            _ => x1,
        })
    })
}

/// One sweep of `a`: `(x, faults)` along the sweep of `kind` (`None`: the spread).
fn sweep(s: &FaultStudy, a: Algorithm, kind: Option<Kind>) -> Vec<(f64, Faults)> {
    let all = chips(s, a);
    let own = own_dtod(a);
    match kind {
        Some(k) => {
            let mut v = vec![(0.0, NONE)];
            for &f in s.stuck.iter().filter(|&&f| f > 0.0) {
                let (stuck_on, stuck_off) = k.split(f);
                let want = Faults {
                    stuck_on,
                    stuck_off,
                    dtod: None,
                };
                v.extend(all.iter().filter(|&&c| c == want).map(|&c| (f, c)));
            }
            v
        }
        None => s
            .dtod
            .iter()
            .map(|&d| {
                let dtod = (d != own).then_some(d);
                (d, Faults { dtod, ..NONE })
            })
            .collect(),
    }
}

/// The mean accuracy along a sweep, over the points where every seed finished.
fn curve(s: &FaultStudy, points: &[Point], a: Algorithm, kind: Option<Kind>) -> Vec<(f64, f64)> {
    sweep(s, a, kind)
        .into_iter()
        .filter_map(|(x, f)| {
            let acc = accuracies(points, &a.to_string(), f);
            (acc.len() == s.seeds.len()).then(|| (x, mean(&acc)))
        })
        .collect()
}

fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

/// The table of one sweep: a row per algorithm, a column per grid point, and where each has
/// lost 5 points.
fn sweep_table(s: &FaultStudy, points: &[Point], kind: Option<Kind>, xs: &[f64]) -> String {
    let head = |x: f64| match kind {
        Some(_) => format!(" {}% |", 100.0 * x),
        None => format!(" {x} |"),
    };
    let mut t = String::from("| algorithm |");
    xs.iter().for_each(|&x| t += &head(x));
    t += " 5 points lost at |\n|---|";
    t += &"---|".repeat(xs.len() + 1);
    t += "\n";
    for &a in &s.algorithms {
        t += &format!("| {a} |");
        let sw = sweep(s, a, kind);
        for &x in xs {
            let acc = sw
                .iter()
                .find(|(sx, _)| *sx == x)
                .map_or(vec![], |&(_, f)| accuracies(points, &a.to_string(), f));
            t += &match acc.is_empty() {
                true => " - |".into(),
                false => format!(
                    " {} ({:.1}..{:.1}) |",
                    pct(mean(&acc)),
                    100.0 * acc.iter().cloned().fold(f64::MAX, f64::min),
                    100.0 * acc.iter().cloned().fold(f64::MIN, f64::max)
                ),
            };
        }
        let c = curve(s, points, a, kind);
        t += &match (five_points(&c), kind) {
            (Some(x), Some(_)) => format!(" {:.2}% |\n", 100.0 * x),
            (Some(x), None) => format!(" {x:.2} |\n"),
            (None, _) if c.len() == xs.len() => " not within the grid |\n".into(),
            (None, _) => " - |\n".into(),
        };
    }
    t
}

/// The tables and findings of the runs so far.
fn table(s: &FaultStudy, reference: &[f64], points: &[Point]) -> String {
    let seeds: Vec<String> = s.seeds.iter().map(u64::to_string).collect();
    let mut t = format!(
        "Digits MLP 64-32-10 trained in memory on the tiles' golden model ({} epochs, seeds {}, each on a chip of its own): final test accuracy, mean (min..max). Float64 reference: {}.\n",
        s.len.epochs,
        seeds.join(", "),
        pct(mean(reference))
    );
    let mut xs = vec![0.0];
    xs.extend(s.stuck.iter().filter(|&&f| f > 0.0));
    for &k in &s.kinds {
        t += &format!(
            "\nCells stuck {} (fraction of all cells; the design's own device spread):\n\n",
            match k {
                Kind::On => "at their upper bound",
                Kind::Off => "at their lower bound",
                Kind::Both => "half at each bound",
            }
        );
        t += &sweep_table(s, points, Some(k), &xs);
    }
    if !s.dtod.is_empty() {
        t += "\nDevice-to-device spread of steps and bounds (no stuck cells; 5 points against the first spread):\n\n";
        t += &sweep_table(s, points, None, &s.dtod);
    }
    t
}

fn write(s: &FaultStudy, reference: &[f64], points: &[Point], complete: bool) -> Result<()> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by(|x, y| {
        let key = |p: &Point| (p.faults.stuck_on, p.faults.stuck_off, p.faults.dtod);
        (x.algorithm.as_str(), key(x), x.seed)
            .partial_cmp(&(y.algorithm.as_str(), key(y), y.seed))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let report = Report {
        tool: crate::train::report::TOOL,
        version: pimforge_gen::emit::VERSION,
        epochs: s.len.epochs,
        seeds: &s.seeds,
        stuck: &s.stuck,
        kinds: &s.kinds,
        dtod: &s.dtod,
        complete,
        reference: reference.to_vec(),
        points: sorted,
    };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    let mut files = vec![
        ("report.json".to_string(), json.into_bytes()),
        (
            "table.md".to_string(),
            table(s, reference, points).into_bytes(),
        ),
        ("stuck.png".to_string(), plot(s, reference, points, true)?),
    ];
    if !s.dtod.is_empty() {
        files.push(("dtod.png".to_string(), plot(s, reference, points, false)?));
    }
    write_tree(&s.out, &files, "--out")
}

/// Accuracy against the stuck fraction (`stuck`: a line per algorithm and kind, the second
/// kind thin in the same colour) or against the spread.
fn plot(s: &FaultStudy, reference: &[f64], points: &[Point], stuck: bool) -> Result<Vec<u8>> {
    let scale = if stuck { 100.0 } else { 1.0 };
    let xs: Vec<f64> = match stuck {
        true => std::iter::once(0.0)
            .chain(s.stuck.iter().copied())
            .collect(),
        false => s.dtod.clone(),
    };
    let lo = scale * xs.iter().cloned().fold(f64::MAX, f64::min);
    let hi = (scale * xs.iter().cloned().fold(f64::MIN, f64::max)).max(lo + 1e-3);
    let r = 100.0 * mean(reference);
    let mut series = vec![Series {
        label: format!("float64 reference ({r:.2}%)"),
        points: vec![(lo, r), (hi, r)],
        dashed: true,
    }];
    for &a in &s.algorithms {
        let kinds: Vec<Option<Kind>> = match stuck {
            true => s.kinds.iter().map(|&k| Some(k)).collect(),
            false => vec![None],
        };
        for (i, &k) in kinds.iter().enumerate() {
            let pts = curve(s, points, a, k)
                .into_iter()
                .map(|(x, y)| (scale * x, 100.0 * y))
                .collect();
            series.push(Series {
                label: k.map_or(a.to_string(), |k| format!("{a}, stuck {}", k.name())),
                points: pts,
                dashed: i > 0,
            });
        }
    }
    let (title, x_desc) = match stuck {
        true => (
            "Digits MLP trained on chips with stuck cells",
            "stuck cells (% of all cells)",
        ),
        false => (
            "Digits MLP trained on chips with device-to-device variation",
            "device-to-device spread of steps and bounds (relative)",
        ),
    };
    line_png(
        &Frame {
            title,
            x_desc,
            y_desc: "test accuracy (%)",
            x: (lo, hi),
            y: accuracy_range(&series),
        },
        &series,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_points_interpolates_between_the_grid_points_around_the_loss() {
        let c = [(0.0, 0.90), (0.01, 0.88), (0.02, 0.80), (0.05, 0.5)];
        // 0.85 is reached 3/8 of the way from 0.01 to 0.02.
        let x = five_points(&c).unwrap();
        assert!((x - 0.01375).abs() < 1e-12, "{x}");
        assert_eq!(five_points(&[(0.0, 0.9), (0.1, 0.86)]), None);
        let near = |x: Option<f64>, want: f64| x.is_some_and(|x| (x - want).abs() < 1e-9);
        assert!(near(five_points(&[(0.0, 0.9), (0.1, 0.85)]), 0.1));
        assert_eq!(five_points(&[]), None);
        // A dip that recovers still counts at its first crossing.
        assert!(near(
            five_points(&[(0.0, 0.9), (1.0, 0.8), (2.0, 0.9)]),
            0.5
        ));
    }

    #[test]
    fn kinds_split_the_fraction_between_the_bounds() {
        assert_eq!(Kind::On.split(0.1), (0.1, 0.0));
        assert_eq!(Kind::Off.split(0.1), (0.0, 0.1));
        assert_eq!(Kind::Both.split(0.1), (0.05, 0.05));
    }
}

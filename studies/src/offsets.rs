//! The offset study: the digits MLP trained on the tiles' golden model with TTv2, c-TTv2 and
//! AGAD while A's references are offset from the devices' symmetry points, beside analog SGD and
//! mixed precision (which have no A) and the float64 reference; a table, a JSON report and a
//! plot of test accuracy against the offset.
//!
//! Every run is `train::network::train` on the `digits-tiki` design (`digits-mixed` for mixed
//! precision) with `tiki.offset_mean` set to the offset and `tiki.offset_std` to half of it,
//! through [`Golden`]: the same commands and the same arithmetic as the RTL in lock-step.

use crate::plot::{accuracy_range, line_png, Frame, Series};
use crate::train::backend::Counters;
use crate::train::config::Algorithm;
use crate::train::data::Sample;
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
pub struct OffsetStudy {
    pub algorithms: Vec<Algorithm>,
    /// Mean offsets of A's references from the symmetry points, in levels (one level is one
    /// device step); the spread is half the mean.
    pub offsets: Vec<f64>,
    pub seeds: Vec<u64>,
    pub epochs: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// Runs in parallel.
    pub jobs: usize,
    /// The data set (`None`: the shipped digits data).
    pub data: Option<PathBuf>,
    /// Directory of `report.json`, `table.md` and `offsets.png`.
    pub out: PathBuf,
}

/// One finished run.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub algorithm: String,
    pub offset: f64,
    pub seed: u64,
    pub design: String,
    pub config_hash: String,
    pub lr: f64,
    /// Test accuracy after every epoch.
    pub accuracy: Vec<f64>,
    pub final_accuracy: f64,
    pub counters: Counters,
    pub seconds: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    tool: &'a str,
    version: &'a str,
    data: String,
    epochs: usize,
    seeds: &'a [u64],
    offsets: &'a [f64],
    complete: bool,
    /// The float64 reference's final test accuracy per seed.
    reference: Vec<f64>,
    points: Vec<&'a Point>,
}

/// Whether the algorithm's accuracy can depend on A's references (the others have no A).
fn uses_a(a: Algorithm) -> bool {
    a.flavor().is_some()
}

fn one(
    s: &OffsetStudy,
    (a, offset, seed): (Algorithm, f64, u64),
    tr: &[Sample],
    te: &[Sample],
) -> Result<Point> {
    let (name, d) = study_run::design(a, |cfg| {
        if let Some(t) = cfg.tiki.as_mut() {
            (t.offset_mean, t.offset_std) = (offset, offset / 2.0);
        }
    })?;
    let len = Length {
        epochs: s.epochs,
        train_limit: s.train_limit,
        test_limit: s.test_limit,
    };
    let tc = train_config(a, seed, len);
    let t0 = Instant::now();
    let run = study_run::run(&d, &tc, (tr, te))?;
    Ok(Point {
        algorithm: a.to_string(),
        offset,
        seed,
        design: name,
        config_hash: d.hash.clone(),
        lr: tc.lr,
        final_accuracy: run.final_accuracy(),
        accuracy: run.accuracy(),
        counters: run.counters,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Progress: `(runs done, runs in all, the run just done)`.
pub type Progress<'a> = dyn Fn(usize, usize, &Point) + Sync + 'a;

/// Runs the study on `s.jobs` threads; after every run writes the report, the table and the
/// plot (an interrupted study keeps its finished runs, marked incomplete); returns the table.
pub fn run(s: &OffsetStudy, progress: &Progress) -> Result<String> {
    pimforge_gen::output::check_out(&s.out, "--out")?;
    let data = load(s.data.as_deref())?;
    let (tr, te) = (&data.train[..], data.test_limited(s.test_limit));
    let n_train = s.train_limit.unwrap_or(tr.len()).min(tr.len());
    let mut work = Vec::new();
    for &a in &s.algorithms {
        let offsets: &[f64] = if uses_a(a) { &s.offsets } else { &[0.0] };
        for &o in offsets {
            for &seed in &s.seeds {
                work.push((a, o, seed));
            }
        }
    }
    let spec = NetworkSpec::digits();
    let lr = reference::REFERENCE_LR;
    let reference = reference::finals(&spec, (tr, te), s.epochs, lr, &s.seeds, n_train);
    let points = crate::pool::run_study(
        &work,
        s.jobs,
        |&w| one(s, w, tr, te),
        |d, all| write(s, &reference, d, all),
        progress,
    )?;
    Ok(table(s, &reference, &points))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The finished runs of one algorithm at one offset.
fn cell<'a>(points: &'a [Point], a: &str, o: f64) -> Vec<&'a Point> {
    points
        .iter()
        .filter(|p| p.algorithm == a && p.offset == o)
        .collect()
}

fn accuracies(runs: &[&Point]) -> Vec<f64> {
    runs.iter().map(|p| p.final_accuracy).collect()
}

/// The table and the findings of the runs so far.
fn table(s: &OffsetStudy, reference: &[f64], points: &[Point]) -> String {
    let pct = |v: f64| format!("{:.2}%", 100.0 * v);
    let mut t = format!(
        "Digits MLP 64-32-10 on the tiles' golden model ({} epochs, seeds {}): final test accuracy, mean (min..max), against the mean offset of A's references from the devices' symmetry points in levels (spread half the mean). Float64 reference: {}.\n\n| algorithm |",
        s.epochs,
        s.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
        pct(mean(reference))
    );
    for o in &s.offsets {
        t += &format!(" {o} |");
    }
    t += " pulses into A per run | pulses into C per run |\n|---|";
    t += &"---|".repeat(s.offsets.len() + 2);
    t += "\n";
    for &a in &s.algorithms {
        let name = a.to_string();
        t += &format!("| {name} |");
        let mut all = Vec::new();
        for &o in &s.offsets {
            let runs = cell(points, &name, if uses_a(a) { o } else { 0.0 });
            all.extend(runs.iter().copied());
            let acc = accuracies(&runs);
            t += &match (acc.is_empty(), uses_a(a) || o == s.offsets[0]) {
                (true, _) => " - |".to_string(),
                (false, true) => format!(
                    " {} ({:.1}..{:.1}) |",
                    pct(mean(&acc)),
                    100.0 * acc.iter().cloned().fold(f64::MAX, f64::min),
                    100.0 * acc.iter().cloned().fold(f64::MIN, f64::max)
                ),
                (false, false) => " (no A) |".to_string(),
            };
        }
        all.dedup_by(|x, y| std::ptr::eq(*x, *y));
        let n = all.len().max(1) as u64;
        let a_p: u64 = all.iter().map(|p| p.counters.a_pulses).sum::<u64>() / n;
        let c_p: u64 = all.iter().map(|p| p.counters.pulses).sum::<u64>() / n;
        t += &format!(" {a_p} | {c_p} |\n");
    }
    t += &findings(s, reference, points);
    t
}

/// What the "done means" of the study ask, in numbers.
fn findings(s: &OffsetStudy, reference: &[f64], points: &[Point]) -> String {
    let at = |a: &str, o: f64| {
        let acc = accuracies(&cell(points, a, o));
        (!acc.is_empty() && acc.len() == s.seeds.len()).then(|| mean(&acc))
    };
    let Some(&zero) = s.offsets.first() else {
        return String::new();
    };
    let mut t = String::from("\n");
    for a in ["cttv2", "agad"] {
        if let Some(v) = at(a, zero) {
            t += &format!(
                "- {a} at offset {zero}: {:.2}%, {:.2} points below the float64 reference.\n",
                100.0 * v,
                100.0 * (mean(reference) - v)
            );
        }
    }
    let Some(base) = at("ttv2", zero) else {
        return t;
    };
    let broken = s
        .offsets
        .iter()
        .filter(|&&o| at("ttv2", o).is_some_and(|v| base - v >= 0.05))
        .copied()
        .fold(None, |m: Option<f64>, o| Some(m.map_or(o, |m| m.max(o))));
    match broken {
        None => {
            t += "- TTv2 never loses 5 points over these offsets.\n";
        }
        Some(o) => {
            t += &format!(
                "- TTv2 at offset {o}: {:.2} points below its zero-offset accuracy (the largest such offset).\n",
                100.0 * (base - at("ttv2", o).unwrap_or(0.0))
            );
            for a in ["cttv2", "agad"] {
                if let (Some(v0), Some(v)) = (at(a, zero), at(a, o)) {
                    t += &format!(
                        "- {a} at offset {o}: {:.2} points below its own zero-offset accuracy.\n",
                        100.0 * (v0 - v)
                    );
                }
            }
        }
    }
    t
}

/// How the report names the data set.
fn data_name(file: Option<&std::path::Path>) -> String {
    file.map_or(crate::train::digits::SHIPPED_NAME.into(), |p| {
        p.display().to_string()
    })
}

fn write(s: &OffsetStudy, reference: &[f64], points: &[Point], complete: bool) -> Result<()> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by(|x, y| {
        (x.algorithm.as_str(), x.offset, x.seed)
            .partial_cmp(&(y.algorithm.as_str(), y.offset, y.seed))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let report = Report {
        tool: crate::train::report::TOOL,
        version: pimforge_gen::emit::VERSION,
        data: data_name(s.data.as_deref()),
        epochs: s.epochs,
        seeds: &s.seeds,
        offsets: &s.offsets,
        complete,
        reference: reference.to_vec(),
        points: sorted,
    };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    let text = table(s, reference, points);
    let png = plot(s, reference, points)?;
    write_tree(
        &s.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("table.md".to_string(), text.into_bytes()),
            ("offsets.png".to_string(), png),
        ],
        "--out",
    )
}

fn plot(s: &OffsetStudy, reference: &[f64], points: &[Point]) -> Result<Vec<u8>> {
    let lo = s.offsets.iter().cloned().fold(f64::MAX, f64::min).min(0.0);
    let hi = s
        .offsets
        .iter()
        .cloned()
        .fold(f64::MIN, f64::max)
        .max(lo + 1.0);
    // The reference first: a dashed series takes the colour before it.
    let r = 100.0 * mean(reference);
    let mut series = vec![Series {
        label: format!("float64 reference ({r:.2}%)"),
        points: vec![(lo, r), (hi, r)],
        dashed: true,
    }];
    for &a in &s.algorithms {
        let name = a.to_string();
        let pts: Vec<(f64, f64)> = if uses_a(a) {
            s.offsets
                .iter()
                .filter_map(|&o| {
                    let acc = accuracies(&cell(points, &name, o));
                    (!acc.is_empty()).then(|| (o, 100.0 * mean(&acc)))
                })
                .collect()
        } else {
            let acc = accuracies(&cell(points, &name, 0.0));
            match acc.is_empty() {
                true => vec![],
                false => vec![(lo, 100.0 * mean(&acc)), (hi, 100.0 * mean(&acc))],
            }
        };
        let label = match uses_a(a) {
            true => name,
            false => format!("{name} (no A)"),
        };
        series.push(Series {
            label,
            points: pts,
            dashed: false,
        });
    }
    line_png(
        &Frame {
            title: "Digits MLP: test accuracy against A's reference offset",
            x_desc: "mean reference offset (levels; spread half the mean)",
            y_desc: "test accuracy (%)",
            x: (lo, hi),
            y: accuracy_range(&series),
        },
        &series,
    )
}

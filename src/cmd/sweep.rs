//! `pimforge sweep FILE`: every point of a sweep file (a design's config fields x algorithms x
//! seeds) trained as a `pimforge train` process, `--jobs` at once, one progress bar; one report
//! per point in `OUT/points/<id>/`, so a point whose report is complete is not run again (an
//! interrupted sweep resumes); then one table, `sweep.json`, `sweep.csv` and `pareto.png`
//! (accuracy against energy per sample and against area, with the Pareto fronts).
//! `--point K` runs one point (a Slurm array task), `--collect` only tabulates, `--slurm` writes
//! and submits the job array (see [`super::sweep_slurm`]).

use super::flags::count;
use super::json_out::write_atomic;
use super::sweep_file::{load, Metric, Point, Sweep};
use anyhow::{bail, Context, Result};
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::sweep::{pareto, pareto_png, Metrics, PlotPoint};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The sweep file (YAML: base design, fields to vary, algorithms, seeds, train options;
    /// docs/sweeps.md).
    pub file: PathBuf,
    /// Points trained at once (1..=256; default: the machine's cores).
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: Option<usize>,
    /// Directory of the points' reports, the table and the plot (default:
    /// build/sweep/<file's name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run point K only (0-based, as listed by --dry-run; what a Slurm array task runs).
    #[arg(long, value_name = "K", conflicts_with_all = ["collect", "slurm"])]
    pub point: Option<usize>,
    /// Run nothing: the table and plot of the reports already written (e.g. by a Slurm job).
    #[arg(long, conflicts_with = "slurm")]
    pub collect: bool,
    /// Write a Slurm batch script of a job array, one task per point, into OUT and submit it
    /// with sbatch (with --dry-run: print it). Collect the results with --collect.
    #[arg(long)]
    pub slurm: bool,
    /// Work directory of the runs' RTL builds.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
}

impl SweepArgs {
    pub fn out(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let stem = self.file.file_stem().unwrap_or_default().to_string_lossy();
            PathBuf::from("build/sweep").join(stem.as_ref())
        })
    }
}

/// What became of a point.
enum Done {
    /// Its report was complete already.
    Kept(Metrics),
    Trained(Metrics),
    /// `train` failed: the last line of its log.
    Failed(String),
}

pub fn run(a: &SweepArgs, dry: bool) -> Result<()> {
    let sweep = load(&a.file)?;
    let out = a.out();
    let n = sweep.points.len();
    if a.slurm {
        return super::sweep_slurm::submit(&sweep, &out, &a.work, dry);
    }
    if dry {
        say!(
            "pimforge: dry run: would train {} of {} into {}:",
            count(n, "point"),
            a.file.display(),
            out.display()
        );
        for p in &sweep.points {
            say!(
                "  {:>3} {} {} seed {}",
                p.index,
                p.label(),
                p.algorithm,
                p.seed
            );
        }
        return Ok(());
    }
    if let Some(k) = a.point {
        let Some(p) = sweep.points.get(k) else {
            bail!(
                "--point {k}: allowed 0..={} ({} in {})",
                n - 1,
                count(n, "point"),
                a.file.display()
            );
        };
        std::fs::create_dir_all(out.join("points"))
            .with_context(|| format!("--out {}", out.display()))?;
        return match run_point(p, &out, &a.work)? {
            Done::Failed(why) => bail!("point {k} ({}) failed: {why}", p.label()),
            Done::Kept(m) | Done::Trained(m) => {
                say!(
                    "point {k} ({}, {} seed {}): {}",
                    p.label(),
                    p.algorithm,
                    p.seed,
                    line(&m)
                );
                Ok(())
            }
        };
    }
    if !a.collect {
        train_all(a, &sweep, &out)?;
    }
    collect(&sweep, &out)
}

fn line(m: &Metrics) -> String {
    format!(
        "accuracy {:.2}%, {:.3} uJ and {:.3} us per sample, {:.3} mm^2",
        100.0 * m.accuracy,
        m.energy_uj,
        m.latency_us,
        m.area_mm2
    )
}

/// Trains every point not done yet, `--jobs` at once.
fn train_all(a: &SweepArgs, sweep: &Sweep, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out.join("points"))
        .with_context(|| format!("--out {}", out.display()))?;
    let todo: Vec<&Point> = sweep
        .points
        .iter()
        .filter(|p| complete(p, out).is_none())
        .collect();
    let n = sweep.points.len();
    if todo.is_empty() {
        warn!(
            "pimforge sweep: all {} done already (complete reports in {})",
            count(n, "point"),
            out.join("points").display()
        );
        return Ok(());
    }
    if todo.len() < n {
        warn!(
            "pimforge sweep: {} of {} done already (complete reports in {}), {} to train",
            n - todo.len(),
            count(n, "point"),
            out.join("points").display(),
            todo.len()
        );
    }
    let jobs = super::flags::jobs_or_cores(a.jobs).min(todo.len().max(1));
    let t0 = Instant::now();
    let bar = indicatif::ProgressBar::new(todo.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} points, {elapsed} (eta {eta})  {msg}",
        )
        .expect("a valid template"),
    );
    let failed: Mutex<Vec<String>> = Mutex::new(Vec::new());
    pimforge_studies::pool::run_all(
        &todo,
        jobs,
        |p| {
            let done = run_point(p, out, &a.work)?;
            if let Done::Failed(why) = &done {
                let msg = format!(
                    "point {} ({}, {} seed {}) failed: {why}",
                    p.index,
                    p.label(),
                    p.algorithm,
                    p.seed
                );
                bar.println(format!("FAIL {msg}"));
                failed.lock().expect("not poisoned").push(msg);
            }
            bar.set_message(format!("{} {} seed {}", p.label(), p.algorithm, p.seed));
            bar.inc(1);
            Ok(())
        },
        |_, _| Ok(()),
    )?;
    bar.finish_and_clear();
    say!(
        "pimforge sweep: trained {} in {:.1} s with {jobs} at once",
        count(todo.len(), "point"),
        t0.elapsed().as_secs_f64()
    );
    let failed = failed.into_inner().expect("not poisoned");
    if !failed.is_empty() {
        bail!(
            "{} of {} failed:\n{}",
            failed.len(),
            count(n, "point"),
            failed.join("\n")
        );
    }
    Ok(())
}

/// What identifies a point's run: a report of another point in its directory is not kept.
fn point_json(p: &Point) -> Value {
    json!({
        "index": p.index, "overrides": p.overrides, "algorithm": p.algorithm.to_string(),
        "seed": p.seed, "config": p.config, "train": p.args, "config_hash": p.hash,
    })
}

/// The metrics of `p`'s complete report in `out`, if it has one (of this very point).
fn complete(p: &Point, out: &Path) -> Option<Metrics> {
    let dir = out.join("points").join(p.id());
    let read = |name: &str| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    if read("point.json")? != point_json(p) {
        return None;
    }
    Metrics::of_report(&read("report.json")?)
}

/// Trains point `p` (unless its report is complete) as a `pimforge train` process whose output
/// goes to `train.log` in the point's directory.
fn run_point(p: &Point, out: &Path, work: &Path) -> Result<Done> {
    if let Some(m) = complete(p, out) {
        return Ok(Done::Kept(m));
    }
    let dir = out.join("points").join(p.id());
    // What is left of another run of this point (an interrupted one, or other options) goes.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    write_atomic(&dir.join("config.yaml"), p.config.as_bytes())?;
    write_atomic(
        &dir.join("point.json"),
        (serde_json::to_string_pretty(&point_json(p))? + "\n").as_bytes(),
    )?;
    let log = dir.join("train.log");
    let file = std::fs::File::create(&log)?;
    let status = std::process::Command::new(std::env::current_exe()?)
        .arg("train")
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args([
            "--algorithm",
            &p.algorithm.to_string(),
            "--seed",
            &p.seed.to_string(),
        ])
        .arg("--out")
        .arg(dir.join("run"))
        .arg("--work")
        .arg(work)
        .arg("--quiet")
        .args(&p.args)
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .context("cannot start pimforge train")?;
    let report = std::fs::read_to_string(dir.join("run/report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    match (
        status.success(),
        report.as_ref().and_then(Metrics::of_report),
    ) {
        (true, Some(m)) => {
            // The report is kept beside point.json: the point is done.
            std::fs::rename(dir.join("run/report.json"), dir.join("report.json"))?;
            Ok(Done::Trained(m))
        }
        _ => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            Ok(Done::Failed(format!("{last} (log: {})", log.display())))
        }
    }
}

/// One row of the table and of `sweep.json`.
fn row(p: &Point, m: Option<&Metrics>, on_front: bool) -> Value {
    json!({
        "point": p.index, "id": p.id(), "overrides": p.overrides.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        "algorithm": p.algorithm.to_string(), "seed": p.seed, "config_hash": p.hash,
        "metrics": m, "pareto_energy": on_front,
    })
}

/// The table, `sweep.json`, `sweep.csv` and `pareto.png` of the points' reports in `out`.
pub fn collect(sweep: &Sweep, out: &Path) -> Result<()> {
    let metrics: Vec<Option<Metrics>> = sweep.points.iter().map(|p| complete(p, out)).collect();
    let done: Vec<usize> = (0..metrics.len())
        .filter(|&i| metrics[i].is_some())
        .collect();
    let xy: Vec<(f64, f64)> = done
        .iter()
        .map(|&i| metrics[i].map(|m| (m.energy_uj, m.accuracy)).expect("done"))
        .collect();
    let front: Vec<usize> = pareto(&xy).into_iter().map(|k| done[k]).collect();
    say!("{}", table(sweep, &metrics, &front).trim_end());
    std::fs::create_dir_all(out)?;
    let rows: Vec<Value> = sweep
        .points
        .iter()
        .zip(&metrics)
        .map(|(p, m)| row(p, m.as_ref(), front.contains(&p.index)))
        .collect();
    let doc = json!({ "sweep": sweep.path, "points": rows });
    write_atomic(
        &out.join("sweep.json"),
        (serde_json::to_string_pretty(&doc)? + "\n").as_bytes(),
    )?;
    write_atomic(&out.join("sweep.csv"), csv(sweep, &metrics)?.as_bytes())?;
    let plot: Vec<PlotPoint> = done
        .iter()
        .map(|&i| PlotPoint {
            series: sweep.points[i].algorithm.to_string(),
            metrics: metrics[i].expect("done"),
        })
        .collect();
    let title = format!("{}: accuracy against energy and area", sweep.path.display());
    write_atomic(&out.join("pareto.png"), &pareto_png(&title, &plot)?)?;
    let missing = metrics.len() - done.len();
    say!(
        "pimforge sweep: {} of {} with a complete report{}; {} on the accuracy-energy Pareto front; table in {}, plot in {}",
        done.len(),
        count(metrics.len(), "point"),
        match missing {
            0 => String::new(),
            m => format!(" ({m} not trained yet: run the sweep again to train them)"),
        },
        front.len(),
        out.join("sweep.csv").display(),
        out.join("pareto.png").display()
    );
    Ok(())
}

fn cell(metric: Metric, m: &Metrics) -> String {
    match metric {
        Metric::Accuracy => format!("{:.2}", 100.0 * m.accuracy),
        Metric::Energy => format!("{:.4}", m.energy_uj),
        Metric::Latency => format!("{:.4}", m.latency_us),
        Metric::Area => format!("{:.4}", m.area_mm2),
        Metric::Seconds => format!("{:.1}", m.seconds),
    }
}

fn heading(metric: Metric) -> &'static str {
    match metric {
        Metric::Accuracy => "accuracy_pct",
        Metric::Energy => "energy_uj_per_sample",
        Metric::Latency => "latency_us_per_sample",
        Metric::Area => "area_mm2",
        Metric::Seconds => "seconds",
    }
}

fn table(sweep: &Sweep, metrics: &[Option<Metrics>], front: &[usize]) -> String {
    let mut t = format!("{:>5} {:<36} {:<6} {:>4}", "point", "varied", "alg", "seed");
    for &m in &sweep.metrics {
        t += &format!(" {:>w$}", heading(m), w = heading(m).len().max(8));
    }
    t += "  front\n";
    for (p, m) in sweep.points.iter().zip(metrics) {
        let alg = p.algorithm.to_string();
        t += &format!("{:>5} {:<36} {alg:<6} {:>4}", p.index, p.label(), p.seed);
        for &metric in &sweep.metrics {
            let v = m.as_ref().map_or("not run".into(), |m| cell(metric, m));
            t += &format!(" {v:>w$}", w = heading(metric).len().max(8));
        }
        t += if front.contains(&p.index) {
            "  *\n"
        } else {
            "\n"
        };
    }
    t
}

fn csv(sweep: &Sweep, metrics: &[Option<Metrics>]) -> Result<String> {
    let mut fields: Vec<String> = Vec::new();
    for p in &sweep.points {
        for (f, _) in &p.overrides {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = vec!["point".into(), "id".into()];
    head.extend(fields.iter().cloned());
    head.extend(["algorithm".into(), "seed".into()]);
    head.extend(sweep.metrics.iter().map(|&m| heading(m).to_string()));
    w.write_record(&head)?;
    for (p, m) in sweep.points.iter().zip(metrics) {
        let mut r: Vec<String> = vec![p.index.to_string(), p.id()];
        for f in &fields {
            let v = p
                .overrides
                .iter()
                .find(|(g, _)| g == f)
                .map(|(_, v)| v.clone());
            r.push(v.unwrap_or_default());
        }
        r.extend([p.algorithm.to_string(), p.seed.to_string()]);
        r.extend(
            sweep
                .metrics
                .iter()
                .map(|&metric| m.as_ref().map_or(String::new(), |m| cell(metric, m))),
        );
        w.write_record(&r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

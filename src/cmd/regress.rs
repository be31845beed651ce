//! `pimforge regress LIST`: the runs of a regression list (see [`super::regress_list`]) as
//! `pimforge verify` processes, `--jobs` at once, sharing one work directory (its design and
//! Verilator caches are safe for concurrent runs). Each run writes its output to a log and its
//! result to a JSON report (`verify --json`) in the output directory; the command prints a line
//! per failure as it happens (with its replay line), then one table, and writes a JUnit file
//! (a test suite per group, a test case per run) and a JSON summary when asked. Runs start
//! longest first, by the times of the list's last run.

use super::flags::count;
use super::json_out::JsonOut;
use super::junit;
use super::regress_list::{load, Run};
use anyhow::{bail, Context};
use clap::builder::RangedU64ValueParser;
use clap::Args;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct RegressArgs {
    /// The regression list (YAML: groups of presets or configs, seeds, products and `verify`
    /// options; docs/verification.md, "Regression lists").
    #[arg(value_name = "LIST.yaml")]
    pub list: PathBuf,
    /// Runs at once (1..=64; default: the machine's cores). With more than one, each run keeps
    /// to one thread.
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: Option<usize>,
    /// Work directory of the runs: generated designs, the Verilator build cache, waveforms.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// Where each run's log and JSON report go (default: WORK/regress/<list name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the results as JUnit XML to FILE: a test suite per group, a test case per run.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,
    /// Write the results as JSON to FILE: every run with its command, result and report.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
}

/// The times of the last run of a list, in its output directory (the order of the next run).
const TIMINGS: &str = "timings.json";

/// How one run ended.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub group: String,
    pub design: String,
    pub seed: u64,
    pub replay: String,
    pub passed: bool,
    pub seconds: f64,
    /// The run's `verify --json` report (null when the run died before writing one).
    pub report: Value,
    pub log: PathBuf,
}

impl Outcome {
    /// The first failed phase's text, or why there is none.
    fn failure_text(&self) -> String {
        let failed = self.report["phases"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["passed"] == false));
        match failed {
            Some(p) => p["failure"]["report"]
                .as_str()
                .unwrap_or("failed")
                .to_string(),
            None => format!(
                "the run wrote no report: see its log {}",
                self.log.display()
            ),
        }
    }

    fn cycles(&self) -> u64 {
        self.report["phases"].as_array().map_or(0, |ps| {
            ps.iter()
                .filter_map(|p| p["counters"]["cycles"].as_u64())
                .sum()
        })
    }
}

fn file_stem(r: &Run, k: usize) -> String {
    let design: String = r
        .design
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{k:03}-{}-{design}-seed{}", r.group, r.seed)
}

/// Runs `r` as a `verify` process; its log and report go to `out`.
fn run_one(
    r: &Run,
    k: usize,
    a: &RegressArgs,
    out: &Path,
    inline: bool,
) -> anyhow::Result<Outcome> {
    let stem = file_stem(r, k);
    let (log, json) = (
        out.join(format!("{stem}.log")),
        out.join(format!("{stem}.json")),
    );
    let _ = std::fs::remove_file(&json);
    let file =
        std::fs::File::create(&log).with_context(|| format!("cannot write {}", log.display()))?;
    let t0 = Instant::now();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("verify")
        .args(&r.args)
        .arg("--work")
        .arg(&a.work)
        .arg("--json")
        .arg(&json)
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    if inline {
        cmd.arg("--inline");
    }
    let status = cmd.status().context("cannot start pimforge verify")?;
    let report: Value = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    Ok(Outcome {
        group: r.group.clone(),
        design: r.design.clone(),
        seed: r.seed,
        replay: r.replay(),
        passed: status.success() && report["passed"] == true,
        seconds: t0.elapsed().as_secs_f64(),
        report,
        log,
    })
}

pub fn run(a: &RegressArgs, dry: bool) -> anyhow::Result<()> {
    let runs = load(&a.list)?;
    let jobs = super::flags::jobs_or_cores(a.jobs).min(runs.len());
    let name = a
        .list
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.work.join("regress").join(&name));
    let junit = match &a.junit {
        Some(p) => Some(JsonOut::create_junit(p, "pimforge regress")?),
        None => None,
    };
    let json = match &a.json {
        Some(p) => Some(JsonOut::create(p, &["list", "runs"], "pimforge regress")?),
        None => None,
    };
    if dry {
        say!(
            "pimforge: dry run: would run {} of {} ({} at once), logs in {}",
            count(runs.len(), "check"),
            a.list.display(),
            jobs,
            out.display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(&out).with_context(|| format!("--out {}", out.display()))?;
    let t0 = Instant::now();
    let bar = indicatif::ProgressBar::new(runs.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed}  {msg}")
            .expect("a valid template"),
    );
    // Longest first, by the times of the last run of this list in `out` (a run not timed yet
    // counts as longest): the long runs do not end up alone at the end.
    let timings = out.join(TIMINGS);
    let last: std::collections::BTreeMap<String, f64> = std::fs::read_to_string(&timings)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    let guess = |k: usize| {
        last.get(&file_stem(&runs[k], k))
            .copied()
            .unwrap_or(f64::MAX)
    };
    order.sort_by(|&a, &b| guess(b).total_cmp(&guess(a)));
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; runs.len()]);
    let errors: Mutex<Vec<anyhow::Error>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let slot = {
                    let mut n = next.lock().expect("not poisoned");
                    *n += 1;
                    *n - 1
                };
                let Some(&k) = order.get(slot) else { break };
                let r = &runs[k];
                match run_one(r, k, a, &out, jobs > 1) {
                    Ok(o) => {
                        if !o.passed {
                            bar.println(format!(
                                "FAIL {} seed {}: {}\n  replay: {}",
                                o.design,
                                o.seed,
                                o.failure_text().lines().next().unwrap_or_default(),
                                o.replay
                            ));
                        }
                        bar.set_message(format!("{} seed {}", o.design, o.seed));
                        results.lock().expect("not poisoned")[k] = Some(o);
                    }
                    Err(e) => errors.lock().expect("not poisoned").push(e),
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = errors
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .next()
    {
        return Err(e);
    }
    let outcomes: Vec<Outcome> = results
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .map(|o| o.expect("every run ran"))
        .collect();
    let seconds = t0.elapsed().as_secs_f64();
    let times: std::collections::BTreeMap<String, f64> = runs
        .iter()
        .enumerate()
        .map(|(k, r)| (file_stem(r, k), outcomes[k].seconds))
        .collect();
    std::fs::write(&timings, serde_json::to_string_pretty(&times)? + "\n")?;
    say!("{}", table(&outcomes).trim_end());
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    for o in &failed {
        say!("replay: {}", o.replay);
    }
    say!(
        "pimforge regress {}: {} in {seconds:.1} s with {jobs} at once: {} passed, {} failed (logs and reports in {})",
        a.list.display(),
        count(outcomes.len(), "run"),
        outcomes.len() - failed.len(),
        failed.len(),
        out.display()
    );
    if let Some(f) = junit {
        f.finish(&junit_xml(&name, &outcomes))?;
    }
    if let Some(f) = json {
        let doc = serde_json::json!({
            "list": a.list, "jobs": jobs, "seconds": seconds, "runs": outcomes,
        });
        f.finish(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} failed",
            failed.len(),
            count(outcomes.len(), "run")
        );
    }
    Ok(())
}

fn table(outcomes: &[Outcome]) -> String {
    let mut t = format!(
        "{:<12} {:<28} {:>6} {:<6} {:>12} {:>9}\n",
        "group", "design", "seed", "result", "cycles", "seconds"
    );
    for o in outcomes {
        t += &format!(
            "{:<12} {:<28} {:>6} {:<6} {:>12} {:>9.1}\n",
            o.group,
            o.design,
            o.seed,
            if o.passed { "PASS" } else { "FAIL" },
            o.cycles(),
            o.seconds
        );
    }
    t
}

/// The JUnit file: a test suite per group (in list order), a test case per run, its replay line
/// first in its output.
fn junit_xml(name: &str, outcomes: &[Outcome]) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for o in outcomes {
        if !groups.contains(&o.group.as_str()) {
            groups.push(&o.group);
        }
    }
    let suites = groups
        .into_iter()
        .map(|g| junit::Suite {
            name: g.to_string(),
            properties: Vec::new(),
            cases: outcomes
                .iter()
                .filter(|o| o.group == g)
                .map(|o| junit_case(g, o))
                .collect(),
        })
        .collect();
    junit::Junit {
        name: format!("pimforge regress {name}"),
        suites,
    }
    .to_xml()
}

fn junit_case(group: &str, o: &Outcome) -> junit::Case {
    let outcome = match o.passed {
        true => junit::Outcome::Passed,
        // A run that left no report died before it could check: an error.
        false => {
            let text = format!("{}\nreplay: {}", o.failure_text(), o.replay);
            let error = o.report.is_null();
            junit::Outcome::not_passed(error, if error { "error" } else { "failure" }, text)
        }
    };
    let phases = o.report["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}: {}",
                p["name"].as_str().unwrap_or("?"),
                p["summary"].as_str().unwrap_or("")
            )
        });
    let output: Vec<String> = std::iter::once(format!("replay: {}", o.replay))
        .chain(phases)
        .collect();
    junit::Case {
        name: format!("{} seed {}", o.design, o.seed),
        classname: group.to_string(),
        seconds: o.seconds,
        outcome,
        output: output.join("\n"),
    }
}

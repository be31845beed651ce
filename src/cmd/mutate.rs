//! `pimforge mutate`: a mutation campaign over a design's generated RTL (see
//! [`pimforge_flows::mutate`]). Each mutant is a copy of the design's files with one line changed:
//! linted (`verilator --lint-only -Wall`), then built and run through the CI regression by
//! `pimforge verify --rtl` in a child process (a mutant may hang or abort the simulator), and
//! classified by what caught it. The report (Markdown and JSON) lists every mutant.

use super::flags::count;
use super::json_out::write_atomic;
use super::ConfigArgs;
use anyhow::{bail, Context, Result};
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_flows::mutate::{plan, Mutant};
use pimforge_flows::tools::require;
use pimforge_gen::emit::{render, work_dir, FILE_LIST, SOLVER_FILE_LIST};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct MutateArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Files of the design to mutate, comma-separated (default: every file of its file lists).
    #[arg(long, value_delimiter = ',', value_name = "FILE.sv")]
    pub files: Vec<String>,
    /// Mutants drawn per file (1..=100).
    #[arg(long, default_value_t = 5,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100))]
    pub per_file: usize,
    /// Seed of the draw of mutation sites.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seed of the regression each mutant runs (the CI regression's is 100).
    #[arg(long, default_value_t = 100)]
    pub regression_seed: u64,
    /// Products of the regression each mutant runs (1..=100000; the CI regression's 1000).
    #[arg(long, default_value_t = 1000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub transactions: usize,
    /// Seconds a mutant's regression may run before it counts as hung (10..=7200).
    #[arg(long, default_value_t = 600,
          value_parser = RangedU64ValueParser::<u64>::new().range(10..=7200))]
    pub timeout: u64,
    /// Presets the regression also runs a surviving mutant on, comma-separated, as the CI
    /// regression runs every preset: where a preset renders the mutated line alike, the mutant
    /// is applied there too, until one kills it.
    #[arg(long, value_delimiter = ',', value_name = "PRESET")]
    pub also: Vec<String>,
    /// The regression also replays the first design's run, where it passes, on Icarus
    /// (`verify --icarus`), which sees X where Verilator reads an out-of-range bit as 0.
    #[arg(long)]
    pub icarus: bool,
    /// Arguments for equivalent mutants (YAML: a list of file, operator, line, why); a
    /// surviving mutant that matches one is reported equivalent and left out of the kill rate.
    #[arg(
        long,
        value_name = "FILE.yaml",
        default_value = "docs/mutants-equivalent.yaml"
    )]
    pub equivalents: PathBuf,
    /// Rewrite the report of the last campaign (its report.json) with the current arguments,
    /// without running anything.
    #[arg(long)]
    pub rescore: bool,
    /// Work directory: the design, the mutants' copies and builds, the report (mutate/<label>/).
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
}

/// What became of one mutant.
#[derive(Debug, Serialize, Deserialize)]
struct Outcome {
    #[serde(flatten)]
    mutant: Mutant,
    /// The lint's first complaint, when `verilator --lint-only -Wall` rejects the mutant.
    lint: Option<String>,
    /// How the regression ended: `passed` (the mutant survived it), `mismatch`, `build`,
    /// `hang`, `crash` or `error`.
    regression: String,
    /// The first lines of the regression's failure.
    detail: String,
    killed: bool,
    /// Why a surviving mutant cannot change what the design does (from the equivalents file).
    #[serde(default)]
    equivalent: Option<String>,
    seconds: f64,
}

/// One argued equivalent mutant: matched by file, operator and mutated line (trimmed), so an
/// argument survives a change of line numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Equivalent {
    file: String,
    operator: String,
    line: String,
    why: String,
}

/// The arguments of `path` (none when the file does not exist).
fn equivalents(path: &Path) -> Result<Vec<Equivalent>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_norway::from_str(&text).with_context(|| path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(e) => Err(e).with_context(|| path.display().to_string()),
    }
}

/// Marks the survivors that `eq` argues equivalent.
fn argue(outcomes: &mut [Outcome], eq: &[Equivalent]) {
    for o in outcomes.iter_mut() {
        let m = &o.mutant;
        o.equivalent = (!o.killed)
            .then(|| {
                eq.iter().find(|e| {
                    e.file == m.file && e.operator == m.operator.name() && e.line == m.after.trim()
                })
            })
            .flatten()
            .map(|e| e.why.clone());
    }
}

/// The file lists of a design's directory, with their tops: which list (and top) each file is
/// linted with.
fn file_lists(files: &[(String, String)]) -> Vec<(&'static str, &'static str, Vec<String>)> {
    let mut v = Vec::new();
    for (list, top) in [(FILE_LIST, "pim_array"), (SOLVER_FILE_LIST, "pim_solver")] {
        let Some((_, text)) = files.iter().find(|(n, _)| n == list) else {
            continue;
        };
        let names = pimforge_tb::verilate::file_list(text);
        v.push((list, top, names.into_iter().map(String::from).collect()));
    }
    v
}

fn lint(dir: &Path, list: &str, top: &str) -> Result<Option<String>> {
    let out = Command::new("verilator")
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "-f", list, "--top-module", top])
        .output()
        .context("running verilator")?;
    if out.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let first = text
        .lines()
        .find(|l| l.starts_with('%'))
        .unwrap_or("lint failed");
    Ok(Some(first.to_string()))
}

/// Runs `cmd` for at most `limit`; returns (exit code, or None when killed or signalled,
/// stdout and stderr, whether it timed out).
fn run_with_limit(cmd: &mut Command, limit: Duration) -> Result<(Option<i32>, String, bool)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting pimforge verify")?;
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let t0 = Instant::now();
    let (status, timed_out) = loop {
        if let Some(st) = child.try_wait()? {
            break (st.code(), false);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = o.join().unwrap_or_default() + &e.join().unwrap_or_default();
    Ok((status, text, timed_out))
}

/// How a failed regression failed, from what `pimforge verify` printed.
fn classify(text: &str) -> (&'static str, String) {
    let lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines
        .iter()
        .position(|l| l.starts_with("MISMATCH at cycle"))
    {
        let signal = lines.get(i + 1).map_or("", |l| l.trim());
        let what = if lines[i].contains("Icarus") {
            "icarus"
        } else {
            "mismatch"
        };
        return (what, format!("{}; {signal}", lines[i]));
    }
    if let Some(l) = lines
        .iter()
        .find(|l| l.starts_with("%Error") || l.contains("error:"))
    {
        let build = l.starts_with("%Error") || l.contains("g++") || l.contains("verilator");
        return (if build { "build" } else { "error" }, l.to_string());
    }
    ("error", lines.last().unwrap_or(&"").to_string())
}

pub fn run(a: &MutateArgs, dry: bool) -> Result<()> {
    let design = a.cfg.design(None)?;
    pimforge_gen::emit::estimate(&design).check(false)?;
    let rendered = render(&design);
    let lists = file_lists(&rendered);
    let known: Vec<&String> = lists.iter().flat_map(|(_, _, f)| f).collect();
    let mut names: Vec<String> = Vec::new();
    for f in known {
        if !names.contains(f) {
            names.push(f.clone());
        }
    }
    let chosen: Vec<String> = if a.files.is_empty() {
        names.clone()
    } else {
        for f in &a.files {
            if !names.contains(f) {
                bail!(
                    "--files: {f} is not a file of this design (its files: {})",
                    names.join(", ")
                );
            }
        }
        a.files.clone()
    };
    let texts: Vec<(String, String)> = rendered
        .iter()
        .filter(|(n, _)| chosen.contains(n))
        .cloned()
        .collect();
    let mutants = plan(&texts, a.per_file, a.seed);
    let label = a.cfg.label();
    let out_dir = a.work.join("mutate").join(label.replace('/', "_"));
    let eq = equivalents(&a.equivalents)?;
    if a.rescore {
        let path = out_dir.join("report.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("--rescore: no report of a campaign at {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)?;
        let mut outcomes: Vec<Outcome> = serde_json::from_value(v["outcomes"].clone())?;
        argue(&mut outcomes, &eq);
        return report(&out_dir, &label, &outcomes);
    }
    if dry {
        say!(
            "pimforge: dry run: would run {} of {} ({}) through {} with seed {}, into {}",
            count(mutants.len(), "mutant"),
            label,
            chosen.join(", "),
            count(a.transactions, "product"),
            a.regression_seed,
            out_dir.display()
        );
        for m in &mutants {
            say!(
                "  {} {}:{} {}: {}",
                m.id,
                m.file,
                m.line,
                m.operator.name(),
                m.after.trim()
            );
        }
        return Ok(());
    }
    require("verilator")?;
    let base = work_dir(&design, &a.work)?;
    let mut designs = vec![Target {
        args: cfg_args(&a.cfg),
        name: label.clone(),
        base: base.clone(),
        lists,
    }];
    for p in &a.also {
        let also = ConfigArgs {
            preset: Some(p.clone()),
            config: None,
            tiles: None,
        };
        let d = also.design(None).with_context(|| format!("--also {p}"))?;
        designs.push(Target {
            args: vec!["--preset".into(), p.clone()],
            name: p.clone(),
            lists: file_lists(&render(&d)),
            base: work_dir(&d, &a.work)?,
        });
    }
    let mut outcomes = Vec::new();
    for m in &mutants {
        let o = judge(a, m, &designs, &out_dir)?;
        warn!(
            "{} {}:{} {}: {}{} ({:.0} s)",
            m.id,
            m.file,
            m.line,
            m.operator.name(),
            if o.killed { "killed" } else { "SURVIVED" },
            match (&o.lint, o.regression.as_str()) {
                (Some(_), "passed") => " by lint only".to_string(),
                (Some(_), r) => format!(" by lint and the regression ({r})"),
                (None, "passed") => String::new(),
                (None, r) => format!(" by the regression ({r}: {})", o.detail),
            },
            o.seconds
        );
        outcomes.push(o);
    }
    argue(&mut outcomes, &eq);
    report(&out_dir, &label, &outcomes)
}

/// A design a mutant runs on: its `verify` flags, its generated files and file lists.
struct Target {
    args: Vec<String>,
    name: String,
    base: PathBuf,
    lists: Vec<(&'static str, &'static str, Vec<String>)>,
}

fn cfg_args(c: &ConfigArgs) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(p) = &c.preset {
        v.extend(["--preset".into(), p.clone()]);
    }
    if let Some(f) = &c.config {
        v.extend(["--config".into(), f.display().to_string()]);
    }
    if let Some(t) = c.tiles {
        v.extend(["--tiles".into(), t.to_string()]);
    }
    v
}

/// Lints the mutant of the first design, then runs the regression on each design that holds
/// the mutated line (the same text in the same file), until one kills it.
fn judge(a: &MutateArgs, m: &Mutant, designs: &[Target], out_dir: &Path) -> Result<Outcome> {
    let t0 = Instant::now();
    let exe = std::env::current_exe()?;
    let mut lint_says = None;
    let mut ran = Vec::new();
    let (mut regression, mut detail) = ("passed", String::new());
    for (k, d) in designs.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(d.base.join(&m.file)) else {
            continue;
        };
        // The line as this design renders it: the same text, nearest the mutant's line.
        let lines: Vec<&str> = text.lines().collect();
        let Some(at) = (0..lines.len())
            .filter(|&i| lines[i] == m.before)
            .min_by_key(|&i| i.abs_diff(m.line - 1))
        else {
            continue;
        };
        let here = Mutant {
            line: at + 1,
            ..m.clone()
        };
        let dir = out_dir.join("mutants").join(format!("{}-{}", m.id, d.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        for e in std::fs::read_dir(&d.base)? {
            let e = e?;
            if e.file_type()?.is_file() {
                std::fs::copy(e.path(), dir.join(e.file_name()))?;
            }
        }
        std::fs::write(dir.join(&m.file), here.apply(&text))?;
        if k == 0 {
            let (list, top, _) = d
                .lists
                .iter()
                .find(|(_, _, files)| files.contains(&m.file))
                .expect("a file of a list");
            lint_says = lint(&dir, list, top)?;
        }
        let mut cmd = Command::new(&exe);
        cmd.arg("verify")
            .args(&d.args)
            .arg("--rtl")
            .arg(&dir)
            .args(["--seed", &a.regression_seed.to_string()])
            .args(["--transactions", &a.transactions.to_string()])
            .arg("--no-waves")
            .args((a.icarus && k == 0).then_some("--icarus"))
            .arg("--work")
            .arg(out_dir.join("work"));
        let (code, text, timed_out) = run_with_limit(&mut cmd, Duration::from_secs(a.timeout))?;
        // The mutant's copy is not needed once judged; its build stays cached under work/.
        let _ = std::fs::remove_dir_all(&dir);
        ran.push(d.name.clone());
        (regression, detail) = match (code, timed_out) {
            (Some(0), _) => ("passed", String::new()),
            (_, true) => ("hang", format!("no end after {} s", a.timeout)),
            (None, false) => ("crash", "the simulator was killed by a signal".to_string()),
            (Some(_), false) => classify(&text),
        };
        if regression != "passed" {
            detail = format!("{}: {detail}", d.name);
            break;
        }
        // Killed by lint already: the other designs would only say whether the regression
        // catches it too.
        if lint_says.is_some() {
            break;
        }
    }
    if regression == "passed" {
        detail = format!("passed on {}", ran.join(", "));
    }
    Ok(Outcome {
        mutant: m.clone(),
        killed: lint_says.is_some() || regression != "passed",
        equivalent: None,
        lint: lint_says,
        regression: regression.to_string(),
        detail,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Writes report.md and report.json into `dir` and prints the tally.
fn report(dir: &Path, label: &str, outcomes: &[Outcome]) -> Result<()> {
    let killed = outcomes.iter().filter(|o| o.killed).count();
    let by_lint_only = outcomes
        .iter()
        .filter(|o| o.lint.is_some() && o.regression == "passed")
        .count();
    let n = outcomes.len();
    let equivalent = outcomes.iter().filter(|o| o.equivalent.is_some()).count();
    let rate = 100.0 * killed as f64 / (n - equivalent).max(1) as f64;
    let mut md = format!(
        "# Mutation campaign: {label}\n\n{killed} of the {} non-equivalent mutants killed ({rate:.1}%; {n} mutants, {equivalent} argued equivalent); {by_lint_only} killed by lint alone.\n\n| id | file:line | operator | lint | regression | detail | mutated line |\n|---|---|---|---|---|---|---|\n",
        n - equivalent
    );
    for o in outcomes {
        let m = &o.mutant;
        let regression = match &o.equivalent {
            Some(why) => format!("passed: equivalent ({why})"),
            None => o.regression.clone(),
        };
        md += &format!(
            "| {} | {}:{} | {} | {} | {} | {} | `{}` |\n",
            m.id,
            m.file,
            m.line,
            m.operator.name(),
            if o.lint.is_some() { "fails" } else { "clean" },
            regression.replace('|', "/"),
            o.detail.replace('|', "/"),
            m.after.trim().replace('|', "/"),
        );
    }
    std::fs::create_dir_all(dir)?;
    write_atomic(&dir.join("report.md"), md.as_bytes())?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "design": label,
        "mutants": n,
        "killed": killed,
        "killed_by_lint_only": by_lint_only,
        "equivalent": equivalent,
        "kill_rate": rate,
        "outcomes": outcomes,
    }))?;
    write_atomic(&dir.join("report.json"), json.as_bytes())?;
    say!(
        "pimforge mutate: {label}: {killed} of {} non-equivalent mutants killed ({rate:.1}%; {equivalent} of {n} argued equivalent), {by_lint_only} by lint alone; report in {}",
        n - equivalent,
        dir.join("report.md").display()
    );
    Ok(())
}

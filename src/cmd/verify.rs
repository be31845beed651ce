//! `pimforge verify`: lock-step regression of a generated design against the golden model: the
//! array, and the solver when the design has one.

use super::flags::{count, cycle_window};
use super::verify_report::{counters, mismatch, Outputs, Phase, Report};
use super::ConfigArgs;
use anyhow::bail;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_flows::replay;
use pimforge_flows::tools::require;
use pimforge_flows::verify::{
    add_traced, prepare, prepare_in, replay_on_icarus, verify, verify_solver, CHUNK_PRODUCTS,
};
use pimforge_gen::design::Design;
use pimforge_gen::fault::Fault;
use pimforge_tb::waves::check_replaceable;
use pimforge_tb::{Mismatch, Options, WaveFormat, Waves};
use serde_json::{json, Value};
use std::path::PathBuf;

/// Most products one run takes: the stimulus streams in chunks, so memory stays flat (12.8 MB
/// for 200,000 products on `tiny`, measured); at `tiny`'s 350,000 products a minute this is
/// half an hour, and hours on larger tiles.
pub const MAX_TRANSACTIONS: u64 = 10_000_000;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Seed of everything random: stimulus, idle gaps, values on idle inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random MVM/MTVM products to run (1..=10000000; weight loads, cell writes, updates and
    /// error probes come with them). The stimulus is made and driven 1000 products at a time.
    #[arg(long, default_value_t = 1000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_TRANSACTIONS))]
    pub transactions: usize,
    /// Random systems solved in lock-step when the design has a solver (an `inv` section).
    #[arg(long, default_value_t = 20,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub solves: usize,
    /// Write the run's waveform to FILE: every signal of the design, written by Verilator, in
    /// FST (FILE.fst) or VCD (FILE.vcd); the golden model's expected outputs go beside it
    /// (FILE-golden.fst). The array then runs on one thread, on a model built with tracing.
    #[arg(long, value_name = "FILE.fst")]
    pub waves: Option<PathBuf>,
    /// With --waves: only cycles A through B (A.. : from cycle A to the end). The run still
    /// goes to its end, compared on every cycle.
    #[arg(long, value_name = "A..B", requires = "waves", value_parser = cycle_window)]
    pub wave_window: Option<(u64, u64)>,
    /// Cycles of waveform before a mismatch in its replay (written to
    /// WORK/waves/<config hash>/mismatch-seed<SEED>.fst).
    #[arg(long, default_value_t = 40,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..=1_000_000))]
    pub mismatch_window: u64,
    /// Work directory: generated designs, the Verilator build cache, waveforms.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// Go ahead with a design whose output or Verilator build is estimated above the limits
    /// (see `gen --allow-large`).
    #[arg(long)]
    pub allow_large: bool,
    /// Print every coverage bin with its count (the headline is always printed).
    #[arg(long)]
    pub coverage: bool,
    /// Fail when a coverage bin the design can reach was not hit (as `make verify` does).
    #[arg(long)]
    pub require_coverage: bool,
    /// Also replay the run's recorded stream on Icarus, a second simulator, and compare its
    /// outputs with Verilator's on every cycle (the recording goes to WORK/icarus/).
    #[arg(long)]
    pub icarus: bool,
    /// Also write the result (design, seed, every phase with its counters, a failure with its
    /// cycle, signal, values and replay line) as JSON to FILE, for scripts and dashboards.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    /// Also write the result as JUnit XML to FILE: one test case per phase (the array in
    /// lock-step, the Icarus replay, the coverage requirement, the solver), for CI servers.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,
    /// Debug: verify the design's RTL as it is in DIR (a changed copy: a mutant of `pimforge
    /// mutate`) instead of generating it.
    #[arg(long, value_name = "DIR", hide = true)]
    pub rtl: Option<PathBuf>,
    /// Run the golden model and the DUT in turn on one thread (default: side by side on two);
    /// `pimforge regress` asks for it when it runs several checks at once.
    #[arg(long, hide = true)]
    pub inline: bool,
    /// Debug: on a mismatch, report it without the traced replay that writes waveforms.
    #[arg(long, hide = true)]
    pub no_waves: bool,
    /// Debug: verify RTL built with a deliberate bug: LINE:PLANE:BIT, opa-digit, crs-shift or
    /// refine-round (see `gen`).
    #[arg(long, value_name = "FAULT", hide = true)]
    pub inject_fault: Option<Fault>,
}

impl VerifyArgs {
    fn replay(&self) -> String {
        let src = self.cfg.source();
        replay::verify(&src, self.inject_fault, self.seed, self.transactions)
    }
}

pub fn run(a: &VerifyArgs, dry: bool) -> anyhow::Result<()> {
    let design = a.cfg.design(a.inject_fault)?;
    pimforge_gen::emit::estimate(&design).check(a.allow_large)?;
    let cfg = design.config();
    let label = a.cfg.label();
    if dry {
        say!(
            "pimforge: dry run: would verify {label} (config {}) with seed {}: {}{}",
            design.hash,
            a.seed,
            count(a.transactions, "product"),
            match cfg.inv {
                Some(_) => format!(", and the solver on {}", count(a.solves, "system")),
                None => String::new(),
            }
        );
        return Ok(());
    }
    let outputs = Outputs::open(a.json.as_deref(), a.junit.as_deref())?;
    let mut report = Report {
        command: "verify",
        design: label.clone(),
        config_hash: design.hash.clone(),
        seed: a.seed,
        products: a.transactions,
        replay: a.replay(),
        passed: false,
        phases: Vec::new(),
    };
    let result = run_phases(a, &design, &label, &mut report);
    if let Err(e) = &result {
        // An error that is not a phase's failure (a build, a tool, a file) is a phase of its own.
        if report.phases.last().is_none_or(|p| p.passed) {
            report.phases.push(Phase {
                name: "error",
                passed: false,
                seconds: 0.0,
                summary: format!("{e:#}"),
                counters: Value::Null,
                failure: Some(json!({ "kind": "error", "report": format!("{e:#}") })),
            });
        }
    }
    report.passed = result.is_ok();
    outputs.write(&report)?;
    result
}

/// The phases of a run, each recorded in `report` as it ends.
fn run_phases(
    a: &VerifyArgs,
    design: &Design,
    label: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let cfg = design.config();
    require("verilator")?;
    warn!(
        "pimforge verify: {label}: preparing the Verilator model of {} of {}x{} (cached in {}; a first build of a large array takes minutes)",
        count(cfg.tiles, "tile"),
        cfg.crossbar.rows,
        cfg.crossbar.cols,
        a.work.join("verilator").display()
    );
    // Waveforms asked for: checked before anything is built, and the traced model built too.
    let waves = match &a.waves {
        Some(path) => {
            let (first, last) = a.wave_window.unwrap_or((0, u64::MAX));
            let w = Waves::at(path, first, last);
            check_replaceable(&w.rtl)?;
            check_replaceable(&w.golden)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            Some(w)
        }
        None => None,
    };
    let traced = waves.as_ref().map(|w| w.format()).transpose()?;
    let mut prepared = match &a.rtl {
        Some(dir) => prepare_in(design, dir.clone(), &a.work, traced)?,
        None => prepare(design, &a.work, traced)?,
    };
    say!(
        "pimforge verify: {label}: {} of {}x{}, RTL in {}; Verilator model {} in {:.1} s",
        count(cfg.tiles, "tile"),
        cfg.crossbar.rows,
        cfg.crossbar.cols,
        prepared.rtl_dir.display(),
        if prepared.compiled { "built" } else { "cached" },
        prepared.build_seconds
    );
    warn!(
        "pimforge verify: running {} in lock-step ({} per chunk)",
        count(a.transactions, "product"),
        CHUNK_PRODUCTS
    );
    let run_opts = Options {
        seed: a.seed,
        replay: a.replay(),
        waves: waves.clone(),
        wave_dir: None,
        mismatch_window: a.mismatch_window,
        record: a.icarus.then(|| {
            a.work
                .join("icarus")
                .join(format!("{}-seed{}", design.hash, a.seed))
        }),
        inline: a.inline,
        heartbeat: Some(|h| {
            let (done, all) = h.commands_in_chunk;
            warn!(
                "pimforge verify: {} cycles matched, {} commands (this chunk: {done} of {all}), {:.0} s, {:.0} cycles/s",
                h.cycles,
                h.commands,
                h.seconds,
                h.cycles as f64 / h.seconds
            )
        }),
    };
    // A line every 10 chunks (10,000 products) and when done, on stderr.
    let t0 = std::time::Instant::now();
    let progress = |done: usize, all: usize| {
        if done.is_multiple_of(10 * CHUNK_PRODUCTS) || done == all {
            warn!(
                "pimforge verify: {done}/{all} products matched ({:.0} s)",
                t0.elapsed().as_secs_f64()
            );
        }
    };
    let summary = match verify(&prepared, a.transactions, &run_opts, &progress)? {
        Ok(summary) => summary,
        // A run with waves has its waveform already (up to the mismatch).
        Err(m) if a.no_waves || waves.is_some() => {
            warn!("FAIL {label} seed {}\n{}", a.seed, m.to_string().trim_end());
            report.phases.push(failed("array", &m));
            bail!("verification failed at cycle {}", m.cycle)
        }
        Err(_) => {
            // Replay with the traced model, which writes the waveforms of the cycles before
            // the mismatch, named by the design and the seed.
            warn!("mismatch: building the traced model for waveforms");
            add_traced(design, &mut prepared, &a.work, WaveFormat::Fst)?;
            let opts = Options {
                wave_dir: Some(a.work.join("waves").join(&design.hash)),
                ..run_opts
            };
            let m = match verify(&prepared, a.transactions, &opts, &|_, _| {})? {
                Err(m) => m,
                Ok(_) => bail!("the mismatch did not reproduce with the traced model"),
            };
            warn!("FAIL {label} seed {}\n{}", a.seed, m.to_string().trim_end());
            report.phases.push(failed("array", &m));
            bail!("verification failed at cycle {}", m.cycle)
        }
    };
    say!("PASS {label} seed {}: array: {summary}", a.seed);
    if let Some(w) = &waves {
        say!(
            "{label}: waveform of cycles {}..{} in {} (RTL) and {} (golden expected values; time = 2 * cycle)",
            w.first,
            w.last.min(summary.cycles.saturating_sub(1)),
            w.rtl.display(),
            w.golden.display()
        );
    }
    report.phases.push(Phase {
        name: "array",
        passed: true,
        seconds: summary.seconds,
        summary: summary.to_string(),
        counters: counters(&summary),
        failure: None,
    });
    let goals = pimforge_tb::coverage::goals(&prepared.built.shape, &prepared.built.cells);
    say!("{label}: {}", summary.coverage.headline(&goals));
    if a.coverage {
        say!("{}", summary.coverage.table(&goals).trim_end());
    }
    if let Some(dir) = &run_opts.record {
        require("iverilog")?;
        if design.shape.lowrank.is_some() {
            // Measured on configs/lowrank.yaml: 1,146 cycles in 10 minutes.
            warn!(
                "pimforge verify: {label} has low-rank units, which Icarus 11 runs at about 2 cycles/s (their 100-bit arithmetic in combinational logic): replaying the {} cycles takes about {} minutes",
                summary.cycles,
                summary.cycles / 120 + 1
            );
        }
        let replay = format!("{} --icarus", a.replay());
        match replay_on_icarus(design, &prepared, dir, a.seed, &replay)? {
            Ok(r) => {
                let line = format!(
                    "Icarus replayed the {} recorded cycles: all {} outputs equal Verilator's on every cycle ({:.1} s)",
                    r.cycles, r.outputs, r.seconds
                );
                say!("{label}: {line}");
                report.phases.push(Phase {
                    name: "icarus",
                    passed: true,
                    seconds: r.seconds,
                    summary: line,
                    counters: json!({ "cycles": r.cycles, "outputs": r.outputs }),
                    failure: None,
                });
            }
            Err(m) => {
                warn!(
                    "FAIL {label} seed {} (Icarus)\n{}",
                    a.seed,
                    m.to_string().trim_end()
                );
                report.phases.push(failed("icarus", &m));
                bail!("Icarus differs from Verilator at cycle {}", m.cycle)
            }
        }
    }
    let unhit = summary.coverage.unhit(&goals);
    if a.require_coverage {
        let line = summary.coverage.headline(&goals);
        let why = format!(
            "{} of {} coverage bins unhit with seed {} and {}: rerun with --coverage for the table",
            unhit.len(),
            goals.len(),
            a.seed,
            count(a.transactions, "product")
        );
        report.phases.push(Phase {
            name: "coverage",
            passed: unhit.is_empty(),
            seconds: 0.0,
            summary: line.clone(),
            counters: json!({ "bins": goals.len(), "unhit": unhit.len() }),
            failure: (!unhit.is_empty())
                .then(|| json!({ "kind": "coverage", "report": format!("{why}\n{line}") })),
        });
        if !unhit.is_empty() {
            bail!("{why}");
        }
    }
    if cfg.inv.is_none() {
        return Ok(());
    }
    warn!(
        "pimforge verify: {label}: the solver (pim_solver) on {} in lock-step",
        count(a.solves, "random system")
    );
    let replay = format!("{} --solves {}", a.replay(), a.solves);
    let t0 = std::time::Instant::now();
    match verify_solver(
        design,
        &prepared.rtl_dir,
        &a.work,
        a.solves,
        a.seed,
        &replay,
    )? {
        Ok(s) => {
            say!("PASS {label} seed {}: solver: {s}", a.seed);
            let [converged, max_iterations, diverged, singular] = s.by_status;
            report.phases.push(Phase {
                name: "solver",
                passed: true,
                seconds: t0.elapsed().as_secs_f64(),
                summary: s.to_string(),
                counters: json!({
                    "systems": s.systems, "cycles": s.cycles, "converged": converged,
                    "max_iterations": max_iterations, "diverged": diverged, "singular": singular,
                }),
                failure: None,
            });
            Ok(())
        }
        Err(m) => {
            warn!(
                "FAIL {label} seed {} (solver)\n{}",
                a.seed,
                m.to_string().trim_end()
            );
            report.phases.push(failed("solver", &m));
            bail!("solver verification failed at cycle {}", m.cycle)
        }
    }
}

/// A phase that failed on a mismatch.
fn failed(name: &'static str, m: &Mismatch) -> Phase {
    Phase {
        name,
        passed: false,
        seconds: 0.0,
        summary: m.to_string().lines().next().unwrap_or_default().to_string(),
        counters: json!({ "cycle": m.cycle }),
        failure: Some(mismatch(m)),
    }
}

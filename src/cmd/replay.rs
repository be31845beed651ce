//! `pimforge replay`: a recorded host program (`train --record`) run again on the cycle-level
//! golden model, or on the RTL in lock-step (every output compared on every cycle), every
//! command's wait, every response and every idle time compared with the recording.

use super::cost_args::CostArgs;
use super::json_out::JsonOut;
use anyhow::{bail, Context, Result};
use clap::Args;
use pimforge_flows::verify::prepare;
use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_studies::cost::price::{energy, leakage_mw, price_phase, time};
use pimforge_studies::cost::work::of_command;
use pimforge_studies::cost::{CostTable, Work};
use pimforge_studies::train::run::BackendKind;
use pimforge_tb::program::{Entry, Program};
use pimforge_tb::Session;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The host program (from `pimforge train --record`).
    #[arg(value_name = "PROG.txt")]
    pub program: PathBuf,
    /// Where it runs: the cycle-level golden model, or the RTL in lock-step with it.
    #[arg(long, value_enum, default_value_t = BackendKind::Golden)]
    pub backend: BackendKind,
    /// Work directory of RTL builds.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    #[command(flatten)]
    pub cost: CostArgs,
    /// Also write the result, with its cost, as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
}

/// What the program's commands cost: their events as the tiles count them, priced by `t`; the
/// time is the replay's cycles at the table's clock plus the analog stretches of the latency
/// model (`docs/cost.md`), every tile the program uses leaking throughout.
fn program_cost(
    t: &CostTable,
    design: &Design,
    program: &Program,
    cycles: u64,
) -> pimforge_studies::cost::price::PhaseCost {
    let shape = &design.shape;
    let mut works = vec![None::<Work>; design.tiles()];
    for (_, e) in &program.entries {
        if let Entry::Command { cmd, .. } = e {
            let w = of_command(shape, cmd.op.code(), cmd.addr, cmd.data);
            let at = works[cmd.tile].get_or_insert_with(Work::default);
            at.events += w.events;
            at.update_rounds += w.update_rounds;
            at.planes += w.planes;
        }
    }
    // The tiles the program used.
    let works: Vec<Work> = works.into_iter().flatten().collect();
    let mut c = price_phase(t, shape, "program", &works);
    let ns = cycles as f64 * t.clock_ns + c.latency_ns;
    let leak = leakage_mw(t, shape, works.len()) * ns;
    c.energy_pj += leak - c.leakage_pj;
    (c.leakage_pj, c.latency_ns, c.overlapped_ns) = (leak, ns, ns);
    c
}

/// The design a program was recorded on (its config, checked against its hash).
pub fn design_of(p: &Program, origin: &str) -> Result<Design> {
    let Some(json) = p.meta("config") else {
        bail!("{origin}: no 'meta config' line: the program does not say its design");
    };
    let cfg: Config = serde_json::from_str(json)
        .with_context(|| format!("{origin}: 'meta config' is not a config"))?;
    let design = Design::new(
        cfg.validated()
            .with_context(|| format!("{origin}: 'meta config'"))?,
        None,
    );
    if let Some(h) = p.meta("config_hash") {
        if h != design.hash {
            bail!("{origin}: the config hashes to {}, the program says {h} (made by another pimforge version?)", design.hash);
        }
    }
    Ok(design)
}

pub fn run(a: &ReplayArgs, dry: bool) -> Result<()> {
    let origin = a.program.display().to_string();
    let text =
        std::fs::read_to_string(&a.program).with_context(|| format!("{origin}: cannot read"))?;
    let program = Program::parse(&text, &origin)?;
    let design = design_of(&program, &origin)?;
    let name = program.meta("design").unwrap_or("?").to_string();
    let table = a.cost.table()?;
    let json = match &a.json {
        Some(p) => Some(JsonOut::create(p, &["cost", "program"], "pimforge replay")?),
        None => None,
    };
    if dry {
        say!(
            "pimforge: dry run: would replay {} steps of {origin} on {name} ({} backend)",
            program.entries.len(),
            a.backend
        );
        return Ok(());
    }
    let mut session = match a.backend {
        BackendKind::Golden => Session::golden(
            &design.shape,
            design.cells().to_vec(),
            design.units().to_vec(),
        ),
        BackendKind::Rtl => {
            pimforge_flows::tools::require("verilator")?;
            let p = prepare(&design, &a.work, None)?;
            let line = format!("pimforge replay {origin} --backend rtl");
            Session::new(&p.built, 0, line)?
        }
    };
    let done = session.replay(&program, &origin)?;
    let how = match a.backend {
        BackendKind::Golden => "the cycle-level golden model",
        BackendKind::Rtl => {
            "the RTL in lock-step with the golden model, every output compared on every cycle"
        }
    };
    say!(
        "pimforge replay: PASS: {origin} on {name} ({how}): {} commands, {} responses and {} idle waits as recorded, {} cycles",
        done.commands,
        done.responses,
        done.idles,
        done.cycles
    );
    let cost = program_cost(&table, &design, &program, done.cycles);
    say!(
        "pimforge replay: cost ({} table): {} in {} ({}; leakage {})",
        table.name,
        energy(cost.energy_pj),
        time(cost.latency_ns),
        cost.components(),
        energy(cost.leakage_pj)
    );
    if let Some(out) = json {
        let doc = serde_json::json!({
            "program": origin,
            "design": name,
            "config_hash": design.hash,
            "backend": a.backend.to_string(),
            "commands": done.commands,
            "responses": done.responses,
            "cycles": done.cycles,
            "cost_table": table.name,
            "cost": cost,
        });
        out.finish(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}

//! `pimforge replay`: a recorded host program (`train --record`) run again on the cycle-level
//! golden model, or on the RTL in lock-step (every output compared on every cycle), every
//! command's wait, every response and every idle time compared with the recording.

use anyhow::{bail, Context, Result};
use clap::Args;
use pimforge_flows::verify::prepare;
use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_studies::train::run::BackendKind;
use pimforge_tb::program::Program;
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
            let p = prepare(&design, &a.work, false)?;
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
    Ok(())
}

//! `pimforge solve`: one's own system `A x = b` from Matrix Market files, solved by the
//! refinement controller on the golden model or on `pim_solver` in lock-step; prints the
//! status, iterations, bits reached and the residual certificate.

use super::cost_args::CostArgs;
use super::json_out::JsonOut;
use super::ConfigArgs;
use anyhow::{anyhow, Result};
use clap::Args;
use pimforge_studies::cost::price::{energy, time};
use pimforge_studies::solve::{load, solve};
use pimforge_studies::train::run::BackendKind;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// The design with the solver (default preset: solver, a 16x16 INV crossbar).
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// The matrix A (Matrix Market, real or integer, square, at most inv.size).
    #[arg(long, value_name = "A.mtx")]
    pub matrix: PathBuf,
    /// The right-hand side b (Matrix Market, n x 1; default A 1, whose solution is all ones).
    #[arg(long, value_name = "b.mtx")]
    pub rhs: Option<PathBuf>,
    /// Where the solve runs: the golden model, or pim_solver in lock-step with its model.
    #[arg(long, value_enum, default_value_t = BackendKind::Golden)]
    pub backend: BackendKind,
    /// Work directory of RTL builds.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// Also write the result as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub cost: CostArgs,
}

pub fn run(a: &SolveArgs, dry: bool) -> Result<()> {
    let mut src = a.cfg.source();
    src.default_preset = Some("solver");
    let design = pimforge_gen::design::Design::new(pimforge_gen::load::resolve(&src)?, None);
    let (size, shape) = design.solver.clone().ok_or_else(|| {
        anyhow!("the design has no solver (an `inv:` config section; try --preset solver)")
    })?;
    let system = load(&a.matrix, a.rhs.as_deref(), size)?;
    let table = a.cost.table()?;
    let json = match &a.json {
        Some(p) => Some(JsonOut::create(
            p,
            &["solution", "matrix"],
            "pimforge solve",
        )?),
        None => None,
    };
    if dry {
        say!("pimforge: dry run: would solve a {0}x{0} system on a {size}x{size} solver ({1} backend)", system.n, a.backend);
        return Ok(());
    }
    let origin = a.matrix.display().to_string();
    let sol = match a.backend {
        BackendKind::Golden => solve(&system, (size, &shape, &design.shape), &table, None)?,
        BackendKind::Rtl => {
            pimforge_flows::tools::require("verilator")?;
            let (library, unit) = pimforge_flows::verify::prepare_refine(&design, &a.work)?;
            let replay = format!("pimforge solve --matrix {origin} --backend rtl");
            let mut on_rtl = |qa: &[i64], qb: &[i64]| {
                let systems = [(qa.to_vec(), qb.to_vec())];
                let run =
                    pimforge_tb::refine::run_refine(&library, unit.clone(), &systems, 1, &replay)?;
                let (mut solved, cycles) = run.map_err(|m| anyhow!("lock-step mismatch:\n{m}"))?;
                let s = solved.remove(0);
                anyhow::ensure!(
                    s.x == s.solve.x && s.events == s.solve.events,
                    "X or the cost events read from the RTL differ from the model's"
                );
                say!("pimforge: pim_solver in lock-step: {cycles} cycles matched on every output");
                Ok(s.solve)
            };
            solve(
                &system,
                (size, &shape, &design.shape),
                &table,
                Some(&mut on_rtl),
            )?
        }
    };
    say!(
        "pimforge solve: {origin} ({0}x{0}, b = {1}) on a {size}x{size} solver ({2} backend): {3} after {4} iterations ({5} INV operations, {6} cycles); {7:.1} bits against the float64 solution of the 16-bit system; exact residual {8} ({9:.1} bits below b); backward error on the original system {10:.2e}",
        system.n,
        system.rhs,
        a.backend,
        sol.status,
        sol.iterations,
        sol.inv_ops,
        sol.cycles,
        sol.bits,
        sol.integer_residual,
        sol.residual_bits,
        sol.backward_error
    );
    let (c, d) = (&sol.cost, &sol.digital);
    say!(
        "cost ({} table): {} in {} ({} and {} per iteration after {} of setup); the digital solve (Gaussian elimination in 32-bit floats, {:.1} bits): {} in {}, {:.2}x the energy and {:.2}x the time",
        c.table,
        energy(c.total.energy_pj),
        time(c.total.latency_ns),
        energy(c.per_iteration.energy_pj),
        time(c.per_iteration.latency_ns),
        energy(c.setup.energy_pj),
        d.bits,
        energy(d.total.energy_pj),
        time(d.total.latency_ns),
        sol.energy_ratio,
        sol.time_ratio
    );
    let shown: Vec<String> = sol.x.iter().take(8).map(|v| format!("{v:.6}")).collect();
    say!(
        "x = [{}{}]",
        shown.join(", "),
        if sol.n > 8 { ", ..." } else { "" }
    );
    if let Some(out) = json {
        let doc = serde_json::json!({ "matrix": origin, "rhs": system.rhs, "design": a.cfg.label(), "config_hash": design.hash, "backend": a.backend.to_string(), "solution": sol });
        out.finish(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}

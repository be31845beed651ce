//! Convergence study of the refinement controller's algorithm (golden model; RePAST):
//! bits of accuracy against iteration for random systems over sizes, condition numbers, INV
//! precisions and Taylor terms, next to the theory of about `inv.bits - log2(cond)` bits per
//! iteration.

use crate::cost::solve::{digital_solve, price_solve, solver_tile};
use crate::cost::CostTable;
use crate::plot::{line_png, Frame, Series};
use pimforge_gen::output::write_tree;
use pimforge_golden::solver::{
    accuracy_bits, random_system, reference_solution, refine, refine_with, Exact, InvShape,
    TileProducts,
};
use serde::Serialize;
use std::path::PathBuf;

/// One configuration of the study, over several random systems.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    pub n: usize,
    pub cond: f64,
    pub inv_bits: u32,
    pub taylor: u32,
    /// A_h's diagonal on its own scale (`inv.diagonal: split`).
    pub split_diagonal: bool,
    pub systems: usize,
    pub converged: usize,
    pub diverged: usize,
    pub singular: usize,
    pub max_iters: usize,
    /// Mean bits of accuracy after each iteration (over the systems still running, capped at 52).
    pub bits: Vec<f64>,
    /// Iterations until 16 and 24 bits: worst case over the systems that get there (none: no
    /// system does), and how many do.
    pub iters_16: Option<usize>,
    pub reached_16: usize,
    pub iters_24: Option<usize>,
    pub reached_24: usize,
    /// Iterations the controller ran before stopping at its 16-bit target (worst case over the
    /// converged systems).
    pub stop_iters_16: Option<usize>,
    /// The controller's iterations for each converged system, sorted.
    pub stop_iters: Vec<usize>,
    /// Mean INV operations per converged 16-bit solve.
    pub inv_ops_16: f64,
    pub theory_bits_per_iter: f64,
    /// Mean cost of the converged 16-bit solves and of the digital solves of the same systems.
    pub cost: Cost,
}

/// Mean energy (pJ) and time (ns) of the converged 16-bit solves on the solver (per solve and
/// per iteration after the setup) and of Gaussian elimination in 32-bit floats on the same
/// systems, priced by one table (`docs/cost.md`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cost {
    pub table: String,
    pub solve_pj: f64,
    pub solve_ns: f64,
    pub iteration_pj: f64,
    pub iteration_ns: f64,
    pub digital_pj: f64,
    pub digital_ns: f64,
    /// The fewest bits a digital solve reached.
    pub digital_bits: f64,
}

fn first_reaching(bits: &[f64], target: f64) -> Option<usize> {
    bits.iter().position(|&b| b >= target).map(|i| i + 1)
}

/// Runs `systems` random systems (seeds `0..systems`) of one configuration: once to 30 bits to
/// trace the accuracy, once with the controller's 16-bit target to count its iterations.
pub fn study(
    n: usize,
    cond: f64,
    inv_bits: u32,
    taylor: u32,
    split_diagonal: bool,
    systems: usize,
    table: &CostTable,
) -> Case {
    let shape = InvShape {
        h_bits: inv_bits,
        out_bits: inv_bits,
        taylor,
        split_diagonal,
        target_bits: 30,
        max_iters: 16,
        ..InvShape::default()
    };
    let mut case = Case {
        n,
        cond,
        inv_bits,
        taylor,
        split_diagonal,
        systems,
        converged: 0,
        diverged: 0,
        singular: 0,
        max_iters: 0,
        bits: vec![],
        iters_16: None,
        reached_16: 0,
        iters_24: None,
        reached_24: 0,
        stop_iters_16: None,
        stop_iters: vec![],
        inv_ops_16: 0.0,
        theory_bits_per_iter: inv_bits as f64 - cond.log2(),
        cost: Cost {
            table: table.name.clone(),
            digital_bits: f64::INFINITY,
            ..Cost::default()
        },
    };
    // The solver's tile (the `solver` preset's, grown to the system), for the products' passes
    // and cycles and the cost.
    let tile = solver_tile(pimforge_golden::solver::padded_size(n), taylor);
    let (passes, pass_cycles) = TileProducts::timing(&tile, n, shape.x_bits);
    let mut sums: Vec<(f64, usize)> = vec![];
    for seed in 0..systems as u64 {
        let (a, b) = random_system(n, cond, shape.a_bits, seed * 7919 + n as u64);
        let Some(want) = reference_solution(&a, n, &b) else {
            continue;
        };
        let deep = refine(&a, n, &b, &shape);
        let bits: Vec<f64> = deep
            .steps
            .iter()
            .map(|s| accuracy_bits(&s.x, shape.x_frac, &want))
            .collect();
        for (i, &v) in bits.iter().enumerate() {
            if sums.len() <= i {
                sums.push((0.0, 0));
            }
            sums[i].0 += v;
            sums[i].1 += 1;
        }
        for (target, worst, count) in [
            (16.0, &mut case.iters_16, &mut case.reached_16),
            (24.0, &mut case.iters_24, &mut case.reached_24),
        ] {
            if let Some(i) = first_reaching(&bits, target) {
                *worst = Some(worst.map_or(i, |w| w.max(i)));
                *count += 1;
            }
        }
        let stop_shape = InvShape {
            target_bits: 16,
            ..shape.clone()
        };
        let mut products = Exact::new(&a, n).timed(passes, pass_cycles);
        let stop = refine_with(&a, n, &b, &stop_shape, &mut products);
        use pimforge_golden::solver::Status;
        match stop.status {
            Status::Converged => {
                case.converged += 1;
                case.inv_ops_16 += stop.inv_ops as f64;
                let i = stop.steps.len();
                case.stop_iters_16 = Some(case.stop_iters_16.map_or(i, |w| w.max(i)));
                case.stop_iters.push(i);
                let c = price_solve(table, &tile, &stop_shape, n, &stop);
                let d = digital_solve(table, &a, n, &b, Some(&want));
                let m = &mut case.cost;
                m.solve_pj += c.total.energy_pj;
                m.solve_ns += c.total.latency_ns;
                m.iteration_pj += c.per_iteration.energy_pj;
                m.iteration_ns += c.per_iteration.latency_ns;
                m.digital_pj += d.total.energy_pj;
                m.digital_ns += d.total.latency_ns;
                m.digital_bits = m.digital_bits.min(d.bits);
            }
            Status::Diverged => case.diverged += 1,
            Status::Singular => case.singular += 1,
            Status::MaxIters => case.max_iters += 1,
        }
    }
    case.inv_ops_16 /= case.converged.max(1) as f64;
    let k = case.converged.max(1) as f64;
    let m = &mut case.cost;
    for v in [
        &mut m.solve_pj,
        &mut m.solve_ns,
        &mut m.iteration_pj,
        &mut m.iteration_ns,
        &mut m.digital_pj,
        &mut m.digital_ns,
    ] {
        *v /= k;
    }
    case.stop_iters.sort_unstable();
    case.bits = sums.iter().map(|(s, k)| s / *k as f64).collect();
    case
}

/// The median and 90th percentile of the controller's iterations over `of` systems (the ones
/// that did not converge count as worst).
fn quantiles(sorted: &[usize], of: usize) -> String {
    let at = |q: f64| {
        let i = ((of as f64 * q).ceil() as usize).max(1) - 1;
        sorted.get(i).map_or("-".into(), |v| v.to_string())
    };
    format!("{} / {}", at(0.5), at(0.9))
}

/// A worst case over `count` of `of` systems.
fn worst(v: Option<usize>, count: usize, of: usize) -> String {
    match v {
        None => "-".into(),
        Some(i) if count == of => i.to_string(),
        Some(i) => format!("{i} ({count} of {of})"),
    }
}

/// A markdown table of cases.
pub fn table(cases: &[Case]) -> String {
    let mut t = String::from(
        "| n | cond | inv.bits | diagonal | Taylor | systems | converged / diverged / singular / max-iters | iterations to 16 bits (worst) | to 24 bits (worst) | controller stop at 16 bits (worst converged) | median / 90% of the systems | INV ops per solve | bits per iteration: measured (first 3) / theory |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in cases {
        let slope = if c.bits.len() >= 3 {
            format!("{:.1}", c.bits[2] / 3.0)
        } else if let Some(b) = c.bits.first() {
            format!("{b:.1} (1st)")
        } else {
            "-".into()
        };
        t += &format!(
            "| {} | {} | {} | {} | {} | {} | {} / {} / {} / {} | {} | {} | {} | {} | {:.1} | {} / {:.1} |\n",
            c.n,
            c.cond,
            c.inv_bits,
            if c.split_diagonal { "split" } else { "shared" },
            c.taylor,
            c.systems,
            c.converged,
            c.diverged,
            c.singular,
            c.max_iters,
            worst(c.iters_16, c.reached_16, c.systems),
            worst(c.iters_24, c.reached_24, c.systems),
            worst(c.stop_iters_16, c.converged, c.systems),
            quantiles(&c.stop_iters, c.systems),
            c.inv_ops_16,
            slope,
            c.theory_bits_per_iter
        );
    }
    t
}

/// A markdown table of the cases' costs (RePAST's comparison): the refined solve against the
/// digital one.
pub fn cost_table(cases: &[Case]) -> String {
    use crate::cost::price::{energy, time};
    let mut t = String::from(
        "| n | cond | Taylor | converged | refined solve: energy / time | per iteration | digital (GE, f32): energy / time | its bits (worst) | digital / refined: energy | time |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in cases.iter().filter(|c| c.converged > 0) {
        let m = &c.cost;
        t += &format!(
            "| {} | {} | {} | {} of {} | {} / {} | {} / {} | {} / {} | {:.1} | {:.2}x | {:.2}x |\n",
            c.n,
            c.cond,
            c.taylor,
            c.converged,
            c.systems,
            energy(m.solve_pj),
            time(m.solve_ns),
            energy(m.iteration_pj),
            time(m.iteration_ns),
            energy(m.digital_pj),
            time(m.digital_ns),
            m.digital_bits,
            m.digital_pj / m.solve_pj,
            m.digital_ns / m.solve_ns
        );
    }
    t
}

/// Refinement solves on the RTL solver (`pim_solver`: controller, INV crossbar and tile) in
/// lock-step with its golden cycle model. A system of size `n` runs on a solver of the next power
/// of two (at least 4), padded block-diagonally (`golden::solver::pad`). The
/// solver's tile is the `solver` preset's, grown to hold the matrix, with an exact ADC.
pub struct RtlSolver {
    work: std::path::PathBuf,
    models:
        std::collections::HashMap<usize, (std::path::PathBuf, pimforge_golden::solver::RefineUnit)>,
    pub solves: u64,
    pub cycles: u64,
}

impl RtlSolver {
    pub fn new(work: &std::path::Path) -> Self {
        RtlSolver {
            work: work.to_path_buf(),
            models: Default::default(),
            solves: 0,
            cycles: 0,
        }
    }
}

impl crate::train::kfac::Solver for RtlSolver {
    fn solve(
        &mut self,
        a: &[i64],
        n: usize,
        b: &[i64],
    ) -> anyhow::Result<pimforge_golden::solver::Solve> {
        let size = pimforge_golden::solver::padded_size(n);
        if !self.models.contains_key(&size) {
            let cfg = pimforge_gen::presets::solver(size, 0).validated()?;
            let design = pimforge_gen::design::Design::new(cfg, None);
            let built = pimforge_flows::verify::prepare_refine(&design, &self.work)?;
            self.models.insert(size, built);
        }
        let (library, unit) = &self.models[&size];
        let (pa, pb) = pimforge_golden::solver::pad(a, n, b, size);
        let replay = pimforge_flows::replay::test("refine::kfac", "");
        let run = pimforge_tb::refine::run_refine(library, unit.clone(), &[(pa, pb)], 1, &replay)?;
        let (mut solved, cycles) = run.map_err(|m| anyhow::anyhow!("lock-step mismatch:\n{m}"))?;
        let solved = solved.remove(0);
        self.solves += 1;
        self.cycles += cycles;
        let mut sol = solved.solve;
        anyhow::ensure!(
            solved.x == sol.x && solved.events == sol.events,
            "X or the cost events read from the RTL differ from the model's"
        );
        sol.x.truncate(n);
        Ok(sol)
    }
}

/// What the convergence study runs.
#[derive(Clone, Debug)]
pub struct RefineStudy {
    pub sizes: Vec<usize>,
    pub conds: Vec<f64>,
    /// INV precisions of the plot (at `plot_size`, plain refinement).
    pub inv_bits: Vec<u32>,
    pub taylor: Vec<u32>,
    /// The diagonal scalings of the table: split (true) or shared.
    pub split_diagonal: Vec<bool>,
    pub systems: usize,
    pub plot_size: usize,
    /// The cost table that prices the solves.
    pub table: CostTable,
    /// Directory of the report, the table and the plot.
    pub out: PathBuf,
}

/// Runs the study, writes `report.json`, `table.md` and `convergence.png` into `a.out`, and
/// returns the tables.
pub fn run(a: &RefineStudy) -> anyhow::Result<String> {
    pimforge_gen::output::check_out(&a.out, "--out")?;
    let mut cases: Vec<Case> = Vec::new();
    for &n in &a.sizes {
        for &cond in &a.conds {
            for &split in &a.split_diagonal {
                for &t in &a.taylor {
                    cases.push(study(n, cond, 8, t, split, a.systems, &a.table));
                }
            }
        }
    }
    let split = a.split_diagonal.first().copied().unwrap_or(true);
    let mut plotted: Vec<Case> = Vec::new();
    for &cond in &a.conds {
        for &bits in &a.inv_bits {
            plotted.push(study(
                a.plot_size,
                cond,
                bits,
                0,
                split,
                a.systems,
                &a.table,
            ));
        }
    }
    let text = format!(
        "Refinement with an 8-bit INV crossbar (A_h in 8-bit cells, 8-bit output ADC, 16-bit input), {} random systems per row:\n\n{}\nINV precision at n = {} (plain refinement):\n\n{}\nCost of the converged 16-bit solves ({} table; docs/cost.md), means over the converged systems, against Gaussian elimination in 32-bit floats on the same systems:\n\n{}",
        a.systems,
        table(&cases),
        a.plot_size,
        table(&plotted),
        a.table.name,
        cost_table(&cases)
    );
    let mut series = Vec::new();
    let iters = plotted
        .iter()
        .map(|c| c.bits.len())
        .max()
        .unwrap_or(1)
        .max(2);
    for c in &plotted {
        series.push(Series {
            label: format!("cond {}, inv.bits {}", c.cond, c.inv_bits),
            points: std::iter::once((0.0, 0.0))
                .chain(
                    c.bits
                        .iter()
                        .enumerate()
                        .map(|(i, b)| ((i + 1) as f64, b.max(-4.0))),
                )
                .collect(),
            dashed: false,
        });
        series.push(Series {
            label: format!("  theory: {:.1} bits/iteration", c.theory_bits_per_iter),
            points: (0..=iters)
                .map(|i| {
                    (
                        i as f64,
                        (i as f64 * c.theory_bits_per_iter).clamp(-4.0, 52.0),
                    )
                })
                .collect(),
            dashed: true,
        });
    }
    let png = line_png(
        &Frame {
            title: &format!(
                "Refinement: bits of accuracy, n = {}, mean of {} systems",
                a.plot_size, a.systems
            ),
            x_desc: "iteration",
            y_desc: "bits of accuracy (-log2 relative error)",
            x: (0.0, iters as f64),
            y: (-4.0, 52.0),
        },
        &series,
    )?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "tool": "pimforge refine",
        "table": cases,
        "plot": plotted,
    }))? + "\n";
    write_tree(
        &a.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("table.md".to_string(), text.clone().into_bytes()),
            ("convergence.png".to_string(), png),
        ],
        "--out",
    )?;
    Ok(text)
}

//! The solver (`pim_solver`: the refinement controller with its INV crossbar and its tile) in
//! lock-step with its golden cycle model on random systems of sizes 4 to 16 and condition
//! numbers 10 to 10^4, plus indefinite and singular ones: every output on every cycle; converged
//! solves are also checked against a float64 reference solution. Needs Verilator (`make deps`
//! installs it).

use pimforge_flows::verify::prepare_refine;
use pimforge_gen::config::Diagonal;
use pimforge_gen::presets::solver;
use pimforge_golden::solver::{accuracy_bits, random_system, reference_solution, Status};
use pimforge_tb::refine::run_refine;

use crate::common;
use common::{design_of, work};

fn regress(n: usize, taylor: u32, diagonal: Diagonal, count: usize) -> [usize; 4] {
    let mut cfg = solver(n, taylor);
    cfg.inv.as_mut().expect("inv section").diagonal = diagonal;
    let (library, model) = prepare_refine(&design_of(cfg, None), &work()).unwrap();
    let systems: Vec<(Vec<i64>, Vec<i64>)> = (0..count)
        .map(|i| {
            let cond = [10.0, 30.0, 100.0, 1000.0, 1e4, -10.0, f64::INFINITY][i % 7];
            let (mut a, b) = random_system(n, cond, 16, 77 * n as u64 + i as u64);
            if i % 11 == 10 {
                a[0] = 0; // a zero first pivot of A_h: singular
            }
            (a, b)
        })
        .collect();
    let replay = pimforge_flows::replay::test("refine::", &format!("size {n}, taylor {taylor}"));
    let (solved, cycles) = match run_refine(&library, model, &systems, 5, &replay).unwrap() {
        Ok(r) => r,
        Err(m) => panic!("size {n} taylor {taylor}:\n{m}"),
    };
    let mut by_status = [0usize; 4];
    for ((a, b), s) in systems.iter().zip(&solved) {
        assert_eq!(s.busy_cycles, s.solve.cycles, "busy cycles");
        assert_eq!(s.x, s.solve.x, "X read back");
        assert_eq!(s.events, s.solve.events, "cost events read back");
        let k = match s.solve.status {
            Status::Converged => 0,
            Status::MaxIters => 1,
            Status::Diverged => 2,
            Status::Singular => 3,
        };
        by_status[k] += 1;
        if s.solve.status == Status::Converged {
            let want = reference_solution(a, n, b).unwrap();
            let bits = accuracy_bits(&s.x, 48, &want);
            assert!(bits >= 16.0, "converged to only {bits:.1} bits");
        }
    }
    println!(
        "pim_solver n {n} taylor {taylor} diagonal {diagonal:?}: {count} systems, {cycles} cycles matched on every output; converged / max-iters / diverged / singular = {by_status:?}"
    );
    by_status
}

#[test]
fn refinement_controller_matches_the_golden_model_on_210_systems() {
    let mut total = [0usize; 4];
    for (n, taylor, diagonal, count) in [
        (4, 0, Diagonal::Split, 70),
        (8, 1, Diagonal::Shared, 70),
        (16, 0, Diagonal::Split, 40),
        (16, 2, Diagonal::Split, 30),
    ] {
        let s = regress(n, taylor, diagonal, count);
        for i in 0..4 {
            total[i] += s[i];
        }
    }
    assert!(total.iter().sum::<usize>() >= 200);
    assert!(total[0] > 50 && total[2] > 0 && total[3] > 0, "{total:?}");
}

/// K-FAC steps with the Kronecker factors inverted on the RTL controller (lock-step, every cycle)
/// leave the network exactly where the golden model's refined solves leave it.
#[test]
fn kfac_steps_with_rtl_solves_match_the_golden_model() {
    use pimforge_studies::refine::RtlSolver;
    use pimforge_studies::train::digits::load;
    use pimforge_studies::train::kfac::{train_with, GoldenSolver, Layers, Method, Setup};
    let data = load(None).unwrap();
    let (tr, te) = (&data.train[..], &data.test[..]);
    let setup = Setup {
        method: Method::KfacRefine,
        layers: Layers::Output,
        batch: 64,
        lr: 0.3,
        damping: 3.0,
        epochs: 1,
        seed: 0,
    };
    let steps = 2;
    let (golden_run, golden_net) =
        train_with(tr, te, &setup, &mut GoldenSolver::default(), steps).unwrap();
    let mut rtl = RtlSolver::new(&work());
    let (rtl_run, rtl_net) = train_with(tr, te, &setup, &mut rtl, steps).unwrap();
    assert_eq!(rtl_run.accuracy, golden_run.accuracy);
    assert_eq!(rtl_run.refine_iterations, golden_run.refine_iterations);
    assert_eq!(rtl_net, golden_net);
    println!(
        "K-FAC on the RTL: {steps} steps, {} refinement solves ({} iterations) on pim_solver, {} cycles matched on every output; weights identical to the golden model's",
        rtl.solves, rtl_run.refine_iterations, rtl.cycles
    );
}

/// A controller that truncates its shifts instead of rounding them is caught.
#[test]
fn injected_refine_rounding_fault_is_caught() {
    use pimforge_gen::fault::Fault;
    let faulty = design_of(solver(4, 0), Some(Fault::RefineRound));
    let (library, model) = prepare_refine(&faulty, &work()).unwrap();
    let systems: Vec<_> = (0..5).map(|i| random_system(4, 10.0, 16, i)).collect();
    let m = run_refine(&library, model, &systems, 5, "refine-round")
        .unwrap()
        .expect_err("the mutated controller must be caught");
    println!("{m}");
}

/// A controller that misses a conversion in its cost events is caught at the first read of them.
#[test]
fn injected_solver_event_fault_is_caught() {
    use pimforge_gen::fault::Fault;
    let faulty = design_of(solver(4, 0), Some(Fault::SolverEventCount));
    let (library, model) = prepare_refine(&faulty, &work()).unwrap();
    let systems: Vec<_> = (0..2).map(|i| random_system(4, 10.0, 16, i)).collect();
    let m = run_refine(&library, model, &systems, 5, "solver-event-count")
        .unwrap()
        .expect_err("the mutated event counter must be caught");
    let text = m.to_string();
    assert!(text.contains("ev_o"), "{text}");
    println!("{m}");
}

/// `pimforge solve` on one's own Matrix Market system: the golden model and pim_solver in
/// lock-step give the same solution, converged to the target, with the certificate; bad
/// matrices are refused with what is allowed.
#[test]
fn solve_reads_matrix_market_and_agrees_on_golden_model_and_rtl() {
    use common::{refused, succeeds};
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    // A symmetric 10x10 system (only the lower triangle is stored), and a right-hand side.
    let mut a = String::from("%%MatrixMarket matrix coordinate real symmetric\n10 10 19\n");
    for i in 1..=10 {
        a += &format!("{i} {i} {}\n", 4.0 + i as f64 / 10.0);
        if i > 1 {
            a += &format!("{i} {} -1.25\n", i - 1);
        }
    }
    std::fs::write(p("a.mtx"), a).unwrap();
    let mut b = String::from("%%MatrixMarket matrix array real general\n10 1\n");
    (0..10).for_each(|i| b += &format!("{}\n", (i as f64 - 4.5) / 3.0));
    std::fs::write(p("b.mtx"), b).unwrap();
    let w = work().display().to_string();
    let run = |backend: &str, json: &str| {
        let args = [
            "solve",
            "--matrix",
            &p("a.mtx"),
            "--rhs",
            &p("b.mtx"),
            "--backend",
            backend,
            "--work",
            &w,
            "--json",
            &p(json),
        ];
        let out = succeeds(&args);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p(json)).unwrap()).unwrap();
        (out, v["solution"].clone())
    };
    let (_, golden) = run("golden", "g.json");
    let (text, rtl) = run("rtl", "r.json");
    assert!(text.contains("cycles matched on every output"), "{text}");
    assert_eq!(
        golden, rtl,
        "the golden model and the RTL solve alike, cycles included"
    );
    assert_eq!(golden["status"], "converged");
    // The cost of the solve, from the events the RTL counted, beside the digital solve's.
    assert!(text.contains("cost (panther table)"), "{text}");
    let cost = &golden["cost"];
    assert!(cost["total"]["energy_pj"].as_f64().unwrap() > 0.0, "{cost}");
    assert_eq!(cost["events"]["inv_writes"], 256, "{cost}");
    assert!(golden["digital"]["total"]["latency_ns"].as_f64().unwrap() > 0.0);
    assert!(golden["bits"].as_f64().unwrap() >= 16.0, "{golden}");
    assert!(
        golden["backward_error"].as_f64().unwrap() < 1e-4,
        "{golden}"
    );
    // Not square, too large for inv.size, a right-hand side of the wrong length.
    std::fs::write(
        p("r.mtx"),
        "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n",
    )
    .unwrap();
    refused(
        &["solve", "--matrix", &p("r.mtx")],
        &["2x3; the solver solves square systems"],
    );
    std::fs::write(
        p("big.mtx"),
        "%%MatrixMarket matrix coordinate real general\n20 20 1\n1 1 1.0\n",
    )
    .unwrap();
    refused(
        &["solve", "--matrix", &p("big.mtx")],
        &["20x20", "systems of 1..=16 (inv.size"],
    );
    refused(
        &["solve", "--matrix", &p("a.mtx"), "--rhs", &p("r.mtx")],
        &["A is 10x10, so b is 10x1"],
    );
    refused(
        &["solve", "--matrix", &p("b.mtx"), "--preset", "tiny"],
        &["has no solver"],
    );
}

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

mod common;
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
    let replay = format!("cargo test --release --test refine (size {n}, taylor {taylor})");
    let (solved, cycles) = match run_refine(&library, model, &systems, 5, &replay).unwrap() {
        Ok(r) => r,
        Err(m) => panic!("size {n} taylor {taylor}:\n{m}"),
    };
    let mut by_status = [0usize; 4];
    for ((a, b), s) in systems.iter().zip(&solved) {
        assert_eq!(s.busy_cycles, s.solve.cycles, "busy cycles");
        assert_eq!(s.x, s.solve.x, "X read back");
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
    let (golden_run, golden_net) = train_with(tr, te, &setup, &mut GoldenSolver, steps).unwrap();
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

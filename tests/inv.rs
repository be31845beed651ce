//! The INV crossbar (`pim_inv`) in lock-step with its golden model: random systems of sizes 4 to
//! 64 and condition numbers 10 to 10^4, plus indefinite, near-singular and zero-pivot matrices;
//! every output compared on every cycle and every code checked against the functional model.
//! Needs Verilator (`make deps` installs it).

use pimforge_flows::verify::prepare_inv;
use pimforge_gen::presets::solver;
use pimforge_golden::solver::{random_system, split, InvShape};
use pimforge_tb::inv::{run_inv, InvJob};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common;
use common::{design_of, work};

#[test]
fn inv_crossbar_matches_the_golden_model_on_220_systems() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let (mut systems, mut solves, mut singular, mut cycles) = (0, 0, 0, 0);
    for (n, count) in [(4, 60), (8, 60), (16, 50), (32, 30), (64, 20)] {
        let cfg = solver(n, 0);
        let (library, model) = prepare_inv(&design_of(cfg, None), &work()).unwrap();
        let shape = InvShape::default();
        let jobs: Vec<InvJob> = (0..count)
            .map(|i| {
                let cond = match i % 6 {
                    0 => 10.0,
                    1 => 100.0,
                    2 => 1000.0,
                    3 => 1e4,
                    4 => -10.0,
                    _ => f64::INFINITY,
                };
                let (a, b) = random_system(n, cond, 16, 1000 * n as u64 + i as u64);
                // Every third system on a shared scale, the others with the diagonal's gain.
                let s = split(
                    &a,
                    n,
                    &InvShape {
                        split_diagonal: i % 3 != 0,
                        ..shape.clone()
                    },
                );
                let mut ah = s.ah;
                if i % 10 == 9 {
                    ah[0] = 0; // a zero first pivot: singular
                }
                let random: Vec<i64> = (0..n).map(|_| rng.random_range(-32768..=32767)).collect();
                InvJob {
                    ah,
                    dsh: s.dsh,
                    inputs: vec![b, random],
                }
            })
            .collect();
        let replay = pimforge_flows::replay::test("inv::", &format!("size {n}"));
        let s = match run_inv(&library, model, &jobs, 17, &replay).unwrap() {
            Ok(s) => s,
            Err(m) => panic!("size {n}:\n{m}"),
        };
        assert_eq!(s.solves, 2 * count as u64);
        systems += count;
        solves += s.solves;
        singular += s.singular;
        cycles += s.cycles;
    }
    println!(
        "pim_inv: {systems} systems, {solves} solves ({singular} singular), {cycles} cycles matched on every output, every code equal to the functional model"
    );
    assert!(systems >= 200 && singular > 0);
}

//! Deployment on the RTL: a model trained on one chip (the golden model) programmed by
//! `LOAD_W` onto another chip's Verilated RTL in lock-step with the cycle-level golden model
//! (every output compared on every cycle), read back and tested there; the programmed cells,
//! every weight read back and the test results equal the golden model's. Needs Verilator
//! (`make deps` installs it).

use pimforge_flows::verify::prepare;
use pimforge_golden::Direction;
use pimforge_studies::train::backend::{Backend, Golden};
use pimforge_studies::train::commands::Commands;
use pimforge_studies::train::config::Algorithm;
use pimforge_studies::train::deploy::{deploy, read_model};
use pimforge_studies::train::digits::load;
use pimforge_studies::train::study_run::{self, train_config, Length};

use crate::common;
use common::{design, work};

/// Mixed precision trained on a chip with 2% stuck cells (device seed 9) for 800 samples,
/// deployed onto `digits-mixed`'s chip (seed 1, the model the training tests build).
#[test]
fn a_deployment_programs_and_reads_the_same_weights_on_rtl_and_golden_model() {
    let (_, training_chip) = study_run::design(Algorithm::Mixed, |c| {
        (c.device.stuck_on, c.device.stuck_off, c.device.seed) = (0.01, 0.01, 9);
    })
    .unwrap();
    let data = load(None).unwrap();
    let len = Length {
        epochs: 1,
        train_limit: Some(800),
        test_limit: Some(40),
    };
    let te = data.test_limited(len.test_limit);
    let tc = train_config(Algorithm::Mixed, 3, len);
    let run = study_run::run(&training_chip, &tc, (&data.train, te)).unwrap();
    let cfg = training_chip.config();
    let formats = (cfg.input.frac, cfg.weight.frac);
    let model = read_model(&run.trained.network, &run.backend, formats.1);

    let target = design("digits-mixed", None);
    let prepared = prepare(&target, &work(), None).unwrap();
    let replay = pimforge_flows::replay::test("deploy::", "");
    let mut rtl = Commands::lockstep(&prepared.built, 3, replay).unwrap();
    let mut golden = Golden::new(&target.shape, target.cells().to_vec(), vec![]);
    let p = &run.placement;
    let on_rtl = deploy(&mut rtl, 1, &model, p, formats, te).unwrap_or_else(|e| panic!("{e:#}"));
    let on_golden = deploy(&mut golden, 1, &model, p, formats, te).unwrap();
    assert_eq!(on_rtl, on_golden, "the deployment's results");
    // The training chip's stuck cells hold their bounds in the model; some lie beyond the new
    // chip's bounds, so write-and-verify clips them.
    assert!(on_rtl.weights_off > 0, "{on_rtl:?}");
    let s = &target.shape;
    for t in p.used_tiles() {
        assert!(
            rtl.cells(t) == golden.cells(t),
            "tile {t}: programmed cells"
        );
        // Every row read back through the crossbar: a one-hot input gives the row's weights.
        for r in 0..s.rows {
            let mut x = vec![0i64; s.rows];
            x[r] = 1;
            let got = rtl.product(t, &x, Direction::Forward, s.cols).unwrap();
            let want: Vec<i128> = (0..s.cols)
                .map(|c| golden.cells(t).weight(s.value_bits, r, c) as i128)
                .collect();
            assert_eq!(
                got, want,
                "tile {t} row {r}: weights read back from the RTL"
            );
        }
    }
    println!(
        "deployment onto digits-mixed: {} weights programmed ({} off target), {:.2}% on {} test samples, every weight read back; lock-step {}",
        on_rtl.weights,
        on_rtl.weights_off,
        100.0 * on_rtl.test_accuracy,
        te.len(),
        rtl.evidence()
            .unwrap()
            .map_or(String::new(), |e| e.to_string())
    );
}

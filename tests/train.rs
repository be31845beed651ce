//! Training on the RTL: the digits MLP trained step by step on the Verilated design in
//! lock-step (every output compared on every cycle) and on the golden model's functional form,
//! with the same seed; after every sample the two hold identical crossbars (conductances, noise
//! generators) and accumulators. Needs Verilator (`make deps` installs it).

use pimforge_flows::verify::prepare;
use pimforge_gen::design::Design;
use pimforge_studies::train::backend::{Backend, Golden};
use pimforge_studies::train::commands::Commands;
use pimforge_studies::train::config::{Algorithm, Sbpca, TrainConfig};
use pimforge_studies::train::data::Sample;
use pimforge_studies::train::digits::load;
use pimforge_studies::train::epochs::counters;
use pimforge_studies::train::mapping::{place, Order};
use pimforge_studies::train::network::Network;
use pimforge_studies::train::reference::Mlp;
use pimforge_studies::train::spec::NetworkSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common;
use common::{design, design_of, work};

/// Trains the digits MLP for `samples` digits on preset `name`.
fn rtl_matches_golden(name: &str, algorithm: Algorithm, samples: usize, every: usize) {
    let train = load(None).unwrap().train;
    let hw = design(name, None);
    let spec = NetworkSpec::digits();
    both_backends(name, &hw, &spec, algorithm, &train[..samples], every);
}

/// The RTL of `hw` in lock-step with the cycle-level golden model.
fn lockstep(name: &str, hw: &Design) -> Commands {
    let prepared = prepare(hw, &work(), None).unwrap();
    let replay = format!("pimforge train --backend rtl --preset {name} --seed {SEED}");
    Commands::lockstep(&prepared.built, SEED, replay).unwrap()
}

const SEED: u64 = 3;

/// Trains `samples` on the RTL and on the golden model's functional form (`both_models`).
fn both_backends(
    name: &str,
    hw: &Design,
    spec: &NetworkSpec,
    algorithm: Algorithm,
    samples: &[Sample],
    every: usize,
) {
    let mut rtl = lockstep(name, hw);
    both_models(name, hw, spec, algorithm, samples, every, &mut rtl);
}

/// Trains `samples` on the command-level backend `rtl` and on the golden model's functional
/// form, with an update pass (CRS or transfer) every `every` samples, comparing the tiles after
/// each sample.
fn both_models(
    name: &str,
    hw: &Design,
    spec: &NetworkSpec,
    algorithm: Algorithm,
    samples: &[Sample],
    every: usize,
    rtl: &mut Commands,
) {
    let seed = SEED;
    let mut golden = Golden::new(&hw.shape, hw.cells().to_vec(), hw.units().to_vec());
    let tc = TrainConfig {
        algorithm,
        epochs: 1,
        lr: if algorithm.flavor().is_some() {
            0.3
        } else {
            0.01
        },
        seed,
        crs_every: every,
        transfer_every: every,
        x_frac: 4,
        train_limit: None,
        test_limit: None,
        fast_lr: 0.5,
        bias_lr: Some(0.01),
        order: Order::RowMajor,
        scale_errors: false,
        stochastic_rows: false,
        sbpca: Sbpca {
            rank: 2,
            batch: every,
            arith: Default::default(),
        },
    };
    let init = Mlp::new(spec, &mut ChaCha8Rng::seed_from_u64(seed));
    let formats = (hw.config().input.frac, hw.config().weight.frac);
    let p = place(spec, (hw.shape.rows, hw.shape.cols), hw.tiles(), tc.order).unwrap();
    let tiles = p.used_tiles();
    let mut net_r = Network::new(rtl, &init, p.clone(), formats, seed).unwrap();
    let mut net_g = Network::new(&mut golden, &init, p, formats, seed).unwrap();
    for (i, s) in samples.iter().enumerate() {
        let lr = net_r.step(rtl, s, &tc).unwrap_or_else(|e| panic!("{e:#}"));
        let lg = net_g.step(&mut golden, s, &tc).unwrap();
        assert_eq!(lr, lg, "{name}: loss of sample {i}");
        if (i + 1) % every == 0 {
            if algorithm == Algorithm::Sbpca {
                net_r.end_batch(rtl, &tc).unwrap();
                net_g.end_batch(&mut golden, &tc).unwrap();
            }
            for &t in &tiles {
                match algorithm {
                    Algorithm::Opa | Algorithm::Sbpca => {
                        rtl.crs(t).unwrap();
                        golden.crs(t).unwrap();
                    }
                    Algorithm::Mixed => {
                        rtl.transfer(t).unwrap();
                        golden.transfer(t).unwrap();
                    }
                    _ => {}
                }
            }
        }
        for &t in &tiles {
            assert!(
                rtl.cells(t) == golden.cells(t),
                "{name}: tile {t} crossbars differ after sample {i}"
            );
            assert!(
                rtl.unit(t) == golden.unit(t),
                "{name}: tile {t} Tiki-Taka unit (A, H, choppers, line LFSRs) differs after sample {i}"
            );
            assert_eq!(
                rtl.chi(t),
                golden.chi(t),
                "{name}: tile {t} chi, sample {i}"
            );
            assert!(
                rtl.lowrank(t) == golden.lowrank(t),
                "{name}: tile {t} low-rank unit (X, D, scale, LFSR, counters) differs after sample {i}"
            );
        }
    }
    let (r, g) = (counters(rtl, &tiles), counters(&golden, &tiles));
    assert_eq!(
        (
            r.pulses,
            r.update_clips,
            r.crs_saturations,
            r.chi_saturations
        ),
        (
            g.pulses,
            g.update_clips,
            g.crs_saturations,
            g.chi_saturations
        ),
        "{name}: counters"
    );
    assert_eq!(
        (r.a_pulses, r.h_saturations, r.flips, r.withheld),
        (g.a_pulses, g.h_saturations, g.flips, g.withheld),
        "{name}: Tiki-Taka counters"
    );
    assert_eq!(
        r.work, g.work,
        "{name}: cost events (the RTL's status words against the golden model's per-operation counts) and cycles per phase"
    );
    assert_eq!(
        (r.opas, r.absorbs, r.end_batches),
        (g.opas, g.absorbs, g.end_batches),
        "{name}: OPAs and the low-rank units' commands"
    );
    if hw.shape.lowrank.is_some() {
        assert!(r.absorbs > 0 && r.end_batches > 0, "{name}: the units ran");
    }
    assert!(r.work.total()[pimforge_golden::events::Event::Conversions] > 0);
    assert!(r.pulses > 0);
    println!(
        "{name}: {} samples identical after every step on {} tiles; lock-step {}; {} pulses, {} clipped updates",
        samples.len(),
        tiles.len(),
        rtl.evidence()
            .unwrap()
            .map_or("off (the cycle-level model alone)".into(), |e| e.to_string()),
        r.pulses,
        r.update_clips
    );
}

#[test]
fn opa_with_crs_trains_identically_on_rtl_and_golden_model() {
    rtl_matches_golden("digits", Algorithm::Opa, 48, 16);
}

/// SBPCA: rank-2 estimates of each batch of 16, written as 2 OPAs per layer at its end.
#[test]
fn sbpca_trains_identically_on_rtl_and_golden_model() {
    rtl_matches_golden("digits", Algorithm::Sbpca, 48, 16);
}

/// `digits` with a low-rank unit of rank 4 and batches of 128 (`configs/lowrank-digits.yaml`).
fn digits_lowrank() -> Design {
    let mut cfg = pimforge_gen::presets::preset("digits").unwrap();
    cfg.lowrank = Some(pimforge_gen::config::LowRank {
        rank: 4,
        batch: 128,
    });
    design_of(cfg, None)
}

/// SBPCA in the tiles' low-rank units (batches ended every 16 samples): the first pairs by
/// WRITE_UNIT, every sample's ABSORB and every batch's END_BATCH on the cycle-level model,
/// against the functional form; the units' X, D, LFSR and counters identical after every
/// sample.
#[test]
fn sbpca_in_the_tiles_units_trains_identically_on_the_cycle_model_and_the_functional_form() {
    let train = load(None).unwrap().train;
    let hw = digits_lowrank();
    let mut cycle = Commands::golden(&hw.shape, hw.cells().to_vec(), hw.units().to_vec());
    let spec = NetworkSpec::digits();
    let name = "digits + lowrank (cycle model)";
    both_models(
        name,
        &hw,
        &spec,
        Algorithm::Sbpca,
        &train[..48],
        16,
        &mut cycle,
    );
}

/// The same on the RTL in lock-step: the low-rank units' terms, their OPAs and the crossbars
/// identical to the golden model's after every sample.
#[test]
fn sbpca_in_the_tiles_units_trains_identically_on_rtl_and_golden_model() {
    let train = load(None).unwrap().train;
    let hw = digits_lowrank();
    let spec = NetworkSpec::digits();
    let name = "digits + lowrank";
    both_backends(name, &hw, &spec, Algorithm::Sbpca, &train[..48], 16);
}

#[test]
fn mixed_precision_trains_identically_on_rtl_and_golden_model() {
    rtl_matches_golden("digits-mixed", Algorithm::Mixed, 48, 8);
}

/// Chopped TTv2 with reference offsets: pulse updates into A, a transfer per update, every
/// pulse into C, and A, H and the choppers identical after every sample.
#[test]
fn chopped_tiki_taka_trains_identically_on_rtl_and_golden_model() {
    rtl_matches_golden("digits-tiki-offset", Algorithm::Cttv2, 12, 1);
}

/// Analog SGD: the same pulse updates straight into C.
#[test]
fn analog_sgd_trains_identically_on_rtl_and_golden_model() {
    rtl_matches_golden("digits-tiki", Algorithm::Sgd, 12, 1);
}

/// A network cut into blocks over 6 tiles (tiny's 8x8 crossbars: a 12-10-3 MLP, W1 in 2x2
/// blocks, W2 in 2x1): partial sums on the host, every block's OPA, CRS of every tile, and the
/// golden model's direct products (exact ADC) equal to the RTL's bit-serial ones.
#[test]
fn a_network_over_six_tiles_trains_identically_on_rtl_and_golden_model() {
    let mut cfg = pimforge_gen::presets::preset("tiny").unwrap();
    cfg.tiles = 6;
    let hw = design_of(cfg, None);
    let spec = NetworkSpec::parse(
        "name: t\ninputs: 12\nloss: cross-entropy\nlayers:\n  - {outputs: 10, activation: relu}\n  - {outputs: 3, activation: softmax}\n",
        "t",
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let samples: Vec<Sample> = (0..24)
        .map(|i| Sample {
            x: (0..12).map(|_| rng.random_range(0.0..1.0)).collect(),
            label: i % 3,
        })
        .collect();
    both_backends("tiny x6", &hw, &spec, Algorithm::Opa, &samples, 8);
}

/// PANTHER's MLP benchmark shape, 1024-256-512-512-10, placed on the 64-tile default (44 tiles,
/// 91.6% of their cells hold weights) and trained for three epochs on a synthetic data set on
/// the golden model: the training loss decreases. (Row operands of one fraction bit, rounded
/// stochastically, and CRS every 16 samples: with the defaults, the column operand's rounding
/// moves a whole 1024-input column at once and the network stays at chance; docs/training.md.)
#[test]
fn panthers_benchmark_shape_maps_onto_the_default_array_and_its_loss_decreases() {
    use pimforge_studies::train::data::{parse, synthetic_csv, LabelColumn, Scaling, Split};
    use pimforge_studies::train::epochs::train;
    let spec = NetworkSpec::shipped("panther").unwrap();
    let hw = design("puma", None);
    let p = place(
        &spec,
        (hw.shape.rows, hw.shape.cols),
        hw.tiles(),
        Order::RowMajor,
    )
    .unwrap();
    assert_eq!((p.tiles.len(), hw.tiles()), (44, 64));
    assert!((p.utilisation - 0.9157).abs() < 1e-3, "{}", p.utilisation);
    let text = synthetic_csv(1024, 10, 400, 1.0, 0);
    let split = Split::Stratified {
        test_fraction: 0.25,
        seed: 0,
    };
    let data = parse(
        &text,
        "synthetic",
        &LabelColumn::Last,
        split,
        Scaling::PerFeature,
    )
    .unwrap();
    let tc = TrainConfig {
        algorithm: Algorithm::Opa,
        epochs: 2,
        lr: 0.01,
        seed: 0,
        crs_every: 16,
        transfer_every: 64,
        x_frac: 1,
        train_limit: None,
        test_limit: Some(40),
        fast_lr: 0.5,
        bias_lr: None,
        order: Order::RowMajor,
        scale_errors: false,
        stochastic_rows: true,
        sbpca: Default::default(),
    };
    let mut golden = Golden::new(&hw.shape, hw.cells().to_vec(), vec![]);
    let formats = (hw.config().input.frac, hw.config().weight.frac);
    let net = (&spec, &p);
    let epochs = train(
        &mut golden,
        net,
        (&data.train, &data.test),
        &tc,
        formats,
        &mut |_, _, _| Ok(()),
    )
    .unwrap()
    .epochs;
    let loss: Vec<f64> = epochs.iter().map(|e| e.train_loss).collect();
    println!("PANTHER 1024-256-512-512-10 on 44 tiles: training loss per epoch {loss:?}");
    assert!(loss[1] < loss[0], "{loss:?}");
    let opas = 2 * data.train.len() as u64 * 44;
    assert_eq!(
        epochs[1].counters.opas, opas,
        "one OPA per block and sample"
    );
}

//! SBPCA's low-rank unit in lock-step with its golden cycle models: in its tiles (the array's
//! regression with low-rank transactions, and a caught fault in the terms' rounding), and on
//! its own (`pim_lowrank_solo`) on three configs: random samples streamed through batches (absorb, the batch's last
//! re-orthogonalisation, the warm start), a vector that vanishes in Gram-Schmidt and sums that
//! saturate; every output compared on every cycle, every entry of X and D read back after every
//! command, the busy cycles equal to the documented schedule. Needs Verilator (`make deps`
//! installs it).

use pimforge_flows::verify::{prepare, prepare_lowrank, verify};
use pimforge_gen::config::LowRank;
use pimforge_gen::fault::Fault;
use pimforge_gen::presets::preset;
use pimforge_golden::lowrank::fixed::FixedLowRank;
use pimforge_golden::lowrank::unit::{absorb_cycles, reorth_cycles};
use pimforge_golden::num::signed_range;
use pimforge_tb::lowrank::{run_lowrank, Txn};
use pimforge_tb::Options;
use rand::{Rng, SeedableRng};

use crate::common;
use common::{design_of, work};

/// The first pairs (the golden model's seeded ones), then `batches` batches of random samples
/// (some zero, some at full scale); after each batch FINISH and WARM.
fn transactions(
    s: &pimforge_golden::lowrank::fixed::FixedShape,
    batches: usize,
    seed: u64,
) -> Vec<Txn> {
    let init = FixedLowRank::new(*s, seed, s.x_bits + s.d_bits - 6);
    let mut t = Vec::new();
    for (side, v, n) in [(false, &init.x, s.inputs), (true, &init.d, s.outputs)] {
        for (j, &value) in v.iter().enumerate() {
            t.push(Txn::Set {
                side,
                pair: j / n,
                idx: j % n,
                value,
            });
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let sample = |rng: &mut rand_chacha::ChaCha8Rng, n: usize, bits: u32| -> Vec<i64> {
        let (lo, hi) = signed_range(bits);
        let scale = [hi / 64, hi / 4, hi][rng.random_range(0..3)];
        (0..n)
            .map(|_| match rng.random_range(0..10) {
                0 => 0,
                1 => [lo, hi][rng.random_range(0..2)],
                _ => rng.random_range(-scale..=scale),
            })
            .collect()
    };
    for _ in 0..batches {
        let n = rng.random_range(1..=s.batch);
        for _ in 0..n {
            let zero_x = rng.random_range(0..20) == 0;
            let mut x = sample(&mut rng, s.inputs, s.x_bits);
            if zero_x {
                x.iter_mut().for_each(|v| *v = 0);
            }
            t.push(Txn::Absorb {
                x,
                d: sample(&mut rng, s.outputs, s.d_bits),
            });
        }
        t.push(Txn::Finish);
        t.push(Txn::Warm);
    }
    t
}

fn regress(
    preset_name: &str,
    rank: usize,
    batch: usize,
    batches: usize,
    fault: Option<Fault>,
) -> Result<String, String> {
    let mut cfg = preset(preset_name).expect("a preset");
    cfg.lowrank = Some(LowRank { rank, batch });
    let design = design_of(cfg, fault);
    let (library, model) = prepare_lowrank(&design, &work()).unwrap();
    let s = *model.shape();
    let mut txns = transactions(&s, batches, 11 + rank as u64);
    // A vector that vanishes: X_1 = 2 X_0, then FINISH replaces it.
    let (_, hi) = signed_range(s.acc_bits());
    for i in 0..s.inputs {
        let v = (i as i64 % 7 - 3) << 12;
        txns.push(Txn::Set {
            side: false,
            pair: 0,
            idx: i,
            value: v,
        });
        txns.push(Txn::Set {
            side: false,
            pair: 1.min(s.k - 1),
            idx: i,
            value: 2 * v,
        });
    }
    txns.push(Txn::Finish);
    // Sums at the top of their range: the next sample saturates them.
    for i in 0..s.inputs {
        txns.push(Txn::Set {
            side: false,
            pair: 0,
            idx: i,
            value: hi - 1,
        });
    }
    let (xl, xh) = signed_range(s.x_bits);
    let (_, dh) = signed_range(s.d_bits);
    txns.push(Txn::Absorb {
        x: (0..s.inputs)
            .map(|i| if i % 2 == 0 { xh } else { xl + 1 })
            .collect(),
        d: vec![dh; s.outputs],
    });
    let replay = pimforge_flows::replay::test(
        "lowrank::",
        &format!("{preset_name}, rank {rank}, batch {batch}"),
    );
    let run = match run_lowrank(&library, model.clone(), &txns, 5, &replay).unwrap() {
        Ok(r) => r,
        Err(m) => return Err(format!("{preset_name} rank {rank}:\n{m}")),
    };
    // The directed transactions reached their paths (the counters, compared every cycle).
    assert!(run.counts.replaced >= 1, "{:?}", run.counts);
    assert!(run.counts.saturations >= 1, "{:?}", run.counts);
    // The busy cycles follow the schedule of golden::lowrank::unit.
    for (name, busy) in &run.busy {
        let want = match *name {
            "ABSORB" => [absorb_cycles(&s), absorb_cycles(&s) + reorth_cycles(&s)],
            "FINISH" => [reorth_cycles(&s); 2],
            _ => [1, 1],
        };
        assert!(want.contains(busy), "{name}: {busy} cycles, want {want:?}");
    }
    let absorbs = run.busy.iter().filter(|b| b.0 == "ABSORB").count();
    Ok(format!(
        "pim_lowrank {}x{} rank {rank} batch {batch} ({preset_name}): {} commands ({absorbs} samples), {} cycles matched on every output, {} entries of X and D read back, {} saturated adds, {} vectors replaced; ABSORB {} cycles, re-orthogonalisation {}",
        s.inputs, s.outputs, run.busy.len(), run.cycles, run.reads, run.counts.saturations, run.counts.replaced, absorb_cycles(&s), reorth_cycles(&s)
    ))
}

#[test]
fn low_rank_unit_matches_the_golden_model_on_three_configs() {
    for (p, rank, batch, batches) in [
        ("tiny", 2, 8, 4),
        ("noisy", 3, 16, 3),
        ("digits", 4, 128, 1),
    ] {
        match regress(p, rank, batch, batches, None) {
            Ok(line) => println!("{line}"),
            Err(m) => panic!("{m}"),
        }
    }
}

#[test]
fn injected_seed_fault_is_caught() {
    let err = regress("tiny", 2, 8, 1, Some(Fault::LowRankSeed)).expect_err("the fault is caught");
    assert!(
        err.contains("rd_o") || err.contains("saturations_o"),
        "{err}"
    );
    println!("{err}");
}

/// The unit in its tiles: random regression transactions on the array (samples absorbed from
/// the tile's buffers with every word of X and D read back after each, batches ended by
/// END_BATCH, whose terms' OPAs, pulses, clips and counters the functional shadow predicts),
/// interleaved with products, loads, OPAs, CRS and error probes; every output on every cycle.
fn in_tiles(preset_name: &str, rank: usize, batch: usize, products: usize, seed: u64) {
    let mut cfg = preset(preset_name).expect("a preset");
    cfg.lowrank = Some(LowRank { rank, batch });
    let hw = design_of(cfg, None);
    let prepared = prepare(&hw, &work(), None).unwrap();
    let opts = Options {
        seed,
        replay: format!("pimforge verify --preset {preset_name} (lowrank rank {rank} batch {batch}) --seed {seed} --transactions {products}"),
        waves: None,
        wave_dir: None,
        mismatch_window: 16,
        record: None,
        inline: false,
        heartbeat: None,
    };
    let s = match verify(&prepared, products, &opts, &|_, _| {}).unwrap() {
        Ok(s) => s,
        Err(m) => panic!("{preset_name} rank {rank}:\n{m}"),
    };
    let goals = pimforge_tb::coverage::goals(&prepared.built.shape, &prepared.built.cells);
    println!("{preset_name} rank {rank} batch {batch} in the tiles, seed {seed}: {s}");
    println!("{preset_name}: {}", s.coverage.headline(&goals));
    assert!(s.lowrank >= 2, "{} low-rank transactions", s.lowrank);
    assert!(s.pulses > 0);
}

#[test]
fn low_rank_units_in_their_tiles_match_the_golden_model_on_three_configs() {
    in_tiles("tiny", 2, 8, 300, 2);
    in_tiles("noisy", 3, 16, 200, 3);
    in_tiles("digits", 4, 128, 20, 4);
}

#[test]
fn injected_draw_fault_is_caught_in_the_tiles() {
    let mut cfg = preset("tiny").expect("a preset");
    cfg.lowrank = Some(LowRank { rank: 2, batch: 8 });
    let hw = design_of(cfg, Some(Fault::LowRankDraw));
    let prepared = prepare(&hw, &work(), None).unwrap();
    let opts = Options {
        seed: 1,
        replay: "pimforge verify --config configs/lowrank.yaml --inject-fault lowrank-draw --seed 1 --transactions 100".into(),
        waves: None,
        wave_dir: None,
        mismatch_window: 16,
        record: None,
        inline: false,
        heartbeat: None,
    };
    let m = verify(&prepared, 100, &opts, &|_, _| {})
        .unwrap()
        .expect_err("the fault is caught");
    let text = m.to_string();
    assert!(text.contains("low-rank unit"), "{text}");
    println!("{text}");
}

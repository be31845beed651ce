//! Lock-step regression: generated RTL under Verilator against the golden model, every output
//! on every cycle, on several configurations; and proof that the harness catches an RTL bug.
//! Needs Verilator (`make deps` installs it).

use pimforge_flows::verify::{prepare, verify, Prepared};
use pimforge_gen::config::Config;
use pimforge_gen::fault::Fault;
use pimforge_golden::Op;
use pimforge_tb::{generate, Cause, Options, Summary};

use crate::common;
use common::{design, work};

fn options(seed: u64) -> Options {
    Options {
        seed,
        replay: format!("cargo run --release -- verify --seed {seed}"),
        waves: None,
        wave_dir: None,
        mismatch_window: 16,
        record: None,
        inline: false,
        heartbeat: None,
    }
}

fn regress(name: &str, products: usize, seed: u64) -> (Config, Summary) {
    let hw = design(name, None);
    let cfg = hw.config().clone();
    let prepared = prepare(&hw, &work(), None).unwrap();
    let summary = match verify(&prepared, products, &options(seed), &|_, _| {}).unwrap() {
        Ok(s) => s,
        Err(m) => panic!("{name}:\n{m}"),
    };
    println!("{name} seed {seed}: {summary}");
    // Every coverage bin the design can reach was hit by this run.
    let goals = pimforge_tb::coverage::goals(&prepared.built.shape, &prepared.built.cells);
    let cov = &summary.coverage;
    println!("{name}: {}", cov.headline(&goals));
    assert!(
        cov.unhit(&goals).is_empty(),
        "{name} seed {seed}: {}\n{}",
        cov.headline(&goals),
        cov.table(&goals)
    );
    assert_eq!(summary.forward + summary.transpose, products as u64);
    assert!(summary.forward > products as u64 / 3 && summary.transpose > products as u64 / 3);
    assert!(summary.error_probes >= cfg.tiles as u64);
    (cfg, summary)
}

#[test]
fn tiny_exact_adc_1000_products() {
    let (_, s) = regress("tiny", 1000, 1);
    assert_eq!(
        s.exact_checked, 1000,
        "every product equals the big-integer product"
    );
    assert_eq!(s.clipped, 0);
    // In-memory training steps ran between the products, and some hit the cell and weight
    // bounds (4-bit cells have little headroom).
    assert!(
        s.opas >= 20 && s.crs_passes >= 10,
        "{} OPAs, {} CRS",
        s.opas,
        s.crs_passes
    );
    assert!(s.opa_clips > 0 && s.crs_saturations > 0);
}

/// Soft-bounds devices with cycle-to-cycle and read noise, device-to-device variation (read by
/// RTL and golden model from the same files) and stuck cells: products, OPA pulse trains and CRS
/// stay bit-exact.
#[test]
fn noisy_devices_1000_products_with_opa_and_crs() {
    let (_, s) = regress("noisy", 1000, 4);
    // Read noise: products match the golden model bit for bit but not the exact product.
    assert_eq!(s.exact_checked, 0);
    assert!(s.opas >= 20 && s.crs_passes >= 10 && s.pulses > 10_000);
    assert!(s.opa_clips > 0, "noisy cells clip at their bounds");
}

/// noisy's devices on a non-square tile (16x8) of three (one tile id absent): read noise and
/// cycle-to-cycle noise index rows and columns apart.
#[test]
fn noisy_non_square_1000_products() {
    let (_, s) = regress("noisy-rect", 1000, 6);
    assert_eq!(s.exact_checked, 0);
    assert!(s.opas >= 20 && s.pulses > 10_000, "{s}");
    let bins = [
        pimforge_tb::Bin::ReadNoiseNonSquare,
        pimforge_tb::Bin::C2cNoiseNonSquare,
    ];
    assert!(bins.iter().all(|b| s.coverage.count(b) > 0));
}

/// The mixed-precision unit (accumulate, threshold, pulse trains through noisy soft-bounds
/// devices with variation) in lock-step, with chi saturations and clipped transfers counted.
#[test]
fn mixed_precision_1000_products_with_accumulate_and_transfer() {
    let (_, s) = regress("mixed", 1000, 5);
    assert_eq!(s.exact_checked, 1000);
    assert!(s.mixed_updates >= 50 && s.pulses > 1000, "{s}");
    assert!(
        s.mixed_events > 0,
        "some accumulators saturate or transfers clip"
    );
}

/// A CRS that recomposes a slice with the wrong weight is caught.
#[test]
fn injected_crs_shift_fault_is_caught() {
    let seed = 13;
    let faulty = prepare(&design("tiny", Some(Fault::CrsShift)), &work(), None).unwrap();
    let stim = generate(
        &faulty.built.shape,
        &faulty.built.cells,
        &faulty.built.units,
        200,
        seed,
    );
    let first_crs = stim
        .commands
        .iter()
        .position(|c| c.op == Op::Crs as u8)
        .expect("the stimulus runs a CRS");
    let m = pimforge_tb::run(&faulty.built, &stim, &options(seed))
        .unwrap()
        .expect_err("the mutated CRS must be caught");
    println!("{m}");
    let clean = prepare(&design("tiny", None), &work(), None).unwrap();
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[first_crs],
        "caught after the first CRS"
    );
}

/// An OPA that takes its column digits from the wrong bit position is caught.
#[test]
fn injected_opa_digit_fault_is_caught() {
    let seed = 12;
    let faulty = prepare(&design("tiny", Some(Fault::OpaDigit)), &work(), None).unwrap();
    let stim = generate(
        &faulty.built.shape,
        &faulty.built.cells,
        &faulty.built.units,
        200,
        seed,
    );
    let first_opa = stim
        .commands
        .iter()
        .position(|c| c.op == Op::Opa as u8)
        .expect("the stimulus runs OPAs");
    let m = pimforge_tb::run(&faulty.built, &stim, &options(seed))
        .unwrap()
        .expect_err("the faulty design must fail");
    println!("{m}");
    assert_eq!(m.cause, Cause::Port);
    let clean = prepare(&design("tiny", None), &work(), None).unwrap();
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[first_opa],
        "caught after the first OPA started"
    );
}

#[test]
fn narrow_adc_1000_products_saturate_and_are_counted() {
    let (_, s) = regress("narrow-adc", 1000, 2);
    assert_eq!(s.exact_checked, 0);
    assert!(
        s.clipped > 1000,
        "the narrow ADC must clip: {} clips",
        s.clipped
    );
}

#[test]
fn shared_adc_1000_products_with_an_absent_tile() {
    let (cfg, s) = regress("shared-adc", 1000, 3);
    assert!(cfg.adc.share > 1 && !cfg.tiles.is_power_of_two());
    assert_eq!(s.exact_checked, 1000);
}

/// An RTL bug (a flipped accumulator bit) must be reported at the cycle where it first shows
/// at an output: the response to the first read of line 0 after a product.
#[test]
fn injected_accumulator_fault_is_caught_at_the_right_cycle() {
    let bit = 2;
    let fault = Fault::AccBit {
        line: 0,
        plane: 3,
        bit,
    };
    let seed = 11;
    let clean: Prepared = prepare(&design("tiny", None), &work(), None).unwrap();
    let stim = generate(
        &clean.built.shape,
        &clean.built.cells,
        &clean.built.units,
        30,
        seed,
    );
    let clean_run = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes");
    let first_read0 = stim
        .commands
        .iter()
        .position(|c| c.op == Op::ReadY as u8 && c.addr == 0)
        .unwrap();
    let want_cycle = clean_run.accepted[first_read0] + 1;

    // (tests/waves.rs reads the waveforms of this same mismatch's replay.)
    let faulty = prepare(&design("tiny", Some(fault)), &work(), None).unwrap();
    let m = pimforge_tb::run(&faulty.built, &stim, &options(seed))
        .unwrap()
        .expect_err("the faulty design must fail");
    println!("{m}");
    assert_eq!(m.cause, Cause::Port);
    assert_eq!(m.signal, "rsp_data_o");
    assert_eq!(m.cycle, want_cycle);
    assert_eq!(m.expected ^ m.actual, 1 << bit);
    assert_eq!(m.seed, seed);
    assert!(m.replay.contains("--seed 11"));
    assert!(m.to_string().contains("response owed to command"));
}

/// The largest expected value of status word `word` in the stimulus of `stim`.
fn most(stim: &pimforge_tb::Stimulus, word: u64) -> u128 {
    stim.commands
        .iter()
        .filter(|c| c.op == Op::ReadStat as u8 && c.addr == word)
        .filter_map(|c| c.expect)
        .max()
        .unwrap_or(0)
}

/// The Tiki-Taka unit in lock-step on one preset: thresholds, pulse updates into A and C,
/// transfers through the one-hot read of A, and H, the means and the choppers read back after
/// every transaction; the stimulus itself is checked to reach pulses into C, chopper flips and
/// (where H is narrow) saturations.
fn tiki_regress(name: &str, seed: u64) -> Summary {
    use pimforge_golden::protocol::stat;
    let (cfg, s) = regress(name, 1000, seed);
    assert!(s.tiki_updates >= 60, "{name}: {s}");
    let hw = design(name, None);
    let stim = generate(&hw.shape, hw.cells(), hw.units(), 1000, seed);
    assert!(most(&stim, stat::A_PULSES) > 100, "{name}: pulses into A");
    assert!(most(&stim, stat::PULSES) > 0, "{name}: pulses into C");
    let t = cfg.tiki.as_ref().expect("a tiki section");
    if t.flips != pimforge_gen::config::Flips::None {
        assert!(most(&stim, stat::FLIPS) > 0, "{name}: chopper flips");
    }
    if t.h_bits <= 20 {
        assert!(most(&stim, stat::H_SATURATIONS) > 0, "{name}: H saturates");
    }
    s
}

#[test]
fn tiki_chopped_1000_products_with_reference_offsets() {
    tiki_regress("tiki", 21);
}

#[test]
fn tiki_agad_1000_products_with_read_noise_and_a_rounding_adc() {
    let s = tiki_regress("tiki-agad", 22);
    assert!(s.clipped > 0, "some reads of A clip in the 12-bit ADC");
}

#[test]
fn tiki_ttv2_1000_products_on_ideal_devices() {
    let s = tiki_regress("tiki-ideal", 23);
    assert!(s.tiki_clips > 0, "ideal cells clip at their bounds");
}

/// A transfer that ignores the choppers' sign is caught.
#[test]
fn injected_chopper_fault_is_caught() {
    let seed = 3;
    let faulty = prepare(&design("tiki", Some(Fault::Chopper)), &work(), None).unwrap();
    let b = &faulty.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 300, seed);
    let m = pimforge_tb::run(b, &stim, &options(seed))
        .unwrap()
        .expect_err("the chopper fault must be caught");
    println!("{m}");
    let clean = prepare(&design("tiki", None), &work(), None).unwrap();
    let first = stim
        .commands
        .iter()
        .position(|c| c.op == Op::Transfer as u8)
        .expect("the stimulus runs transfers");
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[first],
        "caught after the first transfer"
    );
}

/// Event counters that miss one ADC conversion per line group are caught at the first read of
/// the conversion count, with the count off by the groups converted.
#[test]
fn injected_event_count_fault_is_caught() {
    let seed = 5;
    let faulty = prepare(&design("tiny", Some(Fault::EventCount)), &work(), None).unwrap();
    let b = &faulty.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 100, seed);
    let m = pimforge_tb::run(b, &stim, &options(seed))
        .unwrap()
        .expect_err("the event-count fault must be caught");
    println!("{m}");
    assert_eq!(m.signal, "rsp_data_o");
    let groups = b.shape.planes() * b.shape.adc.share;
    assert_eq!(
        m.expected - m.actual,
        (groups as u128) * (m.expected / (groups * b.shape.adcs() * b.shape.slices()) as u128),
        "one conversion short per line group of every product since the last CLEAR"
    );
    let conversions = pimforge_golden::tile::stat::CONVERSIONS;
    let first = stim
        .commands
        .iter()
        .position(|c| c.op == Op::ReadStat as u8 && c.addr == conversions)
        .expect("the stimulus reads the conversion count");
    let clean = prepare(&design("tiny", None), &work(), None).unwrap();
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[first],
        "caught at a read of the count"
    );
}

/// A mixed-precision unit that never marks row 0 of its accumulators written is caught: row 0
/// reads zero, so the first read that depends on it (a transfer's pulses, a read-back of chi)
/// differs, after the first ACCUMULATE.
#[test]
fn injected_chi_valid_fault_is_caught() {
    let seed = 4;
    let faulty = prepare(&design("mixed", Some(Fault::ChiValid)), &work(), None).unwrap();
    let b = &faulty.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 300, seed);
    let m = pimforge_tb::run(b, &stim, &options(seed))
        .unwrap()
        .expect_err("the chi-valid fault must be caught");
    println!("{m}");
    let first = stim
        .commands
        .iter()
        .position(|c| c.op == Op::Accumulate as u8)
        .expect("the stimulus accumulates");
    let clean = prepare(&design("mixed", None), &work(), None).unwrap();
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[first],
        "caught after the first ACCUMULATE"
    );
}

/// A shift-and-add unit whose clear keeps accumulator word 0 valid is caught: the second product
/// adds to the first one's sums, so a READ_Y of a line in word 0 after the second product
/// differs (on `tiny` every line is in word 0: one converter per line).
#[test]
fn injected_acc_valid_fault_is_caught() {
    let seed = 5;
    let faulty = prepare(&design("tiny", Some(Fault::AccValid)), &work(), None).unwrap();
    let b = &faulty.built;
    assert_eq!(b.shape.adc.share, 1, "tiny keeps every line in word 0");
    let stim = generate(&b.shape, &b.cells, &b.units, 30, seed);
    let m = pimforge_tb::run(b, &stim, &options(seed))
        .unwrap()
        .expect_err("the acc-valid fault must be caught");
    println!("{m}");
    assert_eq!(m.cause, Cause::Port);
    assert_eq!(m.signal, "rsp_data_o");
    let is_product = |op: u8| op == Op::Mvm as u8 || op == Op::Mtvm as u8;
    let second = stim
        .commands
        .iter()
        .enumerate()
        .filter(|(_, c)| is_product(c.op))
        .nth(1)
        .map(|(i, _)| i)
        .expect("the stimulus has two products");
    let clean = prepare(&design("tiny", None), &work(), None).unwrap();
    let ok = pimforge_tb::run(&clean.built, &stim, &options(seed))
        .unwrap()
        .expect("the clean design passes the same stimulus");
    assert!(
        m.cycle > ok.accepted[second],
        "caught after the second product, not before"
    );
}

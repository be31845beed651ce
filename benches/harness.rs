//! Performance of pimforge, measured side by side in one run (`make bench`):
//! - `gen` time of the 64-tile default array;
//! - Verilator build time of each design, from a cold cache;
//! - lock-step harness speed against a bare Verilator loop driving the same model with the same
//!   command stream (no golden model, no comparison), as a ratio: the harness with the DUT on a
//!   thread of its own (the default) and with both on one thread; the full-size 128x128 tile
//!   among them, with each stimulus's command mix (a build's peak memory is for
//!   `/usr/bin/time -v` to measure: this one process runs many builds);
//! - training throughput (samples per second) of the digits MLP on the golden model and on the
//!   RTL in lock-step, same network, same samples: OPA, mixed precision, TTv2, c-TTv2, AGAD and
//!   analog SGD;
//! - golden-model training throughput of the 64-256-256-10 MLP on puma's 128x128 tiles (8 tiles)
//!   for every algorithm, and the direct product's speed-up over the bit-serial one.
//!
//! - `pimforge regress regress/ci.yaml` with one run at a time and with two, side by side (the
//!   models built first, so both times are of warm runs);
//! - `pimforge sweep sweeps/digits-adc-cells.yaml` (24 trainings) with one point at a time and
//!   with two.
//!
//! `PIMFORGE_BENCH_QUICK=1` skips the 64-tile default (its model takes minutes to compile).
//! `PIMFORGE_BENCH_ONLY=training,harness` runs only the named sections (`gen`, `training`,
//! `wide`, `regress`, `sweep`, `harness`).

use pimforge_flows::verify::prepare;
use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_gen::output::write_tree;
use pimforge_gen::presets::preset;
use pimforge_golden::Op;
use pimforge_studies::train::backend::{Backend, Golden};
use pimforge_studies::train::commands::Commands;
use pimforge_studies::train::config::{Algorithm, TrainConfig};
use pimforge_studies::train::data::Sample;
use pimforge_studies::train::digits::load;
use pimforge_studies::train::mapping::{place, Order};
use pimforge_studies::train::network::Network;
use pimforge_studies::train::reference::Mlp;
use pimforge_studies::train::spec::NetworkSpec;
use pimforge_tb::{generate, run, run_bare, Options};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Samples per second of `samples` SGD steps (with the update passes) after programming the
/// initial weights (not timed).
fn train_rate(
    b: &mut dyn Backend,
    (cfg, spec): (&Config, &NetworkSpec),
    tc: &TrainConfig,
    samples: &[Sample],
) -> f64 {
    let init = Mlp::new(spec, &mut ChaCha8Rng::seed_from_u64(tc.seed));
    let p = place(
        spec,
        (cfg.crossbar.rows, cfg.crossbar.cols),
        cfg.tiles,
        tc.order,
    )
    .unwrap();
    let tiles = p.used_tiles();
    let formats = (cfg.input.frac, cfg.weight.frac);
    let mut net = Network::new(b, &init, p, formats, tc.seed).unwrap();
    let t0 = Instant::now();
    for (i, s) in samples.iter().enumerate() {
        net.step(b, s, tc).unwrap();
        if (i + 1) % 16 == 0 {
            for &t in &tiles {
                match tc.algorithm {
                    Algorithm::Opa => b.crs(t).unwrap(),
                    Algorithm::Mixed => b.transfer(t).unwrap(),
                    _ => {}
                }
            }
        }
    }
    samples.len() as f64 / t0.elapsed().as_secs_f64()
}

/// Every algorithm on its design of the `base` family (`base`, `base-mixed`, `base-tiki`).
fn designs(base: &str) -> Vec<(String, Algorithm, Design)> {
    [
        ("", Algorithm::Opa),
        ("-mixed", Algorithm::Mixed),
        ("-tiki", Algorithm::Ttv2),
        ("-tiki", Algorithm::Cttv2),
        ("-tiki", Algorithm::Agad),
        ("-tiki", Algorithm::Sgd),
    ]
    .into_iter()
    .map(|(suffix, algorithm)| {
        let name = format!("{base}{suffix}");
        let mut c = preset(&name).unwrap();
        algorithm.configure(&mut c);
        (name, algorithm, Design::new(c.validated().unwrap(), None))
    })
    .collect()
}

/// The training settings of the throughput runs.
fn bench_config(algorithm: Algorithm) -> TrainConfig {
    TrainConfig {
        algorithm,
        epochs: 1,
        lr: algorithm.default_lr(),
        seed: 1,
        crs_every: 16,
        transfer_every: 16,
        x_frac: 4,
        train_limit: None,
        test_limit: None,
        fast_lr: 0.5,
        bias_lr: algorithm.flavor().map(|_| 0.01),
        order: Order::RowMajor,
        scale_errors: false,
        stochastic_rows: false,
        sbpca: Default::default(),
    }
}

/// The 64-256-256-10 MLP on puma's tiles, golden model, every algorithm; and OPA once more with
/// the bit-serial product forced (read noise of one part in 2^16 is not exact, so no shortcut;
/// the ratio is the direct product's gain).
fn wide_throughput(train: &[Sample]) {
    let spec = NetworkSpec::shipped("digits-256").unwrap();
    println!("\n64-256-256-10 on 128x128 tiles (8 of 64), golden model");
    println!("{:<12} {:<6} {:>16}", "design", "algo", "samples/s");
    for (name, algorithm, hw) in designs("puma") {
        let mut golden = Golden::new(&hw.shape, hw.cells().to_vec(), hw.units().to_vec());
        let tc = bench_config(algorithm);
        let g = train_rate(&mut golden, (hw.config(), &spec), &tc, &train[..128]);
        println!(
            "{name:<12} {:<6} {g:>16.1}",
            format!("{algorithm:?}").to_lowercase()
        );
    }
    let hw = Design::new(preset("puma").unwrap().validated().unwrap(), None);
    let tc = bench_config(Algorithm::Opa);
    let mut direct = Golden::new(&hw.shape, hw.cells().to_vec(), vec![]);
    let d = train_rate(&mut direct, (hw.config(), &spec), &tc, &train[..64]);
    let mut cells = hw.cells().to_vec();
    cells.iter_mut().for_each(|c| c.read_q16 = 1);
    let mut serial = Golden::new(&hw.shape, cells, vec![]);
    let s = train_rate(&mut serial, (hw.config(), &spec), &tc, &train[..64]);
    println!(
        "OPA, direct product {d:.1} samples/s, bit-serial product {s:.1} samples/s: {:.1}x",
        d / s
    );
}

/// Samples per second and cycles per sample of a cycle-level run (`Commands`: the RTL in
/// lock-step, or the golden cycle model alone).
fn cycle_rate(
    b: &mut Commands,
    net: (&Config, &NetworkSpec),
    tc: &TrainConfig,
    samples: &[Sample],
) -> (f64, f64) {
    let c0 = b.cycles();
    let rate = train_rate(b, net, tc, samples);
    let per_sample = (b.cycles() - c0) as f64 / samples.len() as f64;
    (rate, per_sample)
}

fn training_throughput() {
    let data = load(None).unwrap();
    let train = &data.train[..];
    let spec = NetworkSpec::digits();
    println!(
        "\n{:<14} {:<6} {:>10} {:>10} {:>10} {:>10} {:>12} {:>8}",
        "design", "algo", "golden/s", "cycle m./s", "RTL/s", "cyc/sample", "RTL cyc/s", "ratio"
    );
    for (name, algorithm, hw) in designs("digits") {
        let cfg = hw.config();
        let tc = bench_config(algorithm);
        let work = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build");
        let p = prepare(&hw, &work, None).unwrap();
        let mut golden = Golden::new(&hw.shape, hw.cells().to_vec(), hw.units().to_vec());
        let g = train_rate(&mut golden, (cfg, &spec), &tc, train);
        let mut model = Commands::golden(&hw.shape, hw.cells().to_vec(), hw.units().to_vec());
        let (m, _) = cycle_rate(&mut model, (cfg, &spec), &tc, &train[..64]);
        let mut rtl = Commands::lockstep(&p.built, 1, String::new()).unwrap();
        let (r, per) = cycle_rate(&mut rtl, (cfg, &spec), &tc, &train[..64]);
        println!(
            "{name:<14} {:<6} {g:>10.0} {m:>10.1} {r:>10.1} {per:>10.0} {:>12.0} {:>8.1}",
            format!("{algorithm:?}").to_lowercase(),
            r * per,
            g / r
        );
    }
    println!("golden = the golden model's functional form (the {} training samples); cycle m. = the golden cycle model alone, RTL = the RTL in lock-step with it (64 samples each, same network and samples); ratio = golden / RTL. OPA: CRS every 16, mixed: transfer every 16; Tiki-Taka: a pulse update and a transfer per layer and sample", train.len());
}

fn gen_time(cfg: &Config, reps: u32) -> f64 {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rtl");
    let t0 = Instant::now();
    for _ in 0..reps {
        let design = Design::new(cfg.clone().validated().unwrap(), None);
        write_tree(&out, &pimforge_gen::emit::render(&design), "--out").unwrap();
    }
    t0.elapsed().as_secs_f64() / reps as f64
}

/// The CI regression list with `--jobs 1` and `--jobs 2`, alternated, best of three each; the
/// first run builds the models and times the runs for the longest-first order.
fn regress_jobs() {
    let time = |jobs: &str| {
        let t = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pimforge"))
            .args(["regress", "regress/ci.yaml", "--jobs", jobs])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        t.elapsed().as_secs_f64()
    };
    time("2");
    let (mut one, mut two) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        one = one.min(time("1"));
        two = two.min(time("2"));
    }
    println!(
        "regress regress/ci.yaml (12 runs): --jobs 1 {one:.1} s, --jobs 2 {two:.1} s: {:.2}x the time",
        two / one
    );
}

/// The 24-point sweep of the docs with `--jobs 1` and `--jobs 2`, each into a fresh directory
/// (a sweep skips the points it has reports of), alternated, once each.
fn sweep_jobs() {
    let time = |jobs: &str| {
        let out = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_pimforge"))
            .args([
                "sweep",
                "sweeps/digits-adc-cells.yaml",
                "--jobs",
                jobs,
                "--out",
            ])
            .arg(out.path())
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        t.elapsed().as_secs_f64()
    };
    let one = time("1");
    let two = time("2");
    println!(
        "sweep sweeps/digits-adc-cells.yaml (24 points): --jobs 1 {one:.1} s, --jobs 2 {two:.1} s: {:.2}x the throughput",
        one / two
    );
}

/// Whether `PIMFORGE_BENCH_ONLY` (a comma-separated list of sections) lets `section` run.
fn wanted(section: &str) -> bool {
    std::env::var("PIMFORGE_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

fn main() {
    let quick = std::env::var_os("PIMFORGE_BENCH_QUICK").is_some();
    let mut puma64 = preset("puma").unwrap();
    puma64.tiles = 64;
    if wanted("gen") {
        println!(
            "gen, 64-tile default: {:.2} ms (mean of 20)",
            gen_time(&puma64, 20) * 1e3
        );
    }
    if wanted("training") {
        training_throughput();
    }
    if wanted("wide") {
        let data = load(None).unwrap();
        wide_throughput(&data.train);
    }
    if wanted("regress") {
        regress_jobs();
    }
    if wanted("sweep") {
        sweep_jobs();
    }
    if !wanted("harness") {
        return;
    }

    let cold = tempfile::tempdir().unwrap();
    let mut puma2 = preset("puma").unwrap();
    puma2.tiles = 2;
    let mut cases: Vec<(&str, Config, usize, usize)> = vec![
        ("tiny", preset("tiny").unwrap(), 2, 2000),
        ("narrow-adc", preset("narrow-adc").unwrap(), 2, 1000),
        ("shared-adc", preset("shared-adc").unwrap(), 3, 1000),
        ("mixed", preset("mixed").unwrap(), 2, 1000),
        ("tiki", preset("tiki").unwrap(), 2, 1000),
        // One 128x128 tile's worth of work on each of two tiles (the full-size tile).
        ("puma (2 tiles)", puma2, 2, 20),
    ];
    if !quick {
        // Commands go to two of the 64 tiles: the golden model and the DUT still step all 64.
        cases.push(("puma (64 tiles)", puma64, 2, 8));
    }
    println!(
        "\n{:<16} {:>8} {:>9} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "design", "build s", "cycles", "bare cyc/s", "harness", "inline", "ratio", "inline r."
    );
    let mut mixes = Vec::new();
    for (name, cfg, active_tiles, products) in cases {
        let hw = Design::new(cfg.validated().unwrap(), None);
        let p = match prepare(&hw, cold.path(), None) {
            Ok(p) => p,
            Err(e) => {
                let first = format!("{e:#}");
                let why = first
                    .lines()
                    .find(|l| l.contains("%Error"))
                    .unwrap_or("see above");
                println!("{name:<16} build failed: {why}");
                continue;
            }
        };
        let stim = generate(
            &p.built.shape,
            &p.built.cells[..active_tiles],
            &p.built.units,
            products,
            1,
        );
        let opts = |inline| Options {
            seed: 1,
            replay: String::new(),
            waves: None,
            wave_dir: None,
            mismatch_window: 0,
            record: None,
            inline,
            heartbeat: None,
        };
        // Alternate the loops and keep the best of five of each, so that none gets the warm
        // caches alone; five because the 2-core machine's speed drifts within a minute (with
        // three, `mixed`'s harness / bare ranged 0.76 to 1.00 over runs of one hour).
        let (mut best_h, mut best_i, mut best_b, mut cycles) = (f64::MAX, f64::MAX, f64::MAX, 0);
        for _ in 0..5 {
            let t = Instant::now();
            let s = run(&p.built, &stim, &opts(false))
                .unwrap()
                .expect("lock-step run passes");
            best_h = best_h.min(t.elapsed().as_secs_f64());
            cycles = s.cycles;
            let t = Instant::now();
            run(&p.built, &stim, &opts(true))
                .unwrap()
                .expect("lock-step run passes");
            best_i = best_i.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let bare_cycles = run_bare(&p.built, &stim, 1).unwrap();
            best_b = best_b.min(t.elapsed().as_secs_f64() * cycles as f64 / bare_cycles as f64);
        }
        let (h, i, b) = (
            cycles as f64 / best_h,
            cycles as f64 / best_i,
            cycles as f64 / best_b,
        );
        println!(
            "{name:<16} {:>8.1} {cycles:>9} {b:>12.0} {h:>12.0} {i:>12.0} {:>9.2} {:>9.2}",
            p.build_seconds,
            h / b,
            i / b
        );
        mixes.push((name, command_mix(&stim)));
    }
    println!("\nharness = lock-step cycles/s with the DUT on its own thread behind the golden model (two cores); inline = both on one thread; bare = the DUT alone on one thread, same stimulus; ratio = harness / bare, inline r. = inline / bare");
    println!("\ncommand mix of each stimulus (commands by opcode):");
    for (name, mix) in mixes {
        println!("  {name:<16} {mix}");
    }
}

/// The commands of a stimulus by opcode, most frequent first (`WRITE_X 5120, ...`).
fn command_mix(stim: &pimforge_tb::Stimulus) -> String {
    let mut n = std::collections::BTreeMap::new();
    for c in &stim.commands {
        *n.entry(c.op).or_insert(0usize) += 1;
    }
    let mut v: Vec<_> = n.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v.iter()
        .map(|(op, k)| {
            let name = Op::from_code(*op).map_or(format!("op {op}"), |o| o.name().to_string());
            format!("{name} {k}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

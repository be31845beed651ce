//! Property tests of bad input (issue 10): random configs (field subsets with edge values: zero,
//! negative, huge, wrong types, NaN, long lists) and random command lines of every subcommand,
//! from a fixed seed. No input may panic; every rejection names a field or a flag; every
//! accepted config renders. `PIMFORGE_FUZZ_CONFIGS` and `PIMFORGE_FUZZ_COMMANDS` run more (CI:
//! 10,000 and 1,000), `PIMFORGE_FUZZ_SEED` another seed.

use pimforge_gen::design::Design;
use pimforge_gen::emit::{estimate, render};
use pimforge_gen::load::{from_yaml, Source};
use pimforge_gen::presets::names;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fields of a config, by section.
const FIELDS: &[(&str, &[&str])] = &[
    ("", &["tiles"]),
    ("crossbar", &["rows", "cols", "value_bits", "cell_bits"]),
    ("weight", &["bits", "frac"]),
    ("input", &["bits", "frac"]),
    ("dac", &["bits"]),
    ("adc", &["bits", "step", "share", "exact"]),
    (
        "device",
        &[
            "model",
            "frac_bits",
            "bounds",
            "c2c",
            "read_noise",
            "dtod",
            "stuck_on",
            "stuck_off",
            "seed",
        ],
    ),
    ("mixed", &["chi_bits", "epsilon_log2", "max_pulses"]),
    (
        "inv",
        &[
            "size",
            "bits",
            "cell_bits",
            "input_bits",
            "latency",
            "target_bits",
            "max_iters",
            "taylor",
            "diagonal",
            "x_bits",
            "x_frac",
        ],
    ),
];

/// Values a field may get: edges of every range, wrong types, and oversized ones.
fn value(rng: &mut ChaCha8Rng) -> String {
    const EDGES: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "12",
        "14",
        "15",
        "16",
        "17",
        "24",
        "31",
        "32",
        "33",
        "62",
        "63",
        "64",
        "100",
        "128",
        "129",
        "256",
        "1024",
        "2048",
        "65536",
        "4294967296",
        "1099511627776",
        "18446744073709551616",
        "-1",
        "-2",
        "-128",
        "-4294967296",
        "0.5",
        "0.01",
        "1.5",
        "1e300",
        "-1e300",
        ".nan",
        ".inf",
        "-.inf",
        "\"x\"",
        "\"\"",
        "true",
        "false",
        "null",
        "[]",
        "[4, 4]",
        "[-4, 4]",
        "[6, 6, 6, 6, 5, 5, 5, 5]",
        "[1, 2, 3]",
        "{a: 1}",
        "ideal",
        "soft_bounds",
        "softbounds",
        "split",
        "shared",
    ];
    match rng.random_range(0..20) {
        0 => format!("[{}]", vec!["5"; rng.random_range(0..300)].join(", ")),
        1 => rng.random_range(-100_000i64..100_000).to_string(),
        2 => format!("{}", rng.random::<f64>() * 10.0),
        _ => EDGES.choose(rng).unwrap().to_string(),
    }
}

/// A random config: a preset (or none, or a bad one) and a random subset of fields.
fn random_config(rng: &mut ChaCha8Rng) -> String {
    let mut presets: Vec<&str> = names();
    presets.extend(["", "giant", "[tiny]"]);
    let mut y = String::new();
    let p = *presets.choose(rng).unwrap();
    if !p.is_empty() {
        y += &format!("preset: {p}\n");
    }
    // Half the configs change one field of a preset (mostly valid: the render path), half a
    // random subset of fields (mostly invalid: the error paths).
    let touched = if rng.random_bool(0.5) {
        let i = rng.random_range(0..FIELDS.len());
        Some(i)
    } else {
        None
    };
    for (k, (section, fields)) in FIELDS.iter().enumerate() {
        if touched.map_or(!rng.random_bool(0.4), |i| i != k) {
            continue;
        }
        if section.is_empty() {
            y += &format!("tiles: {}\n", value(rng));
            continue;
        }
        if rng.random_bool(0.05) {
            y += &format!("{section}: {}\n", value(rng)); // a scalar where a section belongs
            continue;
        }
        y += &format!("{section}:\n");
        let one = touched.map(|_| rng.random_range(0..fields.len()));
        for (j, f) in fields.iter().enumerate() {
            if one.map_or(rng.random_bool(0.5), |o| o == j) {
                y += &format!("  {f}: {}\n", value(rng));
            }
        }
        if y.ends_with(":\n") {
            y += &format!("  {}: {}\n", fields[0], value(rng));
        }
    }
    y
}

/// Whether an error message names a field of the config (or the preset, or the file's shape).
fn names_a_field(msg: &str) -> bool {
    let mut names = vec![
        "tiles".to_string(),
        "preset".into(),
        "mapping of fields".into(),
    ];
    names.push("unknown field `".into()); // the field the user wrote
    for (section, fields) in FIELDS.iter().filter(|(s, _)| !s.is_empty()) {
        names.push(format!("{section}:"));
        names.push(format!("{section} ="));
        names.extend(fields.iter().map(|f| format!("{section}.{f}")));
    }
    names.iter().any(|n| msg.contains(n.as_str()))
}

#[test]
fn random_configs_never_panic_name_the_field_and_render_when_valid() {
    let n = env("PIMFORGE_FUZZ_CONFIGS", 10_000);
    let seed = env("PIMFORGE_FUZZ_SEED", 2026);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut accepted, mut rendered) = (0, 0);
    for i in 0..n {
        let yaml = random_config(&mut rng);
        let flag = if rng.random_bool(0.2) {
            Some("tiny")
        } else {
            None
        };
        let src = Source {
            preset: flag,
            ..Default::default()
        };
        let replay = format!("config {i} (seed {seed}):\n{yaml}");
        let result = catch_unwind(AssertUnwindSafe(|| {
            let cfg = match from_yaml(&yaml, "fuzz.yaml", &src) {
                Ok(c) => c,
                Err(e) => return Err(format!("{e:#}")),
            };
            let valid = cfg.validated().map_err(|e| e.to_string())?;
            let design = Design::new(valid, None);
            let est = estimate(&design);
            let small = est.output_bytes < 4 << 20 && est.verilator_bytes < 1 << 30;
            if small {
                let files = render(&design);
                assert!(files
                    .iter()
                    .any(|(n, t)| n == "pim_array.sv" && t.contains("module")));
            }
            Ok(small)
        }));
        match result {
            Err(_) => panic!("panicked on {replay}"),
            Ok(Err(msg)) => assert!(
                names_a_field(&msg),
                "no field named in `{msg}` for {replay}"
            ),
            Ok(Ok(small)) => {
                accepted += 1;
                rendered += small as usize;
            }
        }
    }
    println!("{n} random configs (seed {seed}): {accepted} accepted, {rendered} rendered, the rest refused with a field named");
    assert!(
        accepted > n / 50,
        "the generator should make some valid configs: {accepted}"
    );
}

/// Flags of each subcommand.
const COMMANDS: &[(&str, &[&str])] = &[
    (
        "gen",
        &["--preset", "--tiles", "--config", "--out", "--allow-large"],
    ),
    ("config", &["--preset", "--tiles", "--config", "--json"]),
    (
        "verify",
        &[
            "--preset",
            "--tiles",
            "--seed",
            "--transactions",
            "--solves",
            "--mismatch-window",
            "--work",
        ],
    ),
    ("synth", &["--preset", "--tiles", "--json", "--work"]),
    (
        "train",
        &[
            "--preset",
            "--algorithm",
            "--backend",
            "--epochs",
            "--lr",
            "--seed",
            "--crs-every",
            "--transfer-every",
            "--x-frac",
            "--train-limit",
            "--test-limit",
            "--data",
            "--network",
            "--label",
            "--split",
            "--test-fraction",
            "--split-seed",
            "--scale",
            "--order",
            "--scale-errors",
            "--stochastic-rows",
            "--rank",
            "--batch",
            "--sbpca-arith",
            "--synthetic",
            "--out",
            "--cost",
            "--cost-set",
        ],
    ),
    (
        "map",
        &["--preset", "--tiles", "--network", "--order", "--json"],
    ),
    ("plot", &["--out", "--title"]),
    (
        "cost",
        &["--cost", "--cost-set", "--compare", "--plot", "--json"],
    ),
    (
        "refine",
        &[
            "--sizes",
            "--conds",
            "--inv-bits",
            "--taylor",
            "--diagonal",
            "--systems",
            "--plot-size",
            "--out",
            "--cost",
            "--cost-set",
        ],
    ),
    (
        "kfac",
        &[
            "--batch",
            "--epochs",
            "--seeds",
            "--sgd-lr",
            "--kfac-lr",
            "--damping",
            "--layers",
            "--target",
            "--data",
            "--out",
            "--cost",
            "--cost-set",
        ],
    ),
    (
        "mutate",
        &[
            "--preset",
            "--files",
            "--per-file",
            "--seed",
            "--transactions",
            "--timeout",
            "--also",
            "--work",
        ],
    ),
    ("presets", &[]),
];

fn flag_value(rng: &mut ChaCha8Rng) -> String {
    const VALUES: &[&str] = &[
        "0",
        "1",
        "2",
        "-1",
        "3",
        "8",
        "16",
        "64",
        "100",
        "1000",
        "1e9",
        "10000001",
        "18446744073709551616",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "0.5",
        "1.5",
        "x",
        "",
        "1,2",
        "0,0",
        "4,,8",
        "tiny",
        "puma",
        "mixed",
        "digits-mixed",
        "solver",
        "giant",
        "opa",
        "sgd",
        "golden",
        "rtl",
        "split",
        "both",
        "out",
        "/proc/x",
        "file/out",
        "cfg.yaml",
        "missing.yaml",
        "report.json",
    ];
    VALUES.choose(rng).unwrap().to_string()
}

#[test]
fn random_command_lines_never_panic_and_name_the_flag() {
    let n = env("PIMFORGE_FUZZ_COMMANDS", 1_000) as usize;
    let seed = env("PIMFORGE_FUZZ_SEED", 2026);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    std::fs::write(tmp.path().join("cfg.yaml"), "preset: tiny\ntiles: 3\n").unwrap();
    std::fs::write(tmp.path().join("report.json"), "{}").unwrap();
    let lines: Vec<Vec<String>> = (0..n)
        .map(|_| {
            let (cmd, flags) = COMMANDS.choose(&mut rng).unwrap();
            let mut argv = vec![cmd.to_string(), "--dry-run".to_string()];
            if *cmd == "plot" || *cmd == "cost" {
                argv.push(flag_value(&mut rng));
            }
            for _ in 0..rng.random_range(0..4) {
                if let Some(f) = flags.choose(&mut rng) {
                    argv.push(f.to_string());
                    if *f != "--allow-large" && *f != "--json" || *cmd == "synth" {
                        argv.push(flag_value(&mut rng));
                    }
                }
            }
            argv
        })
        .collect();
    let bin = assert_cmd::cargo::cargo_bin("pimforge");
    let dir = tmp.path();
    let outcomes: Vec<(usize, Option<i32>)> = std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(n.div_ceil(4).max(1))
            .map(|chunk| {
                let bin = &bin;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|argv| {
                            let o = std::process::Command::new(bin)
                                .args(argv)
                                .current_dir(dir)
                                .output()
                                .unwrap();
                            let err = String::from_utf8_lossy(&o.stderr);
                            let line = format!("pimforge {}", argv.join(" "));
                            assert!(!err.contains("panicked"), "{line}: {err}");
                            let code = o.status.code();
                            assert!(matches!(code, Some(0..=2)), "{line}: {:?} {err}", o.status);
                            if code != Some(0) {
                                let named = err.contains("--")
                                    || names_a_field(&err)
                                    || err.contains("unexpected argument")
                                    || err.contains("report "); // plot's positional reports
                                assert!(named, "{line}: nothing named in: {err}");
                            }
                            (argv.len(), code)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let ok = outcomes.iter().filter(|(_, c)| *c == Some(0)).count();
    println!("{n} random command lines (seed {seed}): {ok} accepted (dry run), {} refused with the flag or field named", n - ok);
    assert!(ok > n / 20 && ok < n, "{ok} of {n} accepted");
}

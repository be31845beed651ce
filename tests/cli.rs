//! The command line as a user meets it: generation, determinism, the committed RTL, and clear
//! errors that leave nothing behind. None of these tests needs Verilator.

use assert_cmd::Command;
use std::fs;

fn pimforge() -> Command {
    Command::cargo_bin("pimforge").unwrap()
}

use crate::common;
use common::tree;

#[test]
fn gen_64_tiles_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        pimforge()
            .args(["gen", "--tiles", "64", "--out"])
            .arg(out)
            .assert()
            .success();
    }
    let ta = tree(&a);
    assert_eq!(ta, tree(&b));
    let names: Vec<&str> = ta.iter().map(|(n, _)| n.as_str()).collect();
    for m in [
        "pim_array.sv",
        "pim_tile.sv",
        "pim_xbar.sv",
        "pimforge.f",
        "pimforge.yaml",
    ] {
        assert!(names.contains(&m), "{m} missing from {names:?}");
    }
    let top = String::from_utf8(fs::read(a.join("pim_array.sv")).unwrap()).unwrap();
    assert!(top.contains("DO NOT EDIT") && top.contains("parameter int Tiles = 64"));
    // Regenerating over our own output is allowed.
    pimforge()
        .args(["gen", "--tiles", "64", "--out"])
        .arg(&a)
        .assert()
        .success();
}

/// Runs `gen` expecting failure; checks the message and that nothing was written.
fn gen_fails(args: &[&str], yaml: Option<&str>, needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rtl");
    let mut cmd = pimforge();
    cmd.arg("gen").args(args).arg("--out").arg(&out);
    if let Some(y) = yaml {
        let f = tmp.path().join("cfg.yaml");
        fs::write(&f, y).unwrap();
        cmd.arg("--config").arg(&f);
    }
    let assert = cmd.assert().failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
    assert!(!out.exists(), "output written despite the error");
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|n| n == "cfg.yaml"),
        "left behind: {left:?}"
    );
}

#[test]
fn bad_configs_name_the_field_and_range_and_write_nothing() {
    gen_fails(&["--tiles", "0"], None, &["tiles = 0", "allowed 1..=128"]);
    gen_fails(
        &["--preset", "giant"],
        None,
        &["unknown preset 'giant'", "tiny"],
    );
    gen_fails(
        &[],
        Some("crossbar: { rows: 256, cols: 256 }\n"),
        &["crossbar.rows = 256", "at most 128 lines", "adc.bits to 15"],
    );
    gen_fails(
        &[],
        Some("crossbar: [rows: 4\n"),
        &["not valid YAML", "line 1"],
    );
    gen_fails(&[], Some("adc: { bitz: 4 }\n"), &["unknown field `bitz`"]);
    gen_fails(
        &[],
        Some("crossbar: { rows: 100, cell_bits: [6, 6] }\nadc: { step: 3, share: 3 }\n"),
        &[
            "crossbar.rows = 100: allowed a power of two in 2..=1024",
            "crossbar.cell_bits = [6, 6] (2 entries)",
            "adc.step = 3",
            "adc.share = 3",
        ],
    );
}

#[test]
fn unwritable_output_is_an_error_and_foreign_files_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    fs::write(&blocker, "x").unwrap();
    let assert = pimforge()
        .args(["gen", "--preset", "tiny", "--out"])
        .arg(blocker.join("rtl"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("cannot create output directory"), "{err}");

    let mine = tmp.path().join("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("notes.sv"), "// my own module").unwrap();
    let assert = pimforge()
        .args(["gen", "--preset", "tiny", "--out"])
        .arg(&mine)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("refusing to write") && err.contains("notes.sv"),
        "{err}"
    );
    assert_eq!(tree(&mine).len(), 1);
}

#[test]
fn config_prints_the_resolved_config_and_derived_widths() {
    let assert = pimforge()
        .args(["config", "--preset", "tiny", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["tiles"], 2);
    assert_eq!(v["derived"]["adc_exact"], true);
    assert_eq!(v["derived"]["mvm_cycles"], 10);
    assert!(v["derived"]["accumulator_bits"].as_u64().unwrap() > 16);
}

#[test]
fn presets_list_as_a_table_and_as_json() {
    let table = pimforge().arg("presets").assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    let json = pimforge().args(["presets", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), table.lines().count());
    assert!(list.iter().any(|p| p["name"] == "tiny"));
    assert!(list
        .iter()
        .all(|p| p["description"].as_str().is_some_and(|d| !d.is_empty())));
}

#[test]
fn train_writes_a_report_and_a_plot_and_plot_combines_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut reports = vec![];
    for (algo, seed) in [("opa", "1"), ("mixed", "1")] {
        let out = tmp.path().join(algo);
        pimforge()
            .args(["train", "--quiet", "--epochs", "2", "--train-limit", "40"])
            .args([
                "--test-limit",
                "30",
                "--algorithm",
                algo,
                "--seed",
                seed,
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["tool"], "pimforge train");
        assert_eq!(report["epochs"].as_array().unwrap().len(), 2);
        assert_eq!(report["reference"]["accuracy"].as_array().unwrap().len(), 2);
        assert!(report["counters"]["pulses"].as_u64().unwrap() > 0);
        assert_eq!(report["samples_trained"], 80);
        let png = fs::read(out.join("accuracy.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        reports.push(out.join("report.json"));
    }
    let plot = tmp.path().join("plot");
    let out = pimforge()
        .arg("plot")
        .args(&reports)
        .arg("--out")
        .arg(&plot)
        .assert()
        .success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        table.contains("| digits | opa | golden, network digits-64-32-10, 2 epochs, lr 0.01,")
            && table
                .contains("| digits-mixed | mixed | golden, network digits-64-32-10, 2 epochs,")
            && table.contains(
                "train limit 40, test limit 30, data digits (shipped) (first 1347), config "
            ),
        "{table}"
    );
    assert!(plot.join("accuracy.png").is_file());
    // What the runs cost: in the report, and priced again with PANTHER's baselines.
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(&reports[0]).unwrap()).unwrap();
    let per_sample = report["cost"]["per_sample"]["energy_pj"].as_f64().unwrap();
    assert!(per_sample > 0.0 && report["cost"]["table"] == "panther");
    assert!(reports[0].with_file_name("cost.png").is_file());
    let (png, json) = (tmp.path().join("cost.png"), tmp.path().join("cost.json"));
    let out = pimforge()
        .arg("cost")
        .args(&reports)
        .args(["--compare", "panther-digital,panther-pipelayer", "--plot"])
        .arg(&png)
        .arg("--json")
        .arg(&json)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("opa on digits")
            && text.contains("panther-pipelayer")
            && text.contains("1.00x"),
        "{text}"
    );
    assert_eq!(&fs::read(&png).unwrap()[..4], b"\x89PNG");
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    let again = doc["runs"][0]["costs"][0]["per_sample"]["energy_pj"]
        .as_f64()
        .unwrap();
    assert!(
        (again - per_sample).abs() <= 1e-9 * per_sample,
        "priced again: {again}"
    );
    let err = pimforge()
        .args(["cost", "--cost", "nope"])
        .arg(&reports[0])
        .assert()
        .failure();
    let msg = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(
        msg.contains("--cost nope") && msg.contains("panther, isaac"),
        "{msg}"
    );
}

#[test]
fn train_refuses_a_design_that_cannot_run_it_and_foreign_report_dirs() {
    let err = pimforge()
        .args([
            "train",
            "--algorithm",
            "mixed",
            "--preset",
            "digits",
            "--epochs",
            "1",
        ])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains("mixed-precision unit"));
    let err = pimforge()
        .args(["train", "--preset", "tiny", "--epochs", "1"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err).into_owned();
    assert!(
        err.contains("needs 40 tiles of 8x8 (8x4 + 4x2), but the design has 2"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let err = pimforge()
        .args(common::SHORT_TRAIN)
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains("refusing"));
    assert_eq!(
        fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn refine_writes_its_table_and_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args([
            "refine",
            "--sizes",
            "4",
            "--conds",
            "10,1000",
            "--inv-bits",
            "8",
        ])
        .args([
            "--taylor",
            "0,1",
            "--systems",
            "3",
            "--plot-size",
            "4",
            "--out",
        ])
        .arg(tmp.path().join("r"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("| 4 | 10 | 8 | split | 0 | 3 | 3 / 0 / 0 / 0 |"),
        "{text}"
    );
    for f in ["report.json", "table.md", "convergence.png"] {
        assert!(tmp.path().join("r").join(f).is_file(), "{f}");
    }
}

/// The cells of the table row whose first cell is `first`.
fn table_row(text: &str, first: &str) -> Vec<String> {
    text.lines()
        .find(|l| l.starts_with(&format!("| {first} |")))
        .unwrap_or_else(|| panic!("{first} row in {text}"))
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

#[test]
fn kfac_compares_refined_second_order_steps_with_sgd() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args(["kfac", "--epochs", "2", "--seeds", "0", "--sgd-lr", "0.5"])
        .args(["--kfac-lr", "0.1", "--target", "0.8", "--out"])
        .arg(tmp.path().join("k"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    // At the default damping every refined solve converges and matches the exact solves' run.
    let row = |m: &str| table_row(&text, m);
    let (refined, exact, sgd) = (row("kfac-refine"), row("kfac-exact"), row("sgd"));
    assert_eq!(refined[3..5], exact[3..5], "same steps and accuracy");
    assert_eq!(refined[7], "0", "every solve converged");
    // Second-order steps on both layers (the default) reach 80% in fewer steps than SGD.
    let steps = |r: &[String]| r[3].parse::<f64>().unwrap_or(f64::MAX);
    assert!(steps(&refined) < steps(&sgd), "{text}");
    assert!(tmp.path().join("k").join("kfac.png").is_file());
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("k/report.json")).unwrap()).unwrap();
    assert_eq!(report["complete"], true);
    assert_eq!(report["rows"].as_array().unwrap().len(), 3);
}

#[test]
fn sbpca_study_tabulates_low_rank_batches_against_sgd_and_per_sample_opa() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args([
            "sbpca",
            "--epochs",
            "2",
            "--seeds",
            "0,1",
            "--lrs",
            "0.005,0.01",
        ])
        .args([
            "--batches",
            "16,128",
            "--ranks",
            "1,2",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(tmp.path().join("s"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let row = |m: &str| table_row(&text, m);
    // Batch 128, rank 2: 2 OPAs per layer per 128 samples (and one at each epoch's end), per
    // sample OPA 2 per sample.
    let (opa, sb) = (row("per-sample OPA"), row("SBPCA batch 128 rank 2"));
    let per_epoch = |r: &[String]| r[5].parse::<f64>().unwrap();
    assert_eq!(per_epoch(&opa), 2.0 * 1347.0, "{text}");
    assert_eq!(per_epoch(&sb), 2.0 * 2.0 * 11.0, "{text}");
    assert!(row("float64 mini-batch SGD, batch 16")[3].ends_with(')'));
    assert!(text.contains("- batch 128, rank 2:"), "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("s/report.json")).unwrap()).unwrap();
    assert_eq!(report["complete"], true);
    // 2 SGD + 4 SBPCA + OPA rows, each of 2 rates x 2 seeds.
    assert_eq!(report["rows"].as_array().unwrap().len(), 7);
    assert_eq!(report["points"].as_array().unwrap().len(), 28);
    let lowrank = &report["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["method"] == "sbpca")
        .unwrap()["lowrank"];
    assert_eq!(lowrank["saturations"], 0);
    assert!(tmp.path().join("s/sbpca.png").is_file());
}

#[test]
fn map_prints_and_writes_the_placement_and_refuses_what_does_not_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("p.json");
    let out = pimforge()
        .args(["map", "--network", "panther", "--json"])
        .arg(&json)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.starts_with("network panther-1024-256-512-512-10 (1024-256-512-512-10) on 44 of 64 tiles of 128x128, row-major order: 91.6% of their cells hold weights"),
        "{text}"
    );
    // The last block of W4: rows 384..512, its 10 columns, tile 43.
    assert!(
        text.contains("3      512x10      3,0    384..512     0..10        43       7.8%"),
        "{text}"
    );
    let p: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(p["tiles"].as_array().unwrap().len(), 44);
    assert_eq!(p["layers"][1]["row_blocks"], 2);
    assert_eq!(p["layers"][1]["col_blocks"], 4);
    // A rerun replaces its own file; a user's file is never replaced.
    pimforge()
        .args(["map", "--json"])
        .arg(&json)
        .assert()
        .success();
    fs::write(&json, "{\"mine\": 1}").unwrap();
    let out = pimforge()
        .args(["map", "--json"])
        .arg(&json)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("is not a report of pimforge map"), "{err}");
    let out = pimforge()
        .args(["map", "--network", "panther", "--preset", "digits"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("needs 328 tiles of 64x32"), "{err}");
}

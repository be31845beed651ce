//! Bad input gets a clear error that names the field or the flag and its allowed range, never a
//! panic and never a silently wrong number (issue 10: the numbers in the test names are its
//! items). None of these tests needs Verilator.

use std::fs;

use crate::common;
use common::{fails, pimforge, refused, succeeds, SHORT_TRAIN};

/// A config file in a fresh directory (kept alive by the returned handle).
fn config(yaml: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("cfg.yaml");
    fs::write(&f, yaml).unwrap();
    let path = f.display().to_string();
    (tmp, path)
}

#[test]
fn item_01_cell_bits_out_of_range_with_bounds_is_an_error_not_a_panic() {
    for bits in ["0", "64", "-1"] {
        let (_t, f) = config(&format!(
            "preset: mixed\ncrossbar: {{cell_bits: {bits}}}\ndevice: {{bounds: [-4, 4]}}\n"
        ));
        for cmd in ["config", "gen"] {
            let err = fails(&[cmd, "--config", &f, "--dry-run"]);
            assert!(err.contains("crossbar.cell_bits"), "{cmd} {bits}: {err}");
        }
    }
}

#[test]
fn item_02_03_10_study_flags_outside_their_ranges_are_refused() {
    for (args, flag, allowed) in [
        (&["refine", "--inv-bits", "0"][..], "--inv-bits", "2..=16"),
        (&["refine", "--inv-bits", "64"], "--inv-bits", "2..=16"),
        (&["refine", "--sizes", "0"], "--sizes", "2..=256"),
        (&["refine", "--conds", "0"], "--conds", "at least 1"),
        (&["refine", "--conds", "nan"], "--conds", "at least 1"),
        (&["refine", "--taylor", "100"], "--taylor", "0..=8"),
        (&["refine", "--systems", "0"], "--systems", "1..=100000"),
        (&["kfac", "--batch", "0"], "--batch", "1..=1347"),
        (&["kfac", "--damping", "0"], "--damping", "above 0"),
        (&["kfac", "--damping", "nan"], "--damping", "above 0"),
        (&["kfac", "--epochs", "0"], "--epochs", "1..=1000"),
        (&["kfac", "--target", "1.5"], "--target", "(0, 1]"),
        (&["kfac", "--sgd-lr", "inf"], "--sgd-lr", "above 0"),
        (&["sbpca", "--batches", "100"], "--batches", "power of two"),
        (&["sbpca", "--batches", "2048"], "--batches", "1..=1024"),
        (&["sbpca", "--ranks", "0"], "--ranks", "1..=32"),
        (&["sbpca", "--lrs", "0"], "--lrs", "above 0"),
        (&["faults", "--stuck", "1.5"], "--stuck", "0..=1"),
        (&["faults", "--dtod", "1.5"], "--dtod", "0..=1"),
        (&["faults", "--kinds", "up"], "--kinds", "on, off, both"),
        (
            &["deploy", "--seeds", "4294967295"],
            "--seeds",
            "0..=4294967294",
        ),
        (
            &["deploy", "--chips", "4294967296"],
            "--chips",
            "4294967295",
        ),
        (
            &["train", "--deploy-seed", "4294967296"],
            "--deploy-seed",
            "4294967295",
        ),
        (
            &["train", "--algorithm", "sbpca", "--batch", "100"],
            "--batch",
            "power of two",
        ),
        (
            &[
                "train",
                "--config",
                concat!(env!("CARGO_MANIFEST_DIR"), "/configs/lowrank-digits.yaml"),
                "--algorithm",
                "sbpca",
                "--rank",
                "2",
                "--batch",
                "128",
                "--dry-run",
            ],
            "--rank 2",
            "pass --rank 4 --batch 128",
        ),
    ] {
        let err = fails(args);
        assert!(
            err.contains(flag) && err.contains(allowed),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn item_03_a_singular_exact_solve_is_an_error_not_a_panic() {
    // The smallest positive damping leaves the factors numerically singular.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("k").display().to_string();
    let args = [
        "kfac",
        "--epochs",
        "1",
        "--seeds",
        "0",
        "--sgd-lr",
        "0.5",
        "--kfac-lr",
        "0.1",
        "--damping",
        "1e-300",
        "--out",
        &out,
    ];
    let o = pimforge().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.status.success() || err.contains("--damping"), "{err}");
}

#[test]
fn item_05_a_design_too_large_to_write_or_build_is_refused_with_its_estimate() {
    let (t, f) = config(
        "crossbar: {rows: 1024, cols: 1024}\ntiles: 128\nadc: {exact: false}\ndevice: {dtod: 0.1}\n",
    );
    let out = t.path().join("rtl").display().to_string();
    let err = fails(&["gen", "--config", &f, "--out", &out]);
    assert!(
        err.contains("26.0 GiB of files") && err.contains("--allow-large"),
        "{err}"
    );
    assert!(!t.path().join("rtl").exists());
    let (_t, f) = config("crossbar: {rows: 1024, cols: 1024}\ntiles: 128\nadc: {exact: false}\n");
    let err = fails(&["verify", "--config", &f, "--dry-run"]);
    assert!(
        err.contains("Verilator would need about 475.1 GiB") && err.contains("8.0 GiB"),
        "{err}"
    );
    // The 64-tile default is below both limits.
    succeeds(&["gen", "--tiles", "64", "--dry-run"]);
}

#[test]
fn item_06_11_verify_transactions_are_bounded_and_at_least_one() {
    for n in ["0", "10000001", "18446744073709551615"] {
        refused(
            &["verify", "--transactions", n],
            &["--transactions", "1..=10000000"],
        );
    }
}

#[test]
fn item_09_train_flags_without_meaning_are_refused() {
    for (args, flag) in [
        (&["train", "--epochs", "0"][..], "--epochs"),
        (&["train", "--test-limit", "0"], "--test-limit"),
        (&["train", "--train-limit", "0"], "--train-limit"),
        (&["train", "--lr", "NaN"], "--lr"),
        (&["train", "--lr", "inf"], "--lr"),
        (&["train", "--lr=-0.1"], "--lr"),
        (&["train", "--transfer-every", "0"], "--transfer-every"),
    ] {
        refused(args, &[flag]);
    }
    refused(
        &["train", "--x-frac", "40", "--dry-run"],
        &["--x-frac 40: allowed 0..=15"],
    );
}

#[test]
fn item_11_19_the_config_source_is_named_and_presets_must_agree() {
    let (_t, f) = config("preset: tiny\ntiles: 3\n");
    let out = succeeds(&["verify", "--config", &f, "--dry-run"]);
    assert!(out.contains(&format!("would verify {f} ")), "{out}");
    refused(
        &["config", "--preset", "mixed", "--config", &f],
        &["--preset mixed and `preset: tiny`", "disagree"],
    );
    // train: a config file without a preset key starts from the training preset, not puma.
    let (_t, f) = config("seed_note: 1\n");
    refused(&["config", "--config", &f], &["unknown field `seed_note`"]);
    let (_t, f) = config("device: {seed: 3}\n");
    let out = succeeds(&["train", "--config", &f, "--dry-run"]);
    assert!(out.contains("with opa on cfg"), "{out}");
    let help = succeeds(&["train", "--help"]);
    assert!(
        help.contains("`digits`") && help.contains("digits-mixed"),
        "{help}"
    );
}

#[test]
fn item_17_type_errors_name_the_field_and_the_line_and_huge_files_fail_fast() {
    for (yaml, want) in [
        (
            "tiles: \"two\"\n",
            "tiles: invalid type: string \"two\", expected an integer, at line 1 column 8",
        ),
        (
            "preset: tiny\ncrossbar:\n  rows: x\n",
            "crossbar.rows: invalid type: string \"x\", expected an integer, at line 3 column 9",
        ),
        (
            "device: {bounds: [1, 2, 3]}\n",
            "device.bounds: invalid length 3",
        ),
        (
            "crossbar: {cell_bits: \"wide\"}\n",
            "crossbar.cell_bits: expected a width or a list of widths",
        ),
    ] {
        let (_t, f) = config(yaml);
        let err = fails(&["config", "--config", &f]);
        assert!(err.contains(want), "{yaml}: {err}");
    }
    let (_t, f) = config(&format!(
        "crossbar: {{cell_bits: [{}]}}\n",
        "6, ".repeat(2_000_000)
    ));
    let t0 = std::time::Instant::now();
    let err = fails(&["config", "--config", &f]);
    assert!(
        err.contains("a config file is at most 1048576 bytes") && err.len() < 300,
        "{err}"
    );
    let (_t, f) = config(&format!(
        "tiles: {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    ));
    let err = fails(&["config", "--config", &f]);
    assert!(err.contains("nest 100000 deep"), "{err}");
    assert!(t0.elapsed().as_secs() < 10, "took {:?}", t0.elapsed());
    // A long list within the size limit is echoed cut short.
    let (_t, f) = config(&format!(
        "crossbar: {{cell_bits: [{}]}}\n",
        "6, ".repeat(1000)
    ));
    let err = fails(&["config", "--config", &f]);
    assert!(err.contains("... (") && err.len() < 400, "{err}");
}

#[test]
fn item_18_messages_agree_with_themselves_and_echo_values_as_written() {
    for (yaml, want, never) in [
        (
            "preset: tiny\ncrossbar: {rows: 0, cols: 0}\nadc: {share: 0}\n",
            "adc.share = 0: allowed a power of two dividing",
            "1..=0",
        ),
        (
            "preset: tiny\nadc: {bits: 2, exact: true}\n",
            "adc.bits = 2: allowed at least 8",
            "at most 0 lines",
        ),
        (
            "preset: mixed\ncrossbar: {value_bits: 1}\n",
            "crossbar.value_bits = 1: allowed weight.bits",
            "mixed = with",
        ),
        (
            "preset: solver\ndevice: {model: soft_bounds}\n",
            "device.model = soft_bounds",
            "softbounds",
        ),
        ("preset: [tiny]\n", r#"not ["tiny"]"#, "Sequence"),
        (
            "preset: mixed\ncrossbar: {cell_bits: 40}\ndevice: {frac_bits: 0}\n",
            "crossbar.cell_bits[0] = 40",
            "0..=0",
        ),
    ] {
        let (_t, f) = config(yaml);
        let err = fails(&["config", "--config", &f]);
        assert!(err.contains(want) && !err.contains(never), "{yaml}: {err}");
    }
}

#[test]
fn item_19_config_prints_every_latency() {
    let out = succeeds(&["config", "--preset", "digits-mixed"]);
    for k in [
        "mvm_cycles",
        "opa_cycles",
        "crs_cycles",
        "accumulate_cycles",
        "transfer_cycles",
    ] {
        assert!(out.contains(k), "{k}: {out}");
    }
    let out = succeeds(&["config", "--preset", "solver"]);
    assert!(
        out.contains("inv_solve_cycles") && out.contains("stop_check_cycles"),
        "{out}"
    );
}

#[test]
fn item_21_counts_and_names_are_spelled_for_people() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("one").display().to_string();
    let text = succeeds(&["gen", "--preset", "tiny", "--tiles", "1", "--out", &out]);
    assert!(text.contains(": 1 tile of 8x8"), "{text}");
    let report = tmp.path().join("t").display().to_string();
    let text = succeeds(&[&SHORT_TRAIN[..], &["--out", &report]].concat());
    assert!(
        text.contains("pimforge: opa on digits") && text.contains("after 1 epoch "),
        "{text}"
    );
}

#[test]
fn item_20_long_commands_report_progress_when_not_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t").display().to_string();
    // SHORT_TRAIN without --quiet; stdout is a pipe here, not a terminal.
    let mut args = vec![
        "train",
        "--epochs",
        "2",
        "--train-limit",
        "5",
        "--test-limit",
        "5",
    ];
    args.extend(["--out", &out]);
    let text = succeeds(&args);
    assert!(
        text.contains("epoch   1: test accuracy") && text.contains("epoch   2:"),
        "{text}"
    );
    let k = tmp.path().join("k").display().to_string();
    let o = pimforge()
        .args([
            "kfac",
            "--epochs",
            "1",
            "--seeds",
            "0",
            "--sgd-lr",
            "0.5",
            "--kfac-lr",
            "0.1",
        ])
        .args(["--out", &k])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("pimforge kfac: 1/3 settings done (sgd lr 0.5)"),
        "{err}"
    );
    assert!(
        err.contains("3/3 settings done (kfac-exact lr 0.1)"),
        "{err}"
    );
}

#[test]
fn item_22_the_data_set_is_built_in_and_a_file_can_replace_it() {
    let tmp = tempfile::tempdir().unwrap();
    // The binary copied away from the source tree still trains.
    let bin = tmp.path().join("pimforge");
    fs::copy(assert_cmd::cargo::cargo_bin("pimforge"), &bin).unwrap();
    let out = std::process::Command::new(&bin)
        .current_dir(tmp.path())
        .args(SHORT_TRAIN)
        .args(["--out", "r"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --data: a plain CSV in the same layout; a bad line is named.
    let mut csv = String::new();
    for i in 0..1400 {
        csv += &format!("{}{}\n", "1,".repeat(64), i % 10);
    }
    fs::write(tmp.path().join("d.csv"), &csv).unwrap();
    let d = tmp.path().join("d.csv").display().to_string();
    let r2 = tmp.path().join("r2").display().to_string();
    let text = succeeds(&[&SHORT_TRAIN[..], &["--data", &d, "--out", &r2]].concat());
    assert!(text.contains("test accuracy"), "{text}");
    let report = fs::read_to_string(tmp.path().join("r2/report.json")).unwrap();
    assert!(
        report.contains(&format!("\"source\": \"--data {d}\"")),
        "{report}"
    );
    // A bad field below the first line is named by line and column (a first line that is not
    // all numbers is a header).
    let second = csv.find('\n').unwrap() + 1;
    let bad = format!("{}x{}", &csv[..second], &csv[second + 1..]);
    fs::write(tmp.path().join("d.csv"), bad).unwrap();
    refused(
        &["train", "--data", &d, "--dry-run"],
        &["--data", "line 2 column 1: 'x' is not a finite number"],
    );
    // A label beyond the network's outputs, and a network too large for the design.
    fs::write(tmp.path().join("d.csv"), csv.replacen(",0\n", ",12\n", 1)).unwrap();
    refused(
        &["train", "--data", &d, "--dry-run"],
        &["line 1 column 65: label 12 needs 13 classes, but the network's output layer has 10"],
    );
    refused(
        &["train", "--network", "digits-256", "--dry-run"],
        &[
            "needs 44 tiles of 64x32 (1x8 + 4x8 + 4x1)",
            "but the design has 2",
        ],
    );
}

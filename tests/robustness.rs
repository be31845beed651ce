//! The robustness commands end to end: `train --deploy-seed`, the fault study (`faults`) and
//! the deployment study (`deploy`), on short runs of the golden model.

use std::fs;

use crate::common;
use common::pimforge;

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn train_deploys_the_trained_and_the_float64_model_onto_every_chip_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args(["train", "--preset", "digits-mixed", "--algorithm", "mixed"])
        .args([
            "--epochs",
            "1",
            "--train-limit",
            "300",
            "--test-limit",
            "60",
        ])
        .args(["--deploy-seed", "11,12", "--quiet", "--out"])
        .arg(tmp.path().join("r"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("deployed onto 2 chips (device seeds 11, 12)"),
        "{text}"
    );
    let r = json(&tmp.path().join("r/report.json"));
    let d = &r["deployment"];
    assert_eq!(d["training_chip"], 1);
    for side in ["trained", "reference"] {
        let chips = d[side]["chips"].as_array().unwrap();
        assert_eq!(chips.len(), 2, "{side}");
        assert_eq!(chips[1]["chip_seed"], 12);
        assert_eq!(chips[0]["weights"], 64 * 32 + 32 * 10);
    }
    assert_eq!(d["trained"]["before"], r["final_test_accuracy"]);
}

#[test]
fn the_fault_study_tabulates_every_sweep_and_plots_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args([
            "faults",
            "--algorithms",
            "opa,mixed",
            "--stuck",
            "0.01,0.05",
        ])
        .args(["--kinds", "on,both", "--dtod", "0,0.3", "--seeds", "0,1"])
        .args([
            "--epochs",
            "1",
            "--train-limit",
            "200",
            "--test-limit",
            "60",
        ])
        .args(["--jobs", "2", "--out"])
        .arg(tmp.path().join("f"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for head in [
        "Cells stuck at their upper bound",
        "Cells stuck half at each bound",
        "Device-to-device spread",
    ] {
        assert!(text.contains(head), "{head}: {text}");
    }
    let r = json(&tmp.path().join("f/report.json"));
    assert_eq!(r["complete"], true);
    // Per algorithm and seed: fault-free, 2 kinds x 2 fractions, and the spread that is not
    // the design's own (opa's own is 0, mixed's 0.3): 6 chips.
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 2 * 6 * 2);
    let stuck = |p: &serde_json::Value| p["stuck_cells"].as_u64().unwrap();
    let opa5 = points
        .iter()
        .find(|p| p["algorithm"] == "opa" && p["faults"]["stuck_on"] == 0.05)
        .unwrap();
    // 5% of the 8 slices' cells under 2368 weights.
    assert!((700..1200).contains(&stuck(opa5)), "{opa5}");
    assert!(points
        .iter()
        .filter(|p| p["faults"]["stuck_on"] == 0.0 && p["faults"]["stuck_off"] == 0.0)
        .all(|p| stuck(p) == 0));
    for f in ["table.md", "stuck.png", "dtod.png"] {
        assert!(tmp.path().join("f").join(f).is_file(), "{f}");
    }
}

#[test]
fn the_deployment_study_compares_both_models_drops_on_the_same_chips() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pimforge()
        .args(["deploy", "--algorithms", "mixed", "--stuck", "0,0.02"])
        .args(["--chips", "7,8", "--seeds", "0,1", "--epochs", "1"])
        .args(["--train-limit", "300", "--test-limit", "60", "--out"])
        .arg(tmp.path().join("d"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("| mixed | 2% |"), "{text}");
    assert!(
        text.contains("- mixed, 0% stuck: the model trained on chip loses"),
        "{text}"
    );
    let r = json(&tmp.path().join("d/report.json"));
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    for p in points {
        let chips = p["deployment"]["trained"]["chips"].as_array().unwrap();
        let seeds: Vec<u64> = chips
            .iter()
            .map(|c| c["chip_seed"].as_u64().unwrap())
            .collect();
        assert_eq!(seeds, [7, 8]);
        // Seed s trains on chip s + 1.
        assert_eq!(
            p["deployment"]["training_chip"],
            p["seed"].as_u64().unwrap() + 1
        );
    }
    assert!(tmp.path().join("d/deploy.png").is_file());
}

/// A study's results do not depend on how many threads ran its points: the same table and the
/// same points (each a run of its own seeds) on one thread and on two.
#[test]
fn a_study_on_one_thread_equals_the_same_study_on_two() {
    let tmp = tempfile::tempdir().unwrap();
    let study = |jobs: &str| {
        let dir = tmp.path().join(format!("j{jobs}"));
        pimforge()
            .args(["deploy", "--algorithms", "opa", "--stuck", "0,0.02"])
            .args(["--chips", "7", "--seeds", "0,1", "--epochs", "1"])
            .args(["--train-limit", "200", "--test-limit", "60"])
            .args(["--jobs", jobs, "--out"])
            .arg(&dir)
            .assert()
            .success();
        let mut points = json(&dir.join("report.json"))["points"]
            .as_array()
            .unwrap()
            .clone();
        // Everything but the run's wall time.
        points.iter_mut().for_each(|p| {
            p.as_object_mut().unwrap().remove("seconds");
        });
        points.sort_by_key(|p| p.to_string());
        (fs::read_to_string(dir.join("table.md")).unwrap(), points)
    };
    let (one, two) = (study("1"), study("2"));
    assert_eq!(one.0, two.0, "the tables");
    assert_eq!(one.1, two.1, "the points");
    assert_eq!(one.1.len(), 4);
}

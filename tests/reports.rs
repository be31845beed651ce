//! `pimforge verify --json/--junit`: a passing run's report holds what the run printed (cycles,
//! commands, products) for each phase; a failing run's names the cycle, the signal, the expected
//! and actual values and the replay line, and its JUnit file has the failure; a file that is not
//! an earlier report is never overwritten. Needs Verilator (`make deps`).

use assert_cmd::Command;
use serde_json::Value;

use crate::common;
use common::work;

fn verify(extra: &[&str], json: &std::path::Path, junit: &std::path::Path) -> (bool, String) {
    let out = Command::cargo_bin("pimforge")
        .unwrap()
        .args([
            "verify",
            "--preset",
            "tiny",
            "--transactions",
            "40",
            "--seed",
            "5",
        ])
        .args(extra)
        .arg("--work")
        .arg(work())
        .arg("--json")
        .arg(json)
        .arg("--junit")
        .arg(junit)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_passing_run_reports_every_phase_with_its_counters() {
    let tmp = tempfile::tempdir().unwrap();
    let (json, junit) = (tmp.path().join("r.json"), tmp.path().join("r.xml"));
    let (ok, stdout) = verify(&[], &json, &junit);
    assert!(ok, "{stdout}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["passed"], true);
    assert_eq!(r["seed"], 5);
    assert_eq!(r["design"], "tiny");
    let array = &r["phases"][0];
    assert_eq!(array["name"], "array");
    let cycles = array["counters"]["cycles"].as_u64().unwrap();
    // The printed PASS line and the report agree.
    assert!(
        stdout.contains(&format!("array: {cycles} cycles matched")),
        "{stdout}"
    );
    assert_eq!(array["counters"]["products"], 40);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuites name="pimforge" tests="1" failures="0" errors="0" time="#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="array" classname="tiny.seed5""#),
        "{xml}"
    );
    common::validate_junit(&junit);
}

#[test]
fn a_failing_run_reports_the_mismatch_and_its_replay_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (json, junit) = (tmp.path().join("r.json"), tmp.path().join("r.xml"));
    let (ok, _) = verify(
        &["--inject-fault", "opa-digit", "--no-waves"],
        &json,
        &junit,
    );
    assert!(!ok);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["passed"], false);
    let f = &r["phases"][0]["failure"];
    assert_eq!(f["kind"], "mismatch");
    assert!(f["cycle"].as_u64().unwrap() > 0);
    assert!(!f["signal"].as_str().unwrap().is_empty());
    assert_ne!(f["expected"], f["actual"]);
    let replay = f["replay"].as_str().unwrap();
    assert!(
        replay.contains("--inject-fault opa-digit") && replay.contains("--seed 5"),
        "{replay}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"failures="1""#), "{xml}");
    assert!(
        xml.contains(r#"<failure type="mismatch" message="MISMATCH at cycle"#),
        "{xml}"
    );
    assert!(xml.contains(replay), "{xml}");
    common::validate_junit(&junit);
}

#[test]
fn a_file_that_is_not_a_report_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (json, junit) = (tmp.path().join("r.json"), tmp.path().join("notes.xml"));
    std::fs::write(&junit, "<notes>mine</notes>\n").unwrap();
    let out = Command::cargo_bin("pimforge")
        .unwrap()
        .args([
            "verify",
            "--preset",
            "tiny",
            "--transactions",
            "1",
            "--junit",
        ])
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--junit") && err.contains("is not a report"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&junit).unwrap(),
        "<notes>mine</notes>\n"
    );
    assert!(!json.exists());
}

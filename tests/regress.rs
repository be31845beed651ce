//! `pimforge regress`: a list's runs in parallel, one table, a replay line for each failure and a
//! JUnit file with a test case per run; bad lists fail before anything runs. Needs Verilator
//! (`make deps`).

use assert_cmd::Command;

use crate::common;
use common::work;

#[test]
fn a_list_runs_in_parallel_and_a_failure_gets_its_replay_line() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("small.yaml");
    std::fs::write(
        &list,
        "groups:\n  - name: pass\n    presets: [tiny]\n    seeds: [1, 2]\n    transactions: 30\n  - name: fault\n    presets: [tiny]\n    seeds: [3]\n    transactions: 30\n    options: [--inject-fault, opa-digit, --no-waves]\n",
    )
    .unwrap();
    let junit = tmp.path().join("r.xml");
    let json = tmp.path().join("r.json");
    let out = Command::cargo_bin("pimforge")
        .unwrap()
        .arg("regress")
        .arg(&list)
        .args(["--jobs", "2", "--work"])
        .arg(work())
        .arg("--out")
        .arg(tmp.path().join("logs"))
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("3 runs in"), "{stdout}");
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
    let replay = "pimforge verify --preset tiny --transactions 30 --seed 3 --inject-fault opa-digit --no-waves";
    assert!(stdout.contains(&format!("replay: {replay}")), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"tests="3""#) && xml.contains(r#"failures="1""#),
        "{xml}"
    );
    assert!(xml.contains(r#"<testsuite name="pass" tests="2""#), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="tiny seed 3" classname="fault""#),
        "{xml}"
    );
    assert!(xml.contains("MISMATCH at cycle"), "{xml}");
    common::validate_junit(&junit);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    // Every passing run's report holds its counters, as `verify --json` wrote them.
    for r in &runs[..2] {
        assert_eq!(r["passed"], true);
        assert!(
            r["report"]["phases"][0]["counters"]["cycles"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
    assert_eq!(
        runs[2]["report"]["phases"][0]["failure"]["kind"],
        "mismatch"
    );
}

#[test]
fn a_bad_list_fails_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("bad.yaml");
    std::fs::write(
        &list,
        "groups:\n  - name: ok\n    presets: [tiny]\n    seeds: [1]\n  - name: typo\n    presets: [tiny]\n    seeds: [1]\n    options: [--transactons, \"5\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("pimforge")
        .unwrap()
        .arg("regress")
        .arg(&list)
        .arg("--out")
        .arg(tmp.path().join("logs"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("group 2 (`typo`)") && err.contains("--transactons"),
        "{err}"
    );
    assert!(!tmp.path().join("logs").exists(), "nothing ran");
}

#[test]
fn the_ci_list_covers_every_preset_make_verify_lints() {
    let makefile = std::fs::read_to_string("Makefile").unwrap();
    let var = |name: &str| -> Vec<String> {
        let line = makefile
            .lines()
            .find(|l| l.starts_with(&format!("{name} :=")))
            .unwrap_or_else(|| panic!("no {name} in the Makefile"));
        line.split(":=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let mut presets = var("SYNTH_PRESETS");
    presets.extend(
        var("PRESETS")
            .into_iter()
            .filter(|p| p != "$(SYNTH_PRESETS)"),
    );
    let list: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string("regress/ci.yaml").unwrap()).unwrap();
    let coverage = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "coverage")
        .expect("a coverage group");
    let listed: Vec<String> = coverage["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, presets);
    assert!(coverage["options"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o == "--require-coverage"));
}

//! Host programs: a training run of a network mapped over four tiles, recorded with `train
//! --record` and replayed with `pimforge replay` on the cycle-level golden model and on the RTL
//! in lock-step (every output on every cycle, every wait and response as recorded); a tampered
//! response and a user file in the way are refused. Needs Verilator for the RTL replay.

use crate::common;
use common::{refused, succeeds, work};
use std::fs;

const NET: &str = "name: t\ninputs: 4\nloss: cross-entropy\nlayers:\n  - {outputs: 10, activation: relu}\n  - {outputs: 3, activation: softmax}\n";

#[test]
fn a_recorded_training_run_over_four_tiles_replays_on_the_rtl_in_lock_step() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    fs::write(p("t.yaml"), NET).unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rings.csv");
    let (net, prog, out) = (p("t.yaml"), p("prog.txt"), p("r"));
    let train = [
        "train",
        "--quiet",
        "--preset",
        "tiny",
        "--tiles",
        "6",
        "--network",
        &net,
        "--data",
        data,
        "--label",
        "ring",
        "--epochs",
        "1",
        "--train-limit",
        "3",
        "--test-limit",
        "2",
        "--lr",
        "0.5",
        "--crs-every",
        "2",
        "--out",
        &out,
        "--record",
        &prog,
    ];
    // A user's file is never replaced by a program.
    fs::write(&prog, "my notes\n").unwrap();
    refused(&train, &["--record", "is not a host program"]);
    fs::remove_file(&prog).unwrap();
    succeeds(&train);
    let text = fs::read_to_string(&prog).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(p("r/report.json")).unwrap()).unwrap();
    // W1 (4x10) in two 8x8 blocks, W2 (10x3) in two: four tiles, each issued commands.
    assert_eq!(report["placement"]["tiles"].as_array().unwrap().len(), 4);
    for t in 0..4 {
        assert!(
            text.contains(&format!("\ncmd {t} OPA ")),
            "tile {t} updated"
        );
    }
    assert!(text.contains(" CRS ") && text.contains(" READ_Y "));
    assert!(report["counters"]["pulses"].as_u64().unwrap() > 0);
    let golden = succeeds(&["replay", &prog, "--json", &p("replay.json")]);
    assert!(
        golden.contains("PASS") && golden.contains("cycle-level golden model"),
        "{golden}"
    );
    // The replay's cost: the commands' events priced, the same dynamic energy as the run's
    // report over all its phases.
    let replayed: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(p("replay.json")).unwrap()).unwrap();
    let dynamic = |v: &serde_json::Value| -> f64 {
        v["dynamic_pj"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_f64().unwrap())
            .sum()
    };
    let run: f64 = report["cost"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(dynamic)
        .sum();
    let again = dynamic(&replayed["cost"]);
    assert!(
        run > 0.0 && (run - again).abs() < 1e-9 * run,
        "{run} pJ in the run, {again} replayed"
    );
    assert!(
        golden.contains("pimforge replay: cost (panther table)"),
        "{golden}"
    );
    let w = work().display().to_string();
    let rtl = succeeds(&["replay", &prog, "--backend", "rtl", "--work", &w]);
    assert!(
        rtl.contains("PASS") && rtl.contains("every output compared on every cycle"),
        "{rtl}"
    );
    println!("{}{}", golden, rtl);
    // One response changed: the replay names its line, the recorded and the actual value.
    let (at, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(" READ_Y ") && l.contains(" rsp "))
        .unwrap();
    let rsp = line.rsplit(' ').next().unwrap();
    let bad = text.replacen(line, &line.replace(&format!("rsp {rsp}"), "rsp 0x12345"), 1);
    fs::write(&prog, bad).unwrap();
    refused(
        &["replay", &prog],
        &[
            &format!("line {}: tile", at + 1),
            &format!("response {rsp}, recorded 0x12345"),
        ],
    );
    refused(&["replay", &net], &["line 1: not a host program"]);
}

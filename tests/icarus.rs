//! The second simulator: a lock-step run on Verilator records its stream, Icarus replays it,
//! and every output on every cycle must be equal; a recorded value changed by hand is reported
//! like a mismatch, at its cycle and signal. Needs Verilator and Icarus (`make deps`).

use pimforge_flows::verify::{prepare, replay_on_icarus, verify};
use pimforge_tb::{Cause, Options};

use crate::common;
use common::{design, work};

#[test]
fn icarus_replays_a_recorded_stream_and_a_changed_value_is_caught() {
    let hw = design("noisy", None);
    let prepared = prepare(&hw, &work(), None).unwrap();
    let dir = work().join("icarus-test");
    let _ = std::fs::remove_dir_all(&dir);
    let opts = Options {
        seed: 3,
        replay: "pimforge verify --preset noisy --seed 3 --transactions 60 --icarus".into(),
        waves: None,
        wave_dir: None,
        mismatch_window: 0,
        record: Some(dir.clone()),
        inline: false,
        heartbeat: None,
    };
    let summary = verify(&prepared, 60, &opts, &|_, _| {}).unwrap().unwrap();
    let got = replay_on_icarus(&hw, &prepared, &dir, 3, &opts.replay).unwrap();
    let replayed = got.unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(replayed.cycles, summary.cycles);
    assert_eq!(replayed.outputs, 6);

    // The response data of a cycle with a response, changed in the recording.
    let path = dir.join("outputs.hex");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines
        .iter()
        .enumerate()
        .skip(200)
        .find(|(_, l)| l.split(' ').nth(1) == Some("1"))
        .map(|(i, _)| i)
        .expect("a response");
    let mut fields: Vec<String> = lines[at].split(' ').map(String::from).collect();
    let was = u128::from_str_radix(&fields[2], 16).unwrap();
    fields[2] = format!("{:x}", was ^ 1);
    lines[at] = fields.join(" ");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let m = replay_on_icarus(&hw, &prepared, &dir, 3, &opts.replay)
        .unwrap()
        .expect_err("the changed value is caught");
    assert_eq!(
        (m.cause.clone(), m.cycle),
        (Cause::SecondSimulator, at as u64)
    );
    assert_eq!(
        (m.signal.as_str(), m.expected, m.actual),
        ("rsp_data_o", was ^ 1, was)
    );
    let report = m.to_string();
    assert!(report.contains("Icarus differs from Verilator") && report.contains("--icarus"));
}

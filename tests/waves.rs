//! Waveforms on demand: `verify --waves FILE.fst|.vcd` on a passing run (the whole run or a
//! window of cycles), the mismatch replay's FST beside the golden model's expected values, and
//! the refusals. Every file is read back with `wellen`.

use crate::common;

use common::waves::Wave;
use common::{design, work};
use pimforge_flows::verify::prepare;
use pimforge_gen::fault::Fault;
use pimforge_golden::{ArrayGeometry, ArrayModel};
use pimforge_tb::{generate, ports, Options, WaveFormat, Waves};
use std::path::PathBuf;

fn options(seed: u64, waves: Option<Waves>, wave_dir: Option<PathBuf>) -> Options {
    Options {
        seed,
        replay: format!("--seed {seed}"),
        waves,
        wave_dir,
        mismatch_window: 16,
        record: None,
        inline: false,
        heartbeat: None,
    }
}

/// A passing run of `tiny` with the whole run's FST: every port of the array is in it, the
/// clock toggles in every half cycle of the run, and the golden file's expected outputs equal
/// the RTL's outputs at every cycle.
#[test]
fn a_passing_runs_fst_holds_every_port_and_lines_up_with_the_golden_values() {
    let seed = 3;
    let d = design("tiny", None);
    let p = prepare(&d, &work(), Some(WaveFormat::Fst)).unwrap();
    let b = &p.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 4, seed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.fst");
    let waves = Waves::at(&file, 0, u64::MAX);
    let s = pimforge_tb::run(b, &stim, &options(seed, Some(waves), None))
        .unwrap()
        .expect("tiny passes");
    let cycles = s.cycles;

    let mut rtl = Wave::read(&file);
    let golden_file = dir.path().join("run-golden.fst");
    let mut golden = Wave::read(&golden_file);
    let all = ports::<ArrayModel>(&ArrayGeometry {
        shape: b.shape.clone(),
        tiles: b.tiles,
    });
    let top = rtl.vars("TOP");
    for port in &all {
        assert!(
            top.contains(&(port.name.clone(), port.width)),
            "{} [{}] is in the RTL waveform",
            port.name,
            port.width
        );
    }
    // The clock: low at 2c, high at 2c + 1, for every cycle of the run.
    let clk = rtl.values("TOP", "clk_i");
    assert_eq!(clk.len() as u64, 2 * cycles, "a time per half cycle");
    for (i, (t, v)) in clk.iter().enumerate() {
        assert_eq!((*t, *v), (i as u64, Some(i as u128 % 2)));
    }
    let mut compared = 0;
    for port in all.iter().filter(|p| p.output) {
        let want = golden.values("golden", &format!("{}_expected", port.name));
        let got = rtl.values("TOP", &port.name);
        for c in 0..cycles {
            let t = 2 * c;
            let at = |v: &[(u64, Option<u128>)]| {
                v.iter()
                    .take_while(|(time, _)| *time <= t)
                    .last()
                    .and_then(|x| x.1)
            };
            assert_eq!(at(&got), at(&want), "{} at cycle {c}", port.name);
            compared += 1;
        }
    }
    println!(
        "{cycles} cycles, {} ports in the RTL FST; {compared} (output, cycle) pairs equal to the golden FST",
        all.len()
    );
}

/// `--wave-window A..B` on a passing run: only those cycles are written, and the run still goes
/// to its end.
#[test]
fn a_window_writes_only_its_cycles_and_the_run_goes_on() {
    let seed = 4;
    let p = prepare(&design("tiny", None), &work(), Some(WaveFormat::Fst)).unwrap();
    let b = &p.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 4, seed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.fst");
    let s = pimforge_tb::run(
        b,
        &stim,
        &options(seed, Some(Waves::at(&file, 50, 80)), None),
    )
    .unwrap()
    .expect("tiny passes");
    assert!(s.cycles > 200, "the run went on after the window");
    let rtl = Wave::read(&file).times();
    assert_eq!((rtl[0], *rtl.last().unwrap()), (100, 161));
    // The golden file: unknown until the window's first cycle, then its values.
    let mut golden = Wave::read(&dir.path().join("w-golden.fst"));
    let ready = golden.values("golden", "cmd_ready_o_expected");
    let known: Vec<u64> = ready
        .iter()
        .filter(|v| v.1.is_some())
        .map(|v| v.0)
        .collect();
    assert_eq!(known[0], 100, "{ready:?}");
    assert!(ready
        .iter()
        .all(|(t, v)| (*t >= 100) == v.is_some() && *t <= 161));
}

/// The mismatch replay writes FST by default, and its RTL outputs and the golden expected
/// values line up cycle for cycle: equal on every output of every cycle of the window but the
/// mismatch, where they hold the reported actual and expected values.
#[test]
fn the_mismatch_replay_fst_lines_up_with_the_golden_values() {
    let seed = 11;
    let fault = Fault::AccBit {
        line: 0,
        plane: 3,
        bit: 2,
    };
    let p = prepare(&design("tiny", Some(fault)), &work(), Some(WaveFormat::Fst)).unwrap();
    let b = &p.built;
    let stim = generate(&b.shape, &b.cells, &b.units, 30, seed);
    let dir = tempfile::tempdir().unwrap();
    let m = pimforge_tb::run(b, &stim, &options(seed, None, Some(dir.path().into())))
        .unwrap()
        .expect_err("the fault is caught");
    let (rtl_file, golden_file, first, last) = m.waves.clone().expect("waves of the mismatch");
    assert_eq!(rtl_file, dir.path().join("mismatch-seed11.fst"));
    assert_eq!((first, last), (m.cycle - 16, m.cycle));
    let (mut rtl, mut golden) = (Wave::read(&rtl_file), Wave::read(&golden_file));
    let outputs: Vec<String> = rtl
        .vars("TOP")
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.ends_with("_o"))
        .collect();
    assert!(outputs.iter().any(|n| n == "rsp_data_o"));
    for name in &outputs {
        for c in first..=last {
            let got = rtl.at("TOP", name, 2 * c);
            let want = golden.at("golden", &format!("{name}_expected"), 2 * c);
            if c == m.cycle && *name == m.signal {
                assert_eq!((got, want), (Some(m.actual), Some(m.expected)));
            } else {
                assert_eq!(got, want, "{name} at cycle {c}");
            }
        }
    }
}

/// `pimforge verify` of `tiny` with `products` products, in the tests' work directory.
fn verify_tiny(products: &str) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("pimforge").unwrap();
    c.args([
        "verify",
        "--preset",
        "tiny",
        "--transactions",
        products,
        "--work",
    ])
    .arg(work());
    c
}

/// The command line: a VCD window of a passing run opens in the reader; a wrong extension, a
/// backwards window, a window without --waves, and a file that is not a waveform are refused
/// with the flag and what is allowed, and the file is left as it was.
#[test]
fn verify_waves_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("sub/run.vcd");
    let out = verify_tiny("2")
        .args(["--seed", "5", "--waves"])
        .arg(&vcd)
        .args(["--wave-window", "10..40"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("waveform of cycles 10..40"), "{stdout}");
    let times = Wave::read(&vcd).times();
    assert_eq!((times[0], *times.last().unwrap()), (20, 81));
    assert!(Wave::read(&dir.path().join("sub/run-golden.vcd")).times()[0] >= 20);

    let refused = |args: &[&str], why: &str| {
        let out = verify_tiny("1").args(args).assert().failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains(why), "{args:?}: {err}");
    };
    let txt = dir.path().join("run.txt");
    refused(&["--waves", txt.to_str().unwrap()], ".fst or .vcd");
    let fst = dir.path().join("a.fst");
    refused(
        &["--waves", fst.to_str().unwrap(), "--wave-window", "9..3"],
        "allowed: A..B",
    );
    refused(&["--wave-window", "1..2"], "--waves");
    std::fs::write(&fst, "my notes").unwrap();
    refused(&["--waves", fst.to_str().unwrap()], "not overwritten");
    assert_eq!(std::fs::read_to_string(&fst).unwrap(), "my notes");
}

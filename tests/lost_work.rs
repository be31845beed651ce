//! Nothing is lost: output checked before the work, reports kept through an interrupt, other
//! runs' files never replaced, no staging directory left behind, concurrent writers taking
//! turns, and a closed pipe that neither panics nor stops the work (issue 10: the numbers in the
//! test names are its items). The interrupt of a model build needs Verilator.

use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::{fails, leftovers, pimforge, succeeds, work, SHORT_TRAIN};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("pimforge")
}

fn report(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn item_04_a_closed_stdout_neither_panics_nor_stops_the_work() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["presets"],
        vec!["config", "--preset", "puma"],
        vec!["gen", "--preset", "tiny", "--out", "rtl"],
    ] {
        let mut child = Command::new(bin())
            .args(&args)
            .current_dir(tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader has gone, as `| head -0` leaves it
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{args:?}: {status:?} {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(
        tmp.path().join("rtl/pim_array.sv").is_file(),
        "gen finished its work"
    );
}

#[test]
fn item_07_the_reference_trains_on_the_same_limited_samples() {
    use pimforge_studies::train::digits::load;
    use pimforge_studies::train::reference::train;
    use pimforge_studies::train::spec::NetworkSpec;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    succeeds(&[
        "train",
        "--quiet",
        "--epochs",
        "2",
        "--train-limit",
        "40",
        "--test-limit",
        "30",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let data = load(None).unwrap();
    let (tr, te) = (&data.train[..], &data.test[..]);
    let net = NetworkSpec::digits();
    let want = train(&net, (tr, &te[..30]), 2, 0.01, 3, 40);
    let got: Vec<f64> = report(&out)["reference"]["accuracy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(got, want);
    // The full-data reference differs: the limits are not ignored.
    assert_ne!(got, train(&net, (tr, te), 2, 0.01, 3, tr.len()));
}

#[test]
fn item_08_plot_groups_by_every_setting_and_counts_a_run_once() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, epochs: &str, seed: &str| {
        let out = tmp.path().join(name);
        succeeds(&[
            "train",
            "--quiet",
            "--epochs",
            epochs,
            "--train-limit",
            "20",
            "--test-limit",
            "20",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        out.join("report.json").display().to_string()
    };
    let (a, b, c) = (run("a", "2", "0"), run("b", "2", "1"), run("c", "3", "0"));
    let plot = tmp.path().join("plot").display().to_string();
    let text = succeeds(&["plot", &a, &b, &c, &a, "--out", &plot]);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| digits |"))
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "2- and 3-epoch runs are not averaged: {text}"
    );
    assert!(
        rows[0].contains("golden, network digits-64-32-10, 2 epochs") && rows[0].contains("| 2 |"),
        "{text}"
    );
    assert!(
        rows[1].contains("golden, network digits-64-32-10, 3 epochs") && rows[1].contains("| 1 |"),
        "{text}"
    );
    assert!(text.contains("given twice"), "{text}");
}

#[test]
fn item_12_13_another_runs_report_is_never_replaced_and_outputs_are_checked_first() {
    let tmp = tempfile::tempdir().unwrap();
    // The backends' default directories differ.
    let g = succeeds(&["train", "--dry-run"]);
    let r = succeeds(&["train", "--backend", "rtl", "--dry-run"]);
    assert!(g.contains("build/train/digits-opa-golden-s0"), "{g}");
    assert!(r.contains("build/train/digits-opa-rtl-s0"), "{r}");
    let out = tmp.path().join("r").display().to_string();
    let short = [&SHORT_TRAIN[..], &["--out", &out]].concat();
    succeeds(&short);
    // The same run again replaces its own report; another run is refused, before any work.
    succeeds(&short);
    let t0 = Instant::now();
    let mut other = short.clone();
    other[3] = "2"; // --epochs 2
    let err = fails(&other);
    assert!(
        err.contains("holds the report of another run") && err.contains("train"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(report(tmp.path().join("r").as_path())["train"]["epochs"], 1);
    // Unwritable places are named with their flag before any work.
    let blocker = tmp.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let under = blocker.join("out").display().to_string();
    for args in [
        vec!["train", "--epochs", "50", "--out", &under],
        vec!["refine", "--out", &under],
        vec!["kfac", "--out", &under],
        vec!["plot", "x.json", "--out", &under],
    ] {
        let t0 = Instant::now();
        let err = fails(&args);
        assert!(
            err.contains("--out") && err.contains("not a directory"),
            "{args:?}: {err}"
        );
        assert!(t0.elapsed() < Duration::from_secs(5), "{args:?}");
    }
    let err = fails(&["synth", "--preset", "tiny", "--json", "/nonexistent/x.json"]);
    assert!(
        err.contains("--json /nonexistent/x.json: cannot write there"),
        "{err}"
    );
    fs::write(tmp.path().join("mine.json"), "{\"my\": 1}").unwrap();
    let mine = tmp.path().join("mine.json").display().to_string();
    let err = fails(&["synth", "--preset", "tiny", "--json", &mine, "--dry-run"]);
    assert!(err.contains("not a report of pimforge synth"), "{err}");
}

#[test]
fn item_14_15_out_through_a_link_into_the_current_directory_and_stale_staging_swept() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("target")).unwrap();
    std::os::unix::fs::symlink("target", tmp.path().join("link")).unwrap();
    let link = tmp.path().join("link").display().to_string();
    for _ in 0..2 {
        succeeds(&["gen", "--preset", "tiny", "--out", &link]);
    }
    assert!(fs::symlink_metadata(tmp.path().join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(tmp.path().join("target/pim_array.sv").is_file());
    // Into the current directory: files are replaced in place.
    let here = tmp.path().join("here");
    fs::create_dir(&here).unwrap();
    for tiles in ["2", "3"] {
        pimforge()
            .current_dir(&here)
            .args(["gen", "--preset", "tiny", "--tiles", tiles, "--out", "."])
            .assert()
            .success();
    }
    assert!(fs::read_to_string(here.join("pim_array.sv"))
        .unwrap()
        .contains("Tiles = 3"));
    assert_eq!(leftovers(&here), Vec::<String>::new());
    // A staging directory of a run that died is swept by the next writer.
    fs::create_dir(tmp.path().join(".rtl.pimforge-new-dead")).unwrap();
    let rtl = tmp.path().join("rtl").display().to_string();
    succeeds(&["gen", "--preset", "tiny", "--out", &rtl]);
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn item_16_racing_writers_of_one_output_take_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rtl");
    for round in 0..20 {
        let children: Vec<_> = (0..5)
            .map(|_| {
                Command::new(bin())
                    .args(["gen", "--preset", "tiny", "--out"])
                    .arg(&out)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

/// Starts `args` in a process group of its own (as a shell starts a job), waits until `ready`
/// holds (or `after`), then sends SIGINT to the whole group, as Ctrl-C does; returns the exit
/// code and stderr.
fn interrupt(
    args: &[&str],
    dir: &std::path::Path,
    ready: impl Fn() -> bool,
    after: Duration,
) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !ready() && t0.elapsed() < after {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pgid = format!("-{}", child.id());
    Command::new("kill")
        .args(["-INT", "--", &pgid])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn item_13_15_interrupted_runs_clean_up_and_keep_what_they_finished() {
    let tmp = tempfile::tempdir().unwrap();
    // gen of a large array with device files: interrupted while writing.
    fs::write(tmp.path().join("big.yaml"), "device: {dtod: 0.1}\n").unwrap();
    let (code, err) = interrupt(
        &[
            "gen", "--config", "big.yaml", "--tiles", "64", "--out", "big",
        ],
        tmp.path(),
        || !leftovers(tmp.path()).is_empty(),
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
    assert!(!tmp.path().join("big").exists());

    // train: interrupted after its first epoch, which its report keeps.
    let out = tmp.path().join("t");
    let (code, err) = interrupt(
        &[
            "train",
            "--quiet",
            "--epochs",
            "200",
            "--train-limit",
            "100",
            "--test-limit",
            "50",
            "--out",
            "t",
        ],
        tmp.path(),
        || out.join("report.json").is_file(),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(130), "{err}");
    let r = report(&out);
    assert_eq!(r["complete"], false);
    let done = r["epochs"].as_array().unwrap().len();
    assert!((1..200).contains(&done), "{done} epochs");
    assert_eq!(r["samples_trained"], 100 * done as u64);
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn item_15_an_interrupted_model_build_leaves_no_build_directory() {
    if Command::new("verilator").arg("--version").output().is_err() {
        eprintln!("verilator not installed (make deps): skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("w/verilator");
    let (code, err) = interrupt(
        &["verify", "--preset", "tiny", "--work", "w"],
        tmp.path(),
        || !leftovers(&cache).is_empty(),
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(cache.is_dir(), "the build had started");
    assert_eq!(leftovers(&cache), Vec::<String>::new());
}

#[test]
fn item_06_19_20_verify_streams_its_stimulus_and_verifies_the_solver() {
    if Command::new("verilator").arg("--version").output().is_err() {
        eprintln!("verilator not installed (make deps): skipped");
        return;
    }
    let w = work().display().to_string();
    // 2500 products: three chunks of stimulus, one run.
    let o = pimforge()
        .args([
            "verify",
            "--preset",
            "tiny",
            "--seed",
            "3",
            "--transactions",
            "2500",
            "--work",
            &w,
        ])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{out}{err}");
    assert!(
        err.contains("preparing the Verilator model") && err.contains("2500 products"),
        "{err}"
    );
    let products: u64 = out
        .split("; ")
        .find_map(|p| p.split(" products (").next()?.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(products >= 2500, "{out}");
    // A design with a solver: the solver runs in lock-step too.
    let o = pimforge()
        .args([
            "verify",
            "--config",
            "configs/solver4.yaml",
            "--transactions",
            "20",
        ])
        .args(["--solves", "8", "--work", &w])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("solver: 8 systems") && out.contains("cycles matched"),
        "{out}"
    );
}

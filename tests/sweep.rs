//! `pimforge sweep`: a small sweep of the digits MLP (8 points: ADC bits x cell widths x
//! algorithm) trained two at a time into one report per point, its table, CSV, JSON and Pareto
//! plot; an interrupted sweep resumes with only the missing points; one point alone (a Slurm
//! array task's run) and `--collect` give the same table; bad files fail before anything runs.
//! Needs no Verilator (the golden model trains).

use crate::common;

use assert_cmd::Command;
use common::{sweep_rows as rows, SMALL_SWEEP as SMALL};
use std::path::Path;

fn pimforge() -> Command {
    Command::cargo_bin("pimforge").unwrap()
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let o = pimforge()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.success(), text)
}

fn reports(out: &Path) -> usize {
    std::fs::read_dir(out.join("points"))
        .map(|d| {
            d.filter(|e| e.as_ref().unwrap().path().join("report.json").is_file())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_sweep_trains_every_point_once_and_tabulates_them() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("small.yaml");
    std::fs::write(&file, SMALL).unwrap();
    let out = tmp.path().join("out");
    let (ok, text) = sweep(&file, &out, &["--jobs", "2"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("trained 8 points") && text.contains("with 2 at once"),
        "{text}"
    );
    assert!(
        text.contains("8 of 8 points with a complete report"),
        "{text}"
    );
    assert_eq!(reports(&out), 8);
    // The CSV: a row per point, the varied fields and the metrics as columns.
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let head = csv.lines().next().unwrap();
    assert_eq!(
        head,
        "point,id,adc.bits,crossbar.cell_bits,algorithm,seed,accuracy_pct,energy_uj_per_sample,latency_us_per_sample,area_mm2,seconds"
    );
    assert_eq!(csv.lines().count(), 9);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let points = doc["points"].as_array().unwrap();
    assert!(points
        .iter()
        .all(|p| p["metrics"]["accuracy"].as_f64().is_some()));
    assert!(points.iter().any(|p| p["pareto_energy"] == true));
    // The 8-bit ADC's conversions cost less than the 13-bit one's, the rest equal.
    let energy = |i: usize| points[i]["metrics"]["energy_uj"].as_f64().unwrap();
    assert!(energy(0) < energy(4), "{} {}", energy(0), energy(4));
    assert_eq!(
        &std::fs::read(out.join("pareto.png")).unwrap()[1..4],
        b"PNG"
    );

    // Again: nothing to train, the same table.
    let (ok, again) = sweep(&file, &out, &["--jobs", "2"]);
    assert!(ok && again.contains("all 8 points done already"), "{again}");
    assert_eq!(rows(&again), rows(&text));

    // One report gone: only that point is trained again.
    let gone = std::fs::read_dir(out.join("points"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(gone.join("report.json")).unwrap();
    let (ok, third) = sweep(&file, &out, &["--jobs", "2"]);
    assert!(
        ok && third.contains("7 of 8 points done already") && third.contains("trained 1 point"),
        "{third}"
    );
    assert_eq!(rows(&third), rows(&text));

    // Point by point (as Slurm array tasks run them) into another directory, then --collect:
    // the same table.
    let other = tmp.path().join("tasks");
    for k in 0..8 {
        let (ok, t) = sweep(&file, &other, &["--point", &k.to_string()]);
        assert!(ok, "{t}");
    }
    let (ok, collected) = sweep(&file, &other, &["--collect"]);
    assert!(ok, "{collected}");
    assert_eq!(rows(&collected), rows(&text));
}

/// A sweep interrupted while it trains keeps the points it finished and, run again, trains only
/// the rest.
#[test]
fn an_interrupted_sweep_resumes() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("small.yaml");
    // Longer runs, so that the interrupt comes while points are training.
    std::fs::write(
        &file,
        SMALL.replace("'120', --test-limit, '60'", "'600', --test-limit, '100'"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pimforge"))
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1"])
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while reports(&out) < 2 && t0.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Ctrl-C as a terminal sends it: to the sweep and the training run it started.
    std::process::Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the sweep was interrupted");
    let kept = reports(&out);
    assert!((2..8).contains(&kept), "{kept} reports kept");
    let (ok, text) = sweep(&file, &out, &["--jobs", "2"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{kept} of 8 points done already"))
            && text.contains(&format!("trained {} point", 8 - kept)),
        "{text}"
    );
    assert_eq!(reports(&out), 8);
}

#[test]
fn bad_sweeps_fail_before_anything_runs_and_slurm_scripts_print() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.yaml");
    std::fs::write(&file, SMALL.replace("[8, 13]", "[13, 40]")).unwrap();
    let out = tmp.path().join("out");
    let (ok, text) = sweep(&file, &out, &[]);
    assert!(!ok);
    assert!(
        text.contains("point 4 (adc.bits=40, crossbar.cell_bits=5, opa)")
            && text.contains("adc.bits"),
        "{text}"
    );
    assert!(!out.exists(), "nothing written");
    std::fs::write(&file, SMALL).unwrap();
    let (ok, text) = sweep(&file, &out, &["--point", "8"]);
    assert!(!ok && text.contains("--point 8: allowed 0..=7"), "{text}");
    let o = pimforge()
        .args(["--dry-run", "sweep"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--slurm")
        .output()
        .unwrap();
    let script = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{script}");
    assert!(
        script.contains("#SBATCH --array=0-7")
            && script.contains("--point \"$SLURM_ARRAY_TASK_ID\""),
        "{script}"
    );
    assert!(!out.exists(), "a dry run writes nothing");
}

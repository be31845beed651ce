//! Snapshot tests of the generated RTL: the 64-tile default (committed as `rtl/`), the `tiny`
//! preset and the 4x4 solver (`configs/solver4.yaml`) are committed, so that every template or
//! generator change shows up as a reviewable diff of SystemVerilog. `make snapshots` rewrites
//! them. None of these tests needs Verilator.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

use crate::common;

/// Every file of `dir`, as text.
fn tree(dir: &Path) -> Vec<(String, String)> {
    common::tree(dir)
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).expect("UTF-8 text")))
        .collect()
}

/// The first difference between two versions of a file, with its line number.
fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let n = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    format!(
        "line {}:\n  committed: {}\n  generated: {}",
        n + 1,
        w.get(n).unwrap_or(&"<end of file>"),
        g.get(n).unwrap_or(&"<end of file>")
    )
}

/// Generates with `args` and compares every file with the committed snapshot `dir`.
fn check(args: &[&str], snapshot: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rtl");
    Command::cargo_bin("pimforge")
        .unwrap()
        .current_dir(root())
        .arg("gen")
        .args(args)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (got, want) = (tree(&out), tree(&root().join(snapshot)));
    let names = |t: &[(String, String)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&got),
        names(&want),
        "{snapshot}: the generated files differ; review and run `make snapshots`"
    );
    for ((name, g), (_, w)) in got.iter().zip(&want) {
        assert!(
            g == w,
            "{snapshot}/{name} is stale; review the diff and run `make snapshots`. First difference at {}",
            first_difference(w, g)
        );
    }
}

#[test]
fn committed_rtl_is_what_gen_writes() {
    check(&["--tiles", "64"], "rtl");
}

#[test]
fn tiny_snapshot_is_what_gen_writes() {
    check(&["--preset", "tiny"], "tests/snapshots/tiny");
}

#[test]
fn solver4_snapshot_is_what_gen_writes() {
    check(
        &["--config", "configs/solver4.yaml"],
        "tests/snapshots/solver4",
    );
}

/// Every generated SystemVerilog line of the snapshots fits 100 columns (lowRISC style).
#[test]
fn generated_lines_fit_100_columns() {
    for dir in ["rtl", "tests/snapshots/tiny", "tests/snapshots/solver4"] {
        for (name, text) in tree(&root().join(dir)) {
            if !name.ends_with(".sv") {
                continue;
            }
            for (i, line) in text.lines().enumerate() {
                assert!(
                    line.chars().count() <= 100,
                    "{dir}/{name}:{}: {} columns",
                    i + 1,
                    line.chars().count()
                );
            }
        }
    }
}

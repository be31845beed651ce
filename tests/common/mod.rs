//! What the integration tests share: the work directory `pimforge verify` uses (so `make verify`
//! builds each Verilated model once) and designs from presets and configs.

use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_gen::fault::Fault;
use pimforge_gen::presets::preset;
use std::path::{Path, PathBuf};

pub mod waves;

/// Every file of `dir` (not below it) with its contents, by name.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

/// The work directory of `pimforge verify`, `build/` at the root.
pub fn work() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build")
}

/// The design of `cfg` (which must be valid), with `fault` injected.
pub fn design_of(cfg: Config, fault: Option<Fault>) -> Design {
    Design::new(cfg.validated().expect("a valid test config"), fault)
}

/// The design of preset `name`, with `fault` injected.
pub fn design(name: &str, fault: Option<Fault>) -> Design {
    design_of(preset(name).expect("a known preset"), fault)
}

/// The `pimforge` binary of this build, as a command.
pub fn pimforge() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("pimforge").unwrap()
}

/// Runs `pimforge args` expecting a clean failure (exit 1 or 2, never a panic): returns stderr.
pub fn fails(args: &[&str]) -> String {
    let out = pimforge().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "pimforge {}: {:?}\n{err}",
        args.join(" "),
        out.status
    );
    assert!(
        !err.contains("panicked"),
        "pimforge {}: {err}",
        args.join(" ")
    );
    err
}

/// Runs `pimforge args` expecting success: returns stdout.
pub fn succeeds(args: &[&str]) -> String {
    let out = pimforge().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "pimforge {}: {:?}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names in `dir` that start with `.` and hold `pimforge-` (staging directories, locks).
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".pimforge-manifest.json")
                .filter(|n| {
                    n.starts_with('.') && (n.contains("pimforge-") || n.starts_with(".build-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A training run of seconds: one epoch of 5 samples, tested on 5.
pub const SHORT_TRAIN: [&str; 8] = [
    "train",
    "--quiet",
    "--epochs",
    "1",
    "--train-limit",
    "5",
    "--test-limit",
    "5",
];

/// Runs `pimforge args` expecting a clean failure whose message holds every one of `needles`.
pub fn refused(args: &[&str], needles: &[&str]) {
    let err = fails(args);
    for n in needles {
        assert!(
            err.contains(n),
            "pimforge {}: expected '{n}' in: {err}",
            args.join(" ")
        );
    }
}

/// Validates JUnit file `xml` against the schema of Jenkins' xunit plugin (`junit-10.xsd`, the
/// one pytest checks its own JUnit output against; `make deps` fetches it) with `xmllint`.
pub fn validate_junit(xml: &Path) {
    let xsd = work().join("schemas/junit-10.xsd");
    assert!(
        xsd.is_file(),
        "{} is missing: run `make deps` (it fetches the schema)",
        xsd.display()
    );
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(xml)
        .output()
        .expect("xmllint runs (make deps installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{} does not validate against junit-10.xsd:\n{}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A small sweep of the digits MLP: 8 points (ADC bits x cell widths x algorithm), a second or
/// two each.
pub const SMALL_SWEEP: &str = "preset: digits
set: {adc.exact: false}
grid:
  adc.bits: [8, 13]
  crossbar.cell_bits: [5, 8]
algorithms: [opa, sbpca]
seeds: [0]
train: [--epochs, '1', --train-limit, '120', --test-limit, '60']
";

/// The rows of `pimforge sweep`'s table without the seconds column (the last) and the front
/// marks: what the runs computed, not how long they took.
pub fn sweep_rows(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .map(|l| {
            let mut w: Vec<&str> = l.split_whitespace().filter(|w| *w != "*").collect();
            w.pop();
            w.join(" ")
        })
        .collect()
}

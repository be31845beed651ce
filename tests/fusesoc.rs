//! The generated FuseSoC core in FuseSoC itself: the core of `tiny` parses and validates
//! (`core-info`), lints with Verilator, builds with Icarus and synthesises with Yosys through its
//! targets; a lint warning planted in the RTL fails the lint target; the device files of `noisy`
//! are copied beside its Icarus build. Needs FuseSoC (`make deps` installs it from PyPI).

use assert_cmd::Command;
use std::path::Path;
use std::process::Output;

fn gen(preset: &str, out: &Path) -> String {
    Command::cargo_bin("pimforge")
        .unwrap()
        .args(["gen", "--preset", preset, "--out"])
        .arg(out)
        .assert()
        .success();
    let core = std::fs::read_to_string(out.join("pimforge.core")).unwrap();
    assert!(core.starts_with("CAPI=2:\n"), "{core}");
    core.lines()
        .find_map(|l| l.strip_prefix("name: "))
        .expect("the core has a name")
        .to_string()
}

fn fusesoc(cores: &Path, work: &Path, args: &[&str]) -> Output {
    std::process::Command::new("fusesoc")
        .arg("--cores-root")
        .arg(cores)
        .args(args)
        .current_dir(work)
        .output()
        .expect("fusesoc runs (make deps installs it)")
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "fusesoc {what} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The one build directory FuseSoC made for `target` under `work`.
fn build_dir(work: &Path, target: &str) -> std::path::PathBuf {
    let core_dir = std::fs::read_dir(work.join("build"))
        .unwrap()
        .next()
        .expect("a build directory")
        .unwrap()
        .path();
    let dir = std::fs::read_dir(&core_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(target))
        .unwrap_or_else(|| panic!("no {target} directory in {}", core_dir.display()));
    dir
}

#[test]
fn fusesoc_validates_lints_builds_and_synthesises_the_core_of_tiny() {
    let tmp = tempfile::tempdir().unwrap();
    let (rtl, work) = (tmp.path().join("tiny"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let name = gen("tiny", &rtl);

    let info = fusesoc(&rtl, &work, &["core-info", &name]);
    ok(&info, "core-info");
    let text = String::from_utf8_lossy(&info.stdout);
    for target in ["lint", "sim", "synth"] {
        assert!(
            text.contains(target),
            "core-info lists no {target}:\n{text}"
        );
    }

    ok(
        &fusesoc(&rtl, &work, &["run", "--target", "lint", &name]),
        "lint",
    );
    ok(
        &fusesoc(&rtl, &work, &["run", "--target", "sim", "--build", &name]),
        "sim build",
    );
    let sim = build_dir(&work, "sim");
    let binary = sim.join(name.replace(':', "_"));
    assert!(binary.is_file(), "no Icarus binary {}", binary.display());

    ok(
        &fusesoc(&rtl, &work, &["run", "--target", "synth", "--build", &name]),
        "synth",
    );
    let stat = std::fs::read_to_string(build_dir(&work, "synth").join("pim_array.stat.txt"))
        .expect("the synth target writes the statistics");
    let cells: u64 = stat
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Number of cells:"))
        .expect("a cell count")
        .trim()
        .parse()
        .unwrap();
    assert!(cells > 1000, "{cells} cells:\n{stat}");
}

#[test]
fn a_lint_warning_fails_the_lint_target() {
    let tmp = tempfile::tempdir().unwrap();
    let (rtl, work) = (tmp.path().join("tiny"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let name = gen("tiny", &rtl);
    // A width mismatch into an unused signal: Verilator warns, and a warning fails the lint.
    let dac = rtl.join("pim_dac.sv");
    let text = std::fs::read_to_string(&dac).unwrap();
    let planted = text.replace(
        "endmodule : pim_dac",
        "  logic [3:0] planted_narrow;\n  assign planted_narrow = plane_i + 8'd1;\n\nendmodule : pim_dac",
    );
    assert_ne!(planted, text);
    std::fs::write(&dac, planted).unwrap();
    let out = fusesoc(&rtl, &work, &["run", "--target", "lint", &name]);
    assert!(!out.status.success(), "the planted warning passed the lint");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("planted_narrow"), "{log}");
}

#[test]
fn the_sim_target_copies_the_device_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (rtl, work) = (tmp.path().join("noisy"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let name = gen("noisy", &rtl);
    let memh: Vec<String> = std::fs::read_dir(&rtl)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".memh"))
        .collect();
    assert!(!memh.is_empty());
    ok(
        &fusesoc(&rtl, &work, &["run", "--target", "sim", "--build", &name]),
        "sim build",
    );
    let sim = build_dir(&work, "sim");
    for f in &memh {
        assert_eq!(
            std::fs::read(sim.join(f)).unwrap(),
            std::fs::read(rtl.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn fusesoc_validates_the_core_against_its_schema() {
    // The check core-info passes is a real one: a key CAPI2 does not have is refused.
    let tmp = tempfile::tempdir().unwrap();
    let (rtl, work) = (tmp.path().join("tiny"), tmp.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let name = gen("tiny", &rtl);
    let core = rtl.join("pimforge.core");
    let text = std::fs::read_to_string(&core).unwrap();
    std::fs::write(
        &core,
        text.replace("  lint:\n", "  lint:\n    bogus_key: 1\n"),
    )
    .unwrap();
    let out = fusesoc(&rtl, &work, &["core-info", &name]);
    let log = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("bogus_key"), "{log}");
}

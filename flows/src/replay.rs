//! The commands that replay a run. Every mismatch report prints one, so that a failure is one
//! paste away from its rerun and its waveform; this is the one place that spells them.

use pimforge_gen::fault::Fault;
use pimforge_gen::load::Source;

/// The command-line flags that select a config.
fn config_flags(src: &Source) -> String {
    let mut s = String::new();
    if let Some(p) = src.preset {
        s += &format!(" --preset {p}");
    }
    if let Some(c) = src.file {
        s += &format!(" --config {}", c.display());
    }
    if let Some(t) = src.tiles {
        s += &format!(" --tiles {t}");
    }
    s
}

/// The program the commands run: `pimforge`, as installed or copied (`cargo run --release --`
/// from the source tree runs the same).
const PROGRAM: &str = "pimforge";

/// `pimforge verify` of a config with a fault, a seed and a number of transactions.
pub fn verify(src: &Source, fault: Option<Fault>, seed: u64, transactions: usize) -> String {
    let fault = fault.map_or(String::new(), |f| format!(" --inject-fault {f}"));
    format!(
        "{PROGRAM} verify{}{fault} --seed {seed} --transactions {transactions}",
        config_flags(src)
    )
}

/// `pimforge train` on the RTL in lock-step, with the flags of the training run (`--algorithm
/// opa --seed 2 ...`).
pub fn train(src: &Source, run_flags: &str) -> String {
    format!(
        "{PROGRAM} train --backend rtl{} {run_flags}",
        config_flags(src)
    )
}

/// The integration tests (`tests/main.rs`, one binary) that `filter` selects (a file's module,
/// `inv::`, or a test's path), and what of them ran (none: empty).
pub fn test(filter: &str, what: &str) -> String {
    let run = format!("cargo test --release --test integration {filter}");
    match what {
        "" => run,
        _ => format!("{run} ({what})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn commands_name_every_flag_that_selects_the_run() {
        let src = Source {
            preset: Some("tiny"),
            file: Some(Path::new("my.yaml")),
            tiles: Some(3),
            ..Default::default()
        };
        assert_eq!(
            verify(&src, Some(Fault::OpaDigit), 7, 100),
            "pimforge verify --preset tiny --config my.yaml --tiles 3 \
             --inject-fault opa-digit --seed 7 --transactions 100"
        );
        assert_eq!(
            train(&Source::default(), "--algorithm mixed --seed 2"),
            "pimforge train --backend rtl --algorithm mixed --seed 2"
        );
        assert_eq!(
            test("inv::", "size 4"),
            "cargo test --release --test integration inv:: (size 4)"
        );
        assert_eq!(
            test("deploy::", ""),
            "cargo test --release --test integration deploy::"
        );
    }
}

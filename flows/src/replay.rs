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

/// `pimforge verify` of a config with a fault, a seed and a number of transactions.
pub fn verify(src: &Source, fault: Option<Fault>, seed: u64, transactions: usize) -> String {
    let fault = fault.map_or(String::new(), |f| format!(" --inject-fault {f}"));
    format!(
        "cargo run --release -- verify{}{fault} --seed {seed} --transactions {transactions}",
        config_flags(src)
    )
}

/// `pimforge train` on the RTL in lock-step, with an algorithm and a seed.
pub fn train(src: &Source, algorithm: &str, seed: u64) -> String {
    format!(
        "cargo run --release -- train --backend rtl --algorithm {}{} --seed {seed}",
        algorithm.to_lowercase(),
        config_flags(src)
    )
}

/// An integration test of the project, and what of it ran.
pub fn test(name: &str, what: &str) -> String {
    format!("cargo test --release --test {name} ({what})")
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
            "cargo run --release -- verify --preset tiny --config my.yaml --tiles 3 \
             --inject-fault opa-digit --seed 7 --transactions 100"
        );
        assert_eq!(
            train(&Source::default(), "Mixed", 2),
            "cargo run --release -- train --backend rtl --algorithm mixed --seed 2"
        );
        assert_eq!(
            test("inv", "size 4"),
            "cargo test --release --test inv (size 4)"
        );
    }
}

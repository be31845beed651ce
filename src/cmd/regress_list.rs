//! Regression lists (`pimforge regress LIST`): a YAML file of groups of `verify` runs, riscv-dv
//! and OpenTitan style. A group names designs (presets, or config files relative to the list),
//! seeds, products and `verify` options; it expands to one run per design and seed. Every run is
//! checked before any starts: its flags by `verify`'s own parser, its config by building the
//! design, so a bad list fails with the group, the field and the reason, and nothing runs.
//!
//! ```yaml
//! groups:
//!   - name: coverage
//!     presets: [tiny, noisy]
//!     seeds: [100]
//!     transactions: 1000
//!     options: [--require-coverage]
//!   - name: solver
//!     configs: [../configs/solver4.yaml]
//!     seeds: [1, 2]
//! ```

use super::verify::VerifyArgs;
use anyhow::{bail, Context, Result};
use clap::Parser;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    name: String,
    #[serde(default)]
    presets: Vec<String>,
    /// Config files, relative to the list's directory.
    #[serde(default)]
    configs: Vec<PathBuf>,
    tiles: Option<usize>,
    seeds: Vec<u64>,
    transactions: Option<usize>,
    /// Further `verify` flags, one word each (`[--solves, "5"]`).
    #[serde(default)]
    options: Vec<String>,
}

/// One run of a list: a `verify` command line.
#[derive(Clone, Debug)]
pub struct Run {
    pub group: String,
    /// The design as reports name it (preset or config file, with `--tiles`).
    pub design: String,
    pub seed: u64,
    /// `verify`'s arguments (without the program and subcommand names).
    pub args: Vec<String>,
}

impl Run {
    /// The command that replays this run alone.
    pub fn replay(&self) -> String {
        let quoted: Vec<String> = self
            .args
            .iter()
            .map(|a| match a.contains(' ') {
                true => format!("'{a}'"),
                false => a.clone(),
            })
            .collect();
        format!("pimforge verify {}", quoted.join(" "))
    }
}

#[derive(Parser)]
#[command(name = "pimforge verify", no_binary_name = false)]
struct VerifyLine {
    #[command(flatten)]
    args: VerifyArgs,
}

/// The runs of the list at `path`, in list order (group by group, design by design, seed by
/// seed), each checked.
pub fn load(path: &Path) -> Result<Vec<Run>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the regression list {}", path.display()))?;
    let list: List = serde_norway::from_str(&text)
        .with_context(|| format!("regression list {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if list.groups.is_empty() {
        bail!("regression list {}: `groups` is empty", path.display());
    }
    let mut runs = Vec::new();
    for (gi, g) in list.groups.iter().enumerate() {
        let at = format!(
            "regression list {}: group {} (`{}`)",
            path.display(),
            gi + 1,
            g.name
        );
        if g.presets.is_empty() == g.configs.is_empty() {
            bail!("{at}: give `presets` or `configs` (one of the two, not empty)");
        }
        if g.seeds.is_empty() {
            bail!("{at}: `seeds` is empty");
        }
        let designs: Vec<(String, Vec<String>)> = g
            .presets
            .iter()
            .map(|p| (p.clone(), vec!["--preset".into(), p.clone()]))
            .chain(g.configs.iter().map(|c| {
                let file = dir.join(c).display().to_string();
                (file.clone(), vec!["--config".into(), file])
            }))
            .collect();
        for (design, mut base) in designs {
            if let Some(t) = g.tiles {
                base.extend(["--tiles".into(), t.to_string()]);
            }
            if let Some(n) = g.transactions {
                base.extend(["--transactions".into(), n.to_string()]);
            }
            for &seed in &g.seeds {
                let mut args = base.clone();
                args.extend(["--seed".into(), seed.to_string()]);
                args.extend(g.options.iter().cloned());
                let line = VerifyLine::try_parse_from(
                    std::iter::once("pimforge verify".to_string()).chain(args.iter().cloned()),
                )
                .map_err(|e| anyhow::anyhow!("{at}: {}", e.render().to_string().trim_end()))?;
                for (flag, given) in [
                    ("--work", line.args.work != Path::new("build")),
                    ("--json", line.args.json.is_some()),
                    ("--junit", line.args.junit.is_some()),
                ] {
                    if given {
                        bail!("{at}: `options` may not set {flag}: `pimforge regress` sets it");
                    }
                }
                line.args
                    .cfg
                    .design(line.args.inject_fault)
                    .with_context(|| format!("{at}: design {design}"))?;
                let design = match g.tiles {
                    Some(t) => format!("{design} --tiles {t}"),
                    None => design.clone(),
                };
                runs.push(Run {
                    group: g.name.clone(),
                    design,
                    seed,
                    args,
                });
            }
        }
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Result<Vec<Run>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.yaml");
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn a_group_expands_to_a_run_per_design_and_seed() {
        let runs = list(
            "groups:\n  - name: g\n    presets: [tiny, noisy]\n    seeds: [1, 2]\n    transactions: 10\n    options: [--require-coverage]\n",
        )
        .unwrap();
        let got: Vec<(String, u64)> = runs.iter().map(|r| (r.design.clone(), r.seed)).collect();
        assert_eq!(
            got,
            [("tiny", 1), ("tiny", 2), ("noisy", 1), ("noisy", 2)].map(|(d, s)| (d.to_string(), s))
        );
        assert_eq!(
            runs[1].replay(),
            "pimforge verify --preset tiny --transactions 10 --seed 2 --require-coverage"
        );
    }

    #[test]
    fn bad_lists_name_the_group_and_the_reason() {
        let err = |t: &str| format!("{:#}", list(t).unwrap_err());
        let e = err(
            "groups:\n  - name: g\n    presets: [tiny]\n    seeds: [1]\n    options: [--bogus]\n",
        );
        assert!(e.contains("group 1 (`g`)") && e.contains("--bogus"), "{e}");
        let e = err("groups:\n  - name: g\n    presets: [nosuch]\n    seeds: [1]\n");
        assert!(e.contains("design nosuch") && e.contains("nosuch"), "{e}");
        let e = err("groups:\n  - name: g\n    presets: [tiny]\n    seeds: []\n");
        assert!(e.contains("`seeds` is empty"), "{e}");
        let e = err("groups:\n  - name: g\n    presets: [tiny]\n    seeds: [1]\n    colour: red\n");
        assert!(e.contains("colour"), "{e}");
        let e = err("groups:\n  - name: g\n    presets: [tiny]\n    seeds: [1]\n    options: [--json, x.json]\n");
        assert!(e.contains("may not set --json"), "{e}");
        let e = err("groups:\n  - name: g\n    seeds: [1]\n");
        assert!(e.contains("`presets` or `configs`"), "{e}");
        let e =
            err("groups:\n  - name: g\n    presets: [tiny]\n    seeds: [1]\n    transactions: 0\n");
        assert!(e.contains("--transactions"), "{e}");
    }
}

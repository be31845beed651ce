//! Sweep files (`pimforge sweep FILE`): a base design, the config fields to vary (a grid, or a
//! list of points), the algorithms, the seeds and the `train` options. The file expands into one
//! point per combination; every point is checked before any runs (its config by building its
//! design, its options by `train`'s own parser), so a bad file fails with the point, the field
//! and the allowed values, and nothing runs.
//!
//! ```yaml
//! preset: digits          # optional: every point's base (default: each algorithm's, as train)
//! config: base.yaml       # optional: a config file (relative to this file) every point starts from
//! set: {adc.exact: false} # optional: fields every point sets
//! grid:                   # every combination, the last field varying fastest
//!   adc.bits: [6, 8]
//!   crossbar.cell_bits: [2, 4]
//! # points: [{adc.bits: 6}, {adc.bits: 8, crossbar.cell_bits: 4}]   (instead of a grid)
//! algorithms: [opa, mixed]
//! seeds: [0, 1]
//! train: [--epochs, 3]    # options of every run: network, data set, epochs, limits, cost table
//! metrics: [accuracy, energy, area]   # the table's columns (default: all)
//! ```

use super::train::{design_of, TrainArgs};
use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use pimforge_studies::train::config::Algorithm;
use serde::Deserialize;
use serde_norway::{Mapping, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    preset: Option<String>,
    config: Option<PathBuf>,
    #[serde(default)]
    set: Mapping,
    #[serde(default)]
    grid: Mapping,
    #[serde(default)]
    points: Vec<Mapping>,
    algorithms: Vec<String>,
    seeds: Vec<u64>,
    #[serde(default)]
    train: Vec<String>,
    #[serde(default)]
    metrics: Vec<String>,
}

/// A column of the sweep's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Metric {
    /// Final test accuracy.
    Accuracy,
    /// Energy per training sample.
    Energy,
    /// Latency per training sample.
    Latency,
    /// Area of the tiles used.
    Area,
    /// Wall time of the run.
    Seconds,
}

/// An expanded, checked sweep.
pub struct Sweep {
    pub path: PathBuf,
    pub points: Vec<Point>,
    pub metrics: Vec<Metric>,
}

/// One training run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub index: usize,
    /// The varied fields and their values (`adc.bits`, `6`), in the file's order.
    pub overrides: Vec<(String, String)>,
    pub algorithm: Algorithm,
    pub seed: u64,
    /// The point's config file (YAML: the base and the overrides).
    pub config: String,
    /// `pimforge train` arguments but `--config` and `--out`.
    pub args: Vec<String>,
    /// The design's config hash (the resolved config, the algorithm's unit included).
    pub hash: String,
}

impl Point {
    /// The point's directory name: its index, algorithm, seed and design hash.
    pub fn id(&self) -> String {
        format!(
            "{:03}-{}-s{}-{}",
            self.index,
            self.algorithm,
            self.seed,
            &self.hash[..8]
        )
    }

    /// `field=value, ...` (or `base`).
    pub fn label(&self) -> String {
        match self.overrides.is_empty() {
            true => "base".into(),
            false => self
                .overrides
                .iter()
                .map(|(f, v)| format!("{f}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Parser)]
#[command(name = "pimforge train")]
struct TrainLine {
    #[command(flatten)]
    args: TrainArgs,
}

/// Flags a sweep sets itself.
const OWN_FLAGS: [&str; 6] = [
    "--config",
    "--preset",
    "--out",
    "--algorithm",
    "--seed",
    "--record",
];

pub fn load(path: &Path) -> Result<Sweep> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the sweep file {}", path.display()))?;
    let f: File =
        serde_norway::from_str(&text).with_context(|| format!("sweep file {}", path.display()))?;
    let at = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let algorithms = f
        .algorithms
        .iter()
        .map(|a| {
            Algorithm::from_str(a, true).map_err(|_| {
                let allowed: Vec<String> = Algorithm::value_variants()
                    .iter()
                    .map(|v| v.to_string())
                    .collect();
                anyhow::anyhow!("{at}: algorithms: '{a}': allowed {}", allowed.join(", "))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let metrics = match f.metrics.is_empty() {
        true => Metric::value_variants().to_vec(),
        false => f
            .metrics
            .iter()
            .map(|m| {
                Metric::from_str(m, true).map_err(|_| {
                    anyhow::anyhow!(
                        "{at}: metrics: '{m}': allowed accuracy, energy, latency, area, seconds"
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?,
    };
    if algorithms.is_empty() || f.seeds.is_empty() {
        bail!("{at}: `algorithms` and `seeds` must each name at least one");
    }
    for flag in &f.train {
        let name = flag.split('=').next().unwrap_or_default();
        if OWN_FLAGS.contains(&name) {
            bail!("{at}: train: may not set {name}: `pimforge sweep` sets it for every point");
        }
    }
    let base = base_mapping(&f, dir, &at)?;
    let combos = combinations(&f, &at)?;
    let mut points = Vec::new();
    for overrides in &combos {
        let mut cfg = base.clone();
        for (field, value) in overrides {
            set(&mut cfg, field, value.clone());
        }
        let config = serde_norway::to_string(&Value::Mapping(cfg))?;
        let shown: Vec<(String, String)> = overrides
            .iter()
            .map(|(f, v)| (f.clone(), compact(v)))
            .collect();
        for &algorithm in &algorithms {
            for &seed in &f.seeds {
                let index = points.len();
                let mut point = Point {
                    index,
                    overrides: shown.clone(),
                    algorithm,
                    seed,
                    config: config.clone(),
                    args: f.train.clone(),
                    hash: String::new(),
                };
                point.hash = check(&point, &at)?;
                points.push(point);
            }
        }
    }
    Ok(Sweep {
        path: path.to_path_buf(),
        points,
        metrics,
    })
}

/// The mapping every point starts from: the config file's fields, the base preset and `set`.
fn base_mapping(f: &File, dir: &Path, at: &str) -> Result<Mapping> {
    let mut base = match &f.config {
        Some(c) => {
            let file = dir.join(c);
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{at}: config: cannot read {}", file.display()))?;
            match serde_norway::from_str::<Value>(&text)
                .with_context(|| format!("{at}: config: {} is not YAML", file.display()))?
            {
                Value::Mapping(m) => m,
                Value::Null => Mapping::new(),
                _ => bail!(
                    "{at}: config: {} is not a mapping of fields",
                    file.display()
                ),
            }
        }
        None => Mapping::new(),
    };
    if let Some(p) = &f.preset {
        let key = Value::String("preset".into());
        match base.get(&key) {
            Some(Value::String(q)) if q != p => {
                bail!("{at}: preset {p} and the config file's `preset: {q}` disagree: give the base once")
            }
            _ => {
                base.insert(key, Value::String(p.clone()));
            }
        }
    }
    for (k, v) in &f.set {
        let Value::String(field) = k else {
            bail!("{at}: set: a field must be a name like adc.exact, not {k:?}");
        };
        set(&mut base, field, v.clone());
    }
    Ok(base)
}

/// The overrides of every point: the grid's combinations (the last field fastest) or the list.
fn combinations(f: &File, at: &str) -> Result<Vec<Vec<(String, Value)>>> {
    let field = |k: &Value| match k {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => bail!("{at}: a varied field must be a name like adc.bits, not {k:?}"),
    };
    if !f.grid.is_empty() && !f.points.is_empty() {
        bail!("{at}: give `grid` or `points`, not both");
    }
    if !f.points.is_empty() {
        return f
            .points
            .iter()
            .map(|p| p.iter().map(|(k, v)| Ok((field(k)?, v.clone()))).collect())
            .collect();
    }
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (k, values) in &f.grid {
        let name = field(k)?;
        let Value::Sequence(values) = values else {
            bail!("{at}: grid: {name}: expected a list of values");
        };
        if values.is_empty() {
            bail!("{at}: grid: {name}: the list of values is empty");
        }
        combos = combos
            .into_iter()
            .flat_map(|c| {
                let name = name.clone();
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((name.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    Ok(combos)
}

/// Sets dotted field `path` (`adc.bits`) of `m` to `v`, making the mappings on the way.
fn set(m: &mut Mapping, path: &str, v: Value) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let key = Value::String(head.into());
    match rest {
        None => {
            m.insert(key, v);
        }
        Some(rest) => {
            let slot = m
                .entry(key)
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if !matches!(slot, Value::Mapping(_)) {
                *slot = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(inner) = slot {
                set(inner, rest, v);
            }
        }
    }
}

/// A value as one short word: `6`, `[2, 2]`, `soft_bounds`.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other)
            .unwrap_or_default()
            .replace(',', ", "),
    }
}

/// Checks point `p` as `train` would run it (options, config, design) and returns its design's
/// config hash.
fn check(p: &Point, at: &str) -> Result<String> {
    let origin = format!("{at}: point {} ({}, {})", p.index, p.label(), p.algorithm);
    let algorithm = p.algorithm.to_string();
    let argv = ["pimforge train", "--algorithm", &algorithm]
        .into_iter()
        .map(String::from)
        .chain(p.args.iter().cloned());
    let line = TrainLine::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("{at}: train: {}", e.render().to_string().trim_end()))?;
    let (design, _) =
        design_of(&line.args, Some((&p.config, &origin))).with_context(|| origin.clone())?;
    Ok(design.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(text: &str) -> Result<Sweep> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    #[test]
    fn a_grid_expands_last_field_fastest_then_algorithms_then_seeds() {
        let s = sweep(
            "set: {adc.exact: false}\ngrid:\n  adc.bits: [8, 10]\n  crossbar.cell_bits: [5, 6]\nalgorithms: [opa, sbpca]\nseeds: [0, 1]\ntrain: [--epochs, '1']\n",
        )
        .unwrap();
        assert_eq!(s.points.len(), 16);
        let p = &s.points[5];
        assert_eq!(p.label(), "adc.bits=8, crossbar.cell_bits=6");
        assert_eq!((p.algorithm, p.seed), (Algorithm::Opa, 1));
        assert!(
            p.config.contains("bits: 8")
                && p.config.contains("cell_bits: 6")
                && p.config.contains("exact: false"),
            "{}",
            p.config
        );
        assert_eq!(s.points[6].algorithm, Algorithm::Sbpca);
        assert!(p.id().starts_with("005-opa-s1-"));
        // Other fields, another design; the seed does not change the design.
        assert_ne!(s.points[0].hash, s.points[4].hash);
        assert_eq!(s.points[4].hash, s.points[5].hash);
        assert_eq!(s.metrics.len(), 5);
    }

    #[test]
    fn a_list_of_points_and_a_preset() {
        let s = sweep(
            "preset: digits\nset: {adc.exact: false}\npoints:\n  - {adc.bits: 9}\n  - {adc.bits: 8, crossbar.cell_bits: 5}\nalgorithms: [opa]\nseeds: [3]\nmetrics: [accuracy, energy]\n",
        )
        .unwrap();
        assert_eq!(s.points.len(), 2);
        assert!(s.points[1].config.starts_with("preset: digits"));
        assert_eq!(s.metrics, vec![Metric::Accuracy, Metric::Energy]);
    }

    #[test]
    fn bad_files_name_the_point_the_field_and_what_is_allowed() {
        let bad = |text: &str, needles: &[&str]| {
            let e = format!("{:#}", sweep(text).err().expect(text));
            for n in needles {
                assert!(e.contains(n), "{text}\n{e}");
            }
        };
        let tail = "algorithms: [opa]\nseeds: [0]\n";
        bad(
            &format!("grid: {{adc.bits: [13, 6]}}\n{tail}"),
            &["point 1 (adc.bits=6, opa)", "adc.bits = 6: allowed"],
        );
        bad(
            &format!("grid: {{adc.bitz: [6]}}\n{tail}"),
            &["point 0", "bitz"],
        );
        bad(
            "grid: {adc.bits: [6]}\nalgorithms: [sgdd]\nseeds: [0]\n",
            &["'sgdd'", "allowed", "cttv2"],
        );
        bad(
            &format!("grid: {{adc.bits: []}}\n{tail}"),
            &["adc.bits", "empty"],
        );
        bad(&format!("train: [--out, x]\n{tail}"), &["--out", "sets it"]);
        bad(
            &format!("train: [--epochz, '2']\n{tail}"),
            &["train:", "--epochz"],
        );
        bad(&format!("gird: {{adc.bits: [6]}}\n{tail}"), &["gird"]);
        bad(
            &format!("metrics: [joules]\n{tail}"),
            &["joules", "allowed"],
        );
        bad(
            &format!("grid: {{adc.bits: [6]}}\npoints: [{{adc.bits: 8}}]\n{tail}"),
            &["not both"],
        );
    }
}

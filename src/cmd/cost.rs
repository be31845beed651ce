//! `pimforge cost`: the cost of finished `train` runs, priced again from their counted work with
//! any cost table, compared across tables (PANTHER's baselines) and across runs (accuracy
//! against energy per training sample).

use super::cost_args::CostArgs;
use super::json_out::JsonOut;
use anyhow::{bail, Context, Result};
use clap::Args;
use pimforge_studies::cost::phase::from_json;
use pimforge_studies::cost::plot::{scatter_png, Point};
use pimforge_studies::cost::price::{energy, price, time, CostReport};
use pimforge_studies::cost::CostTable;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CostCmdArgs {
    /// Reports written by `pimforge train` (`report.json`, or the directory holding it).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub cost: CostArgs,
    /// Also prices every report with these tables and prints their ratios to `--cost`'s, e.g.
    /// `panther-digital,panther-pipelayer,panther-cmos-op` (PANTHER's baselines).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    pub compare: Vec<String>,
    /// Writes test accuracy against energy per training sample, one point per report (PNG).
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Writes every report's cost under every table as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    /// Adds the synthesised logic of every tile used to the area: `pim_tile`'s area from
    /// `pimforge synth --json FILE` of the runs' design (same config hash).
    #[arg(long, value_name = "SYNTH.json")]
    pub synth: Option<PathBuf>,
}

/// The area component of the synthesised logic.
const LOGIC: &str = "logic (Yosys, pim_tile)";

/// One tile's synthesised logic area (um^2) and the config hash, from a `pimforge synth --json`
/// report.
fn logic_area(path: &std::path::Path) -> Result<(f64, String)> {
    let at = || format!("--synth {}", path.display());
    let text = std::fs::read_to_string(path).with_context(at)?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", at()))?;
    let hash = v["config_hash"].as_str().map(str::to_string);
    let tile = v["modules"]
        .as_array()
        .and_then(|m| m.iter().find(|r| r["module"] == pimforge_gen::emit::TILE))
        .and_then(|r| r["area_um2"].as_f64());
    match (tile, hash) {
        (Some(a), Some(h)) => Ok((a, h)),
        _ => bail!(
            "{}: not a report of pimforge synth --json with pim_tile",
            at()
        ),
    }
}

/// A train report as `cost` reads it.
struct Run {
    path: PathBuf,
    label: String,
    accuracy: f64,
    costs: Vec<CostReport>,
}

fn read(
    path: &std::path::Path,
    tables: &[CostTable],
    logic: Option<&(f64, String)>,
) -> Result<Run> {
    let file = match path.is_dir() {
        true => path.join("report.json"),
        false => path.to_path_buf(),
    };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("report {}", file.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("report {}: not JSON", file.display()))?;
    let what = || {
        format!(
            "report {}: not a finished report of pimforge train",
            file.display()
        )
    };
    if v.get("tool").and_then(|t| t.as_str()) != Some("pimforge train") {
        bail!(what());
    }
    let cfg: pimforge_gen::config::Config =
        serde_json::from_value(v.get("design_config").cloned().with_context(what)?)
            .with_context(what)?;
    let work = v
        .get("tile_work")
        .and_then(|w| w.as_array())
        .with_context(what)?
        .iter()
        .map(from_json)
        .collect::<Option<Vec<_>>>()
        .with_context(what)?;
    if let Some((_, hash)) = logic {
        if v["config_hash"].as_str() != Some(hash) {
            bail!(
                "--synth: synthesised for config {hash}, but report {} is of config {}; run pimforge synth with the run's config (its pimforge.yaml)",
                file.display(),
                v["config_hash"].as_str().unwrap_or("?")
            );
        }
    }
    let samples = v["samples_trained"].as_u64().unwrap_or(0) as usize;
    let epochs = v["epochs"].as_array().map_or(0, |e| e.len());
    let shape = cfg.shape();
    let mut costs = tables
        .iter()
        .map(|t| price(t, &shape, &work, samples, epochs))
        .collect::<Result<Vec<_>>>()?;
    // Each layer's tiles, as indices into the tiles used (the report's placement).
    let used: Vec<u64> = v["placement"]["tiles"].as_array().map_or(vec![], |t| {
        t.iter().filter_map(|u| u["tile"].as_u64()).collect()
    });
    let layers: Vec<Vec<usize>> = v["placement"]["layers"].as_array().map_or(vec![], |ls| {
        ls.iter()
            .map(|l| {
                l["blocks"].as_array().map_or(vec![], |bs| {
                    bs.iter()
                        .filter_map(|b| used.iter().position(|&u| Some(u) == b["tile"].as_u64()))
                        .collect()
                })
            })
            .collect()
    });
    if layers.iter().flatten().all(|&i| i < work.len()) {
        for (c, t) in costs.iter_mut().zip(tables) {
            c.split_by_layer(t, &shape, &work, &layers, samples)?;
        }
    }
    if let Some((area, _)) = logic {
        for c in &mut costs {
            c.area_um2.insert(LOGIC.into(), area * c.tiles as f64);
        }
    }
    let algorithm = v["train"]["algorithm"].as_str().unwrap_or("?");
    Ok(Run {
        path: file,
        label: format!("{algorithm} on {}", v["design"].as_str().unwrap_or("?")),
        accuracy: 100.0 * v["final_test_accuracy"].as_f64().unwrap_or(0.0),
        costs,
    })
}

pub fn run(a: &CostCmdArgs, dry: bool) -> Result<()> {
    let mut tables = vec![a.cost.table()?];
    for name in &a.compare {
        tables.push(CostTable::load(name).with_context(|| format!("--compare {name}"))?);
    }
    let json = match &a.json {
        Some(p) => Some(JsonOut::create(p, &["tables", "runs"], "pimforge cost")?),
        None => None,
    };
    let logic = a.synth.as_deref().map(logic_area).transpose()?;
    let runs = a
        .reports
        .iter()
        .map(|p| read(p, &tables, logic.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    if dry {
        say!(
            "pimforge: dry run: would price {} reports with {} tables",
            runs.len(),
            tables.len()
        );
        return Ok(());
    }
    for r in &runs {
        say!(
            "{} ({}): test accuracy {:.2}%",
            r.label,
            r.path.display(),
            r.accuracy
        );
        let base = &r.costs[0];
        say!(
            "  {:<20} {:>14} {:>14} {:>14} {:>8} {:>8}",
            "table",
            "energy/sample",
            "time/sample",
            "overlapped",
            "energy",
            "time"
        );
        for c in &r.costs {
            let (Some(s), Some(b)) = (c.per_sample, base.per_sample) else {
                say!("  {:<20} no training samples", c.table);
                continue;
            };
            say!(
                "  {:<20} {:>14} {:>14} {:>14} {:>7.2}x {:>7.2}x",
                c.table,
                energy(s.energy_pj),
                time(s.latency_ns),
                time(s.overlapped_ns),
                s.energy_pj / b.energy_pj,
                s.latency_ns / b.latency_ns
            );
        }
        for p in &base.phases {
            say!(
                "  {:<9} {} in {} ({}; leakage {})",
                p.phase,
                energy(p.energy_pj),
                time(p.latency_ns),
                p.components(),
                energy(p.leakage_pj)
            );
        }
        for l in &base.layers {
            if let Some(s) = l.per_sample {
                say!(
                    "  layer {} ({} tiles): {} and {} per training sample",
                    l.layer,
                    l.tiles.len(),
                    energy(s.energy_pj),
                    time(s.latency_ns)
                );
            }
        }
        let total: f64 = base.area_um2.values().sum();
        let parts: Vec<String> = base
            .area_um2
            .iter()
            .filter(|(_, v)| **v > 0.0)
            .map(|(k, v)| format!("{k} {:.0}%", 100.0 * v / total))
            .collect();
        say!(
            "  area of {} tiles: {:.4} mm^2 ({}){}",
            base.tiles,
            total * 1e-6,
            parts.join(", "),
            if logic.is_some() {
                ""
            } else {
                "; the synthesised logic with --synth"
            }
        );
    }
    if let Some(path) = &a.plot {
        let points: Vec<Point> = runs
            .iter()
            .map(|r| Point {
                label: format!("{} ({:.2}%)", r.label, r.accuracy),
                energy_uj: r.costs[0].per_sample.map_or(0.0, |s| s.energy_pj * 1e-6),
                accuracy: r.accuracy,
            })
            .collect();
        let title = format!(
            "test accuracy against energy per training sample ({} table)",
            tables[0].name
        );
        let png = scatter_png(&title, &points)?;
        write_png(path, &png)?;
        say!("pimforge: wrote {}", path.display());
    }
    if let Some(out) = json {
        let doc = serde_json::json!({
            "tables": tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            "runs": runs.iter().map(|r| serde_json::json!({
                "report": r.path,
                "label": r.label,
                "test_accuracy": r.accuracy,
                "costs": r.costs,
            })).collect::<Vec<_>>(),
        });
        out.finish(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}

/// Writes `png` to `path` atomically (a temporary file renamed over it); a file already there
/// is replaced only when it is a PNG.
fn write_png(path: &std::path::Path, png: &[u8]) -> Result<()> {
    if let Ok(old) = std::fs::read(path) {
        if !old.starts_with(b"\x89PNG") {
            bail!(
                "--plot {}: the file exists and is not a PNG; choose another path",
                path.display()
            );
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pimforge-png-")
        .tempfile_in(dir)
        .with_context(|| format!("--plot {}: cannot write there", path.display()))?;
    std::io::Write::write_all(&mut tmp, png)?;
    tmp.persist(path)
        .with_context(|| format!("--plot {}", path.display()))?;
    Ok(())
}

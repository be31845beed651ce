//! Prices counted work with a cost table: energy per phase and component, latency per phase,
//! area per component (`docs/cost.md` gives the model).

use super::phase::{Phase, PhaseWork, Work};
use super::table::CostTable;
use anyhow::Result;
use pimforge_golden::events::Event;
use pimforge_golden::TileShape;
use serde::Serialize;
use std::collections::BTreeMap;

/// The cost of one phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseCost {
    pub phase: &'static str,
    /// Dynamic energy per component, pJ.
    pub dynamic_pj: BTreeMap<String, f64>,
    /// Leakage of every component of the tiles used, over the phase's latency, pJ.
    pub leakage_pj: f64,
    pub energy_pj: f64,
    /// One operation after another, as the host program issues them.
    pub latency_ns: f64,
    /// The tiles' work overlapped (the longest tile): a bound for a schedule that runs the tiles
    /// of a phase in parallel.
    pub overlapped_ns: f64,
}

/// Energy and time of a run's training phases (forward, backward, update, resolve).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub energy_pj: f64,
    pub latency_ns: f64,
    pub overlapped_ns: f64,
}

/// What a run cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostReport {
    pub table: String,
    pub clock_ns: f64,
    pub tiles: usize,
    pub phases: Vec<PhaseCost>,
    /// The training phases together.
    pub training: Totals,
    /// The training phases per training sample, and per epoch.
    pub per_sample: Option<Totals>,
    pub per_epoch: Option<Totals>,
    /// Area of the tiles used per component, um^2 (the analog parts and the table's digital
    /// units; `pimforge cost --synth` adds the synthesised logic).
    pub area_um2: BTreeMap<String, f64>,
    /// The training phases of each layer's tiles (see [`CostReport::split_by_layer`]).
    pub layers: Vec<LayerCost>,
}

/// The training cost of one layer: its tiles' training phases.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerCost {
    pub layer: usize,
    /// Indices into the report's tiles.
    pub tiles: Vec<usize>,
    pub training: Totals,
    pub per_sample: Option<Totals>,
}

/// The latency of `w` on one tile, ns: its cycles at the table's clock, each plane sampled
/// stretched to the array read latency, each sequential update step to the update latency and
/// each serial cell access to the serial latency, where those exceed a cycle.
pub fn latency_ns(t: &CostTable, shape: &TileShape, w: &Work) -> f64 {
    let clk = t.clock_ns;
    let stretch = |ev: Event| (t.entry(ev).latency_ns - clk).max(0.0);
    let arrays = shape.slices().max(1) as f64;
    let serial = (w.events[Event::CellReads].max(w.events[Event::CellWrites]) as f64 / arrays)
        * stretch(Event::CellReads).max(stretch(Event::CellWrites));
    let read = stretch(Event::ForwardReads).max(stretch(Event::TransposeReads));
    w.cycles as f64 * clk
        + w.planes as f64 * read
        + w.update_rounds as f64 * stretch(Event::UpdateSteps)
        + serial
}

/// Leakage of the components of `tiles` tiles of `shape`, mW.
pub fn leakage_mw(t: &CostTable, shape: &TileShape, tiles: usize) -> f64 {
    t.components
        .iter()
        .map(|e| e.leak_mw * CostTable::instances(e, shape) as f64)
        .sum::<f64>()
        * tiles as f64
}

/// Prices one phase: `per_tile[i]` is tile `i`'s work in it (every tile used leaks for the
/// phase's serial latency).
pub fn price_phase(
    t: &CostTable,
    shape: &TileShape,
    phase: &'static str,
    per_tile: &[Work],
) -> PhaseCost {
    let mut dynamic_pj: BTreeMap<String, f64> = BTreeMap::new();
    let (mut serial_ns, mut longest_ns) = (0.0f64, 0.0f64);
    for w in per_tile {
        for (ev, n) in w.events.iter() {
            let c = t.entry(ev).component.clone();
            *dynamic_pj.entry(c).or_default() += n as f64 * t.energy_pj(ev, shape);
        }
        let ns = latency_ns(t, shape, w);
        serial_ns += ns;
        longest_ns = longest_ns.max(ns);
    }
    let leakage_pj = leakage_mw(t, shape, per_tile.len()) * serial_ns;
    PhaseCost {
        phase,
        energy_pj: dynamic_pj.values().sum::<f64>() + leakage_pj,
        dynamic_pj,
        leakage_pj,
        latency_ns: serial_ns,
        overlapped_ns: longest_ns,
    }
}

/// Prices the work of each tile (`per_tile`, one entry per tile used) of `shape`; `samples`:
/// training samples the work covers.
pub fn price(
    t: &CostTable,
    shape: &TileShape,
    per_tile: &[PhaseWork],
    samples: usize,
    epochs: usize,
) -> Result<CostReport> {
    let mut phases = Vec::new();
    let mut training = Totals::default();
    for p in Phase::ALL {
        let works: Vec<Work> = per_tile.iter().map(|pw| *pw.get(p)).collect();
        let c = price_phase(t, shape, p.key(), &works);
        if p.is_training() {
            training.energy_pj += c.energy_pj;
            training.latency_ns += c.latency_ns;
            training.overlapped_ns += c.overlapped_ns;
        }
        phases.push(c);
    }
    let per = |n: usize| {
        (n > 0).then(|| Totals {
            energy_pj: training.energy_pj / n as f64,
            latency_ns: training.latency_ns / n as f64,
            overlapped_ns: training.overlapped_ns / n as f64,
        })
    };
    let (per_sample, per_epoch) = (per(samples), per(epochs));
    let mut area_um2: BTreeMap<String, f64> = BTreeMap::new();
    for e in &t.components {
        let a = e.area_um2 * CostTable::instances(e, shape) as f64 * per_tile.len() as f64;
        *area_um2.entry(e.component.clone()).or_default() += a;
    }
    Ok(CostReport {
        table: t.name.clone(),
        clock_ns: t.clock_ns,
        tiles: per_tile.len(),
        phases,
        training,
        per_sample,
        per_epoch,
        area_um2,
        layers: vec![],
    })
}

impl PhaseCost {
    /// The components' dynamic energies, largest first: `adc 1.2 uJ, crossbar 30 nJ` (`-` for
    /// none).
    pub fn components(&self) -> String {
        let mut parts: Vec<(&String, &f64)> =
            self.dynamic_pj.iter().filter(|(_, v)| **v > 0.0).collect();
        parts.sort_by(|a, b| b.1.total_cmp(a.1));
        match parts.is_empty() {
            true => "-".into(),
            false => parts
                .iter()
                .map(|(k, v)| format!("{k} {}", energy(**v)))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl CostReport {
    /// Fills [`CostReport::layers`]: `layers[l]` lists the indices into `per_tile` of layer
    /// `l`'s tiles (priced as [`price`] prices all of them).
    pub fn split_by_layer(
        &mut self,
        t: &CostTable,
        shape: &TileShape,
        per_tile: &[PhaseWork],
        layers: &[Vec<usize>],
        samples: usize,
    ) -> Result<()> {
        self.layers = layers
            .iter()
            .enumerate()
            .map(|(layer, tiles)| {
                let work: Vec<PhaseWork> = tiles.iter().map(|&i| per_tile[i]).collect();
                let r = price(t, shape, &work, samples, 0)?;
                Ok(LayerCost {
                    layer,
                    tiles: tiles.clone(),
                    training: r.training,
                    per_sample: r.per_sample,
                })
            })
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// One line: energy and time per training sample, and the largest phase.
    pub fn summary(&self) -> String {
        let top = self
            .phases
            .iter()
            .filter(|p| {
                Phase::ALL
                    .iter()
                    .any(|q| q.key() == p.phase && q.is_training())
            })
            .max_by(|a, b| a.energy_pj.total_cmp(&b.energy_pj));
        let share =
            |p: &PhaseCost| 100.0 * p.energy_pj / self.training.energy_pj.max(f64::MIN_POSITIVE);
        let per = match self.per_sample {
            Some(s) => format!(
                "{} and {} per training sample",
                energy(s.energy_pj),
                time(s.latency_ns)
            ),
            None => "no training samples".into(),
        };
        format!(
            "cost ({} table, {} tiles): {per}; training {} in {}{}",
            self.table,
            self.tiles,
            energy(self.training.energy_pj),
            time(self.training.latency_ns),
            top.map(|p| format!(", {:.0}% of it in {}", share(p), p.phase))
                .unwrap_or_default()
        )
    }
}

/// `pj` with an SI prefix.
pub fn energy(pj: f64) -> String {
    si(pj * 1e-12, "J")
}

/// `ns` with an SI prefix.
pub fn time(ns: f64) -> String {
    si(ns * 1e-9, "s")
}

fn si(v: f64, unit: &str) -> String {
    let prefixes = [
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
        (1e-12, "p"),
    ];
    let (scale, p) = prefixes
        .iter()
        .find(|(s, _)| v.abs() >= *s)
        .copied()
        .unwrap_or((1e-15, "f"));
    format!("{:.3} {p}{unit}", v / scale)
}

//! The one design object: a validated config with everything that follows from it, built once
//! and handed to every flow (`gen`, `verify`, `synth`, `train`, `kfac`, the tests).
//!
//! A [`Design`] holds the config, the tile's [`TileShape`], the solver's [`InvShape`] (with an
//! `inv` section), the injected fault if any and the config hash; it draws each tile's devices
//! from the config's seed ([`Design::devices`]: what the generator writes into the device files
//! the RTL reads) and makes every tile's crossbars after power-up from them once, when a flow
//! first asks ([`Design::cells`]; `gen` never does). The emitter renders its files
//! (`emit::render`, `emit::write`, `emit::work_dir`).

use crate::config::{Config, Valid};
use crate::fault::Fault;
use pimforge_golden::device::CellDevice;
use pimforge_golden::protocol::A_ARRAY;
use pimforge_golden::solver::{InvShape, RefineUnit};
use pimforge_golden::tiki::TikiUnit;
use pimforge_golden::{Cells, TileShape};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub struct Design {
    config: Valid,
    pub shape: TileShape,
    /// The solver's parameters and its system size, when the config has an `inv` section.
    pub solver: Option<(usize, InvShape)>,
    /// A deliberate RTL bug (harness tests only).
    pub fault: Option<Fault>,
    /// Identity of the design: the config and the fault, hashed.
    pub hash: String,
    cells: OnceLock<Vec<Cells>>,
    units: OnceLock<Vec<Option<TikiUnit>>>,
}

impl Design {
    pub fn new(config: Valid, fault: Option<Fault>) -> Design {
        let shape = config.shape();
        Design {
            solver: config
                .inv
                .as_ref()
                .map(|inv| (inv.size, inv.shape(config.weight.bits))),
            hash: config_hash(&config, fault),
            shape,
            fault,
            cells: OnceLock::new(),
            units: OnceLock::new(),
            config,
        }
    }

    /// The devices of every slice of tile `tile`, cells row-major: drawn from the config's seed
    /// when it has device variation (the device files hold them), else nominal.
    pub fn devices(&self, tile: usize) -> Vec<Vec<CellDevice>> {
        let s = &self.shape;
        if self.config.device.has_variation() {
            self.config.device.draw(s, tile)
        } else {
            (0..s.slices())
                .map(|m| vec![s.nominal_device(m); s.rows * s.cols])
                .collect()
        }
    }

    /// Tiki-Taka: the devices of tile `tile`'s A and their references (fine units), as its
    /// device and reference files hold them; `None` without a `tiki` section.
    pub fn tiki_a(&self, tile: usize) -> Option<(Vec<CellDevice>, Vec<i64>)> {
        let t = self.config.tiki.as_ref()?;
        let s = &self.shape;
        let dev = &self.config.device;
        let devices = match dev.has_variation() {
            true => dev.draw_array(s, tile, A_ARRAY, 0),
            false => vec![s.nominal_device(0); s.rows * s.cols],
        };
        let refs = t.references(s, &devices, dev.seed, tile);
        Some((devices, refs))
    }

    /// Every tile's Tiki-Taka unit after power-up (`None` without a `tiki` section), made on
    /// first use.
    pub fn units(&self) -> &[Option<TikiUnit>] {
        self.units.get_or_init(|| {
            (0..self.tiles())
                .map(|t| {
                    let (devices, refs) = self.tiki_a(t)?;
                    Some(TikiUnit::new(&self.shape, t, devices, refs))
                })
                .collect()
        })
    }

    /// Every tile's crossbars after power-up, made on first use.
    pub fn cells(&self) -> &[Cells] {
        self.cells.get_or_init(|| {
            (0..self.tiles())
                .map(|t| Cells::with_devices(&self.shape, t, self.devices(t)))
                .collect()
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn tiles(&self) -> usize {
        self.config.tiles
    }

    /// The low-rank unit's golden cycle model after reset (`None` without a `lowrank` section).
    pub fn lowrank_model(&self) -> Option<pimforge_golden::lowrank::unit::LowRankUnit> {
        let l = self.config.lowrank.as_ref()?;
        Some(pimforge_golden::lowrank::unit::LowRankUnit::new(
            l.shape(&self.config),
        ))
    }

    /// The solver's golden cycle model, idle (`None` without an `inv` section).
    pub fn solver_model(&self) -> Option<RefineUnit> {
        let (n, shape) = self.solver.as_ref()?;
        Some(RefineUnit::new(*n, shape, &self.shape))
    }
}

/// Identity of a generated design: the config (and any injected fault) hashed.
pub fn config_hash(cfg: &Config, fault: Option<Fault>) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(cfg).expect("config serialises"));
    if let Some(f) = fault {
        h.update(format!("fault {f}"));
    }
    pimforge_golden::num::hex(&h.finalize()[..8])
}

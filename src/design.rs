//! The one design object: a validated config with everything that follows from it, built once
//! and handed to every flow (`gen`, `verify`, `synth`, `train`, `kfac`, the tests).
//!
//! A [`Design`] holds the config, the tile's [`TileShape`], the solver's [`InvShape`] (with an
//! `inv` section), the injected fault if any and the config hash; it draws each tile's devices
//! from the config's seed ([`Design::devices`]: what the generator writes into the device files
//! the RTL reads) and makes every tile's crossbars after power-up from them once, when a flow
//! first asks ([`Design::cells`]; `gen` never does). [`Design::render`] gives its files;
//! [`Design::write`] puts them in a directory, [`Design::work_dir`] under a work directory named
//! by its hash.

use crate::config::{Config, Valid};
use crate::emit::{config_hash, render, Fault};
use crate::output::write_tree;
use anyhow::Result;
use pimforge_golden::device::CellDevice;
use pimforge_golden::solver::{InvShape, RefineUnit};
use pimforge_golden::{Cells, TileShape};
use std::path::{Path, PathBuf};
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

    /// Every file of the design: `(file name, contents)`, in file-list order.
    pub fn render(&self) -> Vec<(String, String)> {
        render(self)
    }

    /// Writes the design into `dir` (atomically; see [`write_tree`]).
    pub fn write(&self, dir: &Path) -> Result<Vec<(String, String)>> {
        let files = self.render();
        write_tree(dir, &files)?;
        Ok(files)
    }

    /// Writes the design into `work/designs/<hash>/` and returns that directory. Designs there are
    /// shared by concurrent runs (parallel tests): only files that differ are written, and losing
    /// the race to a writer of the same files is fine.
    pub fn work_dir(&self, work: &Path) -> Result<PathBuf> {
        let dir = work.join("designs").join(&self.hash);
        let files = self.render();
        let current = || {
            files.iter().all(|(name, text)| {
                std::fs::read_to_string(dir.join(name)).is_ok_and(|t| &t == text)
            })
        };
        if !current() {
            if let Err(e) = write_tree(&dir, &files) {
                if !current() {
                    return Err(e);
                }
            }
        }
        Ok(dir)
    }

    /// The solver's golden cycle model, idle (`None` without an `inv` section).
    pub fn solver_model(&self) -> Option<RefineUnit> {
        let (n, shape) = self.solver.as_ref()?;
        Some(RefineUnit::new(*n, shape, &self.shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use pimforge_golden::device::{from_memh, to_memh};

    /// The device files the RTL reads hold exactly the devices of the design's cells.
    #[test]
    fn device_files_hold_the_cells_devices() {
        let d = Design::new(preset("noisy").unwrap().validated().unwrap(), None);
        let files = d.render();
        for (t, cells) in d.cells().iter().enumerate() {
            for (m, devices) in cells.devices.iter().enumerate() {
                let name = crate::emit::device_file(t, m);
                let text = &files.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_eq!(text, &to_memh(devices));
                assert_eq!(&from_memh(text).unwrap(), devices);
            }
        }
        assert!(d.cells().iter().any(|c| c.devices[0][0] != c.devices[0][1]));
    }
}

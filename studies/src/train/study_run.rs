//! One run of a training study: the digits MLP trained on the tiles' golden model with an
//! algorithm's default design ([`Algorithm::default_preset`], its Tiki-Taka unit set to the
//! algorithm's flavor) and the settings the studies share, through [`Golden`]: the same
//! commands and the same arithmetic as the RTL in lock-step.

use crate::train::backend::{Counters, Golden};
use crate::train::config::{Algorithm, Sbpca, TrainConfig};
use crate::train::data::Sample;
use crate::train::epochs::{counters, train, Trained};
use crate::train::mapping::{place, Order, Placement};
use crate::train::reference;
use crate::train::spec::NetworkSpec;
use anyhow::{anyhow, Result};
use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_gen::presets::preset;

/// How long a study trains, and on how many samples.
#[derive(Clone, Copy, Debug)]
pub struct Length {
    pub epochs: usize,
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
}

/// The design a study trains `a` on: its default preset with the algorithm's Tiki-Taka unit,
/// changed by `edit` (a study's variable: offsets, device variation, stuck cells).
pub fn design(a: Algorithm, edit: impl FnOnce(&mut Config)) -> Result<(String, Design)> {
    let name = a.default_preset();
    let mut cfg = preset(name).ok_or_else(|| anyhow!("preset {name}"))?;
    a.configure(&mut cfg);
    edit(&mut cfg);
    Ok((name.to_string(), Design::new(cfg.validated()?, None)))
}

/// The studies' training settings for `a`: its default rate (Tiki-Taka's biases at the float64
/// reference's), CRS every 256 samples, transfers every 64, rows rounded to 4 fraction bits,
/// SBPCA at rank 4 in batches of 128 on the host (docs/hardware.md, SBPCA).
pub fn train_config(a: Algorithm, seed: u64, len: Length) -> TrainConfig {
    TrainConfig {
        algorithm: a,
        epochs: len.epochs,
        lr: a.default_lr(),
        seed,
        crs_every: 256,
        transfer_every: 64,
        x_frac: 4,
        train_limit: len.train_limit,
        test_limit: len.test_limit,
        fast_lr: 0.5,
        bias_lr: a.flavor().is_some().then_some(reference::REFERENCE_LR),
        order: Order::RowMajor,
        scale_errors: false,
        stochastic_rows: false,
        sbpca: Sbpca {
            rank: 4,
            batch: 128,
            arith: Default::default(),
        },
    }
}

/// A finished study run: the trained network on its backend.
pub struct Run {
    pub trained: Trained,
    pub backend: Golden,
    pub placement: Placement,
    pub counters: Counters,
}

impl Run {
    /// Test accuracy after every epoch.
    pub fn accuracy(&self) -> Vec<f64> {
        self.trained
            .epochs
            .iter()
            .map(|e| e.test_accuracy)
            .collect()
    }

    pub fn final_accuracy(&self) -> f64 {
        self.accuracy().last().copied().unwrap_or(0.0)
    }
}

/// Trains the digits MLP on `d` with `tc` on the golden model.
pub fn run(d: &Design, tc: &TrainConfig, (tr, te): (&[Sample], &[Sample])) -> Result<Run> {
    let cfg = d.config();
    let mut backend = Golden::new(&d.shape, d.cells().to_vec(), d.units().to_vec());
    let formats = (cfg.input.frac, cfg.weight.frac);
    let spec = NetworkSpec::digits();
    let placement = place(&spec, (d.shape.rows, d.shape.cols), cfg.tiles, tc.order)?;
    let net = (&spec, &placement);
    let trained = train(&mut backend, net, (tr, te), tc, formats, &mut |_, _, _| {
        Ok(())
    })?;
    let counters = counters(&backend, &placement.used_tiles());
    Ok(Run {
        trained,
        backend,
        placement,
        counters,
    })
}

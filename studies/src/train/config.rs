//! How a training run trains: the algorithm and its rates, the host's number formats, the
//! schedule of carry resolutions and transfers, and the placement order; checks that the
//! design's tiles can run the algorithm.

use super::mapping::Order;
use anyhow::{bail, Result};
use pimforge_golden::TileShape;
use serde::{Deserialize, Serialize};

pub use super::algorithm::Algorithm;

/// How to train (the tile itself is the design's config).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainConfig {
    pub algorithm: Algorithm,
    pub epochs: usize,
    pub lr: f64,
    pub seed: u64,
    /// OPA: carry resolution of every tile after this many samples (0: never).
    pub crs_every: usize,
    /// Mixed precision: transfer after this many samples.
    pub transfer_every: usize,
    /// Fraction bits of the update's row operand.
    pub x_frac: u32,
    /// Train on the first `n` samples of each epoch's order only (short runs).
    pub train_limit: Option<usize>,
    /// Evaluate on the first `n` test samples only.
    pub test_limit: Option<usize>,
    /// Tiki-Taka and analog SGD: aihwkit's `fast_lr` (the pulse-count learning rate with its
    /// auto-scaling) of the pulse updates into A.
    #[serde(default = "default_fast_lr")]
    pub fast_lr: f64,
    /// The biases' learning rate on the host (`None`: `lr`).
    #[serde(default)]
    pub bias_lr: Option<f64>,
    /// The order in which a layer's blocks take tiles.
    #[serde(default)]
    pub order: Order,
    /// Scale each error by a power of two into the input range before its transposed products
    /// (block floating point; off: the error in the input format as it is).
    #[serde(default)]
    pub scale_errors: bool,
    /// Round the update's row operand stochastically (off: to nearest, half up).
    #[serde(default)]
    pub stochastic_rows: bool,
    /// SBPCA's rank and batch.
    #[serde(default)]
    pub sbpca: Sbpca,
}

/// SBPCA: the rank of each block's gradient estimate, the samples per batch and the
/// estimate's arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbpca {
    pub rank: usize,
    pub batch: usize,
    #[serde(default)]
    pub arith: super::lowrank::Arith,
}

impl Default for Sbpca {
    fn default() -> Self {
        Sbpca {
            rank: 2,
            batch: 128,
            arith: Default::default(),
        }
    }
}

impl TrainConfig {
    /// The learning rate of the float64 reference: the run's own, or for Tiki-Taka (whose
    /// `lr` is the transfer rate) the biases'.
    pub fn reference_lr(&self) -> f64 {
        match self.algorithm.flavor() {
            Some(_) => self.bias_lr.unwrap_or(super::reference::REFERENCE_LR),
            None => self.lr,
        }
    }
}

fn default_fast_lr() -> f64 {
    0.5
}

/// Tiki-Taka: `auto_granularity` of the transfer rate (aihwkit's default).
pub const AUTO_GRANULARITY: f64 = 1000.0;

/// Checks that the design's tiles have the units the algorithm needs (whether they hold the
/// network is the placement's question, [`super::mapping::place`]).
pub fn check_units(shape: &TileShape, algorithm: Algorithm) -> Result<()> {
    if algorithm == Algorithm::Mixed && shape.mixed.is_none() {
        bail!("--algorithm mixed needs a design with a mixed-precision unit (the `mixed:` config section; try --preset digits-mixed)");
    }
    if algorithm.is_pulsed() && shape.tiki.is_none() {
        bail!("--algorithm {algorithm} needs a design with a Tiki-Taka unit (the `tiki:` config section; try --preset digits-tiki)");
    }
    if let (Some(want), Some(t)) = (algorithm.flavor(), &shape.tiki) {
        if t.transfer.flavor != want {
            bail!("--algorithm {algorithm} needs a Tiki-Taka unit of that flavor; this design's is {:?} (set tiki.algorithm)", t.transfer.flavor);
        }
    }
    Ok(())
}

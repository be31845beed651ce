//! SBPCA on the host: every layer's rank-`k` streaming estimate of its batch gradient
//! ([`pimforge_golden::lowrank`], the float64 reference), absorbed sample by sample and written
//! into the arrays as `k` outer products at the end of each batch ([`super::network::Network`]).

use super::mapping::Placement;
use pimforge_golden::lowrank::{LowRank, Term};

/// The estimates of every layer.
#[derive(Clone, Debug)]
pub struct LowRankHost {
    layers: Vec<LowRank>,
}

impl LowRankHost {
    /// A rank-`k` estimate per layer (`k` at most the layer's smaller dimension), its bases
    /// seeded from `seed` and the layer.
    pub fn new(placement: &Placement, k: usize, seed: u64) -> Self {
        LowRankHost {
            layers: placement
                .layers
                .iter()
                .enumerate()
                .map(|(l, lp)| {
                    let k = k.min(lp.inputs).min(lp.outputs).max(1);
                    LowRank::new(lp.inputs, lp.outputs, k, seed ^ (0x5bca << 8) ^ l as u64)
                })
                .collect(),
        }
    }

    /// Layer `l`'s inputs `x` and output errors `d` of one sample.
    pub fn absorb(&mut self, l: usize, x: &[f64], d: &[f64]) {
        self.layers[l].absorb(x, d);
    }

    /// Layer `l`'s batch: the samples absorbed and the estimate's terms `(d_r, x_r)` of the mean
    /// gradient; the bases move on for the next batch.
    pub fn end_batch(&mut self, l: usize) -> (usize, Vec<Term>) {
        let n = self.layers[l].samples;
        (n, self.layers[l].end_batch())
    }
}

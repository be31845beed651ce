//! SBPCA on the host: a rank-`k` streaming estimate of the batch gradient of every block of
//! every layer (what one tile's low-rank unit sees), absorbed sample by sample and written into
//! the arrays as `k` outer products at the end of each batch ([`super::network::Network`]). The
//! estimate runs in the hardware's fixed-point form ([`pimforge_golden::lowrank::fixed`]: the
//! tile's input and error buffers as its samples) or in the float64 reference.

use super::mapping::Placement;
use anyhow::{bail, Result};
use pimforge_golden::lowrank::fixed::{FixedLowRank, FixedShape, FRAC, MAX_ACC_BITS};
use pimforge_golden::lowrank::{LowRank, Term};
use pimforge_golden::TileShape;
use serde::{Deserialize, Serialize};

/// The arithmetic of the estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Arith {
    /// The hardware's division-free integer form.
    #[default]
    Fixed,
    /// The float64 reference.
    Float,
}

/// One sample of a layer, as the host holds it and as the tiles' buffers hold it.
pub struct Sample<'a> {
    pub x: &'a [f64],
    pub d: &'a [f64],
    /// `x` in the input format (the tile's input buffer after the forward product).
    pub x_int: &'a [i64],
    /// `d` in the weight format (the error buffer).
    pub d_int: &'a [i64],
}

#[derive(Clone, Debug)]
enum Estimate {
    Fixed(FixedLowRank),
    Float(LowRank),
}

/// The estimates of every block of every layer.
#[derive(Clone, Debug)]
pub struct LowRankHost {
    /// `layers[l][b]`: block `b` of layer `l` (the placement's order).
    layers: Vec<Vec<Estimate>>,
    blocks: Vec<Vec<(usize, usize, usize, usize)>>,
    /// Fraction bits of `x_int d_int` (the fixed form's unit).
    one: u32,
}

/// The saturations and replaced vectors of the fixed form, over all blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowRankCounts {
    pub samples: u64,
    pub saturations: u64,
    pub replaced: u64,
}

/// Checks that the fixed form can run `batch` samples per batch on tiles of `shape` (`None`:
/// the batch alone).
pub fn check(arith: Arith, batch: usize, shape: Option<&TileShape>) -> Result<()> {
    if arith == Arith::Float {
        return Ok(());
    }
    if !batch.is_power_of_two() {
        bail!("--batch {batch}: the fixed-point estimate needs a power of two (1, 2, 4, .., 65536); --sbpca-arith float takes any");
    }
    if let Some(s) = shape {
        let f = FixedShape {
            inputs: s.rows,
            outputs: s.cols,
            k: 1,
            x_bits: s.input_bits,
            d_bits: s.weight_bits,
            batch,
        };
        if f.acc_bits() > MAX_ACC_BITS {
            bail!("--batch {batch}: the fixed-point estimate of {}x{} tiles with {}-bit inputs and {}-bit weights would need {}-bit sums, at most {MAX_ACC_BITS}: a smaller batch, or --sbpca-arith float", s.rows, s.cols, s.input_bits, s.weight_bits, f.acc_bits());
        }
    }
    Ok(())
}

impl LowRankHost {
    /// A rank-`k` estimate per block (`k` at most the block's smaller dimension), its first
    /// pairs seeded from `seed`, the layer and the block; `bits` are the input and weight widths
    /// and `one` the fraction bits of their product.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        placement: &Placement,
        k: usize,
        batch: usize,
        arith: Arith,
        bits: (u32, u32),
        one: u32,
        seed: u64,
    ) -> Self {
        let mut blocks = Vec::new();
        let layers = placement
            .layers
            .iter()
            .enumerate()
            .map(|(l, lp)| {
                blocks.push(
                    lp.blocks
                        .iter()
                        .map(|b| (b.row0, b.rows, b.col0, b.cols))
                        .collect(),
                );
                lp.blocks
                    .iter()
                    .enumerate()
                    .map(|(bi, b)| {
                        let k = k.min(b.rows).min(b.cols).max(1);
                        let s = seed ^ (0x5bca << 8) ^ l as u64 ^ ((bi as u64) << 32);
                        match arith {
                            Arith::Float => Estimate::Float(LowRank::new(b.rows, b.cols, k, s)),
                            Arith::Fixed => Estimate::Fixed(FixedLowRank::new(
                                FixedShape {
                                    inputs: b.rows,
                                    outputs: b.cols,
                                    k,
                                    x_bits: bits.0,
                                    d_bits: bits.1,
                                    batch,
                                },
                                s,
                                one,
                            )),
                        }
                    })
                    .collect()
            })
            .collect();
        LowRankHost {
            layers,
            blocks,
            one,
        }
    }

    /// Layer `l`'s sample, every block its part.
    pub fn absorb(&mut self, l: usize, s: &Sample) {
        for (e, &(r0, rows, c0, cols)) in self.layers[l].iter_mut().zip(&self.blocks[l]) {
            match e {
                Estimate::Float(f) => f.absorb(&s.x[r0..r0 + rows], &s.d[c0..c0 + cols]),
                Estimate::Fixed(f) => f.absorb(&s.x_int[r0..r0 + rows], &s.d_int[c0..c0 + cols]),
            }
        }
    }

    /// Layer `l`'s batch: per block, the samples absorbed and the terms `(d_r, x_r)` of the
    /// block's mean gradient (`x_r` a unit vector), in real values; the pairs move on to the
    /// next batch.
    pub fn end_batch(&mut self, l: usize) -> Vec<(usize, Vec<Term>)> {
        let one = 2f64.powi(-(self.one as i32));
        self.layers[l]
            .iter_mut()
            .map(|e| match e {
                Estimate::Float(f) => (f.samples, f.end_batch()),
                Estimate::Fixed(f) => {
                    let n = f.samples;
                    let mean = one / (n + 1) as f64;
                    let unit = 2f64.powi(-(FRAC as i32));
                    let terms = f
                        .end_batch()
                        .into_iter()
                        .map(|(d, x)| {
                            (
                                d.iter().map(|v| *v as f64 * mean).collect(),
                                x.iter().map(|v| *v as f64 * unit).collect(),
                            )
                        })
                        .collect();
                    (n, terms)
                }
            })
            .collect()
    }

    /// What the fixed form counted (zero for the float64 reference).
    pub fn counts(&self) -> LowRankCounts {
        let mut c = LowRankCounts::default();
        for e in self.layers.iter().flatten() {
            if let Estimate::Fixed(f) = e {
                c.samples += f.counts.samples;
                c.saturations += f.counts.saturations;
                c.replaced += f.counts.replaced;
            }
        }
        c
    }
}

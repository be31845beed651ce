//! SBPCA on the host: a rank-`k` streaming estimate of the batch gradient of every block of
//! every layer (what one tile's low-rank unit sees), absorbed sample by sample and written into
//! the arrays as `k` outer products at the end of each batch ([`super::network::Network`]). The
//! estimate runs in the hardware's fixed-point form ([`pimforge_golden::lowrank::fixed`]: the
//! tile's input and error buffers as its samples) or in the float64 reference.

use super::backend::Backend;
use super::mapping::Placement;
use anyhow::{bail, Result};
use pimforge_golden::lowrank::fixed::{FixedLowRank, FixedShape, FRAC, MAX_ACC_BITS};
use pimforge_golden::lowrank::operands::Scale;
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

/// Checks that `--rank`, `--batch` and `--sbpca-arith` are what the tiles' low-rank units run
/// (tiles without a unit: the host takes any).
pub fn check_units((rank, batch, arith): (usize, usize, Arith), shape: &TileShape) -> Result<()> {
    let Some(l) = shape.lowrank else {
        return Ok(());
    };
    if (rank, batch) != (l.rank, l.batch) {
        bail!("--rank {rank} --batch {batch}: the tiles' low-rank units track rank {} over batches of {} (the design's lowrank section); pass --rank {} --batch {}, or train on a design without a lowrank section to keep the estimate on the host", l.rank, l.batch, l.rank, l.batch);
    }
    if arith != Arith::Fixed {
        bail!("--sbpca-arith float: the tiles' low-rank units run the fixed-point form; train on a design without a lowrank section for the float64 estimate");
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

/// SBPCA in the tiles: every block's unit gets the first pairs the host estimate would start
/// from (the block's seeded pairs, zero beyond the block's rows and columns).
pub fn start_units(b: &mut dyn Backend, placement: &Placement, seed: u64, one: u32) -> Result<()> {
    let shape = b.shape().clone();
    let f = shape.lowrank_fixed().expect("a low-rank tile");
    for (l, lp) in placement.layers.iter().enumerate() {
        for (bi, blk) in lp.blocks.iter().enumerate() {
            if f.k > blk.rows.min(blk.cols) {
                bail!("lowrank.rank {}: block {bi} of layer {l} has only {} rows and {} columns; a rank of at most {} for this network", f.k, blk.rows, blk.cols, blk.rows.min(blk.cols));
            }
            let s = seed ^ (0x5bca << 8) ^ l as u64 ^ ((bi as u64) << 32);
            let block = FixedShape {
                inputs: blk.rows,
                outputs: blk.cols,
                ..f
            };
            let est = FixedLowRank::new(block, s, one);
            let pad = |v: &[i64], n: usize, m: usize| -> Vec<i64> {
                (0..f.k)
                    .flat_map(|r| (0..m).map(move |i| if i < n { v[r * n + i] } else { 0 }))
                    .collect()
            };
            let x = pad(&est.x, blk.rows, shape.rows);
            let d = pad(&est.d, blk.cols, shape.cols);
            b.lowrank_start(blk.tile, &x, &d)?;
        }
    }
    Ok(())
}

/// SBPCA in the tiles, at the end of a batch: every block's unit writes its terms, rows of
/// `x_frac` fraction bits (as the host's OPA rows), scaled by `lr n/(n+1) 2^(-in_frac - x_frac)`
/// (`n` the samples it absorbed; `pimforge_golden::lowrank::operands`).
pub fn end_units(
    b: &mut dyn Backend,
    placement: &Placement,
    lr: f64,
    (in_frac, x_frac): (u32, u32),
) -> Result<()> {
    for blk in placement.layers.iter().rev().flat_map(|lp| &lp.blocks) {
        let n = b.lowrank(blk.tile).expect("a low-rank tile").est.samples as f64;
        let v = lr * n / (n + 1.0) * 2f64.powi(-(in_frac as i32) - x_frac as i32);
        let Some(scale) = Scale::of(v, x_frac) else {
            bail!("--lr {lr}: the terms' scale {v:e} is outside what the unit's scale word holds (a mantissa times 2^-0..2^-255, rows of at most 31 fraction bits)");
        };
        b.end_batch(blk.tile, scale)?;
    }
    Ok(())
}

/// What the tiles' units counted (their words, not saturated here).
pub fn unit_counts(b: &dyn Backend, placement: &Placement) -> LowRankCounts {
    let mut c = LowRankCounts::default();
    for t in placement.used_tiles() {
        if let Some(u) = b.lowrank(t) {
            c.samples += u.est.counts.samples;
            c.saturations += u.est.counts.saturations + u.clamped;
            c.replaced += u.est.counts.replaced;
        }
    }
    c
}

//! A network trained in memory: every product and every weight update runs on the tiles that
//! hold its layers' blocks ([`Placement`], through a [`Backend`]); the digital host does the
//! rest (partial sums over blocks, biases, activations, softmax and loss, the error's scaling
//! and rounding).
//!
//! Number formats (docs/training.md, Number formats):
//! - activations and errors enter the crossbars in the input format (`input.frac` fraction
//!   bits, rounded half up, clamped and counted); weights are integers in units of
//!   `2^-weight.frac`;
//! - an update `W -= lr * a delta^T` is the outer product of the row operand `x = round(a *
//!   2^x_frac)` with the column operand `d = SR(-lr * delta * 2^(weight.frac + k - x_frac))`,
//!   where SR is stochastic rounding from the host's seeded generator (unbiased: updates far below
//!   one weight LSB still move the weights on average) and `k` is 0 for OPA (the update lands in
//!   weight LSBs) or `mixed.epsilon_log2` for mixed precision (chi counts 2^-k of an LSB); both
//!   operands are made once per layer and sliced per block; with `stochastic_rows` the row
//!   operand is stochastically rounded too (`SR(a 2^x_frac)`: small hidden activations are not
//!   rounded to zero);
//! - with `scale_errors`, the error entering a transposed product is first scaled by a power of
//!   two that brings its largest entry into the input range's upper half, and the product
//!   scaled back ([`error_shift`]): block floating point, so that deep networks' small errors
//!   are not rounded to zero;
//! - OPA: one OPA per block and sample, CRS of every tile each `crs_every` samples; mixed
//!   precision: one ACCUMULATE per block and sample, TRANSFER every `transfer_every` samples.
//!
//! The initial weights and the sample order come from the same seeded generator as the float64
//! reference ([`super::reference`]), so both start from the same network.

use super::backend::Backend;
use super::config::{Algorithm, TrainConfig};
use super::lowrank::{self, LowRankCounts, LowRankHost, Sample};
use super::mapping::{Block, Placement};
use super::pulses::{transfer_lr_q, PulseHost};
use super::reference::Mlp;
use super::spec::Activation;
use anyhow::Result;
use pimforge_golden::num::signed_range;
use pimforge_golden::{Direction, TileShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Tiki-Taka: `auto_granularity` of the transfer rate (aihwkit's default).
pub const AUTO_GRANULARITY: f64 = 1000.0;

/// Host-side values clamped to an operand's range (counted: precision loss stays visible).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct HostClips {
    pub activations: u64,
    pub update_operands: u64,
    pub weights: u64,
}

/// Which count a clamp goes to.
#[derive(Clone, Copy)]
enum Clip {
    Activation,
    Operand,
    Weight,
}

/// The network: weights in the tiles, biases and activations in the host.
pub struct Network {
    pub placement: Placement,
    pub activations: Vec<Activation>,
    /// One bias per output of every layer.
    pub biases: Vec<Vec<f64>>,
    rounding: ChaCha8Rng,
    pub clips: HostClips,
    in_frac: u32,
    w_frac: u32,
    /// Tiki-Taka and analog SGD: the host's update management of every block (layers last to
    /// first), made at the first step (which also sets the transfer rates).
    hosts: Option<Vec<PulseHost>>,
    /// SBPCA on the host: every layer's low-rank estimate of the batch gradient, made at the
    /// first step (tiles without a low-rank unit).
    lowrank: Option<LowRankHost>,
    /// SBPCA in the tiles: their low-rank units got their first pairs.
    units_started: bool,
}

/// The power of two `k` that brings the largest error of `d` into the upper half of the input
/// format's range (`2^(bits - 1 - frac)`), so that small errors keep their digits through the
/// transposed products of a deep network; the host multiplies the products back by `2^-k` (a
/// shift). Zero errors: 0.
pub fn error_shift(d: &[f64], bits: u32, frac: u32) -> i32 {
    let max = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return 0;
    }
    let top = (bits as i32 - 1 - frac as i32) as f64;
    // max 2^k < 2^top, and max 2^(k+1) >= 2^top.
    ((top - max.log2()).ceil() as i32 - 1).clamp(-(frac as i32), 62 - bits as i32)
}

/// The code of `v` in a format of `frac` fraction bits, `round_half_up(v * 2^frac)`, before any
/// clamp to the format's width.
pub fn code(v: f64, frac: u32) -> f64 {
    (v * (1u64 << frac) as f64 + 0.5).floor()
}

/// The slice of `v` a block reads: its rows (`rows: true`) or its columns.
fn part<'a, T>(v: &'a [T], b: &Block, rows: bool) -> &'a [T] {
    match rows {
        true => &v[b.row0..b.row0 + b.rows],
        false => &v[b.col0..b.col0 + b.cols],
    }
}

impl Network {
    /// Programs the reference's initial weights (rounded to the weight format) into the tiles
    /// of `placement`, block after block.
    pub fn new(
        backend: &mut dyn Backend,
        init: &Mlp,
        placement: Placement,
        (in_frac, w_frac): (u32, u32),
        seed: u64,
    ) -> Result<Self> {
        let mut net = Network {
            activations: init.layers.iter().map(|l| l.activation).collect(),
            biases: init.layers.iter().map(|l| l.b.clone()).collect(),
            rounding: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0f5a),
            clips: HostClips::default(),
            in_frac,
            w_frac,
            hosts: None,
            lowrank: None,
            units_started: false,
            placement,
        };
        let s = backend.shape().clone();
        for (lp, layer) in net.placement.layers.clone().iter().zip(&init.layers) {
            for b in &lp.blocks {
                let mut cells = vec![0i64; s.rows * s.cols];
                for r in 0..b.rows {
                    for c in 0..b.cols {
                        let w = layer.w[(b.row0 + r) * lp.outputs + b.col0 + c];
                        cells[r * s.cols + c] = net.fixed(w, w_frac, s.weight_bits, Clip::Weight);
                    }
                }
                backend.load(b.tile, &cells)?;
            }
        }
        Ok(net)
    }

    /// `round_half_up(v * 2^frac)` clamped to `bits` (signed); a clamp is counted as `kind`.
    fn fixed(&mut self, v: f64, frac: u32, bits: u32, kind: Clip) -> i64 {
        let (lo, hi) = signed_range(bits);
        self.clamp(code(v, frac), lo, hi, kind)
    }

    fn clamp(&mut self, q: f64, lo: i64, hi: i64, kind: Clip) -> i64 {
        if q < lo as f64 || q > hi as f64 {
            match kind {
                Clip::Activation => self.clips.activations += 1,
                Clip::Operand => self.clips.update_operands += 1,
                Clip::Weight => self.clips.weights += 1,
            }
        }
        q.clamp(lo as f64, hi as f64) as i64
    }

    /// Stochastic rounding of `v * 2^shift` (floor of it plus a uniform draw), clamped.
    fn stochastic(&mut self, v: f64, shift: i32, bits: u32) -> i64 {
        let (lo, hi) = signed_range(bits);
        let u: f64 = self.rounding.random();
        let q = (v * 2f64.powi(shift) + u).floor();
        self.clamp(q, lo, hi, Clip::Operand)
    }

    fn act(&mut self, v: &[f64], bits: u32) -> Vec<i64> {
        let f = self.in_frac;
        v.iter()
            .map(|&a| self.fixed(a, f, bits, Clip::Activation))
            .collect()
    }

    /// Scale of a product's accumulator: input LSB times weight LSB.
    fn scale(&self) -> f64 {
        2f64.powi(-((self.in_frac + self.w_frac) as i32))
    }

    /// Layer `l`'s product with `v` (its inputs forward, its outputs transposed): one product
    /// per block, the partial sums added on the host.
    fn product(
        &self,
        b: &mut dyn Backend,
        l: usize,
        v: &[i64],
        dir: Direction,
    ) -> Result<Vec<i128>> {
        let lp = &self.placement.layers[l];
        let forward = dir == Direction::Forward;
        let mut y = vec![0i128; if forward { lp.outputs } else { lp.inputs }];
        for blk in &lp.blocks {
            let out = match forward {
                true => blk.cols,
                false => blk.rows,
            };
            let partial = b.product(blk.tile, part(v, blk, forward), dir, out)?;
            let sums = match forward {
                true => &mut y[blk.col0..blk.col0 + blk.cols],
                false => &mut y[blk.row0..blk.row0 + blk.rows],
            };
            sums.iter_mut().zip(partial).for_each(|(s, p)| *s += p);
        }
        Ok(y)
    }

    /// Forward pass: the input and every layer's activations (the last: class probabilities).
    pub fn forward(&mut self, b: &mut dyn Backend, x: &[f64]) -> Result<Vec<Vec<f64>>> {
        let bits = b.shape().input_bits;
        let mut acts = vec![x.to_vec()];
        for l in 0..self.placement.layers.len() {
            let xi = self.act(acts.last().expect("the input"), bits);
            let y = self.product(b, l, &xi, Direction::Forward)?;
            let z: Vec<f64> = y
                .iter()
                .zip(&self.biases[l])
                .map(|(&y, bias)| y as f64 * self.scale() + bias)
                .collect();
            acts.push(self.activations[l].layer(z));
        }
        Ok(acts)
    }

    pub fn predict(&mut self, b: &mut dyn Backend, x: &[f64]) -> Result<usize> {
        let acts = self.forward(b, x)?;
        Ok(super::reference::argmax(acts.last().expect("an output")))
    }

    /// One SGD step on one sample: forward, backward (MTVM per block), and the in-memory
    /// updates of every block, last layer first.
    pub fn step(
        &mut self,
        b: &mut dyn Backend,
        s: &super::data::Sample,
        cfg: &TrainConfig,
    ) -> Result<f64> {
        let shape = b.shape().clone();
        let acts = self.forward(b, &s.x)?;
        let p = acts.last().expect("an output");
        let loss = -p[s.label].max(1e-300).ln();
        let mut delta = p.clone();
        delta[s.label] -= 1.0;
        // The errors of every layer's outputs, last layer first.
        let mut deltas = vec![delta];
        for l in (1..self.placement.layers.len()).rev() {
            let above = deltas.last().expect("the layer above's");
            let k = match cfg.scale_errors {
                true => error_shift(above, shape.input_bits, self.in_frac),
                false => 0,
            };
            let scaled: Vec<f64> = above.iter().map(|v| v * 2f64.powi(k)).collect();
            let di = self.act(&scaled, shape.input_bits);
            let back = self.product(b, l, &di, Direction::Transpose)?;
            let below = self.activations[l - 1];
            let unscale = self.scale() * 2f64.powi(-k);
            let d: Vec<f64> = back
                .iter()
                .zip(&acts[l])
                .map(|(&v, &a)| match below.derivative(a) {
                    Some(g) => v as f64 * unscale * g,
                    None => 0.0,
                })
                .collect();
            deltas.push(d);
        }
        let layers: Vec<usize> = (0..self.placement.layers.len()).rev().collect();
        if cfg.algorithm.is_pulsed() {
            self.pulsed_updates(b, cfg, &acts, &deltas)?;
        } else if cfg.algorithm == Algorithm::Sbpca {
            // The batch gradient's estimate absorbs the sample; the arrays are written at the
            // end of the batch (`end_batch`). Tiles with a low-rank unit keep the estimate
            // themselves; otherwise the host does.
            let units = shape.lowrank.is_some();
            if units && !self.units_started {
                let one = self.in_frac + self.w_frac;
                lowrank::start_units(b, &self.placement, cfg.seed, one)?;
                self.units_started = true;
            } else if !units && self.lowrank.is_none() {
                self.lowrank = Some(LowRankHost::new(
                    &self.placement,
                    cfg.sbpca.rank,
                    cfg.sbpca.batch,
                    cfg.sbpca.arith,
                    (shape.input_bits, shape.weight_bits),
                    self.in_frac + self.w_frac,
                    cfg.seed,
                ));
            }
            for (&l, delta) in layers.iter().zip(&deltas) {
                // What the tile's buffers hold: the layer's input as the forward product took
                // it, the error in the weight format.
                let (lo, hi) = signed_range(shape.input_bits);
                let x_int: Vec<i64> = acts[l]
                    .iter()
                    .map(|v| {
                        ((v * 2f64.powi(self.in_frac as i32) + 0.5).floor() as i64).clamp(lo, hi)
                    })
                    .collect();
                let d_int: Vec<i64> = delta
                    .iter()
                    .map(|&v| self.fixed(v, self.w_frac, shape.weight_bits, Clip::Operand))
                    .collect();
                if units {
                    for blk in &self.placement.layers[l].blocks {
                        b.absorb(blk.tile, part(&x_int, blk, true), part(&d_int, blk, false))?;
                    }
                    continue;
                }
                let sample = Sample {
                    x: &acts[l],
                    d: delta,
                    x_int: &x_int,
                    d_int: &d_int,
                };
                self.lowrank
                    .as_mut()
                    .expect("made above")
                    .absorb(l, &sample);
            }
        } else {
            for (&l, delta) in layers.iter().zip(&deltas) {
                self.outer_update(
                    b,
                    l,
                    &acts[l],
                    &delta.iter().map(|d| -cfg.lr * d).collect::<Vec<_>>(),
                    cfg,
                )?;
            }
        }
        let bias_lr = cfg.bias_lr.unwrap_or(cfg.lr);
        for (&l, delta) in layers.iter().zip(&deltas) {
            for (bias, d) in self.biases[l].iter_mut().zip(delta) {
                *bias -= bias_lr * d;
            }
        }
        Ok(loss)
    }

    /// `W += x c^T` on layer `l`'s blocks through the tiles' outer-product path: `x` in the
    /// update's row format (`x_frac`), `c` rounded stochastically to the weight format; OPA, or
    /// ACCUMULATE for mixed precision (whose accumulators hold `epsilon_log2` more fraction bits).
    fn outer_update(
        &mut self,
        b: &mut dyn Backend,
        l: usize,
        x: &[f64],
        c: &[f64],
        cfg: &TrainConfig,
    ) -> Result<()> {
        let (rows, cols) = self.operands(b.shape(), x, c, cfg);
        for blk in &self.placement.layers[l].blocks {
            let (x, d) = (part(&rows, blk, true), part(&cols, blk, false));
            match cfg.algorithm {
                Algorithm::Mixed => b.accumulate(blk.tile, x, d)?,
                _ => b.opa(blk.tile, x, d)?,
            }
        }
        Ok(())
    }

    /// The outer update's operands: rows in the update's row format, columns rounded
    /// stochastically to the weight format (plus `epsilon_log2` fraction bits for mixed
    /// precision).
    fn operands(
        &mut self,
        shape: &TileShape,
        x: &[f64],
        c: &[f64],
        cfg: &TrainConfig,
    ) -> (Vec<i64>, Vec<i64>) {
        let k = match cfg.algorithm {
            Algorithm::Mixed => shape.mixed.as_ref().map_or(0, |m| m.epsilon_log2),
            _ => 0,
        };
        let shift = (self.w_frac + k) as i32 - cfg.x_frac as i32;
        let rows = x
            .iter()
            .map(|&v| match cfg.stochastic_rows {
                true => self.stochastic(v, cfg.x_frac as i32, shape.input_bits),
                false => self.fixed(v, cfg.x_frac, shape.input_bits, Clip::Operand),
            })
            .collect();
        let cols = c
            .iter()
            .map(|&v| self.stochastic(v, shift, shape.weight_bits))
            .collect();
        (rows, cols)
    }

    /// SBPCA, at the end of a batch: every block's rank-`k` estimate of its part of the batch
    /// gradient written as `k` outer products on its tile, `W -= lr n sum_r d_r x_r^T` (`n`
    /// samples: the step of `n` per-sample updates), each term's row operand scaled to a largest
    /// entry of 1 (its column operand by the inverse); the estimates move their bases for the
    /// next batch.
    pub fn end_batch(&mut self, b: &mut dyn Backend, cfg: &TrainConfig) -> Result<()> {
        if self.units_started {
            let formats = (self.in_frac, cfg.x_frac);
            return lowrank::end_units(b, &self.placement, cfg.lr, formats);
        }
        let Some(mut est) = self.lowrank.take() else {
            return Ok(());
        };
        for l in (0..self.placement.layers.len()).rev() {
            let blocks = self.placement.layers[l].blocks.clone();
            for (blk, (n, terms)) in blocks.iter().zip(est.end_batch(l)) {
                for (d, x) in terms {
                    let m = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                    if m == 0.0 {
                        continue;
                    }
                    let rows: Vec<f64> = x.iter().map(|v| v / m).collect();
                    let cols: Vec<f64> = d.iter().map(|v| -cfg.lr * n as f64 * m * v).collect();
                    let (x, d) = self.operands(b.shape(), &rows, &cols, cfg);
                    b.opa(blk.tile, &x, &d)?;
                }
            }
        }
        self.lowrank = Some(est);
        Ok(())
    }

    /// SBPCA: what the fixed-point estimates counted (the host's, or the tiles' units').
    pub fn lowrank_counts(&self, b: &dyn Backend) -> LowRankCounts {
        if self.units_started {
            return lowrank::unit_counts(b, &self.placement);
        }
        self.lowrank
            .as_ref()
            .map_or_else(LowRankCounts::default, |e| e.counts())
    }

    /// `W -= lr a delta^T` of every block (last layer first) as stochastic pulse updates: into
    /// A with one transfer after each (Tiki-Taka), or into C (analog SGD). The host's update
    /// management of each block makes the thresholds (`train::pulses`); one pulse is one level,
    /// `2^-weight.frac`.
    fn pulsed_updates(
        &mut self,
        b: &mut dyn Backend,
        cfg: &TrainConfig,
        acts: &[Vec<f64>],
        deltas: &[Vec<f64>],
    ) -> Result<()> {
        let shape = b.shape().clone();
        let t = shape.tiki.as_ref().expect("a Tiki-Taka tile");
        let sgd = cfg.algorithm == Algorithm::Sgd;
        let dw_min = 2f64.powi(-(self.w_frac as i32));
        let blocks: Vec<(usize, Block)> = (0..self.placement.layers.len())
            .rev()
            .flat_map(|l| self.placement.layers[l].blocks.iter().map(move |&b| (l, b)))
            .collect();
        if self.hosts.is_none() {
            let bl = (1u32 << t.slot_bits) - 1;
            let mut hosts = Vec::new();
            for (_, blk) in &blocks {
                let mut host = PulseHost::new(bl.min(31), cfg.fast_lr, dw_min, 1);
                if sgd {
                    host.fixed_lr = Some(cfg.lr);
                } else {
                    let lr_q = transfer_lr_q(cfg.lr, blk.rows, AUTO_GRANULARITY, t.transfer.h_frac);
                    let max = pimforge_golden::num::mask(t.lr_bits) as i64;
                    b.set_rate(blk.tile, lr_q.min(max))?;
                }
                hosts.push(host);
            }
            self.hosts = Some(hosts);
        }
        let n = self.placement.layers.len();
        let hosts = self.hosts.as_mut().expect("made above");
        for ((l, blk), host) in blocks.iter().zip(hosts.iter_mut()) {
            let delta = &deltas[n - 1 - l];
            let op = host.operands(part(&acts[*l], blk, true), part(delta, blk, false));
            b.pulse(blk.tile, &op, sgd)?;
            if !sgd {
                b.tiki_transfer(blk.tile)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

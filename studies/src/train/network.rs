//! The 64-32-10 digits MLP trained in memory: every product and every weight update runs on the
//! tiles (through a [`Backend`]); the digital host does the rest (biases, ReLU, softmax and loss,
//! the error's scaling and rounding).
//!
//! Number formats (docs/hardware.md, "Training on the tiles"):
//! - activations and errors enter the crossbars in the input format (`input.frac` fraction
//!   bits, rounded half up, clamped and counted); weights are integers in units of
//!   `2^-weight.frac`;
//! - an update `W -= lr * a delta^T` is the outer product of the row operand `x = round(a *
//!   2^x_frac)` with the column operand `d = SR(-lr * delta * 2^(weight.frac + k - x_frac))`,
//!   where SR is stochastic rounding from the host's seeded generator (unbiased: updates far below
//!   one weight LSB still move the weights on average) and `k` is 0 for OPA (the update lands in
//!   weight LSBs) or `mixed.epsilon_log2` for mixed precision (chi counts 2^-k of an LSB);
//! - OPA: one OPA per layer and sample, CRS of every tile each `crs_every` samples; mixed
//!   precision: one ACCUMULATE per layer and sample, TRANSFER every `transfer_every` samples.
//!
//! The initial weights and the sample order come from the same seeded generator as the float64
//! reference ([`super::reference`]), so both start from the same network.

use super::backend::{Backend, Counters};
use super::digits::{Sample, CLASSES, FEATURES};
use super::pulses::{transfer_lr_q, PulseHost};
use super::reference::{Mlp, HIDDEN};
use anyhow::{bail, Result};
use pimforge_golden::num::signed_range;
use pimforge_golden::{Direction, TileShape};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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

/// Where the two layers live: tile 0 holds W1 (64 x 32), tile 1 holds W2 (32 x 10).
pub const LAYER_TILES: [usize; 2] = [0, 1];

/// Checks that the design can hold the network.
pub fn check_shape(shape: &TileShape, tiles: usize, algorithm: Algorithm) -> Result<()> {
    if tiles < 2 || shape.rows < FEATURES || shape.cols < HIDDEN {
        bail!(
            "the digits MLP needs 2 tiles of at least {FEATURES}x{HIDDEN} (W1 in tile 0, W2 in tile 1); this design has {tiles} of {}x{} (try --preset digits)",
            shape.rows,
            shape.cols
        );
    }
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

/// Host-side values clamped to an operand's range (counted: precision loss stays visible).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct HostClips {
    pub activations: u64,
    pub update_operands: u64,
    pub weights: u64,
}

/// The network: weights in the tiles, biases in the host.
pub struct Network {
    pub b1: Vec<f64>,
    pub b2: Vec<f64>,
    rounding: ChaCha8Rng,
    pub clips: HostClips,
    in_frac: u32,
    w_frac: u32,
    /// Tiki-Taka and analog SGD: the host's update management of each layer, made at the first
    /// step (which also sets the transfer rates).
    hosts: Option<Vec<PulseHost>>,
}

fn relu(v: f64) -> f64 {
    v.max(0.0)
}

impl Network {
    /// Programs the reference's initial weights (rounded to the weight format) into the tiles.
    pub fn new(
        backend: &mut dyn Backend,
        init: &Mlp,
        in_frac: u32,
        w_frac: u32,
        seed: u64,
    ) -> Result<Self> {
        let mut net = Network {
            b1: init.b1.clone(),
            b2: init.b2.clone(),
            rounding: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0f5a),
            clips: HostClips::default(),
            in_frac,
            w_frac,
            hosts: None,
        };
        let s = backend.shape().clone();
        for (tile, (w, n_in, n_out)) in LAYER_TILES
            .into_iter()
            .zip([(&init.w1, FEATURES, HIDDEN), (&init.w2, HIDDEN, CLASSES)])
        {
            let mut cells = vec![0i64; s.rows * s.cols];
            for i in 0..n_in {
                for o in 0..n_out {
                    cells[i * s.cols + o] = net.fixed(w[i * n_out + o], w_frac, s.weight_bits, 2);
                }
            }
            backend.load(tile, &cells)?;
        }
        Ok(net)
    }

    /// `round_half_up(v * 2^frac)` clamped to `bits` (signed); `kind` says which count a clamp
    /// goes to (0 activations, 1 update operands, 2 weights).
    fn fixed(&mut self, v: f64, frac: u32, bits: u32, kind: u8) -> i64 {
        let (lo, hi) = signed_range(bits);
        let q = (v * (1u64 << frac) as f64 + 0.5).floor();
        self.clamp(q, lo, hi, kind)
    }

    fn clamp(&mut self, q: f64, lo: i64, hi: i64, kind: u8) -> i64 {
        if q < lo as f64 || q > hi as f64 {
            match kind {
                0 => self.clips.activations += 1,
                1 => self.clips.update_operands += 1,
                _ => self.clips.weights += 1,
            }
        }
        q.clamp(lo as f64, hi as f64) as i64
    }

    /// Stochastic rounding of `v * 2^shift` (floor of it plus a uniform draw), clamped.
    fn stochastic(&mut self, v: f64, shift: i32, bits: u32) -> i64 {
        let (lo, hi) = signed_range(bits);
        let u: f64 = self.rounding.random();
        let q = (v * 2f64.powi(shift) + u).floor();
        self.clamp(q, lo, hi, 1)
    }

    fn act(&mut self, v: &[f64], bits: u32) -> Vec<i64> {
        let f = self.in_frac;
        v.iter().map(|&a| self.fixed(a, f, bits, 0)).collect()
    }

    /// Scale of a product's accumulator: input LSB times weight LSB.
    fn scale(&self) -> f64 {
        2f64.powi(-((self.in_frac + self.w_frac) as i32))
    }

    /// Forward pass: pre-activations of the hidden layer, hidden activations, class
    /// probabilities.
    pub fn forward(
        &mut self,
        b: &mut dyn Backend,
        s: &Sample,
    ) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let bits = b.shape().input_bits;
        let x: Vec<f64> = s.pixels.iter().map(|&p| p as f64 / 16.0).collect();
        let xi = self.act(&x, bits);
        let y1 = b.product(LAYER_TILES[0], &xi, Direction::Forward, HIDDEN)?;
        let z1: Vec<f64> = y1
            .iter()
            .zip(&self.b1)
            .map(|(&y, bias)| y as f64 * self.scale() + bias)
            .collect();
        let h: Vec<f64> = z1.iter().map(|&z| relu(z)).collect();
        let hi = self.act(&h, bits);
        let y2 = b.product(LAYER_TILES[1], &hi, Direction::Forward, CLASSES)?;
        let z2: Vec<f64> = y2
            .iter()
            .zip(&self.b2)
            .map(|(&y, bias)| y as f64 * self.scale() + bias)
            .collect();
        let max = z2.iter().cloned().fold(f64::MIN, f64::max);
        let sum: f64 = z2.iter().map(|v| (v - max).exp()).sum();
        let p = z2.iter().map(|v| (v - max).exp() / sum).collect();
        Ok((z1, h, p))
    }

    pub fn predict(&mut self, b: &mut dyn Backend, s: &Sample) -> Result<usize> {
        let (_, _, p) = self.forward(b, s)?;
        Ok((0..CLASSES).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap())
    }

    /// One SGD step on one sample: forward, backward (MTVM), and the in-memory updates.
    pub fn step(&mut self, b: &mut dyn Backend, s: &Sample, cfg: &TrainConfig) -> Result<f64> {
        let shape = b.shape().clone();
        let (z1, h, p) = self.forward(b, s)?;
        let loss = -p[s.label as usize].max(1e-300).ln();
        let mut d2 = p;
        d2[s.label as usize] -= 1.0;
        let d2i = self.act(&d2, shape.input_bits);
        let back = b.product(LAYER_TILES[1], &d2i, Direction::Transpose, HIDDEN)?;
        let d1: Vec<f64> = back
            .iter()
            .zip(&z1)
            .map(|(&v, &z)| {
                if z > 0.0 {
                    v as f64 * self.scale()
                } else {
                    0.0
                }
            })
            .collect();
        let x: Vec<f64> = s.pixels.iter().map(|&p| p as f64 / 16.0).collect();
        let k = match cfg.algorithm {
            Algorithm::Mixed => shape.mixed.as_ref().map_or(0, |m| m.epsilon_log2),
            _ => 0,
        };
        let shift = (self.w_frac + k) as i32 - cfg.x_frac as i32;
        if cfg.algorithm.is_pulsed() {
            self.pulsed_updates(b, cfg, [(&h, &d2), (&x, &d1)])?;
        }
        let layers = match cfg.algorithm.is_pulsed() {
            true => vec![],
            false => vec![(LAYER_TILES[1], &h, &d2), (LAYER_TILES[0], &x, &d1)],
        };
        for (tile, a, delta) in layers {
            let rows: Vec<i64> = a
                .iter()
                .map(|&v| self.fixed(v, cfg.x_frac, shape.input_bits, 1))
                .collect();
            let cols: Vec<i64> = delta
                .iter()
                .map(|&dv| self.stochastic(-cfg.lr * dv, shift, shape.weight_bits))
                .collect();
            match cfg.algorithm {
                Algorithm::Mixed => b.accumulate(tile, &rows, &cols)?,
                _ => b.opa(tile, &rows, &cols)?,
            }
        }
        let bias_lr = cfg.bias_lr.unwrap_or(cfg.lr);
        for (bias, d) in self.b2.iter_mut().zip(&d2) {
            *bias -= bias_lr * d;
        }
        for (bias, d) in self.b1.iter_mut().zip(&d1) {
            *bias -= bias_lr * d;
        }
        Ok(loss)
    }

    /// `W -= lr a delta^T` of both layers (W2 first) as stochastic pulse updates: into A with
    /// one transfer after each (Tiki-Taka), or into C (analog SGD). The host's update management
    /// makes the thresholds (`train::pulses`); one pulse is one level, `2^-weight.frac`.
    fn pulsed_updates(
        &mut self,
        b: &mut dyn Backend,
        cfg: &TrainConfig,
        [(h, d2), (x, d1)]: [(&Vec<f64>, &Vec<f64>); 2],
    ) -> Result<()> {
        let shape = b.shape().clone();
        let t = shape.tiki.as_ref().expect("a Tiki-Taka tile");
        let sgd = cfg.algorithm == Algorithm::Sgd;
        let dw_min = 2f64.powi(-(self.w_frac as i32));
        if self.hosts.is_none() {
            let bl = (1u32 << t.slot_bits) - 1;
            let mut hosts = Vec::new();
            for (tile, inputs) in [(LAYER_TILES[1], HIDDEN), (LAYER_TILES[0], FEATURES)] {
                let mut host = PulseHost::new(bl.min(31), cfg.fast_lr, dw_min, 1);
                if sgd {
                    host.fixed_lr = Some(cfg.lr);
                } else {
                    let lr_q = transfer_lr_q(cfg.lr, inputs, AUTO_GRANULARITY, t.transfer.h_frac);
                    let max = pimforge_golden::num::mask(t.lr_bits) as i64;
                    b.set_rate(tile, lr_q.min(max))?;
                }
                hosts.push(host);
            }
            self.hosts = Some(hosts);
        }
        let hosts = self.hosts.as_mut().expect("made above");
        for ((tile, a, delta), host) in [(LAYER_TILES[1], h, d2), (LAYER_TILES[0], x, d1)]
            .into_iter()
            .zip(hosts.iter_mut())
        {
            let op = host.operands(a, delta);
            b.pulse(tile, &op, sgd)?;
            if !sgd {
                b.tiki_transfer(tile)?;
            }
        }
        Ok(())
    }
}

/// Progress of a run, reported after every epoch.
#[derive(Clone, Debug, Serialize)]
pub struct Epoch {
    pub epoch: usize,
    pub test_accuracy: f64,
    pub train_loss: f64,
    pub counters: Counters,
}

/// Called after every sample with (epoch, samples done in the epoch) and after every epoch with
/// its result; an error stops the run.
pub type EpochProgress<'a> = dyn FnMut(usize, usize, Option<&Epoch>) -> Result<()> + 'a;

/// Trains for `cfg.epochs` epochs with inputs and weights of `in_frac` and `w_frac` fraction
/// bits; `progress` is called after every sample with (epoch, samples done in the epoch), and
/// after every epoch with its result (an error from it stops the run).
pub fn train(
    b: &mut dyn Backend,
    train: &[Sample],
    test: &[Sample],
    cfg: &TrainConfig,
    (in_frac, w_frac): (u32, u32),
    progress: &mut EpochProgress,
) -> Result<(Vec<Epoch>, HostClips)> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let init = Mlp::new(&mut rng);
    let mut net = Network::new(b, &init, in_frac, w_frac, cfg.seed)?;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let n_train = cfg.train_limit.unwrap_or(train.len()).min(train.len());
    let test = &test[..cfg.test_limit.unwrap_or(test.len()).min(test.len())];
    let mut epochs = Vec::new();
    let mut seen = 0usize;
    for e in 0..cfg.epochs {
        order.shuffle(&mut rng);
        let mut loss = 0.0;
        for (i, &k) in order[..n_train].iter().enumerate() {
            loss += net.step(b, &train[k], cfg)?;
            seen += 1;
            match cfg.algorithm {
                Algorithm::Opa if cfg.crs_every > 0 && seen.is_multiple_of(cfg.crs_every) => {
                    for t in LAYER_TILES {
                        b.crs(t)?;
                    }
                }
                Algorithm::Mixed if seen.is_multiple_of(cfg.transfer_every.max(1)) => {
                    for t in LAYER_TILES {
                        b.transfer(t)?;
                    }
                }
                _ => {}
            }
            progress(e, i + 1, None)?;
        }
        let mut right = 0;
        for s in test {
            right += (net.predict(b, s)? == s.label as usize) as usize;
        }
        let mut counters = Counters::default();
        for t in LAYER_TILES {
            counters += b.counters(t);
        }
        let ep = Epoch {
            epoch: e + 1,
            test_accuracy: right as f64 / test.len().max(1) as f64,
            train_loss: loss / n_train.max(1) as f64,
            counters,
        };
        progress(e, n_train, Some(&ep))?;
        epochs.push(ep);
    }
    Ok((epochs, net.clips))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Network {
        Network {
            b1: vec![],
            b2: vec![],
            rounding: ChaCha8Rng::seed_from_u64(9),
            clips: HostClips::default(),
            in_frac: 12,
            w_frac: 12,
            hosts: None,
        }
    }

    #[test]
    fn stochastic_rounding_is_unbiased_and_clamps_are_counted() {
        let mut n = host();
        for v in [0.3, -0.3, 0.05, 2.75, -7.5] {
            let draws = 20_000;
            let sum: i64 = (0..draws).map(|_| n.stochastic(v, 0, 16)).sum();
            let mean = sum as f64 / draws as f64;
            assert!((mean - v).abs() < 0.02, "{v}: mean {mean}");
        }
        assert_eq!(n.clips.update_operands, 0);
        assert_eq!(n.stochastic(1000.0, 0, 8), 127);
        assert_eq!(n.fixed(-3.0, 6, 8, 0), -128);
        assert_eq!((n.clips.update_operands, n.clips.activations), (1, 1));
        // Round half up in the activation format.
        assert_eq!(n.fixed(0.5 / 64.0, 6, 8, 0), 1);
        assert_eq!(n.fixed(-0.5 / 64.0, 6, 8, 0), 0);
    }
}

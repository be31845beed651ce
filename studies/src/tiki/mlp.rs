//! The digits MLP (64-32-10) trained the Tiki-Taka way on the golden model's functional layers:
//! each layer's weight in a C array of soft-bounds ReRAM devices, its gradient in an A array
//! with references (offset as configured), H and the choppers between them; or plain analog SGD
//! into C. The forward and backward passes read C exactly (the tile's bit-serial products join
//! when the Tiki-Taka unit exists in RTL); biases, nonlinearities and the loss are the host's.

use super::gauss;
use crate::train::digits::{Sample, CLASSES, FEATURES};
use crate::train::pulses::{transfer_lr_q, PulseHost};
use crate::train::reference::{Mlp, HIDDEN};
use pimforge_golden::device::{c2c_gain, draw, Kind, Model, Nominal};
use pimforge_golden::tiki::{
    beta_q16, period, symmetry_point, threshold, Flavor, Layer, Schedule, TransferShape,
};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Tiki(Flavor),
    /// Stochastic pulse updates straight into the weight array.
    Sgd,
}

/// Every rule, the baseline first.
pub const RULES: [Rule; 4] = [
    Rule::Sgd,
    Rule::Tiki(Flavor::Ttv2),
    Rule::Tiki(Flavor::Chopped),
    Rule::Tiki(Flavor::Agad),
];

/// One training run.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub rule: Rule,
    /// Mean and spread of A's reference offsets, in device steps.
    pub offset_mean: f64,
    pub offset_std: f64,
    pub epochs: usize,
    /// Learning rate of the transfer (Tiki-Taka) or of the pulse count (SGD).
    pub lr: f64,
    /// Learning rate of the host's biases.
    pub bias_lr: f64,
    pub fast_lr: f64,
    pub seed: u64,
    /// Train on the first N samples of each epoch only.
    pub train_limit: Option<usize>,
}

/// aihwkit's ReRAM soft-bounds device: steps of `DW_MIN`, bounds +1.25 / -0.75, 30%
/// device-to-device spread, and cycle-to-cycle noise.
pub const DW_MIN: f64 = 0.002;
const FRAC_BITS: u32 = 8;
const AUTO_GRANULARITY: f64 = 1000.0;
const DESIRED_BL: u32 = 31;

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub accuracy: Vec<f64>,
    pub a_pulses: u64,
    pub c_pulses: u64,
}

struct Tiki {
    layer: Layer,
    host: PulseHost,
    shape: TransferShape,
    lr_q: i64,
}

impl Tiki {
    fn new(rows: usize, cols: usize, init: &[f64], s: &Setup, seed: u64) -> Self {
        let model = Model {
            kind: Kind::SoftBounds,
            frac_bits: FRAC_BITS,
            c2c_q16: c2c_gain(0.1),
        };
        let nominal = Nominal::reram();
        let a_dev = draw(&nominal, FRAC_BITS, rows * cols, seed ^ 0xA);
        let c_dev = draw(&nominal, FRAC_BITS, rows * cols, seed ^ 0xC);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0ff5e7);
        let one = (1i64 << FRAC_BITS) as f64;
        let a_ref: Vec<i64> = a_dev
            .iter()
            .map(|d| {
                let z = gauss(&mut rng);
                symmetry_point(&model, d)
                    + ((s.offset_mean + s.offset_std * z) * one).round() as i64
            })
            .collect();
        let mut layer = Layer::new(rows, cols, model, (a_dev, a_ref), c_dev, seed as u32);
        for (g, d) in layer.a.g.iter_mut().zip(&layer.a.dev) {
            *g = symmetry_point(&model, d);
        }
        // C programmed to the initial weights (write and verify).
        for ((g, d), w) in layer.c.g.iter_mut().zip(&layer.c.dev).zip(init) {
            *g = (((w / DW_MIN).round() as i64) << FRAC_BITS).clamp(d.g_min, d.g_max);
        }
        let (flavor, schedule, p) = match s.rule {
            Rule::Tiki(Flavor::Ttv2) | Rule::Sgd => (Flavor::Ttv2, Schedule::Never, 1.0),
            Rule::Tiki(Flavor::Chopped) => (
                Flavor::Chopped,
                Schedule::Random {
                    thr: threshold(0.01),
                },
                0.01,
            ),
            Rule::Tiki(Flavor::Agad) => (
                Flavor::Agad,
                Schedule::Regular {
                    period: period(0.02),
                },
                0.02,
            ),
        };
        let shape = TransferShape {
            flavor,
            schedule,
            h_bits: 32,
            h_frac: 16,
            mu_frac: 8,
            beta_q16: beta_q16(5.0, period(p)),
            warmup_passes: period(p),
        };
        let mut host = PulseHost::new(DESIRED_BL, s.fast_lr, DW_MIN, 1);
        if s.rule == Rule::Sgd {
            host.fixed_lr = Some(s.lr);
        }
        Tiki {
            lr_q: transfer_lr_q(s.lr, rows, AUTO_GRANULARITY, shape.h_frac),
            layer,
            host,
            shape,
        }
    }

    fn weights(&self) -> Vec<f64> {
        self.layer
            .weights()
            .iter()
            .map(|&l| l as f64 * DW_MIN)
            .collect()
    }

    /// `W -= lr x d^T`, the Tiki-Taka way or into C.
    fn step(&mut self, x: &[f64], d: &[f64], sgd: bool) {
        let op = self.host.operands(x, d);
        if sgd {
            self.layer.update_c(&op);
        } else {
            self.layer.update(&op);
            self.layer.transfer(&self.shape, self.lr_q);
        }
    }
}

/// Trains for `s.epochs` epochs; returns the test accuracy after each and the pulse counts.
pub fn train(train: &[Sample], test: &[Sample], s: &Setup) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let mut net = Mlp::new(&mut rng);
    let mut l1 = Tiki::new(FEATURES, HIDDEN, &net.w1, s, s.seed ^ 0x11);
    let mut l2 = Tiki::new(HIDDEN, CLASSES, &net.w2, s, s.seed ^ 0x22);
    let sgd = s.rule == Rule::Sgd;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let n = s.train_limit.unwrap_or(train.len()).min(train.len());
    let mut accuracy = Vec::new();
    for _ in 0..s.epochs {
        order.shuffle(&mut rng);
        for &i in &order[..n] {
            net.w1 = l1.weights();
            net.w2 = l2.weights();
            let x: Vec<f64> = train[i].pixels.iter().map(|&p| p as f64 / 16.0).collect();
            let (h, p) = net.forward(&x.clone().try_into().unwrap());
            let mut d2 = p;
            d2[train[i].label as usize] -= 1.0;
            let mut d1 = [0.0; HIDDEN];
            for (j, d) in d1.iter_mut().enumerate() {
                if h[j] > 0.0 {
                    *d = (0..CLASSES).map(|k| net.w2[j * CLASSES + k] * d2[k]).sum();
                }
            }
            l2.step(&h, &d2, sgd);
            l1.step(&x, &d1, sgd);
            net.b2
                .iter_mut()
                .zip(&d2)
                .for_each(|(b, d)| *b -= s.bias_lr * d);
            net.b1
                .iter_mut()
                .zip(&d1)
                .for_each(|(b, d)| *b -= s.bias_lr * d);
        }
        net.w1 = l1.weights();
        net.w2 = l2.weights();
        accuracy.push(net.accuracy(test));
    }
    Outcome {
        accuracy,
        a_pulses: l1.layer.a.pulses + l2.layer.a.pulses,
        c_pulses: l1.layer.c.pulses + l2.layer.c.pulses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::digits::{load, split};

    #[test]
    fn three_epochs_of_every_rule_learn() {
        let all = load(None).unwrap();
        let (tr, te) = split(&all);
        for rule in RULES {
            let o = train(
                tr,
                &te[..200],
                &Setup {
                    rule,
                    offset_mean: 0.0,
                    offset_std: 0.0,
                    epochs: 3,
                    lr: if rule == Rule::Sgd { 0.01 } else { 1.0 },
                    bias_lr: 0.01,
                    fast_lr: 0.5,
                    seed: 1,
                    train_limit: None,
                },
            );
            println!(
                "{rule:?}: {:?}, {} A pulses, {} C pulses",
                o.accuracy, o.a_pulses, o.c_pulses
            );
            // AGAD writes C only after 50 passes of its 64-input layer (2.4 epochs).
            assert!(o.accuracy[2] > 0.5, "{rule:?}: {:?}", o.accuracy);
        }
    }
}

/// Opt-in: `cargo test --release -p pimforge-studies offset_check -- --ignored --nocapture`
/// (transfer learning rates from `PIMFORGE_TIKI_LR`, comma-separated; default 1).
#[cfg(test)]
mod offset_check {
    use super::*;
    use crate::train::digits::{load, split};

    #[test]
    #[ignore]
    fn offset_check() {
        let all = load(None).unwrap();
        let (tr, te) = split(&all);
        let lrs: Vec<f64> = std::env::var("PIMFORGE_TIKI_LR")
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_else(|_| vec![1.0]);
        for (rule, lr) in RULES.iter().flat_map(|&r| lrs.iter().map(move |&l| (r, l))) {
            for offset in [0.0, 50.0, 150.0] {
                let o = train(
                    tr,
                    te,
                    &Setup {
                        rule,
                        offset_mean: offset,
                        offset_std: offset / 2.0,
                        epochs: 20,
                        lr: if rule == Rule::Sgd { 0.01 } else { lr },
                        bias_lr: 0.01,
                        fast_lr: 0.5,
                        seed: 1,
                        train_limit: None,
                    },
                );
                let best = o.accuracy.iter().cloned().fold(0.0, f64::max);
                println!(
                    "{rule:?} lr {lr} offset {offset}: last {:.3} best {best:.3}; A {} C {}",
                    o.accuracy.last().unwrap(),
                    o.a_pulses,
                    o.c_pulses
                );
            }
        }
    }
}

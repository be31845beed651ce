//! Deployment (docs/training.md, Robustness): a trained model programmed, by write-and-verify,
//! onto another chip of the same design, whose device variation and stuck cells are drawn from
//! another seed, and tested there.
//!
//! The model trained in memory is what the training chip holds at the end: every block's
//! weights read from its cells (levels recomposed over the slices, stuck cells and clipped
//! bounds included; the state below one level, and mixed precision's accumulators, stay
//! behind) and the host's biases. On the new chip `LOAD_W` programs each weight's canonical
//! digits: a cell takes its target level inside its own bounds, a stuck cell stays at its
//! bound. A float64-trained model is deployed the same way after rounding to the weight format
//! (the baseline Wu et al. compare against).

use super::backend::Backend;
use super::data::Sample;
use super::mapping::Placement;
use super::network::{code, Network};
use super::reference::{Dense, Mlp};
use anyhow::Result;
use pimforge_gen::design::Design;
use pimforge_golden::device::Stuck;
use pimforge_golden::num::signed_range;
use serde::Serialize;

/// A model on one chip after deployment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deployment {
    /// The chip's device seed (`device.seed`: its variation, stuck cells and noise sources).
    pub chip_seed: u64,
    pub test_accuracy: f64,
    /// Weights the network's blocks hold.
    pub weights: usize,
    /// Weights that read back other than their target after programming (a stuck cell, or a
    /// level outside a cell's bounds, in one of their slices).
    pub weights_off: usize,
    /// Stuck cells under the network's weights (every slice).
    pub stuck_cells: usize,
}

/// The model `net` holds on backend `b`: its blocks' weights as the tiles' cells read (units
/// of `2^-w_frac`), its biases and activations.
pub fn read_model(net: &Network, b: &dyn Backend, w_frac: u32) -> Mlp {
    let value_bits = b.shape().value_bits;
    let lsb = 2f64.powi(-(w_frac as i32));
    let layers = net
        .placement
        .layers
        .iter()
        .enumerate()
        .map(|(l, lp)| {
            let mut w = vec![0.0; lp.inputs * lp.outputs];
            for blk in &lp.blocks {
                let cells = b.cells(blk.tile);
                for r in 0..blk.rows {
                    for c in 0..blk.cols {
                        let level = cells.weight(value_bits, r, c);
                        w[(blk.row0 + r) * lp.outputs + blk.col0 + c] = level as f64 * lsb;
                    }
                }
            }
            Dense {
                inputs: lp.inputs,
                outputs: lp.outputs,
                activation: net.activations[l],
                w,
                b: net.biases[l].clone(),
            }
        })
        .collect();
    Mlp { layers }
}

/// Another chip of `design`: the same config with its device variation drawn from `seed`.
pub fn chip(design: &Design, seed: u64) -> Result<Design> {
    let mut cfg = design.config().clone();
    cfg.device.seed = seed;
    Ok(Design::new(cfg.validated()?, None))
}

/// Programs `model` onto the fresh chip behind `b` (its power-up state), placed as `placement`
/// with formats `(in_frac, w_frac)`, and tests it on `test`.
pub fn deploy(
    b: &mut dyn Backend,
    chip_seed: u64,
    model: &Mlp,
    placement: &Placement,
    formats: (u32, u32),
    test: &[Sample],
) -> Result<Deployment> {
    let mut net = Network::new(b, model, placement.clone(), formats, 0)?;
    let s = b.shape().clone();
    let (lo, hi) = signed_range(s.weight_bits);
    let (mut weights, mut weights_off) = (0, 0);
    for (lp, layer) in placement.layers.iter().zip(&model.layers) {
        for blk in &lp.blocks {
            let cells = b.cells(blk.tile);
            for r in 0..blk.rows {
                for c in 0..blk.cols {
                    let w = layer.w[(blk.row0 + r) * lp.outputs + blk.col0 + c];
                    let target = code(w, formats.1).clamp(lo as f64, hi as f64) as i64;
                    weights += 1;
                    weights_off += (cells.weight(s.value_bits, r, c) != target) as usize;
                }
            }
        }
    }
    b.set_testing(true);
    let mut right = 0;
    for x in test {
        right += (net.predict(b, &x.x)? == x.label) as usize;
    }
    b.set_testing(false);
    Ok(Deployment {
        chip_seed,
        test_accuracy: right as f64 / test.len().max(1) as f64,
        weights,
        weights_off,
        stuck_cells: stuck_cells(b, placement),
    })
}

/// The stuck cells (of every slice) under the weights of `placement`'s blocks on `b`.
pub fn stuck_cells(b: &dyn Backend, placement: &Placement) -> usize {
    let cols = b.shape().cols;
    let mut n = 0;
    for blk in placement.layers.iter().flat_map(|l| &l.blocks) {
        let devices = &b.cells(blk.tile).devices;
        for r in 0..blk.rows {
            for c in 0..blk.cols {
                n += devices
                    .iter()
                    .filter(|d| d[r * cols + c].stuck != Stuck::No)
                    .count();
            }
        }
    }
    n
}

/// Deploys the model trained in memory and the float64 reference (`models`, with test
/// accuracies `before` deployment) onto the chips of `design` with device seeds `seeds`, each
/// model on a fresh backend from `backend` (the chip's power-up state).
pub fn deploy_both(
    design: &Design,
    seeds: &[u64],
    placement: &Placement,
    (models, before): ((&Mlp, &Mlp), (f64, f64)),
    test: &[Sample],
    backend: &mut dyn FnMut(&Design) -> Result<Box<dyn Backend>>,
) -> Result<DeployReport> {
    let formats = (design.config().input.frac, design.config().weight.frac);
    let (mut trained, mut reference) = (Vec::new(), Vec::new());
    for &seed in seeds {
        let chip = chip(design, seed)?;
        for (model, out) in [(models.0, &mut trained), (models.1, &mut reference)] {
            let mut b = backend(&chip)?;
            out.push(deploy(b.as_mut(), seed, model, placement, formats, test)?);
        }
    }
    Ok(DeployReport {
        training_chip: design.config().device.seed,
        trained: Deployed::new(before.0, trained),
        reference: Deployed::new(before.1, reference),
    })
}

/// One model deployed onto several chips.
#[derive(Clone, Debug, Serialize)]
pub struct Deployed {
    /// Test accuracy before deployment: on the training chip (a model trained in memory), or
    /// in float64 on the host (the reference).
    pub before: f64,
    pub chips: Vec<Deployment>,
    /// The mean over the chips, and `before` minus it.
    pub mean_accuracy: f64,
    pub mean_drop: f64,
}

impl Deployed {
    pub fn new(before: f64, chips: Vec<Deployment>) -> Self {
        let n = chips.len().max(1) as f64;
        let mean_accuracy = chips.iter().map(|d| d.test_accuracy).sum::<f64>() / n;
        Deployed {
            before,
            mean_drop: before - mean_accuracy,
            mean_accuracy,
            chips,
        }
    }
}

/// A run's deployment: the model trained in memory and the float64 reference of the same seed,
/// each onto the same chips.
#[derive(Clone, Debug, Serialize)]
pub struct DeployReport {
    /// The training chip's device seed.
    pub training_chip: u64,
    pub trained: Deployed,
    pub reference: Deployed,
}

impl DeployReport {
    /// One line: both models' accuracy before and after, and their drops.
    pub fn summary(&self) -> String {
        let pct = |v: f64| format!("{:.2}%", 100.0 * v);
        let chips: Vec<String> = self
            .trained
            .chips
            .iter()
            .map(|d| d.chip_seed.to_string())
            .collect();
        format!(
            "deployed onto {} {}): trained in memory {} on its chip (seed {}) -> {} mean ({:.2} points lost, {} of {} weights off target on average); float64 reference {} -> {} ({:.2} points lost)",
            match chips.len() {
                1 => "1 chip (device seed".to_string(),
                n => format!("{n} chips (device seeds"),
            },
            chips.join(", "),
            pct(self.trained.before),
            self.training_chip,
            pct(self.trained.mean_accuracy),
            100.0 * self.trained.mean_drop,
            self.trained.chips.iter().map(|d| d.weights_off).sum::<usize>()
                / self.trained.chips.len().max(1),
            self.trained.chips.first().map_or(0, |d| d.weights),
            pct(self.reference.before),
            pct(self.reference.mean_accuracy),
            100.0 * self.reference.mean_drop,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::backend::Golden;
    use crate::train::config::Algorithm;
    use crate::train::digits::load;
    use crate::train::study_run::{self, train_config, Length, Run};

    const LEN: Length = Length {
        epochs: 1,
        train_limit: Some(200),
        test_limit: Some(120),
    };

    /// Mixed precision trained briefly on `digits-mixed` with `edit` applied to its device.
    fn trained(edit: impl FnOnce(&mut pimforge_gen::config::Device)) -> (Design, Run, Mlp) {
        let (_, d) = study_run::design(Algorithm::Mixed, |c| edit(&mut c.device)).unwrap();
        let data = load(None).unwrap();
        let te = data.test_limited(LEN.test_limit);
        let tc = train_config(Algorithm::Mixed, 3, LEN);
        let run = study_run::run(&d, &tc, (&data.train, te)).unwrap();
        let model = read_model(&run.trained.network, &run.backend, d.config().weight.frac);
        (d, run, model)
    }

    fn golden(d: &Design) -> Golden {
        Golden::new(&d.shape, d.cells().to_vec(), d.units().to_vec())
    }

    #[test]
    fn a_chip_without_variation_takes_the_model_exactly_and_tests_as_the_training_chip() {
        let (d, run, model) = trained(|dev| dev.dtod = 0.0);
        let data = load(None).unwrap();
        let te = data.test_limited(LEN.test_limit);
        let other = chip(&d, 77).unwrap();
        let formats = (d.config().input.frac, d.config().weight.frac);
        let mut b = golden(&other);
        let got = deploy(&mut b, 77, &model, &run.placement, formats, te).unwrap();
        assert_eq!(
            (got.weights, got.weights_off, got.stuck_cells),
            (2368, 0, 0)
        );
        // The same levels, biases and inputs: the same products and predictions.
        assert_eq!(got.test_accuracy, run.final_accuracy());
        assert_eq!(read_model(&run.trained.network, &b, formats.1), model);
    }

    #[test]
    fn deployed_weights_read_their_targets_exactly_where_their_cells_can_hold_them() {
        let (d, run, model) = trained(|dev| (dev.stuck_on, dev.stuck_off) = (0.03, 0.03));
        let data = load(None).unwrap();
        let te = data.test_limited(LEN.test_limit);
        let other = chip(&d, 78).unwrap();
        let formats = (d.config().input.frac, d.config().weight.frac);
        let mut b = golden(&other);
        let got = deploy(&mut b, 78, &model, &run.placement, formats, te).unwrap();
        // One cell per weight on digits-mixed: where it lands follows from its device alone.
        let f = d.shape.device.frac_bits;
        let (mut off, mut stuck) = (0, 0);
        for (lp, layer) in run.placement.layers.iter().zip(&model.layers) {
            for blk in &lp.blocks {
                let cells = b.cells(blk.tile);
                for r in 0..blk.rows {
                    for c in 0..blk.cols {
                        let w = layer.w[(blk.row0 + r) * lp.outputs + blk.col0 + c];
                        let target = (w * 256.0).round() as i64;
                        let dev = cells.devices[0][r * d.shape.cols + c];
                        let lands = match dev.stuck {
                            Stuck::On => dev.g_max >> f,
                            Stuck::Off => dev.g_min >> f,
                            Stuck::No => (target << f).clamp(dev.g_min, dev.g_max) >> f,
                        };
                        assert_eq!(cells.weight(d.shape.value_bits, r, c), lands);
                        off += (lands != target) as usize;
                        stuck += (dev.stuck != Stuck::No) as usize;
                    }
                }
            }
        }
        assert_eq!((got.weights_off, got.stuck_cells), (off, stuck));
        assert!(stuck > 100 && off >= stuck - 5, "{stuck} stuck, {off} off");
        // The chip's stuck cells differ from the training chip's.
        assert_ne!(
            stuck_cells_at(&run.backend, &run.placement),
            stuck_cells_at(&b, &run.placement)
        );
    }

    /// Where the stuck cells under the network are.
    fn stuck_cells_at(b: &dyn Backend, p: &Placement) -> Vec<(usize, usize)> {
        let mut v = vec![];
        for blk in p.layers.iter().flat_map(|l| &l.blocks) {
            for (i, dev) in b.cells(blk.tile).devices[0].iter().enumerate() {
                if dev.stuck != Stuck::No {
                    v.push((blk.tile, i));
                }
            }
        }
        v
    }

    #[test]
    fn both_models_deploy_onto_every_chip_and_the_drops_are_their_means() {
        let (d, run, model) = trained(|dev| (dev.stuck_on, dev.stuck_off) = (0.01, 0.01));
        let data = load(None).unwrap();
        let te = data.test_limited(LEN.test_limit);
        let before = (run.final_accuracy(), 0.9);
        let rep = deploy_both(
            &d,
            &[5, 6, 7],
            &run.placement,
            ((&model, &model), before),
            te,
            &mut |c| Ok(Box::new(golden(c))),
        )
        .unwrap();
        assert_eq!(rep.training_chip, 1);
        let seeds: Vec<u64> = rep.trained.chips.iter().map(|c| c.chip_seed).collect();
        assert_eq!(seeds, [5, 6, 7]);
        // The same model on the same chips: the same results on both sides.
        assert_eq!(rep.trained.chips, rep.reference.chips);
        let mean = rep
            .trained
            .chips
            .iter()
            .map(|c| c.test_accuracy)
            .sum::<f64>()
            / 3.0;
        assert!((rep.trained.mean_accuracy - mean).abs() < 1e-12);
        assert!((rep.reference.mean_drop - (0.9 - mean)).abs() < 1e-12);
        assert!(rep
            .summary()
            .contains("onto 3 chips (device seeds 5, 6, 7)"));
    }
}

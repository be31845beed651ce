//! The training loop: epochs of shuffled samples through a [`Network`] on a [`Backend`], with the
//! algorithm's periodic passes (CRS, transfers) on every tile the network uses, and a test
//! after every epoch.

use super::backend::{Backend, Counters};
use super::config::{Algorithm, TrainConfig};
use super::data::Sample;
use super::lowrank::LowRankCounts;
use super::mapping::Placement;
use super::network::{HostClips, Network};
use super::reference::Mlp;
use super::spec::NetworkSpec;
use anyhow::Result;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

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

/// A finished training run: its epochs, the host's clamps, the low-rank estimates' counts, and
/// the network (its weights are the tiles', its biases the host's).
pub struct Trained {
    pub epochs: Vec<Epoch>,
    pub clips: HostClips,
    pub lowrank: LowRankCounts,
    pub network: Network,
}

/// The counters of the tiles `tiles`, summed.
pub fn counters(b: &dyn Backend, tiles: &[usize]) -> Counters {
    let mut c = Counters::default();
    for &t in tiles {
        c += b.counters(t);
    }
    c
}

/// Trains `spec`, placed by `placement`, for `cfg.epochs` epochs with inputs and weights of
/// `formats` = (`in_frac`, `w_frac`) fraction bits; `progress` is called after every sample
/// and after every epoch (an error from it stops the run).
pub fn train(
    b: &mut dyn Backend,
    (spec, placement): (&NetworkSpec, &Placement),
    (train, test): (&[Sample], &[Sample]),
    cfg: &TrainConfig,
    formats: (u32, u32),
    progress: &mut EpochProgress,
) -> Result<Trained> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let init = Mlp::new(spec, &mut rng);
    let mut net = Network::new(b, &init, placement.clone(), formats, cfg.seed)?;
    let tiles = placement.used_tiles();
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
            // Batches start with the epoch (the last one of an epoch may be short).
            let batch_end = (i + 1).is_multiple_of(cfg.sbpca.batch.max(1)) || i + 1 == n_train;
            if cfg.algorithm == Algorithm::Sbpca && batch_end {
                net.end_batch(b, cfg)?;
            }
            match cfg.algorithm {
                Algorithm::Opa | Algorithm::Sbpca
                    if cfg.crs_every > 0 && seen.is_multiple_of(cfg.crs_every) =>
                {
                    for &t in &tiles {
                        b.crs(t)?;
                    }
                }
                Algorithm::Mixed if seen.is_multiple_of(cfg.transfer_every.max(1)) => {
                    for &t in &tiles {
                        b.transfer(t)?;
                    }
                }
                _ => {}
            }
            progress(e, i + 1, None)?;
        }
        let mut right = 0;
        b.set_testing(true);
        for s in test {
            right += (net.predict(b, &s.x)? == s.label) as usize;
        }
        b.set_testing(false);
        let ep = Epoch {
            epoch: e + 1,
            test_accuracy: right as f64 / test.len().max(1) as f64,
            train_loss: loss / n_train.max(1) as f64,
            counters: counters(b, &tiles),
        };
        progress(e, n_train, Some(&ep))?;
        epochs.push(ep);
    }
    Ok(Trained {
        epochs,
        clips: net.clips,
        lowrank: net.lowrank_counts(b),
        network: net,
    })
}

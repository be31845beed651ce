//! The `lowrank:` section: SBPCA's low-rank unit beside the tile (`pim_lowrank`), its rank and
//! batch; every width follows from these and the tile's (golden::lowrank::fixed::FixedShape).

use super::{bad, Config, FieldError};
use pimforge_golden::lowrank::fixed::{FixedShape, MAX_ACC_BITS};
use serde::{Deserialize, Serialize};

/// The low-rank unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowRank {
    /// Pairs of the estimate (1..=16, at most the tile's smaller dimension).
    pub rank: usize,
    /// Samples per batch: a power of two in 1..=1024.
    pub batch: usize,
}

impl LowRank {
    /// The unit's shape on tiles of `cfg`.
    pub fn shape(&self, cfg: &Config) -> FixedShape {
        FixedShape {
            inputs: cfg.crossbar.rows,
            outputs: cfg.crossbar.cols,
            k: self.rank,
            x_bits: cfg.input.bits,
            d_bits: cfg.weight.bits,
            batch: self.batch,
        }
    }
}

pub(super) fn validate(cfg: &Config, l: &LowRank, errs: &mut Vec<FieldError>) {
    let most = 16.min(cfg.crossbar.rows).min(cfg.crossbar.cols);
    if !(1..=most).contains(&l.rank) {
        bad(
            errs,
            "lowrank.rank",
            l.rank.to_string(),
            format!("1..={most} (at most 16 and the tile's rows and columns)"),
        );
        return;
    }
    if !(1..=1024).contains(&l.batch) || !l.batch.is_power_of_two() {
        bad(
            errs,
            "lowrank.batch",
            l.batch.to_string(),
            "a power of two in 1..=1024".into(),
        );
        return;
    }
    let bits = l.shape(cfg).acc_bits();
    if bits > MAX_ACC_BITS {
        bad(
            errs,
            "lowrank.batch",
            l.batch.to_string(),
            format!("a batch whose sums fit {MAX_ACC_BITS} bits (this one needs {bits} with these tile widths)"),
        );
    }
}

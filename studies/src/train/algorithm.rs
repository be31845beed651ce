//! The update algorithms a training run can use, and what each needs of the tiles.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Bit-slice outer-product updates in the crossbars, with periodic carry resolution.
    Opa,
    /// Mixed precision: digital accumulators, threshold transfers of device pulses.
    Mixed,
    /// Tiki-Taka v2 on the Tiki-Taka unit: pulse updates into A, transfers through H into C.
    Ttv2,
    /// Chopped TTv2.
    Cttv2,
    /// AGAD.
    Agad,
    /// Plain analog SGD: the same stochastic pulse updates straight into the weight array C.
    Sgd,
    /// SBPCA: each layer's batch gradient tracked as a rank-k estimate while the batch streams
    /// through, written as k OPAs at the end of the batch.
    Sbpca,
}

impl Algorithm {
    /// Whether the algorithm runs on the Tiki-Taka unit (its pulse updates at least).
    pub fn is_pulsed(self) -> bool {
        matches!(
            self,
            Algorithm::Ttv2 | Algorithm::Cttv2 | Algorithm::Agad | Algorithm::Sgd
        )
    }

    /// The default learning rate: of the weights (OPA, mixed precision, analog SGD's pulse
    /// count), or Tiki-Taka's transfer rate (the rates of the offset study in docs/hardware.md).
    pub fn default_lr(self) -> f64 {
        match self {
            Algorithm::Ttv2 | Algorithm::Agad => 0.3,
            Algorithm::Cttv2 => 0.1,
            _ => super::reference::REFERENCE_LR,
        }
    }

    /// The preset a run of the algorithm trains on unless told otherwise: `digits` (bit-sliced
    /// ideal cells) for OPA and SBPCA, `digits-mixed` for mixed precision, `digits-tiki` (one
    /// soft-bounds ReRAM cell per weight and the Tiki-Taka unit) for the pulsed algorithms.
    pub fn default_preset(self) -> &'static str {
        match self {
            Algorithm::Opa | Algorithm::Sbpca => "digits",
            Algorithm::Mixed => "digits-mixed",
            _ => "digits-tiki",
        }
    }

    /// The Tiki-Taka unit (`tiki.algorithm`) the algorithm needs (`None`: any, or no unit).
    pub fn unit(self) -> Option<pimforge_gen::config::Algorithm> {
        use pimforge_gen::config::Algorithm as Unit;
        match self {
            Algorithm::Ttv2 => Some(Unit::Ttv2),
            Algorithm::Cttv2 => Some(Unit::Cttv2),
            Algorithm::Agad => Some(Unit::Agad),
            _ => None,
        }
    }

    /// Sets a config's Tiki-Taka unit to the algorithm's (with its flips); whether it changed.
    pub fn configure(self, cfg: &mut pimforge_gen::config::Config) -> bool {
        match (cfg.tiki.as_mut(), self.unit()) {
            (Some(t), Some(want)) if t.algorithm != want => {
                *t = t.with_algorithm(want);
                true
            }
            _ => false,
        }
    }

    /// The Tiki-Taka unit's flavor the algorithm needs (`None`: any, or no unit).
    pub fn flavor(self) -> Option<pimforge_golden::tiki::Flavor> {
        use pimforge_golden::tiki::Flavor;
        match self {
            Algorithm::Ttv2 => Some(Flavor::Ttv2),
            Algorithm::Cttv2 => Some(Flavor::Chopped),
            Algorithm::Agad => Some(Flavor::Agad),
            _ => None,
        }
    }
}

impl std::fmt::Display for Algorithm {
    /// The spelling of `--algorithm` and of the reports.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::Opa => "opa",
            Algorithm::Mixed => "mixed",
            Algorithm::Ttv2 => "ttv2",
            Algorithm::Cttv2 => "cttv2",
            Algorithm::Agad => "agad",
            Algorithm::Sgd => "sgd",
            Algorithm::Sbpca => "sbpca",
        })
    }
}

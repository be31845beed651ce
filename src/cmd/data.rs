//! The data-set flags of `train`: a CSV file (or the shipped digits), its label column, the
//! training/test split and the features' scaling.

use super::flags::open_fraction;
use anyhow::Result;
use clap::Args;
use pimforge_studies::train::data::{
    parse, read, synthetic_csv, Dataset, LabelColumn, Scaling, Split,
};
use pimforge_studies::train::digits::{self, REFERENCE_SPLIT};
use std::path::PathBuf;

/// How samples are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitKind {
    /// Seeded shuffle, then --test-fraction of every class tests.
    Stratified,
    /// Seeded shuffle, then --test-fraction of all samples test.
    Random,
    /// The digits' reference split: the first 1347 samples train, the rest test.
    Reference,
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Data set: CSV (gzipped or not), one sample per line, numeric features and an integer
    /// class label; a first line that is not all numbers is a header. Default: the shipped
    /// digits (64 pixels 0..=16 and a label).
    #[arg(long, value_name = "FILE.csv", conflicts_with = "synthetic")]
    pub data: Option<PathBuf>,
    /// Instead of a file: N samples of seeded Gaussian clusters, as many features and classes as
    /// the network has inputs and outputs (centres uniform in [-1, 1], spread 1; seed
    /// --split-seed). For networks no data set at hand fits (e.g. PANTHER's 1024-input MLP).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(4..=1_000_000))]
    pub synthetic: Option<usize>,
    /// The label column: a header name or a 0-based index (default: the last column).
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// The training/test split (default: reference for the shipped digits, else stratified).
    #[arg(long, value_enum)]
    pub split: Option<SplitKind>,
    /// Share of the samples that test, for the stratified and random splits: in (0, 1).
    #[arg(long, default_value_t = 0.25, value_parser = open_fraction)]
    pub test_fraction: f64,
    /// Seed of the split's shuffle.
    #[arg(long, default_value_t = 0)]
    pub split_seed: u64,
    /// How features are scaled into [0, 1] from the training split (default: global for the
    /// shipped digits, else per-feature).
    #[arg(long, value_enum)]
    pub scale: Option<Scaling>,
}

impl DataArgs {
    /// The data set, split and scaled (`shape`: the network's inputs and classes, for
    /// `--synthetic`).
    pub fn load(&self, (inputs, classes): (usize, usize)) -> Result<Dataset> {
        let (text, origin) = match (&self.data, self.synthetic) {
            (_, Some(n)) => (
                synthetic_csv(inputs, classes, n, 1.0, self.split_seed),
                format!(
                    "synthetic ({n} samples of {classes} clusters in {inputs} dimensions, seed {})",
                    self.split_seed
                ),
            ),
            (None, None) => (digits::shipped_text(), digits::SHIPPED_NAME.to_string()),
            (Some(p), None) => read(p, "--data")?,
        };
        let shipped = self.data.is_none() && self.synthetic.is_none();
        let (test_fraction, seed) = (self.test_fraction, self.split_seed);
        let split = match self.split {
            None if shipped => REFERENCE_SPLIT,
            Some(SplitKind::Reference) => REFERENCE_SPLIT,
            None | Some(SplitKind::Stratified) => Split::Stratified {
                test_fraction,
                seed,
            },
            Some(SplitKind::Random) => Split::Random {
                test_fraction,
                seed,
            },
        };
        let scaling = self.scale.unwrap_or(match shipped {
            true => Scaling::Global,
            false => Scaling::PerFeature,
        });
        let label = self
            .label
            .clone()
            .map_or(LabelColumn::Last, LabelColumn::Named);
        parse(&text, &origin, &label, split, scaling)
    }

    /// The flags, as a replay command spells them.
    pub fn flags(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.data {
            s += &format!(" --data {}", d.display());
        }
        if let Some(n) = self.synthetic {
            s += &format!(" --synthetic {n}");
        }
        if let Some(l) = &self.label {
            s += &format!(" --label {l}");
        }
        if let Some(k) = self.split {
            s += &format!(" --split {}", format!("{k:?}").to_lowercase());
        }
        let shuffled = match self.split {
            Some(k) => k != SplitKind::Reference,
            None => self.data.is_some() || self.synthetic.is_some(),
        };
        if shuffled {
            s += &format!(
                " --test-fraction {} --split-seed {}",
                self.test_fraction, self.split_seed
            );
        }
        if let Some(sc) = self.scale {
            s += match sc {
                Scaling::PerFeature => " --scale per-feature",
                Scaling::Global => " --scale global",
            };
        }
        s
    }
}

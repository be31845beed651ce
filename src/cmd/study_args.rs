//! The flags every training study shares: sample limits, parallel runs and the data set.

use clap::builder::RangedU64ValueParser;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct StudyArgs {
    /// Train on the first N samples of each epoch only (at least 1).
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test samples only (at least 1).
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub test_limit: Option<usize>,
    /// Runs in parallel (1..=256; default: the machine's cores).
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: Option<usize>,
    /// Data set: CSV (gzipped or not) of 64 pixels 0..=16 and a label per line, as the shipped
    /// digits data (the default); the first 1347 lines train, the rest test.
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
}

impl StudyArgs {
    /// `--jobs`, or the machine's cores.
    pub fn jobs(&self) -> usize {
        super::flags::jobs_or_cores(self.jobs)
    }
}

/// A fraction, 0..=1.
pub fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}': allowed a fraction 0..=1")),
    }
}

/// A study seed whose chip, `device.seed = seed + 1`, is a device seed (0..=4294967294).
pub fn chip_seed(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(v) if v < u32::MAX as u64 => Ok(v),
        _ => Err(format!(
            "'{s}': allowed 0..=4294967294 (seed s trains on chip device.seed = s + 1)"
        )),
    }
}

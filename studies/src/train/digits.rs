//! The UCI optical handwritten digits set (1797 8x8 images, 64 pixels 0..16, 10 classes), shipped
//! in `data/digits.csv.gz`. Reference split: the first 1347 rows train, the last 450 test.

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const FEATURES: usize = 64;
pub const CLASSES: usize = 10;
pub const TRAIN_ROWS: usize = 1347;

#[derive(Clone, Debug)]
pub struct Sample {
    /// Pixels 0..=16.
    pub pixels: [u8; FEATURES],
    pub label: u8,
}

/// The copy shipped with the project.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.csv.gz")
}

/// Parses the gzipped CSV: 64 pixel values then the label on each line.
pub fn load(path: &Path) -> Result<Vec<Sample>> {
    let mut text = String::new();
    GzDecoder::new(
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
    )
    .read_to_string(&mut text)
    .with_context(|| format!("{} is not gzipped text", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Vec<u8> = l
                .split(',')
                .map(|f| f.trim().parse::<u8>())
                .collect::<Result<_, _>>()
                .with_context(|| {
                    format!("{} line {}: not a list of integers", path.display(), i + 1)
                })?;
            if v.len() != FEATURES + 1
                || v[..FEATURES].iter().any(|&p| p > 16)
                || v[FEATURES] >= CLASSES as u8
            {
                bail!(
                    "{} line {}: expected 64 pixels 0..=16 and a label 0..=9",
                    path.display(),
                    i + 1
                );
            }
            let mut pixels = [0u8; FEATURES];
            pixels.copy_from_slice(&v[..FEATURES]);
            Ok(Sample {
                pixels,
                label: v[FEATURES],
            })
        })
        .collect()
}

/// The reference split: (train, test).
pub fn split(all: &[Sample]) -> (&[Sample], &[Sample]) {
    all.split_at(TRAIN_ROWS.min(all.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_has_the_reference_shape() {
        let all = load(&default_path()).unwrap();
        assert_eq!(all.len(), 1797);
        let (train, test) = split(&all);
        assert_eq!((train.len(), test.len()), (1347, 450));
        for c in 0..10u8 {
            assert!(train.iter().filter(|s| s.label == c).count() > 100);
        }
    }
}

//! The UCI optical handwritten digits set (1797 8x8 images, 64 pixels 0..16, 10 classes), shipped
//! in `data/digits.csv.gz` and compiled into the binary. Reference split: the first 1347 rows train, the last 450 test.

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

pub const FEATURES: usize = 64;
pub const CLASSES: usize = 10;
pub const TRAIN_ROWS: usize = 1347;

#[derive(Clone, Debug)]
pub struct Sample {
    /// Pixels 0..=16.
    pub pixels: [u8; FEATURES],
    pub label: u8,
}

/// The copy shipped with the project, compiled into the binary (57 KB): a copied or installed
/// `pimforge` needs no source tree.
const SHIPPED: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// The data set: `file` (gzipped or plain CSV in the same layout), or the shipped copy.
pub fn load(file: Option<&Path>) -> Result<Vec<Sample>> {
    match file {
        None => parse(SHIPPED, "the shipped digits data"),
        Some(path) => {
            let origin = format!("--data {}", path.display());
            let bytes = std::fs::read(path).with_context(|| format!("{origin}: cannot read"))?;
            parse(&bytes, &origin)
        }
    }
}

/// How reports name the data set [`load`] reads from `file`.
pub fn describe(file: Option<&Path>) -> String {
    file.map_or("digits (shipped)".into(), |p| p.display().to_string())
}

/// Parses CSV (gzipped or not): 64 pixel values then the label on each line.
fn parse(bytes: &[u8], origin: &str) -> Result<Vec<Sample>> {
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .with_context(|| format!("{origin}: not gzipped text"))?;
    } else {
        text = String::from_utf8(bytes.to_vec())
            .map_err(|_| anyhow::anyhow!("{origin}: not text (nor gzipped text)"))?;
    }
    let all: Vec<Sample> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Vec<u8> = l
                .split(',')
                .map(|f| f.trim().parse::<u8>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("{origin} line {}: not a list of integers", i + 1))?;
            if v.len() != FEATURES + 1
                || v[..FEATURES].iter().any(|&p| p > 16)
                || v[FEATURES] >= CLASSES as u8
            {
                bail!(
                    "{origin} line {}: expected 64 pixels 0..=16 and a label 0..=9",
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
        .collect::<Result<_>>()?;
    if all.len() <= TRAIN_ROWS {
        bail!(
            "{origin}: {} samples; the reference split trains on the first {TRAIN_ROWS} and tests on the rest",
            all.len()
        );
    }
    Ok(all)
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
        let all = load(None).unwrap();
        assert_eq!(all.len(), 1797);
        let (train, test) = split(&all);
        assert_eq!((train.len(), test.len()), (1347, 450));
        for c in 0..10u8 {
            assert!(train.iter().filter(|s| s.label == c).count() > 100);
        }
    }
}

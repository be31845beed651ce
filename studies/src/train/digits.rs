//! The UCI optical handwritten digits set (1797 8x8 images, 64 pixels 0..16, 10 classes), shipped
//! in `data/digits.csv.gz` and compiled into the binary. Reference split: the first 1347 rows
//! train, the last 450 test; pixels scaled by the training split's global range (0..16, so a
//! pixel becomes `p / 16`).

use super::data::{parse, read, text, Dataset, LabelColumn, Scaling, Split};
use anyhow::{bail, Result};
use std::path::Path;

pub const FEATURES: usize = 64;
pub const CLASSES: usize = 10;
pub const TRAIN_ROWS: usize = 1347;

/// The reference split.
pub const REFERENCE_SPLIT: Split = Split::First { train: TRAIN_ROWS };

/// The copy shipped with the project, compiled into the binary (57 KB): a copied or installed
/// `pimforge` needs no source tree.
const SHIPPED: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// How reports and errors name the shipped copy.
pub const SHIPPED_NAME: &str = "digits (shipped)";

/// The shipped digits CSV text.
pub fn shipped_text() -> String {
    text(SHIPPED, SHIPPED_NAME).expect("the shipped data is gzipped text")
}

/// The digits data (`file`, in the shipped layout, or the shipped copy) with its reference
/// split and scaling.
pub fn load(file: Option<&Path>) -> Result<Dataset> {
    let (text, origin) = match file {
        None => (shipped_text(), SHIPPED_NAME.to_string()),
        Some(path) => read(path, "--data")?,
    };
    let d = parse(
        &text,
        &origin,
        &LabelColumn::Last,
        REFERENCE_SPLIT,
        Scaling::Global,
    )?;
    if d.features != FEATURES || d.classes > CLASSES {
        bail!(
            "{origin}: {} features and {} classes; the digits layout is {FEATURES} pixels and a label 0..=9",
            d.features,
            d.classes
        );
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_has_the_reference_shape_and_scale() {
        let d = load(None).unwrap();
        assert_eq!((d.train.len(), d.test.len()), (1347, 450));
        for c in 0..10 {
            assert!(d.train.iter().filter(|s| s.label == c).count() > 100);
        }
        // Global scaling over the training split is pixels / 16, exactly.
        assert_eq!((d.scale.lo[0], d.scale.hi[0]), (0.0, 16.0));
        let raw: Vec<f64> = shipped_text()
            .lines()
            .next()
            .unwrap()
            .split(',')
            .take(FEATURES)
            .map(|p| p.trim().parse::<f64>().unwrap() / 16.0)
            .collect();
        assert_eq!(d.train[0].x, raw);
    }
}

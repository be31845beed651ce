//! A user's data set: CSV (gzipped or not) of numeric features and an integer class label per
//! line, split into training and test samples (seeded and stratified by class, or the digits'
//! reference split), and every feature scaled into `[0, 1]` from the training split's ranges.
//!
//! The first line is a header when any of its fields is not a number. The label is the last
//! column unless another is named (by header name or 0-based index). Every error names the
//! file, the line and the column.

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// One sample: its features scaled by the training split's ranges, and its class.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub x: Vec<f64>,
    pub label: usize,
}

/// Which column holds the label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LabelColumn {
    #[default]
    Last,
    /// A header name, or a 0-based column index.
    Named(String),
}

/// How samples are split into training and test sets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Split {
    /// Shuffled with `seed`, then `test_fraction` of every class (rounded, at least one sample
    /// of each class with two or more) goes to the test set.
    Stratified { test_fraction: f64, seed: u64 },
    /// Shuffled with `seed`, then the first `test_fraction` of all samples test.
    Random { test_fraction: f64, seed: u64 },
    /// The first `train` rows train, the rest test (the digits' reference split: 1347).
    First { train: usize },
}

/// How features are scaled into `[0, 1]` from the training split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scaling {
    /// Each feature by its own minimum and maximum.
    PerFeature,
    /// Every feature by the minimum and maximum over all features (images: pixels keep their
    /// relative brightness).
    Global,
}

/// The ranges features were scaled with (`(v - lo) / (hi - lo)`; 0 where `hi == lo`), from the
/// training split; test samples outside them fall outside `[0, 1]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scale {
    pub scaling: Scaling,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Scale {
    fn fit(scaling: Scaling, rows: &[&Row], features: usize) -> Scale {
        let mut lo = vec![f64::INFINITY; features];
        let mut hi = vec![f64::NEG_INFINITY; features];
        for r in rows {
            for (f, &v) in r.x.iter().enumerate() {
                lo[f] = lo[f].min(v);
                hi[f] = hi[f].max(v);
            }
        }
        if scaling == Scaling::Global {
            let (l, h) = (
                lo.iter().cloned().fold(f64::INFINITY, f64::min),
                hi.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            lo.fill(l);
            hi.fill(h);
        }
        Scale { scaling, lo, hi }
    }

    fn apply(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(self.lo.iter().zip(&self.hi))
            .map(|(&v, (&lo, &hi))| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 })
            .collect()
    }
}

/// One parsed line.
#[derive(Clone, Debug)]
struct Row {
    line: u64,
    x: Vec<f64>,
    label: usize,
}

/// A loaded, split and scaled data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Where it came from (for reports and errors).
    pub origin: String,
    pub features: usize,
    /// One more than the largest label.
    pub classes: usize,
    pub train: Vec<Sample>,
    pub test: Vec<Sample>,
    pub split: Split,
    pub scale: Scale,
    /// The label column's name (header) or index.
    pub label_column: String,
    /// The first line holding the largest label (errors about too many classes name it).
    max_label_line: u64,
}

/// What a report says of the data set.
#[derive(Clone, Debug, Serialize)]
pub struct DataInfo {
    pub source: String,
    pub features: usize,
    pub classes: usize,
    pub train_samples: usize,
    pub test_samples: usize,
    pub label_column: String,
    pub split: Split,
    pub scale: Scale,
}

impl Dataset {
    pub fn info(&self) -> DataInfo {
        DataInfo {
            source: self.origin.clone(),
            features: self.features,
            classes: self.classes,
            train_samples: self.train.len(),
            test_samples: self.test.len(),
            label_column: self.label_column.clone(),
            split: self.split,
            scale: self.scale.clone(),
        }
    }

    /// Checks that a network of `inputs` inputs and `outputs` classes fits the data.
    pub fn check_network(&self, inputs: usize, outputs: usize) -> Result<()> {
        if inputs != self.features {
            bail!(
                "{}: {} features per sample, but the network's first layer has {inputs} inputs",
                self.origin,
                self.features
            );
        }
        if self.classes > outputs {
            bail!(
                "{} line {} column {}: label {} needs {} classes, but the network's output layer has {outputs}",
                self.origin,
                self.max_label_line,
                self.label_column,
                self.classes - 1,
                self.classes
            );
        }
        Ok(())
    }

    /// The first `n` test samples (all when `None`).
    pub fn test_limited(&self, n: Option<usize>) -> &[Sample] {
        &self.test[..n.unwrap_or(self.test.len()).min(self.test.len())]
    }
}

/// Text of `bytes`, gunzipped when they are gzip.
pub fn text(bytes: &[u8], origin: &str) -> Result<String> {
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .with_context(|| format!("{origin}: not gzipped text"))?;
        return Ok(text);
    }
    String::from_utf8(bytes.to_vec())
        .map_err(|_| anyhow::anyhow!("{origin}: not text (nor gzipped text)"))
}

/// Reads a file for [`parse`].
pub fn read(path: &Path, flag: &str) -> Result<(String, String)> {
    let origin = format!("{flag} {}", path.display());
    let bytes = std::fs::read(path).with_context(|| format!("{origin}: cannot read"))?;
    Ok((text(&bytes, &origin)?, origin))
}

/// Parses, splits and scales CSV text.
pub fn parse(
    text: &str,
    origin: &str,
    label: &LabelColumn,
    split: Split,
    scaling: Scaling,
) -> Result<Dataset> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for rec in reader.records() {
        let rec = rec.with_context(|| format!("{origin}: not CSV"))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line());
        records.push((line, rec));
    }
    let Some((_, first)) = records.first() else {
        bail!("{origin}: no samples");
    };
    let header: Option<Vec<String>> = first
        .iter()
        .any(|f| f.parse::<f64>().is_err())
        .then(|| first.iter().map(str::to_owned).collect());
    if header.is_some() {
        records.remove(0);
    }
    let width = header
        .as_ref()
        .map(Vec::len)
        .or(records.first().map(|(_, r)| r.len()))
        .unwrap_or(0);
    if width < 2 {
        bail!("{origin}: {width} column; a sample needs at least one feature and a label");
    }
    let col = label_index(label, header.as_deref(), width, origin)?;
    let col_name = header.as_ref().map_or(format!("{}", col + 1), |h| {
        format!("{} ('{}')", col + 1, h[col])
    });
    let mut rows = Vec::with_capacity(records.len());
    for (line, rec) in &records {
        if rec.len() != width {
            bail!(
                "{origin} line {line}: {} fields, but the first line has {width}",
                rec.len()
            );
        }
        let mut x = Vec::with_capacity(width - 1);
        let mut lab = 0;
        for (c, f) in rec.iter().enumerate() {
            if c == col {
                lab = f.parse::<usize>().map_err(|_| {
                    anyhow::anyhow!(
                        "{origin} line {line} column {col_name}: label '{f}' is not a non-negative integer"
                    )
                })?;
                continue;
            }
            let v = f
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    let name = header
                        .as_ref()
                        .map_or(String::new(), |h| format!(" ('{}')", h[c]));
                    anyhow::anyhow!(
                        "{origin} line {line} column {}{name}: '{f}' is not a finite number",
                        c + 1
                    )
                })?;
            x.push(v);
        }
        rows.push(Row {
            line: *line,
            x,
            label: lab,
        });
    }
    let mut classes: Vec<usize> = rows.iter().map(|r| r.label).collect();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        bail!(
            "{origin}: {} class only (label column {col_name}); classification needs two or more",
            classes.len()
        );
    }
    let max = *classes.last().expect("two classes");
    let max_label_line = rows.iter().find(|r| r.label == max).map_or(0, |r| r.line);
    let (train_idx, test_idx) = split_indices(&rows, split, origin)?;
    let train_rows: Vec<&Row> = train_idx.iter().map(|&i| &rows[i]).collect();
    let scale = Scale::fit(scaling, &train_rows, width - 1);
    let samples = |idx: &[usize]| -> Vec<Sample> {
        idx.iter()
            .map(|&i| Sample {
                x: scale.apply(&rows[i].x),
                label: rows[i].label,
            })
            .collect()
    };
    Ok(Dataset {
        origin: origin.to_string(),
        features: width - 1,
        classes: max + 1,
        train: samples(&train_idx),
        test: samples(&test_idx),
        split,
        scale: scale.clone(),
        label_column: col_name,
        max_label_line,
    })
}

/// A seeded synthetic data set as CSV: `samples` samples of `classes` Gaussian clusters in
/// `features` dimensions (centres uniform in `[-1, 1]`, spread `spread`), classes in turn, a
/// header line.
pub fn synthetic_csv(
    features: usize,
    classes: usize,
    samples: usize,
    spread: f64,
    seed: u64,
) -> String {
    use rand::Rng;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = (0..classes)
        .map(|_| (0..features).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect();
    let mut s: String = (0..features).map(|f| format!("x{f},")).collect::<String>() + "class\n";
    for i in 0..samples {
        let c = i % classes;
        for &m in &centres[c] {
            // Box-Muller: one normal draw from two uniform ones.
            let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
            let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            s += &format!("{:.4},", m + spread * z);
        }
        s += &format!("{c}\n");
    }
    s
}

fn label_index(
    label: &LabelColumn,
    header: Option<&[String]>,
    width: usize,
    origin: &str,
) -> Result<usize> {
    let LabelColumn::Named(name) = label else {
        return Ok(width - 1);
    };
    if let Some(i) = header.and_then(|h| h.iter().position(|c| c == name)) {
        return Ok(i);
    }
    match name.parse::<usize>() {
        Ok(i) if i < width => Ok(i),
        _ => match header {
            Some(h) => bail!("--label {name}: {origin} has no such column (its header: {}; or an index 0..={})", h.join(", "), width - 1),
            None => bail!("--label {name}: {origin} has no header; name the label column by its index, 0..={}", width - 1),
        },
    }
}

/// The training and test rows (indices into `rows`, each in file order).
fn split_indices(rows: &[Row], split: Split, origin: &str) -> Result<(Vec<usize>, Vec<usize>)> {
    let n = rows.len();
    let (mut train, mut test) = (Vec::new(), Vec::new());
    match split {
        Split::First { train: k } => {
            if n <= k {
                bail!("{origin}: {n} samples; the reference split trains on the first {k} and tests on the rest");
            }
            return Ok(((0..k).collect(), (k..n).collect()));
        }
        Split::Random {
            test_fraction,
            seed,
        } => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
            let k = ((n as f64 * test_fraction).round() as usize).clamp(1, n - 1);
            test.extend_from_slice(&order[..k]);
            train.extend_from_slice(&order[k..]);
        }
        Split::Stratified {
            test_fraction,
            seed,
        } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let max = rows.iter().map(|r| r.label).max().unwrap_or(0);
            for c in 0..=max {
                let mut of: Vec<usize> = (0..n).filter(|&i| rows[i].label == c).collect();
                of.shuffle(&mut rng);
                let k = match of.len() {
                    0 | 1 => 0,
                    m => ((m as f64 * test_fraction).round() as usize).clamp(1, m - 1),
                };
                test.extend_from_slice(&of[..k]);
                train.extend_from_slice(&of[k..]);
            }
        }
    }
    train.sort_unstable();
    test.sort_unstable();
    if train.is_empty() || test.is_empty() {
        bail!("{origin}: {n} samples make an empty training or test set; use more samples or another --test-fraction");
    }
    Ok((train, test))
}

#[cfg(test)]
mod tests;

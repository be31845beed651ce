//! The study's plot.

use super::{Method, Row, SbpcaStudy};
use crate::plot::{accuracy_range, line_png, Frame, Series};
use anyhow::Result;

/// Test accuracy against the batch size: a line per rank, mini-batch SGD, and per-sample OPA
/// as a flat dashed line.
pub(super) fn plot(s: &SbpcaStudy, rows: &[Row]) -> Result<Vec<u8>> {
    let xs: Vec<f64> = s.batches.iter().map(|&b| (b as f64).log2()).collect();
    let (lo, hi) = (
        xs.iter().cloned().fold(f64::MAX, f64::min),
        xs.iter().cloned().fold(f64::MIN, f64::max),
    );
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    let mut series = Vec::new();
    if let Some(o) = rows.iter().find(|r| r.method == Method::Opa) {
        let v = 100.0 * o.accuracy_mean;
        series.push(Series {
            label: format!("per-sample OPA ({v:.2}%)"),
            points: vec![(lo, v), (hi, v)],
            dashed: true,
        });
    }
    let line = |label: String, pick: &dyn Fn(usize) -> Method| Series {
        label,
        points: s
            .batches
            .iter()
            .filter_map(|&b| {
                rows.iter()
                    .find(|r| r.method == pick(b))
                    .map(|r| ((b as f64).log2(), 100.0 * r.accuracy_mean))
            })
            .collect(),
        dashed: false,
    };
    series.push(line("float64 mini-batch SGD".into(), &|batch| {
        Method::Sgd { batch }
    }));
    for &rank in &s.ranks {
        series.push(line(format!("SBPCA rank {rank}"), &|batch| Method::Sbpca {
            batch,
            rank,
        }));
        if s.in_tiles {
            series.push(line(format!("SBPCA rank {rank}, in the tiles"), &|batch| {
                Method::SbpcaTiles { batch, rank }
            }));
        }
    }
    line_png(
        &Frame {
            title: "Digits MLP: test accuracy of SBPCA's low-rank batch updates",
            x_desc: "log2(samples per batch)",
            y_desc: "test accuracy (%), mean over seeds",
            x: (lo, hi),
            y: accuracy_range(&series),
        },
        &series,
    )
}

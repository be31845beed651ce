//! Design-space sweeps: the metrics a point's training report holds, the Pareto front of
//! accuracy against a cost, and the plot of both fronts (energy per sample, area).

use crate::plot::{color, err, png};
use anyhow::Result;
use plotters::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// What a sweep reports of one trained point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Final test accuracy, 0..1.
    pub accuracy: f64,
    /// Energy per training sample, uJ (the cost table's, as `train` prices it).
    pub energy_uj: f64,
    /// Latency per training sample, us.
    pub latency_us: f64,
    /// Area of the tiles used, mm^2.
    pub area_mm2: f64,
    /// Wall time of the training run, s.
    pub seconds: f64,
}

impl Metrics {
    /// The metrics of a `train` report; none while the report is not complete or has no cost.
    pub fn of_report(r: &Value) -> Option<Metrics> {
        if r["complete"] != true {
            return None;
        }
        let per_sample = &r["cost"]["per_sample"];
        let area_um2: f64 = r["cost"]["area_um2"]
            .as_object()?
            .values()
            .filter_map(Value::as_f64)
            .sum();
        Some(Metrics {
            accuracy: r["final_test_accuracy"].as_f64()?,
            energy_uj: per_sample["energy_pj"].as_f64()? * 1e-6,
            latency_us: per_sample["latency_ns"].as_f64()? * 1e-3,
            area_mm2: area_um2 * 1e-6,
            seconds: r["seconds"].as_f64().unwrap_or(0.0),
        })
    }
}

/// The indices of the points `(cost, accuracy)` that no other point beats (costs no more and
/// is at least as accurate, one of the two strictly), cheapest first.
pub fn pareto(points: &[(f64, f64)]) -> Vec<usize> {
    let beats = |j: usize, i: usize| {
        let ((cj, aj), (ci, ai)) = (points[j], points[i]);
        cj <= ci && aj >= ai && (cj < ci || aj > ai)
    };
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| !(0..points.len()).any(|j| beats(j, i)))
        .collect();
    front.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0).then(a.cmp(&b)));
    front
}

/// A point of the plot: its series (the algorithm) and metrics.
pub struct PlotPoint {
    pub series: String,
    pub metrics: Metrics,
}

/// Test accuracy against energy per training sample (left) and against area (right), log
/// scales, a colour per series, each panel's Pareto front as a grey step line.
pub fn pareto_png(title: &str, points: &[PlotPoint]) -> Result<Vec<u8>> {
    let mut series: Vec<&str> = points.iter().map(|p| p.series.as_str()).collect();
    series.dedup();
    series.sort();
    series.dedup();
    png((1400, 620), |root| {
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| err(&e))?;
        let (left, right) = root.split_horizontally(700);
        panel(
            &left,
            "energy per training sample (uJ)",
            |m| m.energy_uj,
            points,
            &series,
        )?;
        panel(
            &right,
            "area of the tiles used (mm^2)",
            |m| m.area_mm2,
            points,
            &series,
        )?;
        Ok(())
    })
}

fn panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    x_desc: &str,
    cost: fn(&Metrics) -> f64,
    points: &[PlotPoint],
    series: &[&str],
) -> Result<()> {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (cost(&p.metrics).max(1e-12), 100.0 * p.metrics.accuracy))
        .collect();
    let (lo, hi) = xy
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (lo, hi) = if xy.is_empty() {
        (0.1, 10.0)
    } else {
        (lo / 1.5, hi * 1.5)
    };
    let alo = xy.iter().map(|p| p.1).fold(100.0f64, f64::min);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((lo..hi).log_scale(), ((alo - 5.0).max(0.0))..100.0)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|x| short(*x))
        .x_desc(x_desc)
        .y_desc("test accuracy (%)")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| err(&e))?;
    // The front as a staircase: each point holds its accuracy until the next, cheaper one.
    let front = pareto(&xy);
    let mut steps = Vec::new();
    for (k, &i) in front.iter().enumerate() {
        steps.push(xy[i]);
        if let Some(&next) = front.get(k + 1) {
            steps.push((xy[next].0, xy[i].1));
        }
    }
    chart
        .draw_series(LineSeries::new(
            steps,
            RGBColor(150, 150, 150).stroke_width(2),
        ))
        .map_err(|e| err(&e))?
        .label("Pareto front")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], RGBColor(150, 150, 150)));
    for (s, name) in series.iter().enumerate() {
        let c = color(s);
        let mine = points
            .iter()
            .zip(&xy)
            .filter(|(p, _)| p.series == *name)
            .map(|(_, &q)| Circle::new(q, 5, c.filled()));
        chart
            .draw_series(mine)
            .map_err(|e| err(&e))?
            .label(name.to_string())
            .legend(move |(x, y)| Circle::new((x + 7, y), 5, c.filled()));
    }
    crate::plot::legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// `x` with three significant digits, no trailing zeros: 0.3, 0.125, 12.5, 1250.
fn short(x: f64) -> String {
    let digits = (2 - x.abs().max(1e-12).log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    match s.contains('.') {
        true => s.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => s,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn axis_labels_are_short() {
        assert_eq!(super::short(0.30000000000000004), "0.3");
        assert_eq!(super::short(0.125), "0.125");
        assert_eq!(super::short(12.54), "12.5");
        assert_eq!(super::short(1250.0), "1250");
    }

    use super::*;

    #[test]
    fn the_front_keeps_what_nothing_beats_cheapest_first() {
        let p = [
            (3.0, 0.9),
            (1.0, 0.5),
            (2.0, 0.5),
            (2.0, 0.8),
            (4.0, 0.9),
            (1.0, 0.4),
        ];
        // (2.0, 0.5) loses to (2.0, 0.8); (4.0, 0.9) to (3.0, 0.9); (1.0, 0.4) to (1.0, 0.5).
        assert_eq!(pareto(&p), vec![1, 3, 0]);
        assert_eq!(pareto(&[]), Vec::<usize>::new());
        // Equal points are both kept (neither beats the other strictly).
        assert_eq!(pareto(&[(1.0, 0.5), (1.0, 0.5)]), vec![0, 1]);
    }

    #[test]
    fn metrics_come_from_a_complete_report() {
        let r = serde_json::json!({
            "complete": true, "final_test_accuracy": 0.875, "seconds": 2.5,
            "cost": { "per_sample": { "energy_pj": 2.0e6, "latency_ns": 1500.0 },
                      "area_um2": { "adc": 2.0e5, "crossbar": 3.0e5 } },
        });
        let m = Metrics::of_report(&r).unwrap();
        assert_eq!((m.accuracy, m.energy_uj, m.latency_us), (0.875, 2.0, 1.5));
        assert!((m.area_mm2 - 0.5).abs() < 1e-12);
        let mut partial = r.clone();
        partial["complete"] = false.into();
        assert!(Metrics::of_report(&partial).is_none());
    }

    #[test]
    fn the_plot_is_a_png() {
        let m = |a, e, x| Metrics {
            accuracy: a,
            energy_uj: e,
            latency_us: 1.0,
            area_mm2: x,
            seconds: 1.0,
        };
        let points = vec![
            PlotPoint {
                series: "opa".into(),
                metrics: m(0.9, 2.0, 0.3),
            },
            PlotPoint {
                series: "mixed".into(),
                metrics: m(0.8, 1.0, 0.2),
            },
        ];
        let png = pareto_png("sweep", &points).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}

//! Plots of costs: energy per phase stacked by component, and accuracy against energy per
//! training sample.

use super::price::CostReport;
use crate::plot::{color, err, png};
use anyhow::Result;
use plotters::prelude::*;

/// A stacked bar per phase of `r` (energy in uJ), one colour per component, leakage on top.
pub fn bars_png(title: &str, r: &CostReport) -> Result<Vec<u8>> {
    let mut components: Vec<String> = r
        .phases
        .iter()
        .flat_map(|p| p.dynamic_pj.iter().filter(|(_, v)| **v > 0.0))
        .map(|(c, _)| c.clone())
        .collect();
    components.sort();
    components.dedup();
    let top = r
        .phases
        .iter()
        .map(|p| p.energy_pj * 1e-6)
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let n = r.phases.len();
    png((960, 600), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(|e| err(&e))?;
        let names: Vec<&str> = r.phases.iter().map(|p| p.phase).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                match (x - x.floor() - 0.5).abs() < 1e-6 && i < n {
                    true => names[i].to_string(),
                    false => String::new(),
                }
            })
            .y_desc("energy (uJ)")
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| err(&e))?;
        let layers = components.iter().map(Some).chain([None]);
        for (k, comp) in layers.enumerate() {
            let fill = match comp {
                Some(_) => color(k).filled(),
                None => RGBColor(160, 160, 160).filled(),
            };
            let bars = r.phases.iter().enumerate().map(|(i, p)| {
                let below: f64 = components
                    .iter()
                    .take(k)
                    .map(|c| p.dynamic_pj.get(c).copied().unwrap_or(0.0))
                    .sum::<f64>();
                let this = match comp {
                    Some(c) => p.dynamic_pj.get(c.as_str()).copied().unwrap_or(0.0),
                    None => p.leakage_pj,
                };
                let x = i as f64;
                Rectangle::new(
                    [(x + 0.15, below * 1e-6), (x + 0.85, (below + this) * 1e-6)],
                    fill,
                )
            });
            let label = comp.map_or("leakage".to_string(), |c| c.to_string());
            chart
                .draw_series(bars)
                .map_err(|e| err(&e))?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
        }
        crate::plot::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// One point of an accuracy-against-energy plot.
pub struct Point {
    pub label: String,
    /// Energy per training sample, uJ.
    pub energy_uj: f64,
    /// Test accuracy, percent.
    pub accuracy: f64,
}

/// Test accuracy against energy per training sample (log scale), one labelled point each.
pub fn scatter_png(title: &str, points: &[Point]) -> Result<Vec<u8>> {
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.energy_uj), b.max(p.energy_uj))
    });
    let (lo, hi) = ((lo / 2.0).max(1e-9), (hi * 2.0).max(1e-8));
    let (alo, ahi) = points.iter().fold((100.0f64, 0.0f64), |(a, b), p| {
        (a.min(p.accuracy), b.max(p.accuracy))
    });
    let (alo, ahi) = ((alo - 5.0).max(0.0), (ahi + 3.0).min(100.0));
    png((960, 600), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((lo..hi).log_scale(), alo..ahi)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("energy per training sample (uJ)")
            .y_desc("test accuracy (%)")
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, p) in points.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series([Circle::new((p.energy_uj, p.accuracy), 6, c.filled())])
                .map_err(|e| err(&e))?
                .label(p.label.clone())
                .legend(move |(x, y)| Circle::new((x + 7, y), 5, c.filled()));
        }
        crate::plot::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

//! Reports of training runs: a JSON document per run and a PNG plot of test accuracy against
//! epoch for one or more runs (with the float64 reference of the same seed).

use super::backend::Counters;
use super::network::{Epoch, HostClips, TrainConfig};
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// Marks a report as written by `pimforge train` (its files may be replaced by a later run).
pub const TOOL: &str = "pimforge train";

/// One accuracy curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Curve {
    pub label: String,
    /// Test accuracy after each epoch (fraction).
    pub accuracy: Vec<f64>,
}

/// Everything a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub design: String,
    pub config_hash: String,
    pub backend: String,
    pub train: TrainConfig,
    pub input_frac: u32,
    pub weight_frac: u32,
    pub epochs: Vec<Epoch>,
    pub final_test_accuracy: f64,
    /// The float64 SGD reference with the same seed, initial weights and sample order.
    pub reference: Curve,
    pub counters: Counters,
    pub host_clips: HostClips,
    pub samples_trained: u64,
    pub seconds: f64,
    pub train_samples_per_second: f64,
    /// Lock-step evidence (RTL backend): cycles and commands that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockstep: Option<serde_json::Value>,
}

impl Report {
    pub fn curve(&self) -> Curve {
        Curve {
            label: format!(
                "{} on {} ({:.2}%)",
                serde_json::to_value(self.train.algorithm)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                self.design,
                100.0 * self.final_test_accuracy
            ),
            accuracy: self.epochs.iter().map(|e| e.test_accuracy).collect(),
        }
    }
}

/// Reads the curves of a report written by [`Report`] (for plots of several runs).
pub fn curves_of(json: &str) -> Result<Vec<Curve>> {
    let v: serde_json::Value = serde_json::from_str(json)?;
    if v["tool"] != TOOL {
        return Err(anyhow!("not a `{TOOL}` report"));
    }
    let acc = |e: &serde_json::Value| -> Vec<f64> {
        e.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default()
    };
    let hw: Vec<f64> = v["epochs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["test_accuracy"].as_f64())
                .collect()
        })
        .unwrap_or_default();
    let label = format!(
        "{} on {} ({:.2}%)",
        v["train"]["algorithm"].as_str().unwrap_or("?"),
        v["design"].as_str().unwrap_or("?"),
        100.0 * v["final_test_accuracy"].as_f64().unwrap_or(0.0)
    );
    Ok(vec![
        Curve {
            label,
            accuracy: hw,
        },
        Curve {
            label: v["reference"]["label"].as_str().unwrap_or("reference").into(),
            accuracy: acc(&v["reference"]["accuracy"]),
        },
    ])
}

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Renders test accuracy (percent) against epoch for `curves` as a PNG.
pub fn plot_png(title: &str, curves: &[Curve]) -> Result<Vec<u8>> {
    static FONT_ONCE: std::sync::Once = std::sync::Once::new();
    FONT_ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let (w, h) = (900u32, 560u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let epochs = curves.iter().map(|c| c.accuracy.len()).max().unwrap_or(1).max(1);
        let lo = curves
            .iter()
            .flat_map(|c| c.accuracy.iter())
            .fold(1.0f64, |a, &b| a.min(b));
        let y0 = ((lo * 100.0 / 5.0).floor() * 5.0).clamp(0.0, 95.0);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(1f64..epochs as f64, y0..100f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("test accuracy (%)")
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let colors = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
        for (i, c) in curves.iter().enumerate() {
            let color = colors[i % colors.len()];
            chart
                .draw_series(LineSeries::new(
                    c.accuracy
                        .iter()
                        .enumerate()
                        .map(|(e, a)| ((e + 1) as f64, 100.0 * a)),
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(c.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    let mut png = Vec::new();
    {
        let img = image_rgb(w, h, rgb);
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageOutputFormat::Png)?;
    }
    Ok(png)
}

fn image_rgb(w: u32, h: u32, rgb: Vec<u8>) -> image::RgbImage {
    image::RgbImage::from_raw(w, h, rgb).expect("buffer size matches")
}

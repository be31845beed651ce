//! Line plots as PNG (plotters' bitmap backend, with an embedded DejaVu Sans so that no system
//! fonts are needed), shared by the training and refinement reports.

use anyhow::{anyhow, Result};
use plotters::prelude::*;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// One line of a plot.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn thin and grey-tinted (a theory or reference line).
    pub dashed: bool,
}

/// A plot's frame.
pub struct Frame<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

const COLORS: [RGBColor; 9] = [
    BLUE,
    RED,
    GREEN,
    MAGENTA,
    CYAN,
    BLACK,
    RGBColor(230, 140, 0),
    RGBColor(120, 60, 160),
    RGBColor(0, 120, 90),
];

/// A plotting error as an `anyhow` error.
pub fn err(e: &dyn std::fmt::Display) -> anyhow::Error {
    anyhow!("plot: {e}")
}

/// The colour of series `i`.
pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// A `w` x `h` PNG of what `draw` puts on a white drawing area (the embedded font registered
/// as `sans-serif`).
pub fn png(
    (w, h): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<Vec<u8>> {
    static FONT_ONCE: std::sync::Once = std::sync::Once::new();
    FONT_ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        draw(&root)?;
        root.present().map_err(|e| err(&e))?;
    }
    let img = image::RgbImage::from_raw(w, h, rgb).expect("buffer size matches");
    let mut png = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut png),
        image::ImageOutputFormat::Png,
    )?;
    Ok(png)
}

/// Draws the legend of `chart`'s labelled series at `at`.
pub fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(at)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

/// Renders `series` in `frame` as a PNG; a dashed series takes the colour of the solid series
/// before it.
/// The y range of an accuracy plot in percent: from 5 below the lowest point (rounded down, at
/// least 0) to 100.
pub fn accuracy_range(series: &[Series]) -> (f64, f64) {
    let lo = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(100.0f64, f64::min);
    ((lo - 5.0).max(0.0).floor(), 100.0)
}

pub fn line_png(frame: &Frame, series: &[Series]) -> Result<Vec<u8>> {
    png((960, 600), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(frame.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(frame.x.0..frame.x.1, frame.y.0..frame.y.1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(frame.x_desc)
            .y_desc(frame.y_desc)
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| err(&e))?;
        let mut c = 0usize;
        for (i, s) in series.iter().enumerate() {
            if i > 0 && !s.dashed {
                c += 1;
            }
            let style = if s.dashed {
                color(c).mix(0.45).stroke_width(1)
            } else {
                color(c).stroke_width(2)
            };
            chart
                .draw_series(LineSeries::new(s.points.iter().cloned(), style))
                .map_err(|e| err(&e))?
                .label(s.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

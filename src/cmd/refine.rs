//! `pimforge refine`: how many refinement iterations a 16- or 24-bit solve takes from an
//! INV crossbar of a few bits, against the condition number (golden model).

use anyhow::Result;
use clap::Args;
use pimforge_gen::output::write_tree;
use pimforge_studies::plot::{line_png, Frame, Series};
use pimforge_studies::refine::{study, table, Case};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RefineArgs {
    /// Matrix sizes of the table.
    #[arg(long, value_delimiter = ',', default_value = "4,16,64")]
    pub sizes: Vec<usize>,
    /// Condition numbers.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    pub conds: Vec<f64>,
    /// INV precisions (A_h cells and output ADC) of the plot.
    #[arg(long, value_delimiter = ',', default_value = "6,8,10")]
    pub inv_bits: Vec<u32>,
    /// Taylor terms of the table.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    pub taylor: Vec<u32>,
    /// Diagonal scalings of A_h in the table (`split`, `shared`); the plot uses the first.
    #[arg(long, value_delimiter = ',', default_value = "split,shared", value_parser = ["split", "shared"])]
    pub diagonal: Vec<String>,
    /// Random systems per configuration.
    #[arg(long, default_value_t = 100)]
    pub systems: usize,
    /// Size of the plotted systems.
    #[arg(long, default_value_t = 16)]
    pub plot_size: usize,
    /// Report directory (report.json, table.md, convergence.png).
    #[arg(long, default_value = "build/refine")]
    pub out: PathBuf,
}

pub fn run(a: &RefineArgs) -> Result<()> {
    let mut cases: Vec<Case> = Vec::new();
    for &n in &a.sizes {
        for &cond in &a.conds {
            for d in &a.diagonal {
                for &t in &a.taylor {
                    cases.push(study(n, cond, 8, t, d == "split", a.systems));
                }
            }
        }
    }
    let split = a.diagonal.first().is_none_or(|d| d == "split");
    let mut plotted: Vec<Case> = Vec::new();
    for &cond in &a.conds {
        for &bits in &a.inv_bits {
            plotted.push(study(a.plot_size, cond, bits, 0, split, a.systems));
        }
    }
    let text = format!(
        "Refinement with an 8-bit INV crossbar (A_h in 8-bit cells, 8-bit output ADC, 16-bit input), {} random systems per row:\n\n{}\nINV precision at n = {} (plain refinement):\n\n{}",
        a.systems,
        table(&cases),
        a.plot_size,
        table(&plotted)
    );
    print!("{text}");
    let mut series = Vec::new();
    let iters = plotted
        .iter()
        .map(|c| c.bits.len())
        .max()
        .unwrap_or(1)
        .max(2);
    for c in &plotted {
        series.push(Series {
            label: format!("cond {}, inv.bits {}", c.cond, c.inv_bits),
            points: std::iter::once((0.0, 0.0))
                .chain(
                    c.bits
                        .iter()
                        .enumerate()
                        .map(|(i, b)| ((i + 1) as f64, b.max(-4.0))),
                )
                .collect(),
            dashed: false,
        });
        series.push(Series {
            label: format!("  theory: {:.1} bits/iteration", c.theory_bits_per_iter),
            points: (0..=iters)
                .map(|i| {
                    (
                        i as f64,
                        (i as f64 * c.theory_bits_per_iter).clamp(-4.0, 52.0),
                    )
                })
                .collect(),
            dashed: true,
        });
    }
    let png = line_png(
        &Frame {
            title: &format!(
                "Refinement: bits of accuracy, n = {}, mean of {} systems",
                a.plot_size, a.systems
            ),
            x_desc: "iteration",
            y_desc: "bits of accuracy (-log2 relative error)",
            x: (0.0, iters as f64),
            y: (-4.0, 52.0),
        },
        &series,
    )?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "tool": "pimforge refine",
        "table": cases,
        "plot": plotted,
    }))? + "\n";
    write_tree(
        &a.out,
        &[
            ("report.json".to_string(), json.into_bytes()),
            ("table.md".to_string(), text.into_bytes()),
            ("convergence.png".to_string(), png),
        ],
    )?;
    println!("pimforge: wrote {}", a.out.display());
    Ok(())
}

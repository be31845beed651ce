//! `pimforge plot`: the test accuracy of several `train` reports in one PNG, and their table.

use anyhow::Result;
use clap::Args;
use pimforge_studies::train::report::plot_reports;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Reports written by `pimforge train`.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output directory (accuracy.png).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value = "Digits MLP 64-32-10: test accuracy")]
    pub title: String,
}

pub fn run(a: &PlotArgs, dry: bool) -> Result<()> {
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        say!(
            "pimforge: dry run: would plot {} into {}",
            a.reports.len(),
            a.out.display()
        );
        return Ok(());
    }
    say_raw!("{}", plot_reports(&a.reports, &a.title, &a.out)?);
    say!("pimforge: wrote {}", a.out.join("accuracy.png").display());
    Ok(())
}

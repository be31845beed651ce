//! `pimforge refine`: how many refinement iterations a 16- or 24-bit solve takes from an
//! INV crossbar of a few bits, against the condition number (golden model).

use super::cost_args::CostArgs;
use super::flags::at_least_one;
use anyhow::Result;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use pimforge_studies::refine::{run as study, RefineStudy};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RefineArgs {
    /// Matrix sizes of the table (2..=256).
    #[arg(long, value_delimiter = ',', default_value = "4,16,64",
          value_parser = RangedU64ValueParser::<usize>::new().range(2..=256))]
    pub sizes: Vec<usize>,
    /// Condition numbers (finite, at least 1).
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000", value_parser = at_least_one)]
    pub conds: Vec<f64>,
    /// INV precisions (A_h cells and output ADC) of the plot (2..=16, as `inv.bits`).
    #[arg(long, value_delimiter = ',', default_value = "6,8,10",
          value_parser = clap::value_parser!(u32).range(2..=16))]
    pub inv_bits: Vec<u32>,
    /// Taylor terms of the table (0..=8, as `inv.taylor`).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2",
          value_parser = clap::value_parser!(u32).range(0..=8))]
    pub taylor: Vec<u32>,
    /// Diagonal scalings of A_h in the table (`split`, `shared`); the plot uses the first.
    #[arg(long, value_delimiter = ',', default_value = "split,shared", value_parser = ["split", "shared"])]
    pub diagonal: Vec<String>,
    /// Random systems per configuration (1..=100000).
    #[arg(long, default_value_t = 100,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub systems: usize,
    /// Size of the plotted systems (2..=256).
    #[arg(long, default_value_t = 16,
          value_parser = RangedU64ValueParser::<usize>::new().range(2..=256))]
    pub plot_size: usize,
    /// Report directory (report.json, table.md, convergence.png).
    #[arg(long, default_value = "build/refine")]
    pub out: PathBuf,
    #[command(flatten)]
    pub cost: CostArgs,
}

pub fn run(a: &RefineArgs, dry: bool) -> Result<()> {
    let table = a.cost.table()?;
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        say!("pimforge: dry run: would write {}", a.out.display());
        return Ok(());
    }
    let text = study(&RefineStudy {
        sizes: a.sizes.clone(),
        conds: a.conds.clone(),
        inv_bits: a.inv_bits.clone(),
        taylor: a.taylor.clone(),
        split_diagonal: a.diagonal.iter().map(|d| d == "split").collect(),
        systems: a.systems,
        plot_size: a.plot_size,
        table,
        out: a.out.clone(),
    })?;
    say_raw!("{text}");
    say!("pimforge: wrote {}", a.out.display());
    Ok(())
}

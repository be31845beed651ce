//! The cost-table flags of the commands whose reports carry a cost (`docs/cost.md`).

use anyhow::{Context, Result};
use clap::Args;
use pimforge_studies::cost::CostTable;

#[derive(Args, Debug, Clone)]
pub struct CostArgs {
    /// Cost table that prices the counted events: a built-in one (panther, isaac) or a YAML file
    /// of the same form (assets/cost/).
    #[arg(
        long = "cost",
        value_name = "NAME|FILE.yaml",
        default_value = "panther"
    )]
    pub table: String,
    /// Overrides one number of the table (repeatable): ENTRY.FIELD=VALUE, the entry named by its
    /// event or component, the field one of energy_pj, latency_ns, leak_mw, area_um2; or
    /// clock_ns=VALUE.
    #[arg(long = "cost-set", value_name = "ENTRY.FIELD=VALUE")]
    pub set: Vec<String>,
}

impl CostArgs {
    /// The table with the overrides applied, validated.
    pub fn table(&self) -> Result<CostTable> {
        let mut t =
            CostTable::load(&self.table).with_context(|| format!("--cost {}", self.table))?;
        for s in &self.set {
            t.set(s)?;
        }
        Ok(t)
    }
}

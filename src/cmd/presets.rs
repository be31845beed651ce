//! `pimforge presets`: the named presets, one line each (or a JSON list).

use clap::Args;
use pimforge_gen::presets::PRESETS;

#[derive(Args, Debug)]
pub struct PresetsArgs {
    /// Print a JSON list of {name, description} instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &PresetsArgs) -> anyhow::Result<()> {
    if a.json {
        let list: Vec<_> = PRESETS
            .iter()
            .map(|(name, what)| serde_json::json!({ "name": name, "description": what }))
            .collect();
        say!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for (name, what) in PRESETS {
        say!("{name:<12} {what}");
    }
    Ok(())
}

//! `pimforge map`: where a network's layers would live on a design's tiles: every layer cut
//! into crossbar-sized blocks, the tile of each block and each tile's utilisation.

use super::json_out::JsonOut;
use super::ConfigArgs;
use anyhow::Result;
use clap::Args;
use pimforge_studies::train::mapping::{place, Order};
use pimforge_studies::train::spec::NetworkSpec;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MapArgs {
    /// The design whose tiles hold the network (default preset: puma).
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// The network: a shipped one (digits, digits-256, panther, blobs, rings) or a YAML file.
    #[arg(long, value_name = "NAME|FILE.yaml", default_value = "digits")]
    pub network: String,
    /// The order in which a layer's blocks take tiles.
    #[arg(long, value_enum, default_value_t = Order::RowMajor)]
    pub order: Order,
    /// Also write the placement as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
}

pub fn run(a: &MapArgs, dry: bool) -> Result<()> {
    let spec = NetworkSpec::load(&a.network)?;
    let cfg = a.cfg.resolve()?;
    let p = place(
        &spec,
        (cfg.crossbar.rows, cfg.crossbar.cols),
        cfg.tiles,
        a.order,
    )?;
    let json = match &a.json {
        Some(path) => Some(JsonOut::create(
            path,
            &["layers", "tiles", "network"],
            "pimforge map",
        )?),
        None => None,
    };
    if dry {
        say!(
            "pimforge: dry run: {} fits {} of {}'s {} tiles",
            spec.shape_string(),
            p.tiles.len(),
            a.cfg.label(),
            cfg.tiles
        );
        return Ok(());
    }
    say!("{}", p.table().trim_end());
    if let Some(out) = json {
        out.finish(&(serde_json::to_string_pretty(&p)? + "\n"))?;
    }
    Ok(())
}

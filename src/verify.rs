//! Verification of a generated design: generate, Verilate (cached), and run in lock-step with
//! the golden model.

use crate::config::Config;
use crate::emit::{config_hash, render, Fault, FILE_LIST, TOP};
use crate::output::write_tree;
use anyhow::Result;
use pimforge_tb::verilate::{build, BuildSpec};
use pimforge_tb::{generate, ports::array_ports, Design, Mismatch, Options, Summary};
use std::path::{Path, PathBuf};

/// A design generated and built under a work directory.
pub struct Prepared {
    pub design: Design,
    pub rtl_dir: PathBuf,
    pub build_seconds: f64,
    pub compiled: bool,
}

/// Generates `cfg` into `work/designs/<hash>/` and builds its Verilated model (cached in
/// `work/verilator/`); with `traced`, also the variant with waveform support.
pub fn prepare(cfg: &Config, fault: Option<Fault>, work: &Path, traced: bool) -> Result<Prepared> {
    let hash = config_hash(cfg, fault);
    let rtl_dir = work.join("designs").join(&hash);
    let files = render(cfg, fault);
    let current = || {
        files.iter().all(|(name, text)| {
            std::fs::read_to_string(rtl_dir.join(name)).is_ok_and(|t| &t == text)
        })
    };
    // Designs are shared by concurrent runs (parallel tests): write only what differs, and
    // accept losing the race to a writer of the same files.
    if !current() {
        if let Err(e) = write_tree(&rtl_dir, &files) {
            if !current() {
                return Err(e);
            }
        }
    }
    let shape = cfg.shape();
    let ports = array_ports(&shape, cfg.tiles);
    let cache = work.join("verilator");
    let spec = |trace| BuildSpec {
        rtl_dir: &rtl_dir,
        file_list: FILE_LIST,
        top: TOP,
        ports: &ports,
        cache: &cache,
        trace,
    };
    let built = build(&spec(false))?;
    let traced = if traced {
        Some(build(&spec(true))?.library)
    } else {
        None
    };
    Ok(Prepared {
        design: Design {
            library: built.library,
            traced,
            shape,
            tiles: cfg.tiles,
        },
        rtl_dir,
        build_seconds: built.seconds,
        compiled: built.compiled,
    })
}

/// Runs `products` random products (plus loads, cell writes, error probes) from `seed`.
pub fn verify(
    prepared: &Prepared,
    products: usize,
    opts: &Options,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let d = &prepared.design;
    let stim = generate(&d.shape, d.tiles, products, opts.seed);
    pimforge_tb::run(d, &stim, opts)
}

/// Builds the traced variant of a prepared design (for waveforms of a mismatch).
pub fn add_traced(prepared: &mut Prepared) -> Result<()> {
    let ports = array_ports(&prepared.design.shape, prepared.design.tiles);
    let cache = prepared
        .design
        .library
        .parent()
        .and_then(Path::parent)
        .expect("libraries live in the cache")
        .to_path_buf();
    let built = build(&BuildSpec {
        rtl_dir: &prepared.rtl_dir,
        file_list: FILE_LIST,
        top: TOP,
        ports: &ports,
        cache: &cache,
        trace: true,
    })?;
    prepared.design.traced = Some(built.library);
    Ok(())
}

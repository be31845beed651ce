//! Verification of a generated design: generate, Verilate (cached), and run in lock-step with
//! the golden model.

use crate::config::Config;
use crate::emit::{
    config_hash, device_file, render, Fault, FILE_LIST, INV_FILE_LIST, INV_TOP, SOLVER_FILE_LIST,
    SOLVER_TOP, TOP,
};
use crate::output::write_tree;
use anyhow::{anyhow, Context, Result};
use pimforge_golden::device::from_memh;
use pimforge_golden::solver::{InvShape, RefineUnit};
use pimforge_golden::Cells;
use pimforge_tb::inv::{inv_ports, InvParams};
use pimforge_tb::refine::refine_ports;
use pimforge_tb::verilate::{build, BuildSpec};
use pimforge_tb::{generate, ports::array_ports, Design, Mismatch, Options, Summary};
use std::path::{Path, PathBuf};

/// A design generated and built under a work directory.
pub struct Prepared {
    pub design: Design,
    pub rtl_dir: PathBuf,
    pub build_seconds: f64,
    pub compiled: bool,
    /// Top-level parameter overrides the model was built with.
    pub params: Vec<(String, String)>,
}

/// Generates `cfg` into `work/designs/<hash>/` and builds its Verilated model (cached in
/// `work/verilator/`); with `traced`, also the variant with waveform support.
pub fn prepare(cfg: &Config, fault: Option<Fault>, work: &Path, traced: bool) -> Result<Prepared> {
    let rtl_dir = write_design(cfg, fault, work)?;
    let shape = cfg.shape();
    let ports = array_ports(&shape, cfg.tiles);
    let cache = work.join("verilator");
    let params = top_params(cfg, &rtl_dir)?;
    let spec = |trace| BuildSpec {
        rtl_dir: &rtl_dir,
        file_list: FILE_LIST,
        top: TOP,
        ports: &ports,
        cache: &cache,
        trace,
        params: &params,
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
            cells: initial_cells(cfg, &rtl_dir)?,
            shape,
            tiles: cfg.tiles,
        },
        rtl_dir,
        build_seconds: built.seconds,
        compiled: built.compiled,
        params,
    })
}

/// Runs `products` random products (plus loads, cell writes, error probes) from `seed`.
pub fn verify(
    prepared: &Prepared,
    products: usize,
    opts: &Options,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let d = &prepared.design;
    let stim = generate(&d.shape, &d.cells, products, opts.seed);
    pimforge_tb::run(d, &stim, opts)
}

/// Writes the design of `cfg` into `work/designs/<hash>/` (only the files that differ).
fn write_design(cfg: &Config, fault: Option<Fault>, work: &Path) -> Result<PathBuf> {
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
    Ok(rtl_dir)
}

/// Generates `cfg` (which must have an `inv` section) and builds its standalone INV crossbar;
/// returns the model and its geometry.
pub fn prepare_inv(cfg: &Config, work: &Path) -> Result<(PathBuf, InvParams)> {
    let inv = cfg
        .inv
        .as_ref()
        .ok_or_else(|| anyhow!("the config has no `inv` section"))?;
    let params = InvParams {
        n: inv.size,
        h_bits: inv.cell_bits,
        in_bits: inv.input_bits,
        out_bits: inv.bits,
        latency: inv.latency,
    };
    let rtl_dir = write_design(cfg, None, work)?;
    let ports = inv_ports(&params);
    let built = build(&BuildSpec {
        rtl_dir: &rtl_dir,
        file_list: INV_FILE_LIST,
        top: INV_TOP,
        ports: &ports,
        cache: &work.join("verilator"),
        trace: false,
        params: &[],
    })?;
    Ok((built.library, params))
}

/// The refinement controller's solver parameters from the config's `inv` section (`A`'s
/// entries are the tile's weights).
pub fn inv_shape(cfg: &Config, inv: &crate::config::Inv) -> InvShape {
    InvShape {
        a_bits: cfg.weight.bits,
        h_bits: inv.cell_bits,
        in_bits: inv.input_bits,
        out_bits: inv.bits,
        target_bits: inv.target_bits,
        max_iters: inv.max_iters,
        taylor: inv.taylor,
        latency: inv.latency,
        split_diagonal: inv.diagonal == crate::config::Diagonal::Split,
        ..InvShape::default()
    }
}

/// Width of the controller's solution registers (`pim_refine`'s `XW`).
pub const REFINE_X_BITS: u32 = 100;

/// Generates `cfg` (with an `inv` section) and builds its refinement controller; returns the
/// model and its golden cycle model, idle.
pub fn prepare_refine(cfg: &Config, work: &Path) -> Result<(PathBuf, RefineUnit)> {
    prepare_refine_with(cfg, None, work)
}

/// [`prepare_refine`], optionally with a deliberate bug in the RTL.
pub fn prepare_refine_with(
    cfg: &Config,
    fault: Option<Fault>,
    work: &Path,
) -> Result<(PathBuf, RefineUnit)> {
    let inv = cfg
        .inv
        .as_ref()
        .ok_or_else(|| anyhow!("the config has no `inv` section"))?;
    let shape = inv_shape(cfg, inv);
    let rtl_dir = write_design(cfg, fault, work)?;
    let ports = refine_ports(inv.size, shape.a_bits, REFINE_X_BITS);
    let built = build(&BuildSpec {
        rtl_dir: &rtl_dir,
        file_list: SOLVER_FILE_LIST,
        top: SOLVER_TOP,
        ports: &ports,
        cache: &work.join("verilator"),
        trace: false,
        params: &[],
    })?;
    Ok((
        built.library,
        RefineUnit::new(inv.size, &shape, REFINE_X_BITS, &cfg.shape()),
    ))
}

/// Top-level parameters of a build: where the RTL finds its device files, if it has any.
fn top_params(cfg: &Config, rtl_dir: &Path) -> Result<Vec<(String, String)>> {
    if !cfg.device.has_variation() {
        return Ok(vec![]);
    }
    let dir = rtl_dir.canonicalize()?;
    Ok(vec![("DeviceDir".into(), format!("\"{}\"", dir.display()))])
}

/// The crossbars of every tile after power-up, with the devices of the design's files in
/// `rtl_dir` (the same files the RTL reads), or nominal devices when the config has no
/// variation.
pub fn initial_cells(cfg: &Config, rtl_dir: &Path) -> Result<Vec<Cells>> {
    let shape = cfg.shape();
    (0..cfg.tiles)
        .map(|t| {
            if !cfg.device.has_variation() {
                return Ok(nominal_cells(&shape, t));
            }
            let devices = (0..shape.slices())
                .map(|m| {
                    let path = rtl_dir.join(device_file(t, m));
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    from_memh(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Cells::with_devices(&shape, t, devices))
        })
        .collect()
}

/// The crossbars of every tile after power-up, with devices drawn from the config (what the
/// generator writes into the device files), for golden-model runs without RTL.
pub fn drawn_cells(cfg: &Config) -> Vec<Cells> {
    let shape = cfg.shape();
    (0..cfg.tiles)
        .map(|t| {
            if cfg.device.has_variation() {
                Cells::with_devices(&shape, t, cfg.device.draw(&shape, t))
            } else {
                nominal_cells(&shape, t)
            }
        })
        .collect()
}

fn nominal_cells(shape: &pimforge_golden::TileShape, tile: usize) -> Cells {
    let devices = (0..shape.slices())
        .map(|m| vec![shape.nominal_device(m); shape.rows * shape.cols])
        .collect();
    Cells::with_devices(shape, tile, devices)
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
        params: &prepared.params,
    })?;
    prepared.design.traced = Some(built.library);
    Ok(())
}

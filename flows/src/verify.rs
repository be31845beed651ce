//! Verification of a design: its RTL Verilated (cached) and run in lock-step with the golden
//! model. The design itself (config, shapes, device cells, files) comes from [`Design`].

use anyhow::{anyhow, Result};
use pimforge_gen::design::Design;
use pimforge_gen::emit::{work_dir, FILE_LIST, INV_FILE_LIST, LOWRANK_FILE_LIST, SOLVER_FILE_LIST};
use pimforge_golden::lowrank::unit::LowRankUnit;
use pimforge_golden::solver::{random_system, InvUnit, RefineUnit, Status};
use pimforge_golden::{ArrayGeometry, ArrayModel, Interface};
use pimforge_tb::icarus::{self, Replayed};
use pimforge_tb::refine::run_refine;
use pimforge_tb::verilate::{build, file_list, BuildSpec, Built, PortSpec};
use pimforge_tb::waves::TracedBuild;
use pimforge_tb::{ports, run_stream, ArrayBuild, Mismatch, Options, Stream, Summary, WaveFormat};
use std::path::{Path, PathBuf};

/// A design's array, generated and Verilated under a work directory.
pub struct Prepared {
    pub built: ArrayBuild,
    pub rtl_dir: PathBuf,
    pub build_seconds: f64,
    pub compiled: bool,
    /// Top-level parameter overrides the model was built with.
    pub params: Vec<(String, String)>,
}

/// The ports of a design's array top.
fn array_ports(design: &Design) -> Vec<PortSpec> {
    ports::<ArrayModel>(&ArrayGeometry {
        shape: design.shape.clone(),
        tiles: design.tiles(),
    })
}

/// One build of `top` from the design's files in `rtl_dir`.
fn build_unit(
    rtl_dir: &Path,
    file_list: &str,
    top: &str,
    ports: &[PortSpec],
    work: &Path,
    trace: Option<WaveFormat>,
    params: &[(String, String)],
) -> Result<Built> {
    build(&BuildSpec {
        rtl_dir,
        file_list,
        top,
        ports,
        cache: &work.join("verilator"),
        trace,
        params,
    })
}

/// Writes `design` into `work/designs/<hash>/` and builds its array's Verilated model (cached in
/// `work/verilator/`); with `traced`, also the variant that writes waveforms in that format.
pub fn prepare(design: &Design, work: &Path, traced: Option<WaveFormat>) -> Result<Prepared> {
    prepare_in(design, work_dir(design, work)?, work, traced)
}

/// [`prepare`] of the design's RTL as it is in `rtl_dir` (a copy that may differ, e.g. a mutant
/// of a campaign): built from those files, checked against the design's golden model.
pub fn prepare_in(
    design: &Design,
    rtl_dir: PathBuf,
    work: &Path,
    traced: Option<WaveFormat>,
) -> Result<Prepared> {
    let ports = array_ports(design);
    let params = top_params(design, &rtl_dir)?;
    let top = ArrayModel::TOP;
    let built = build_unit(&rtl_dir, FILE_LIST, top, &ports, work, None, &params)?;
    let traced = match traced {
        Some(format) => Some(TracedBuild {
            library: build_unit(&rtl_dir, FILE_LIST, top, &ports, work, traced, &params)?.library,
            format,
        }),
        None => None,
    };
    Ok(Prepared {
        built: ArrayBuild {
            library: built.library,
            traced,
            cells: design.cells().to_vec(),
            units: design.units().to_vec(),
            shape: design.shape.clone(),
            tiles: design.tiles(),
        },
        rtl_dir,
        build_seconds: built.seconds,
        compiled: built.compiled,
        params,
    })
}

/// Products per chunk of streamed stimulus: a run holds one chunk's commands in memory.
pub const CHUNK_PRODUCTS: usize = 1000;

/// Runs `products` random products (plus loads, cell writes, error probes) from `seed`, the
/// stimulus made and driven [`CHUNK_PRODUCTS`] products at a time; `progress` hears of every
/// chunk done (products done, products in all).
pub fn verify(
    prepared: &Prepared,
    products: usize,
    opts: &Options,
    progress: &dyn Fn(usize, usize),
) -> Result<std::result::Result<Summary, Mismatch>> {
    let d = &prepared.built;
    let mut make = || -> Box<pimforge_tb::lockstep::Source<'_>> {
        let mut stream = Stream::new(&d.shape, &d.cells, &d.units, products, opts.seed);
        let mut made = 0;
        Box::new(move || {
            if made > 0 {
                progress(made, products);
            }
            let chunk = stream.next_chunk(CHUNK_PRODUCTS)?;
            made = (made + CHUNK_PRODUCTS).min(products);
            Some(std::borrow::Cow::Owned(chunk))
        })
    };
    run_stream(d, &mut make, opts)
}

/// Replays the stream a lock-step run recorded in `dir` (`Options::record`) on Icarus, with the
/// design's file list; see [`pimforge_tb::icarus`].
pub fn replay_on_icarus(
    design: &Design,
    prepared: &Prepared,
    dir: &Path,
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<Replayed, Mismatch>> {
    let list = std::fs::read_to_string(prepared.rtl_dir.join(FILE_LIST))?;
    let root = prepared.rtl_dir.canonicalize()?;
    let files: Vec<PathBuf> = file_list(&list).iter().map(|l| root.join(l)).collect();
    let ports = array_ports(design);
    icarus::replay(
        dir,
        ArrayModel::TOP,
        &ports,
        &files,
        &prepared.params,
        seed,
        replay,
    )
}

/// Builds the standalone INV crossbar of a design with an `inv` section; returns the library and
/// the unit's golden cycle model, idle.
pub fn prepare_inv(design: &Design, work: &Path) -> Result<(PathBuf, InvUnit)> {
    let inv = design
        .config()
        .inv
        .as_ref()
        .ok_or_else(|| anyhow!("the config has no `inv` section"))?;
    let model = InvUnit::new(
        inv.size,
        inv.cell_bits,
        inv.input_bits,
        inv.bits,
        inv.latency,
    );
    build_standalone(&work_dir(design, work)?, INV_FILE_LIST, model, work)
}

/// Builds the standalone unit `M` from file list `file_list` of the RTL in `rtl_dir` (its ports
/// from `model`'s port table); returns the library and `model`.
fn build_standalone<M: Interface>(
    rtl_dir: &Path,
    file_list: &str,
    model: M,
    work: &Path,
) -> Result<(PathBuf, M)> {
    let ports = ports::<M>(&model.geometry());
    let built = build_unit(rtl_dir, file_list, M::TOP, &ports, work, None, &[])?;
    Ok((built.library, model))
}

/// Builds the solver (`pim_solver`: the refinement controller, its INV crossbar and its tile) of
/// a design with an `inv` section; returns the library and the solver's golden cycle model, idle.
pub fn prepare_refine(design: &Design, work: &Path) -> Result<(PathBuf, RefineUnit)> {
    prepare_refine_in(design, &work_dir(design, work)?, work)
}

/// [`prepare_refine`] of the RTL as it is in `rtl_dir`.
pub fn prepare_refine_in(
    design: &Design,
    rtl_dir: &Path,
    work: &Path,
) -> Result<(PathBuf, RefineUnit)> {
    let model = design
        .solver_model()
        .ok_or_else(|| anyhow!("the config has no `inv` section"))?;
    build_standalone(rtl_dir, SOLVER_FILE_LIST, model, work)
}

/// Builds SBPCA's low-rank unit (`pim_lowrank`) of a design with a `lowrank` section; returns
/// the library and the unit's golden cycle model after reset.
pub fn prepare_lowrank(design: &Design, work: &Path) -> Result<(PathBuf, LowRankUnit)> {
    let model = design
        .lowrank_model()
        .ok_or_else(|| anyhow!("the config has no `lowrank` section"))?;
    build_standalone(&work_dir(design, work)?, LOWRANK_FILE_LIST, model, work)
}

/// What a passing lock-step run of the solver checked.
#[derive(Clone, Debug)]
pub struct SolverSummary {
    pub systems: usize,
    pub cycles: u64,
    /// Solves by status: converged, max-iterations, diverged, singular.
    pub by_status: [usize; 4],
}

impl std::fmt::Display for SolverSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let [c, m, d, s] = self.by_status;
        write!(
            f,
            "{} systems, {} cycles matched on every output (converged {c}, max-iterations {m}, diverged {d}, singular {s})",
            self.systems, self.cycles
        )
    }
}

/// Solves `systems` random systems (condition numbers 10 to 10^4, indefinite and singular ones
/// among them, from `seed`) on the design's solver in lock-step with its golden cycle model.
pub fn verify_solver(
    design: &Design,
    rtl_dir: &Path,
    work: &Path,
    systems: usize,
    seed: u64,
    replay: &str,
) -> Result<std::result::Result<SolverSummary, Box<Mismatch>>> {
    let (library, model) = prepare_refine_in(design, rtl_dir, work)?;
    let n = model.n;
    let a_bits = model.shape.a_bits;
    let list: Vec<(Vec<i64>, Vec<i64>)> = (0..systems)
        .map(|i| {
            let cond = [10.0, 30.0, 100.0, 1000.0, 1e4, -10.0, f64::INFINITY][i % 7];
            let (mut a, b) = random_system(n, cond, a_bits, seed.wrapping_mul(7919) ^ i as u64);
            if i % 11 == 10 {
                a[0] = 0; // a zero first pivot: singular
            }
            (a, b)
        })
        .collect();
    Ok(
        run_refine(&library, model, &list, seed, replay)?.map(|(solved, cycles)| {
            let mut by_status = [0; 4];
            for s in &solved {
                by_status[match s.solve.status {
                    Status::Converged => 0,
                    Status::MaxIters => 1,
                    Status::Diverged => 2,
                    Status::Singular => 3,
                }] += 1;
            }
            SolverSummary {
                systems,
                cycles,
                by_status,
            }
        }),
    )
}

/// Top-level parameters of a build: where the RTL finds its device files, if it has any.
fn top_params(design: &Design, rtl_dir: &Path) -> Result<Vec<(String, String)>> {
    if !design.config().device.has_variation() {
        return Ok(vec![]);
    }
    let dir = rtl_dir.canonicalize()?;
    Ok(vec![("DeviceDir".into(), format!("\"{}\"", dir.display()))])
}

/// Builds the variant of a prepared design that writes waveforms in `format` (for waveforms of
/// a mismatch).
pub fn add_traced(
    design: &Design,
    prepared: &mut Prepared,
    work: &Path,
    format: WaveFormat,
) -> Result<()> {
    let ports = array_ports(design);
    let (dir, params) = (&prepared.rtl_dir, &prepared.params);
    let top = ArrayModel::TOP;
    let built = build_unit(dir, FILE_LIST, top, &ports, work, Some(format), params)?;
    prepared.built.traced = Some(TracedBuild {
        library: built.library,
        format,
    });
    Ok(())
}

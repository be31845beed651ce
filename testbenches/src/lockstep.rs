//! The lock-step run: DUT and golden model stepped together, every output compared on every
//! cycle, every response checked against the functional model by a scoreboard.
//!
//! Cycle `c` of a run: the host driver sets the inputs with the clock low and the model is
//! evaluated; the DUT's outputs are compared with the golden model's prediction for the same
//! inputs; then the clock rises in both. While no command is valid the driver puts random
//! values on the other command inputs, so a DUT that looks at them is caught.

use crate::bench::Bench;
use crate::coverage::Observer;
pub use crate::mismatch::{Cause, Mismatch};
pub use crate::options::{Heartbeat, Options, HEARTBEAT};
use crate::stimulus::Stimulus;
use crate::summary::summarise;
pub use crate::summary::Summary;
use crate::waves::{TracedBuild, Waves};
use anyhow::{bail, Context, Result};
use pimforge_golden::array::tile_bits;
use pimforge_golden::num::mask;
use pimforge_golden::{ArrayIn, ArrayModel, Op, TileShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A generated design, built and ready to load.
pub struct ArrayBuild {
    /// The model without waveform support (fast to build and run).
    pub library: PathBuf,
    /// The model with waveform support (for `Options::waves` and the replay of a mismatch);
    /// none: no waveforms.
    pub traced: Option<TracedBuild>,
    pub shape: TileShape,
    pub tiles: usize,
    /// Every tile's crossbars after power-up (devices as the RTL reads them).
    pub cells: Vec<pimforge_golden::Cells>,
    /// Every tile's Tiki-Taka unit after power-up (A's devices and references as the RTL reads
    /// them); empty without one.
    pub units: Vec<Option<pimforge_golden::tiki::TikiUnit>>,
}

/// The host driver: presents the stimulus commands in order, honouring ready and idle gaps.
struct Driver<'a> {
    stim: &'a Stimulus,
    next: usize,
    idle_left: u32,
    noise: ChaCha8Rng,
    /// The idle cycles' random command inputs: masks of the address, data and tile ports.
    masks: (u64, u64, u32),
}

impl<'a> Driver<'a> {
    fn new(stim: &'a Stimulus, shape: &'a TileShape, tiles: usize, seed: u64) -> Self {
        Driver {
            stim,
            next: 0,
            idle_left: stim.commands.first().map_or(0, |c| c.idle),
            noise: ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_1d1e),
            masks: (
                mask(shape.addr_bits()) as u64,
                mask(shape.data_bits()) as u64,
                mask(tile_bits(tiles)) as u32,
            ),
        }
    }

    fn done(&self) -> bool {
        self.next >= self.stim.commands.len()
    }

    fn inputs(&mut self) -> ArrayIn {
        if !self.done() && self.idle_left == 0 {
            let c = &self.stim.commands[self.next];
            ArrayIn {
                cmd_valid: true,
                cmd_tile: c.tile,
                cmd_op: c.op,
                cmd_addr: c.addr,
                cmd_data: c.data,
            }
        } else {
            let (addr, data, tile) = self.masks;
            ArrayIn {
                cmd_valid: false,
                cmd_tile: self.noise.random::<u32>() & tile,
                cmd_op: self.noise.random_range(0..1 << Op::BITS),
                cmd_addr: self.noise.random::<u64>() & addr,
                cmd_data: self.noise.random::<u64>() & data,
            }
        }
    }

    /// Advances after a cycle in which `inp` was presented and `ready` was seen.
    fn advance(&mut self, inp: &ArrayIn, ready: bool) -> Option<usize> {
        if inp.cmd_valid {
            if ready {
                let accepted = self.next;
                self.next += 1;
                self.idle_left = self.stim.commands.get(self.next).map_or(0, |c| c.idle);
                return Some(accepted);
            }
        } else if self.idle_left > 0 {
            self.idle_left -= 1;
        }
        None
    }
}

fn describe_command(stim: &Stimulus, i: usize) -> String {
    let c = &stim.commands[i];
    let op = Op::from_code(c.op).map_or(format!("opcode {}", c.op), |o| o.name().to_string());
    format!(
        "command {i}: tile {} {op} addr {:#x} data {:#x} ({})",
        c.tile,
        c.addr,
        c.data,
        stim.txns[c.txn].describe(c.txn)
    )
}

/// Cycles without an accepted command after which the run is declared stalled.
fn stall_limit(shape: &TileShape) -> u64 {
    10 * longest_op(shape) + 100
}

/// Busy cycles of the longest tile operation.
fn longest_op(shape: &TileShape) -> u64 {
    shape
        .mvm_cycles()
        .max(shape.opa_cycles())
        .max(shape.crs_cycles())
        .max(shape.tiki_transfer_cycles())
        .max(
            shape
                .tiki
                .as_ref()
                .map_or(0, |t| shape.pulse_cycles(1 << t.slot_bits)),
        ) as u64
}

/// What was in flight when a run failed: owed responses, the presented command, busy tiles.
fn in_flight(
    stim: &Stimulus,
    driver: &Driver,
    pending: &VecDeque<usize>,
    running: &[Option<usize>],
) -> Vec<String> {
    let mut v = Vec::new();
    for &i in pending {
        v.push(format!("response owed to {}", describe_command(stim, i)));
    }
    if !driver.done() {
        v.push(format!(
            "presented: {}",
            describe_command(stim, driver.next)
        ));
    }
    for (t, r) in running.iter().enumerate() {
        if let Some(txn) = r {
            v.push(format!(
                "tile {t} busy with {}",
                stim.txns[*txn].describe(*txn)
            ));
        }
    }
    v
}

/// Where a run's stimulus comes from: the next chunk, or `None` at the end. A source can be
/// made again from the start (a mismatch is replayed from cycle 0 with waveforms).
/// A chunk is borrowed when the caller holds the whole stimulus, owned when it is made on the
/// way.
pub type Source<'a> = dyn FnMut() -> Option<Cow<'a, Stimulus>> + 'a;

/// How one chunk of a run ended.
enum ChunkEnd {
    Drained,
    /// The waveform window is past: the replay has written what it was for.
    WindowDone,
    Mismatch(Box<Mismatch>),
}

/// The state of a run that carries over from chunk to chunk.
struct Run<'a> {
    design: &'a ArrayBuild,
    bench: Bench<ArrayModel>,
    summary: Summary,
    last_accept: u64,
    /// Record the cycle of every accepted command (a run of one chunk, for tests).
    record: bool,
    observer: Observer,
    heartbeat: Option<fn(&Heartbeat)>,
    /// When the run started, and when it next calls the heartbeat.
    started: Instant,
    next_beat: Instant,
}

impl Run<'_> {
    /// Drives one chunk until its commands are accepted, its responses checked and the tiles idle.
    fn chunk(&mut self, stim: &Stimulus, seed: u64) -> Result<ChunkEnd> {
        let design = self.design;
        let bench = &mut self.bench;
        let mut driver = Driver::new(stim, &design.shape, design.tiles, seed);
        let mut pending: VecDeque<usize> = VecDeque::new();
        let mut running: Vec<Option<usize>> = vec![None; design.tiles];
        let mut drain = 0u32;
        loop {
            if driver.done() && pending.is_empty() {
                // Let the last products finish and the outputs settle.
                drain += 1;
                if drain as u64 > longest_op(&design.shape) + 2 {
                    return Ok(ChunkEnd::Drained);
                }
            }
            let inp = driver.inputs();
            let flags = |m: &ArrayModel| m.tiles.get(inp.cmd_tile as usize).map_or(0, |t| t.errors);
            let flags_before = flags(&bench.model);
            let context = |_: &ArrayModel| in_flight(stim, &driver, &pending, &running);
            let exp = match bench.step(&inp, context)? {
                Ok(o) => o,
                Err(m) => return Ok(ChunkEnd::Mismatch(m)),
            };
            let cycle = bench.cycle - 1;
            if exp.rsp_valid {
                self.summary.responses += 1;
                // What was in flight is described only for a report: never on the passing path.
                let flight = || in_flight(stim, &driver, &pending, &running);
                let Some(&i) = pending.front() else {
                    let what = "rsp_valid_o (no read outstanding)";
                    let m = bench.mismatch(cycle, Cause::Scoreboard, what, 0, 1, flight());
                    return Ok(ChunkEnd::Mismatch(m));
                };
                let want = stim.commands[i].expect.unwrap_or_default();
                if exp.rsp_data != want {
                    let what = format!("rsp_data_o for {}", describe_command(stim, i));
                    let got = exp.rsp_data;
                    let m = bench.mismatch(cycle, Cause::Scoreboard, &what, want, got, flight());
                    return Ok(ChunkEnd::Mismatch(m));
                }
                let c = &stim.commands[i];
                if c.op == Op::ReadStat as u8 {
                    let cov = &mut self.summary.coverage;
                    self.observer.status_read(cov, c.tile, c.addr, want);
                }
                pending.pop_front();
            }
            for (t, r) in running.iter_mut().enumerate() {
                if exp.busy >> t & 1 == 0 {
                    *r = None;
                }
            }
            let clear = inp.cmd_valid && inp.cmd_op == Op::Clear as u8;
            let held = clear && !exp.cmd_ready && exp.bad_tile;
            let accepted = driver.advance(&inp, exp.cmd_ready);
            let taken = accepted.map(|_| {
                let gained = flags(&bench.model) & !flags_before;
                (inp.cmd_tile, inp.cmd_op, inp.cmd_addr, gained)
            });
            let cov = &mut self.summary.coverage;
            self.observer
                .cycle(cov, &design.shape, held, taken, exp.busy);
            if let Some(i) = accepted {
                let c = &stim.commands[i];
                self.summary.commands += 1;
                if self.record {
                    self.summary.accepted.push(cycle);
                }
                self.last_accept = cycle;
                if c.expect.is_some() {
                    pending.push_back(i);
                }
                if [Op::Mvm, Op::Mtvm, Op::Opa, Op::Crs]
                    .iter()
                    .any(|&o| c.op == o as u8)
                {
                    running[c.tile as usize] = Some(c.txn);
                }
            }
            if bench.past_window() {
                return Ok(ChunkEnd::WindowDone);
            }
            if let Some(beat) = self.heartbeat {
                let now = Instant::now();
                if bench.cycle.is_multiple_of(4096) && now >= self.next_beat {
                    self.next_beat = now + HEARTBEAT;
                    beat(&Heartbeat {
                        cycles: bench.cycle,
                        commands: self.summary.commands,
                        commands_in_chunk: (driver.next, stim.commands.len()),
                        seconds: self.started.elapsed().as_secs_f64(),
                    });
                }
            }
            if bench.cycle - self.last_accept > stall_limit(&design.shape) && !driver.done() {
                let flight = in_flight(stim, &driver, &pending, &running);
                let at = bench.cycle;
                let m = bench.mismatch(at, Cause::Stall, "cmd_ready_o", 1, 0, flight);
                return Ok(ChunkEnd::Mismatch(m));
            }
        }
    }
}

/// How a run drives its DUT.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// On its own thread, behind the golden model: the fast path.
    Pipelined,
    /// On this thread, one cycle at a time: the replay that reports a mismatch with its context.
    Inline,
}

/// One lock-step run over every chunk of `source`, with waveforms of a window of cycles when
/// `waves` is given (an inline run).
fn run_once(
    design: &ArrayBuild,
    library: &Path,
    source: &mut Source,
    opts: &Options,
    (mode, waves): (Mode, Option<Waves>),
    record: bool,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let t0 = Instant::now();
    let window = waves.as_ref().map(|w| (w.first, w.last));
    let model = ArrayModel::with_units(&design.shape, design.cells.clone(), design.units.clone());
    let mut bench = match (mode, waves) {
        (_, Some(w)) => Bench::traced(library, model, opts.seed, &opts.replay, w)?,
        (Mode::Pipelined, None) => Bench::pipelined(library, model, opts.seed, &opts.replay)?,
        (Mode::Inline, None) => Bench::load(library, model, opts.seed, &opts.replay)?,
    };
    if let Some(dir) = &opts.record {
        bench.record(dir)?;
    }
    let mut run = Run {
        design,
        bench,
        summary: Summary::default(),
        last_accept: 0,
        record,
        observer: Observer::new(design.tiles),
        heartbeat: opts.heartbeat,
        started: t0,
        next_beat: t0 + HEARTBEAT,
    };
    let mut mismatch = None;
    let mut chunk = 0u64;
    while let Some(stim) = source() {
        // Each chunk's idle-input noise has its own seed; the first chunk's is the run's.
        match run.chunk(&stim, opts.seed ^ chunk.wrapping_mul(0x9e37_79b9_7f4a_7c15))? {
            ChunkEnd::Drained => summarise(&stim, &mut run.summary),
            ChunkEnd::WindowDone => break,
            ChunkEnd::Mismatch(m) => {
                mismatch = Some(*m);
                break;
            }
        }
        chunk += 1;
    }
    let Run {
        mut bench,
        mut summary,
        ..
    } = run;
    // The cycles the DUT's thread still owes: a port that differed there came first.
    if let Some(m) = bench.settle()? {
        if mismatch.as_ref().is_none_or(|f| m.cycle <= f.cycle) {
            mismatch = Some(*m);
        }
    }
    summary.cycles = bench.cycle;
    let written = bench.finish()?;
    if let Some(mut m) = mismatch {
        m.waves = written.map(|w| (w.rtl, w.golden, w.first, w.last.min(m.cycle)));
        return Ok(Err(m));
    }
    if let (Some((first, last)), None) = (window, written) {
        bail!(
            "the run ended at cycle {} before the waveform window {first}..{last} began",
            summary.cycles
        );
    }
    summary.seconds = t0.elapsed().as_secs_f64();
    Ok(Ok(summary))
}

/// Runs the stimulus in lock-step, with waveforms when `opts.waves` asks for them. On a
/// mismatch, replays the same run with waveforms of the cycles before it (when `opts.wave_dir`
/// is set). The summary records the cycle in which each
/// command was accepted.
pub fn run(
    design: &ArrayBuild,
    stim: &Stimulus,
    opts: &Options,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let once = || {
        let mut given = Some(Cow::Borrowed(stim));
        move || given.take()
    };
    run_source(design, &mut || Box::new(once()), opts, true)
}

/// Runs a stream of stimulus chunks in lock-step: `make` makes the stream from its start (again
/// for the waveform replay of a mismatch). The summary does not record accepted cycles.
pub fn run_stream<'s>(
    design: &ArrayBuild,
    make: &mut dyn FnMut() -> Box<Source<'s>>,
    opts: &Options,
) -> Result<std::result::Result<Summary, Mismatch>> {
    run_source(design, make, opts, false)
}

fn run_source<'s>(
    design: &ArrayBuild,
    make: &mut dyn FnMut() -> Box<Source<'s>>,
    opts: &Options,
    record: bool,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let lib = &design.library;
    // Waveforms of the run (or a window of it): the run is inline, on the traced model. A
    // mismatch in it ends it with its waveform written.
    if let Some(w) = &opts.waves {
        let traced = design
            .traced
            .as_ref()
            .context("waveforms asked for, but the design was prepared without its traced model")?;
        let run = (Mode::Inline, Some(w.clone()));
        return run_once(design, &traced.library, &mut *make(), opts, run, record);
    }
    let first = run_once(
        design,
        lib,
        &mut *make(),
        opts,
        (Mode::Pipelined, None),
        record,
    )?;
    let Err(found) = first else {
        return Ok(first);
    };
    // The pipelined run knows where, not what was in flight: the same run again, inline, stops
    // at the same cycle with the whole report (and the waveforms, when asked for). The Icarus
    // recording is not repeated.
    let opts = Options {
        record: None,
        ..opts.clone()
    };
    let inline = |waves| (Mode::Inline, waves);
    let m = match (&opts.wave_dir, &design.traced) {
        (Some(dir), Some(traced)) => {
            std::fs::create_dir_all(dir)?;
            let name = format!("mismatch-seed{}.{}", opts.seed, traced.format.extension());
            let waves = Waves {
                end_run: true,
                ..Waves::at(
                    &dir.join(name),
                    found.cycle.saturating_sub(opts.mismatch_window),
                    found.cycle,
                )
            };
            // The traced run ends with its window, at the mismatch, and names its waveforms.
            let replay = run_once(
                design,
                &traced.library,
                &mut *make(),
                &opts,
                inline(Some(waves)),
                record,
            )?;
            replay.err().unwrap_or(found)
        }
        _ => match run_once(design, lib, &mut *make(), &opts, inline(None), record)? {
            Err(m) => m,
            Ok(_) => found,
        },
    };
    Ok(Err(m))
}

/// The same command stream on the DUT alone (no golden model, no comparison): the baseline a
/// benchmark compares the lock-step harness with. Returns the cycles run.
pub fn run_bare(design: &ArrayBuild, stim: &Stimulus, seed: u64) -> Result<u64> {
    let model = ArrayModel::new(&design.shape, design.tiles);
    let mut bench = Bench::load(&design.library, model, seed, "")?;
    let ready = bench.dut_port("cmd_ready_o");
    let mut driver = Driver::new(stim, &design.shape, design.tiles, seed);
    while !driver.done() {
        let inp = driver.inputs();
        bench.drive(&inp)?;
        driver.advance(&inp, ready.get() != 0);
        bench.edge();
    }
    Ok(bench.cycle)
}

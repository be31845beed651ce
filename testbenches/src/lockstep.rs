//! The lock-step run: DUT and golden model stepped together, every output compared on every
//! cycle, every response checked against the functional model by a scoreboard.
//!
//! Cycle `c` of a run: the host driver sets the inputs with the clock low and the model is
//! evaluated; the DUT's outputs are compared with the golden model's prediction for the same
//! inputs; then the clock rises in both. While no command is valid the driver puts random
//! values on the other command inputs, so a DUT that looks at them is caught.

use crate::dut::{Dut, Port};
use crate::ports::{array_ports, output_values};
use crate::stimulus::{Kind, Stimulus};
use crate::vcd::VcdWriter;
use anyhow::Result;
use pimforge_golden::num::mask;
use pimforge_golden::{ArrayIn, ArrayModel, ArrayOut, Op, TileShape};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A generated design, built and ready to load.
pub struct Design {
    /// The model without waveform support (fast to build and run).
    pub library: PathBuf,
    /// The model with waveform support, for replaying a mismatch; none: no waveforms.
    pub traced: Option<PathBuf>,
    pub shape: TileShape,
    pub tiles: usize,
    /// Every tile's crossbars after power-up (devices as the RTL reads them).
    pub cells: Vec<pimforge_golden::Cells>,
}

/// Counts of a run that matched.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub cycles: u64,
    pub commands: u64,
    pub responses: u64,
    pub forward: u64,
    pub transpose: u64,
    pub exact_checked: u64,
    pub clipped: u64,
    pub weight_loads: u64,
    pub cell_writes: u64,
    pub error_probes: u64,
    pub opas: u64,
    pub opa_clips: u64,
    pub crs_passes: u64,
    pub crs_saturations: u64,
    pub mixed_updates: u64,
    /// Accumulator saturations and clipped transfers of the mixed-precision updates.
    pub mixed_events: u64,
    pub pulses: u64,
    pub seconds: f64,
    /// Cycle in which each stimulus command was accepted.
    pub accepted: Vec<u64>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cycles matched on every output; {} commands, {} responses; {} products ({} MVM, {} MTVM, {} also equal to the big-integer product), {} clipped conversions counted; {} OPAs ({} clipped cell updates), {} CRS passes ({} saturated weights), {} mixed-precision updates ({} saturated or clipped); {} device pulses; {} weight loads, {} raw cell writes, {} error probes; {:.2} s ({:.0} cycles/s)",
            self.cycles,
            self.commands,
            self.responses,
            self.forward + self.transpose,
            self.forward,
            self.transpose,
            self.exact_checked,
            self.clipped,
            self.opas,
            self.opa_clips,
            self.crs_passes,
            self.crs_saturations,
            self.mixed_updates,
            self.mixed_events,
            self.pulses,
            self.weight_loads,
            self.cell_writes,
            self.error_probes,
            self.seconds,
            self.cycles as f64 / self.seconds.max(1e-9)
        )
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A DUT output differs from the golden model's prediction.
    Port,
    /// The DUT and the cycle model agree, but not with the functional model.
    Scoreboard,
    /// No command was accepted for too long.
    Stall,
}

/// The first mismatch of a run, with everything needed to replay and inspect it.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub cause: Cause,
    pub cycle: u64,
    pub signal: String,
    pub expected: u128,
    pub actual: u128,
    pub in_flight: Vec<String>,
    pub seed: u64,
    pub replay: String,
    /// RTL waveform and golden expected values of the cycles around the mismatch.
    pub waves: Option<(PathBuf, PathBuf, u64, u64)>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.cause {
            Cause::Port => "DUT output differs from the golden model",
            Cause::Scoreboard => "response differs from the functional model",
            Cause::Stall => "no command accepted",
        };
        writeln!(f, "MISMATCH at cycle {}: {what}", self.cycle)?;
        writeln!(f, "  signal:    {}", self.signal)?;
        writeln!(f, "  expected:  {:#x} ({})", self.expected, self.expected)?;
        writeln!(f, "  actual:    {:#x} ({})", self.actual, self.actual)?;
        for l in &self.in_flight {
            writeln!(f, "  in flight: {l}")?;
        }
        writeln!(f, "  seed:      {}", self.seed)?;
        writeln!(f, "  replay:    {}", self.replay)?;
        if let Some((rtl, golden, a, b)) = &self.waves {
            writeln!(
                f,
                "  waveform:  {} (RTL) and {} (golden expected values), cycles {a}..={b} (time = 2 * cycle)",
                rtl.display(),
                golden.display()
            )?;
        }
        Ok(())
    }
}

/// Options of a run.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// The command that replays this run, printed on failure.
    pub replay: String,
    /// Where to write waveforms of a mismatch (none: no waveform).
    pub wave_dir: Option<PathBuf>,
    /// Cycles of waveform before the mismatch.
    pub wave_window: u64,
}

struct Pins {
    clk: Port,
    rst: Port,
    valid: Port,
    tile: Port,
    op: Port,
    addr: Port,
    data: Port,
    outs: Vec<Port>,
}

impl Pins {
    fn new(dut: &Dut) -> Pins {
        Pins {
            clk: dut.port("clk_i"),
            rst: dut.port("rst_ni"),
            valid: dut.port("cmd_valid_i"),
            tile: dut.port("cmd_tile_i"),
            op: dut.port("cmd_op_i"),
            addr: dut.port("cmd_addr_i"),
            data: dut.port("cmd_data_i"),
            outs: output_values(&ArrayOut::default())
                .iter()
                .map(|(n, _)| dut.port(n))
                .collect(),
        }
    }

    fn drive(&self, i: &ArrayIn) {
        self.valid.set(i.cmd_valid as u128);
        self.tile.set(i.cmd_tile as u128);
        self.op.set(i.cmd_op as u128);
        self.addr.set(i.cmd_addr as u128);
        self.data.set(i.cmd_data as u128);
    }

    fn reset(&self, dut: &mut Dut) {
        self.rst.set(0);
        self.clk.set(0);
        dut.eval();
        self.clk.set(1);
        dut.eval();
        self.clk.set(0);
        dut.eval();
        self.rst.set(1);
        dut.eval();
    }
}

/// The host driver: presents the stimulus commands in order, honouring ready and idle gaps.
struct Driver<'a> {
    stim: &'a Stimulus,
    next: usize,
    idle_left: u32,
    noise: ChaCha8Rng,
    shape: &'a TileShape,
    tiles: usize,
}

impl<'a> Driver<'a> {
    fn new(stim: &'a Stimulus, shape: &'a TileShape, tiles: usize, seed: u64) -> Self {
        Driver {
            stim,
            next: 0,
            idle_left: stim.commands.first().map_or(0, |c| c.idle),
            noise: ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_1d1e),
            shape,
            tiles,
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
            let tb = crate::ports::tile_bits(self.tiles);
            ArrayIn {
                cmd_valid: false,
                cmd_tile: (self.noise.random::<u32>() & mask(tb) as u32),
                cmd_op: self.noise.random_range(0..1 << Op::BITS),
                cmd_addr: self.noise.random::<u64>() & mask(self.shape.addr_bits()) as u64,
                cmd_data: self.noise.random::<u64>() & mask(self.shape.data_bits()) as u64,
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

fn summarise(stim: &Stimulus, s: &mut Summary) {
    for t in &stim.txns {
        match t.kind {
            Kind::Product(pimforge_golden::Direction::Forward) => s.forward += 1,
            Kind::Product(pimforge_golden::Direction::Transpose) => s.transpose += 1,
            Kind::LoadWeights => s.weight_loads += 1,
            Kind::WriteCells => s.cell_writes += 1,
            Kind::ErrorProbe | Kind::BadTile => s.error_probes += 1,
            Kind::Opa => {
                s.opas += 1;
                s.opa_clips += t.clipped;
            }
            Kind::Crs => {
                s.crs_passes += 1;
                s.crs_saturations += t.clipped;
            }
            Kind::Mixed => {
                s.mixed_updates += 1;
                s.mixed_events += t.clipped;
            }
        }
        s.pulses += t.pulses;
        if matches!(t.kind, Kind::Product(_)) {
            s.exact_checked += t.exact_checked as u64;
            s.clipped += t.clipped;
        }
    }
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
        .max(shape.crs_cycles()) as u64
}

/// One lock-step run; `trace` = (RTL VCD, golden VCD, first cycle, last cycle).
fn run_once(
    design: &Design,
    library: &Path,
    stim: &Stimulus,
    opts: &Options,
    trace: Option<(&Path, &Path, u64, u64)>,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let t0 = Instant::now();
    let ports = array_ports(&design.shape, design.tiles);
    let mut dut = Dut::load(library, &ports, trace.is_some())?;
    let pins = Pins::new(&dut);
    pins.reset(&mut dut);
    let mut model = ArrayModel::with_cells(&design.shape, design.cells.clone());
    let mut driver = Driver::new(stim, &design.shape, design.tiles, opts.seed);
    let mut pending: VecDeque<usize> = VecDeque::new();
    let mut running: Vec<Option<usize>> = vec![None; design.tiles];
    let mut summary = Summary::default();
    let (mut cycle, mut last_accept, mut drain) = (0u64, 0u64, 0u32);
    let out_widths: Vec<(&str, u32)> = ports
        .iter()
        .filter(|p| p.output)
        .map(|p| (p.name.as_str(), p.width))
        .collect();
    let mut golden_vcd = trace.map(|_| VcdWriter::new(&out_widths));

    let fail = |cause,
                cycle,
                signal: &str,
                expected,
                actual,
                driver: &Driver,
                pending: &VecDeque<usize>,
                running: &[Option<usize>]| {
        let mut in_flight = Vec::new();
        for &i in pending {
            in_flight.push(format!("response owed to {}", describe_command(stim, i)));
        }
        if !driver.done() {
            in_flight.push(format!(
                "presented: {}",
                describe_command(stim, driver.next)
            ));
        }
        for (t, r) in running.iter().enumerate() {
            if let Some(txn) = r {
                in_flight.push(format!(
                    "tile {t} busy with {}",
                    stim.txns[*txn].describe(*txn)
                ));
            }
        }
        Mismatch {
            cause,
            cycle,
            signal: signal.to_string(),
            expected,
            actual,
            in_flight,
            seed: opts.seed,
            replay: opts.replay.clone(),
            waves: None,
        }
    };
    let mut mismatch = None;

    'cycles: loop {
        if driver.done() && pending.is_empty() {
            // Let the last products finish and the outputs settle.
            drain += 1;
            if drain as u64 > longest_op(&design.shape) + 2 {
                break;
            }
        }
        if let Some((rtl, _, first, _)) = trace {
            if cycle == first {
                dut.trace_open(rtl)?;
            }
        }
        let inp = driver.inputs();
        pins.drive(&inp);
        pins.clk.set(0);
        dut.eval();
        dut.trace_dump(2 * cycle);
        let exp = model.outputs(&inp);
        let expected = output_values(&exp);
        if let (Some(v), Some((_, _, first, last))) = (golden_vcd.as_mut(), trace) {
            if (first..=last).contains(&cycle) {
                v.sample(2 * cycle, &expected.map(|(_, x)| x));
            }
        }
        for ((name, e), port) in expected.iter().zip(&pins.outs) {
            let a = port.get();
            if a != *e {
                mismatch = Some(fail(
                    Cause::Port,
                    cycle,
                    name,
                    *e,
                    a,
                    &driver,
                    &pending,
                    &running,
                ));
                break 'cycles;
            }
        }
        if exp.rsp_valid {
            summary.responses += 1;
            let Some(&i) = pending.front() else {
                let what = "rsp_valid_o (no read outstanding)";
                mismatch = Some(fail(
                    Cause::Scoreboard,
                    cycle,
                    what,
                    0,
                    1,
                    &driver,
                    &pending,
                    &running,
                ));
                break 'cycles;
            };
            let want = stim.commands[i].expect.unwrap_or_default();
            if exp.rsp_data != want {
                let what = format!("rsp_data_o for {}", describe_command(stim, i));
                mismatch = Some(fail(
                    Cause::Scoreboard,
                    cycle,
                    &what,
                    want,
                    exp.rsp_data,
                    &driver,
                    &pending,
                    &running,
                ));
                break 'cycles;
            }
            pending.pop_front();
        }
        for (t, r) in running.iter_mut().enumerate() {
            if exp.busy >> t & 1 == 0 {
                *r = None;
            }
        }
        if let Some(i) = driver.advance(&inp, exp.cmd_ready) {
            let c = &stim.commands[i];
            summary.commands += 1;
            summary.accepted.push(cycle);
            last_accept = cycle;
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
        pins.clk.set(1);
        dut.eval();
        dut.trace_dump(2 * cycle + 1);
        model.clock(&inp);
        if let (Some(v), Some((_, _, first, last))) = (golden_vcd.as_mut(), trace) {
            if (first..=last).contains(&cycle) {
                v.sample(
                    2 * cycle + 1,
                    &output_values(&model.outputs(&inp)).map(|(_, x)| x),
                );
            }
        }
        if trace.is_some_and(|(_, _, _, last)| cycle == last) {
            break 'cycles;
        }
        cycle += 1;
        if cycle - last_accept > stall_limit(&design.shape) && !driver.done() {
            mismatch = Some(fail(
                Cause::Stall,
                cycle,
                "cmd_ready_o",
                1,
                0,
                &driver,
                &pending,
                &running,
            ));
            break 'cycles;
        }
    }
    dut.trace_close();
    if let (Some(v), Some((_, golden, _, _))) = (golden_vcd, trace) {
        std::fs::write(golden, v.finish())?;
    }
    if let Some(m) = mismatch {
        return Ok(Err(m));
    }
    summary.cycles = cycle;
    summary.seconds = t0.elapsed().as_secs_f64();
    summarise(stim, &mut summary);
    Ok(Ok(summary))
}

/// Runs the stimulus in lock-step. On a mismatch, replays the same run with waveforms of the
/// cycles around it (when `opts.wave_dir` is set).
pub fn run(
    design: &Design,
    stim: &Stimulus,
    opts: &Options,
) -> Result<std::result::Result<Summary, Mismatch>> {
    let first = run_once(design, &design.library, stim, opts, None)?;
    let Err(mut m) = first else {
        return Ok(first);
    };
    if let (Some(dir), Some(traced)) = (&opts.wave_dir, &design.traced) {
        std::fs::create_dir_all(dir)?;
        let rtl = dir.join(format!("mismatch-seed{}.vcd", opts.seed));
        let golden = dir.join(format!("mismatch-seed{}-golden.vcd", opts.seed));
        let (a, b) = (m.cycle.saturating_sub(opts.wave_window), m.cycle);
        // The replay stops at the same mismatch; it exists to write the waveforms.
        let _ = run_once(design, traced, stim, opts, Some((&rtl, &golden, a, b)))?;
        m.waves = Some((rtl, golden, a, b));
    }
    Ok(Err(m))
}

/// The same command stream on the DUT alone (no golden model, no comparison): the baseline a
/// benchmark compares the lock-step harness with. Returns the cycles run.
pub fn run_bare(design: &Design, stim: &Stimulus, seed: u64) -> Result<u64> {
    let ports = array_ports(&design.shape, design.tiles);
    let mut dut = Dut::load(&design.library, &ports, false)?;
    let pins = Pins::new(&dut);
    let ready = dut.port("cmd_ready_o");
    pins.reset(&mut dut);
    let mut driver = Driver::new(stim, &design.shape, design.tiles, seed);
    let mut cycle = 0u64;
    while !driver.done() {
        let inp = driver.inputs();
        pins.drive(&inp);
        pins.clk.set(0);
        dut.eval();
        let r = ready.get() != 0;
        driver.advance(&inp, r);
        pins.clk.set(1);
        dut.eval();
        cycle += 1;
    }
    Ok(cycle)
}

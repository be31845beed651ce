//! The one lock-step engine: any Verilated unit against the golden [`CycleModel`] that predicts
//! it, through the port tables of its [`Interface`].
//!
//! A cycle: the inputs are driven with the clock low and the model is evaluated; every DUT
//! output is compared with the golden prediction for the same inputs; then the clock rises in
//! both. The first output that differs is a [`Mismatch`] naming the cycle, the port, both values,
//! the seed and the replay command. Reset is `rst_ni` low over one clock edge, then released
//! with the clock low. A traced bench also writes the RTL's waveform and the golden expected
//! values of a window of cycles.

use crate::dut::{Dut, Port};
use crate::icarus::Recorder;
use crate::mismatch::{Cause, Mismatch};
use crate::pipeline::{Differs, Pipeline};
use crate::verilate::PortSpec;
use crate::waves::{check_replaceable, partial, GoldenWriter, Waves};
use anyhow::Result;
use pimforge_golden::Interface;
use std::path::Path;

/// Every port of unit `M` of geometry `g` with its width: `clk_i`, `rst_ni`, the inputs, the
/// outputs.
pub fn ports<M: Interface>(g: &M::Geometry) -> Vec<PortSpec> {
    let port = |name: &str, width, output| PortSpec {
        name: name.into(),
        width,
        output,
    };
    let mut v = vec![port("clk_i", 1, false), port("rst_ni", 1, false)];
    v.extend(M::INPUTS.iter().map(|s| port(s.name, (s.width)(g), false)));
    v.extend(M::OUTPUTS.iter().map(|s| port(s.name, (s.width)(g), true)));
    v
}

struct Trace {
    waves: Waves,
    golden: GoldenWriter,
    /// Whether Verilator's waveform is open (from the window's first cycle to its last).
    open: bool,
}

/// The Verilated unit and its ports, run on the caller's thread.
struct Inline {
    dut: Dut,
    clk: Port,
    ins: Vec<Port>,
    outs: Vec<Port>,
}

/// What runs the DUT: the caller's thread, one cycle at a time (waveforms, the bare loop), or
/// a thread of its own that runs behind the golden model ([`Pipeline`]).
enum Engine {
    Inline(Inline),
    Pipelined(Box<Pipeline>),
}

/// A loaded and reset unit in lock-step with its model.
pub struct Bench<M: Interface> {
    engine: Engine,
    pub model: M,
    /// Cycles run (the index of the next cycle).
    pub cycle: u64,
    seed: u64,
    replay: String,
    trace: Option<Trace>,
    recorder: Option<Recorder>,
}

impl<M: Interface> Bench<M> {
    /// Loads the Verilated unit in `library` (built for the [`ports`] of `model`'s geometry) and
    /// resets it.
    pub fn load(library: &Path, model: M, seed: u64, replay: &str) -> Result<Self> {
        Self::open(library, model, seed, replay, None)
    }

    /// [`Self::load`] of a library built with waveform support, writing `waves`.
    pub fn traced(library: &Path, model: M, seed: u64, replay: &str, waves: Waves) -> Result<Self> {
        Self::open(library, model, seed, replay, Some(waves))
    }

    /// [`Self::load`] with the DUT on a thread of its own ([`Pipeline`]): a mismatch is found
    /// some cycles after the golden model ran it, so its `in_flight` context is empty (a caller
    /// that needs it replays the run with [`Self::load`]).
    pub fn pipelined(library: &Path, model: M, seed: u64, replay: &str) -> Result<Self> {
        let spec = ports::<M>(&model.geometry());
        let pipeline = Pipeline::start(
            library.to_path_buf(),
            spec,
            M::INPUTS.iter().map(|s| s.name).collect(),
            M::OUTPUTS.iter().map(|s| s.name).collect(),
        )?;
        Ok(Bench {
            engine: Engine::Pipelined(Box::new(pipeline)),
            model,
            cycle: 0,
            seed,
            replay: replay.into(),
            trace: None,
            recorder: None,
        })
    }

    fn open(
        library: &Path,
        model: M,
        seed: u64,
        replay: &str,
        waves: Option<Waves>,
    ) -> Result<Self> {
        let spec = ports::<M>(&model.geometry());
        let mut dut = Dut::load(library, &spec, waves.is_some())?;
        let trace = match waves {
            Some(waves) => {
                check_replaceable(&waves.rtl)?;
                check_replaceable(&waves.golden)?;
                let outs: Vec<(&str, u32)> = spec
                    .iter()
                    .filter(|p| p.output)
                    .map(|p| (p.name.as_str(), p.width))
                    .collect();
                Some(Trace {
                    golden: GoldenWriter::create(&waves.golden, &outs)?,
                    waves,
                    open: false,
                })
            }
            None => None,
        };
        dut.reset();
        let inline = Inline {
            clk: dut.port("clk_i"),
            ins: M::INPUTS.iter().map(|s| dut.port(s.name)).collect(),
            outs: M::OUTPUTS.iter().map(|s| dut.port(s.name)).collect(),
            dut,
        };
        Ok(Bench {
            engine: Engine::Inline(inline),
            model,
            cycle: 0,
            seed,
            replay: replay.into(),
            trace,
            recorder: None,
        })
    }

    /// The inline engine: the bare loop and waveforms drive the DUT directly.
    fn inline(&mut self) -> &mut Inline {
        match &mut self.engine {
            Engine::Inline(d) => d,
            Engine::Pipelined(_) => panic!("the DUT runs on its own thread in a pipelined bench"),
        }
    }

    /// Records every cycle from now on into `dir` (see [`crate::icarus`]).
    pub fn record(&mut self, dir: &Path) -> Result<()> {
        self.recorder = Some(Recorder::create(dir)?);
        Ok(())
    }

    /// The first cycle of a traced window opens the RTL waveform (under its partial name).
    fn open_waves(&mut self) -> Result<()> {
        let cycle = self.cycle;
        let Some(t) = self.trace.as_mut() else {
            return Ok(());
        };
        if cycle == t.waves.first {
            t.open = true;
            let path = partial(&t.waves.rtl);
            self.inline().dut.trace_open(&path)?;
        }
        Ok(())
    }

    /// Records the golden outputs `out` at `time` in the golden waveform, when cycle `cycle` is
    /// in a traced bench's window.
    fn sample_golden(&mut self, cycle: u64, time: u64, out: &M::Out) -> Result<()> {
        if let Some(t) = self.trace.as_mut() {
            if (t.waves.first..=t.waves.last).contains(&cycle) {
                let values: Vec<u128> = M::OUTPUTS.iter().map(|s| (s.value)(out)).collect();
                t.golden.sample(time, &values)?;
            }
        }
        Ok(())
    }

    /// Drives the inputs with the clock low (the first half of a cycle); inline benches only.
    pub fn drive(&mut self, inp: &M::In) -> Result<()> {
        self.open_waves()?;
        let cycle = self.cycle;
        let d = self.inline();
        for (s, port) in M::INPUTS.iter().zip(&d.ins) {
            port.set((s.value)(inp));
        }
        d.clk.set(0);
        d.dut.eval();
        d.dut.trace_dump(2 * cycle);
        Ok(())
    }

    /// The DUT's port `name`, to read it directly (runs without the model); inline benches only.
    pub fn dut_port(&mut self, name: &str) -> Port {
        self.inline().dut.port(name)
    }

    /// The rising edge (the second half of a cycle), in the DUT only; inline benches only.
    pub fn edge(&mut self) {
        let cycle = self.cycle;
        let window_ends = self.trace.as_ref().is_some_and(|t| t.waves.last == cycle);
        let d = self.inline();
        d.clk.set(1);
        d.dut.eval();
        d.dut.trace_dump(2 * cycle + 1);
        // The window's last cycle closes the RTL waveform; a run that goes on is not traced.
        if window_ends {
            d.dut.trace_close();
        }
        self.cycle += 1;
    }

    /// One cycle in lock-step: drives `inp`, compares every output with the model's prediction,
    /// and clocks both. Returns the outputs (the DUT's, equal to the model's); on a mismatch,
    /// the first differing port, with `context` (given the model) describing what was in flight.
    /// A pipelined bench returns the model's outputs at once and reports a mismatch when the
    /// DUT's batch comes back (an earlier cycle, no context).
    pub fn step(
        &mut self,
        inp: &M::In,
        context: impl FnOnce(&M) -> Vec<String>,
    ) -> Result<std::result::Result<M::Out, Box<Mismatch>>> {
        if let Engine::Pipelined(p) = &mut self.engine {
            let exp = self.model.outputs(inp);
            p.push(
                M::INPUTS.iter().map(|s| (s.value)(inp)),
                M::OUTPUTS.iter().map(|s| (s.value)(&exp)),
            );
            if let Some(d) = p.differs() {
                return Ok(Err(self.differs(d)));
            }
            self.record_cycle(inp, &exp)?;
            self.cycle += 1;
            self.model.clock(inp);
            return Ok(Ok(exp));
        }
        self.drive(inp)?;
        let exp = self.model.outputs(inp);
        let c = self.cycle;
        self.sample_golden(c, 2 * c, &exp)?;
        let d = self.inline();
        let at = M::OUTPUTS
            .iter()
            .zip(&d.outs)
            .map(|(s, port)| (s, (s.value)(&exp), port.get()))
            .find(|(_, expected, actual)| expected != actual);
        if let Some((s, expected, actual)) = at {
            let in_flight = context(&self.model);
            return Ok(Err(self.mismatch(
                c,
                Cause::Port,
                s.name,
                expected,
                actual,
                in_flight,
            )));
        }
        self.record_cycle(inp, &exp)?;
        self.edge();
        self.model.clock(inp);
        if self.trace.is_some() {
            let after = self.model.outputs(inp);
            self.sample_golden(c, 2 * c + 1, &after)?;
        }
        Ok(Ok(exp))
    }

    /// The cycle's inputs and outputs, to the recording of a second simulator's replay.
    fn record_cycle(&mut self, inp: &M::In, exp: &M::Out) -> Result<()> {
        if let Some(r) = self.recorder.as_mut() {
            let ins: Vec<u128> = M::INPUTS.iter().map(|s| (s.value)(inp)).collect();
            let outs: Vec<u128> = M::OUTPUTS.iter().map(|s| (s.value)(exp)).collect();
            r.cycle(&ins, &outs)?;
        }
        Ok(())
    }

    fn differs(&self, d: Differs) -> Box<Mismatch> {
        let name = M::OUTPUTS[d.port].name;
        self.mismatch(d.cycle, Cause::Port, name, d.expected, d.actual, vec![])
    }

    /// Runs the cycles a pipelined bench still owes and returns the first mismatch among all
    /// the cycles run (an inline bench has none: it compares every cycle as it runs).
    pub fn settle(&mut self) -> Result<Option<Box<Mismatch>>> {
        match &mut self.engine {
            Engine::Pipelined(p) => Ok(p.settle()?.map(|d| self.differs(d))),
            Engine::Inline(_) => Ok(None),
        }
    }

    /// Whether a traced bench that ends with its window (a mismatch's replay) is past it.
    pub fn past_window(&self) -> bool {
        self.trace
            .as_ref()
            .is_some_and(|t| t.waves.end_run && self.cycle > t.waves.last)
    }

    /// A mismatch of this run in cycle `cycle`, with its seed and replay command.
    pub fn mismatch(
        &self,
        cycle: u64,
        cause: Cause,
        signal: &str,
        expected: u128,
        actual: u128,
        in_flight: Vec<String>,
    ) -> Box<Mismatch> {
        Box::new(Mismatch {
            cause,
            cycle,
            signal: signal.to_string(),
            expected,
            actual,
            in_flight,
            seed: self.seed,
            replay: self.replay.clone(),
            waves: None,
        })
    }

    /// Closes the waveforms of a traced bench and moves them to their names; the waves written
    /// (none: untraced, or the window never began).
    pub fn finish(mut self) -> Result<Option<Waves>> {
        if let Engine::Inline(d) = &mut self.engine {
            d.dut.trace_close();
        }
        if let Some(r) = self.recorder.take() {
            r.finish()?;
        }
        let Some(t) = self.trace.take() else {
            return Ok(None);
        };
        t.golden.finish()?;
        // A window that never began writes nothing.
        if !t.open {
            std::fs::remove_file(&t.waves.golden)?;
            return Ok(None);
        }
        std::fs::rename(partial(&t.waves.rtl), &t.waves.rtl)?;
        Ok(Some(t.waves))
    }
}

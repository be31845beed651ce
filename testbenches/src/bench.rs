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
use crate::vcd::VcdWriter;
use crate::verilate::PortSpec;
use anyhow::Result;
use pimforge_golden::Interface;
use std::path::{Path, PathBuf};

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

/// Waveforms of the cycles `first..=last`: the RTL's (written by Verilator) and the golden
/// model's expected outputs (time = 2 * cycle, the clock's high phase at 2 * cycle + 1).
pub struct Waves {
    pub rtl: PathBuf,
    pub golden: PathBuf,
    pub first: u64,
    pub last: u64,
}

struct Trace {
    waves: Waves,
    vcd: VcdWriter,
}

/// A loaded and reset unit in lock-step with its model.
pub struct Bench<M: Interface> {
    dut: Dut,
    clk: Port,
    ins: Vec<Port>,
    outs: Vec<Port>,
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

    fn open(
        library: &Path,
        model: M,
        seed: u64,
        replay: &str,
        waves: Option<Waves>,
    ) -> Result<Self> {
        let spec = ports::<M>(&model.geometry());
        let dut = Dut::load(library, &spec, waves.is_some())?;
        let trace = waves.map(|waves| {
            let outs: Vec<(&str, u32)> = spec
                .iter()
                .filter(|p| p.output)
                .map(|p| (p.name.as_str(), p.width))
                .collect();
            Trace {
                vcd: VcdWriter::new(&outs),
                waves,
            }
        });
        let mut bench = Bench {
            clk: dut.port("clk_i"),
            ins: M::INPUTS.iter().map(|s| dut.port(s.name)).collect(),
            outs: M::OUTPUTS.iter().map(|s| dut.port(s.name)).collect(),
            dut,
            model,
            cycle: 0,
            seed,
            replay: replay.into(),
            trace,
            recorder: None,
        };
        bench.reset();
        Ok(bench)
    }

    fn reset(&mut self) {
        let rst = self.dut.port("rst_ni");
        rst.set(0);
        self.clk.set(0);
        self.dut.eval();
        self.clk.set(1);
        self.dut.eval();
        self.clk.set(0);
        self.dut.eval();
        rst.set(1);
        self.dut.eval();
    }

    /// Records every cycle from now on into `dir` (see [`crate::icarus`]).
    pub fn record(&mut self, dir: &Path) -> Result<()> {
        self.recorder = Some(Recorder::create(dir)?);
        Ok(())
    }

    /// The first cycle of a traced window opens the RTL waveform.
    fn open_waves(&mut self) -> Result<()> {
        if let Some(t) = &self.trace {
            if self.cycle == t.waves.first {
                let path = t.waves.rtl.clone();
                self.dut.trace_open(&path)?;
            }
        }
        Ok(())
    }

    /// Records the golden outputs `out` at `time` in the golden waveform, when cycle `cycle` is
    /// in a traced bench's window.
    fn sample_golden(&mut self, cycle: u64, time: u64, out: &M::Out) {
        if let Some(t) = self.trace.as_mut() {
            if (t.waves.first..=t.waves.last).contains(&cycle) {
                let values: Vec<u128> = M::OUTPUTS.iter().map(|s| (s.value)(out)).collect();
                t.vcd.sample(time, &values);
            }
        }
    }

    /// Drives the inputs with the clock low (the first half of a cycle).
    pub fn drive(&mut self, inp: &M::In) -> Result<()> {
        self.open_waves()?;
        for (s, port) in M::INPUTS.iter().zip(&self.ins) {
            port.set((s.value)(inp));
        }
        self.clk.set(0);
        self.dut.eval();
        self.dut.trace_dump(2 * self.cycle);
        Ok(())
    }

    /// The DUT's port `name`, to read it directly (runs without the model).
    pub fn dut_port(&self, name: &str) -> Port {
        self.dut.port(name)
    }

    /// The rising edge (the second half of a cycle), in the DUT only.
    pub fn edge(&mut self) {
        self.clk.set(1);
        self.dut.eval();
        self.dut.trace_dump(2 * self.cycle + 1);
        self.cycle += 1;
    }

    /// One cycle in lock-step: drives `inp`, compares every output with the model's prediction,
    /// and clocks both. Returns the outputs (the DUT's, equal to the model's); on a mismatch,
    /// the first differing port, with `context` (given the model) describing what was in flight.
    pub fn step(
        &mut self,
        inp: &M::In,
        context: impl FnOnce(&M) -> Vec<String>,
    ) -> Result<std::result::Result<M::Out, Box<Mismatch>>> {
        self.drive(inp)?;
        let exp = self.model.outputs(inp);
        let c = self.cycle;
        self.sample_golden(c, 2 * c, &exp);
        for (s, port) in M::OUTPUTS.iter().zip(&self.outs) {
            let (expected, actual) = ((s.value)(&exp), port.get());
            if expected != actual {
                let at = self.cycle;
                return Ok(Err(self.mismatch(
                    at,
                    Cause::Port,
                    s.name,
                    expected,
                    actual,
                    context(&self.model),
                )));
            }
        }
        if let Some(r) = self.recorder.as_mut() {
            let ins: Vec<u128> = M::INPUTS.iter().map(|s| (s.value)(inp)).collect();
            let outs: Vec<u128> = M::OUTPUTS.iter().map(|s| (s.value)(&exp)).collect();
            r.cycle(&ins, &outs)?;
        }
        self.edge();
        self.model.clock(inp);
        if self.trace.is_some() {
            let after = self.model.outputs(inp);
            self.sample_golden(c, 2 * c + 1, &after);
        }
        Ok(Ok(exp))
    }

    /// Whether a traced bench has run past its window.
    pub fn past_window(&self) -> bool {
        self.trace
            .as_ref()
            .is_some_and(|t| self.cycle > t.waves.last)
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

    /// Closes the waveforms of a traced bench (the golden one is written here).
    pub fn finish(mut self) -> Result<Option<Waves>> {
        self.dut.trace_close();
        if let Some(r) = self.recorder.take() {
            r.finish()?;
        }
        match self.trace.take() {
            Some(t) => {
                std::fs::write(&t.waves.golden, t.vcd.finish())?;
                Ok(Some(t.waves))
            }
            None => Ok(None),
        }
    }
}

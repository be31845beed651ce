//! Lock-step of a small unit (the INV crossbar, the refinement controller) against its golden
//! cycle model: the inputs of a cycle are driven with the clock low, every output is compared
//! with the model's prediction, then the clock rises in both.

use crate::dut::{Dut, Port};
use crate::lockstep::{Cause, Mismatch};
use crate::verilate::PortSpec;
use anyhow::Result;
use std::path::Path;

/// A loaded unit with its ports in a fixed order.
pub struct UnitBench {
    pub dut: Dut,
    clk: Port,
    ins: Vec<Port>,
    outs: Vec<(String, Port)>,
    pub cycle: u64,
    seed: u64,
    replay: String,
}

impl UnitBench {
    /// Loads the model and resets it (`rst_ni` low for one clock). `ports` must start with
    /// `clk_i` and `rst_ni`; the other inputs and the outputs keep their order.
    pub fn load(library: &Path, ports: &[PortSpec], seed: u64, replay: &str) -> Result<Self> {
        let mut dut = Dut::load(library, ports, false)?;
        let (clk, rst) = (dut.port("clk_i"), dut.port("rst_ni"));
        let pick = |output: bool| {
            ports
                .iter()
                .filter(move |p| p.output == output && p.name != "clk_i" && p.name != "rst_ni")
        };
        let ins = pick(false).map(|p| dut.port(&p.name)).collect();
        let outs = pick(true)
            .map(|p| (p.name.clone(), dut.port(&p.name)))
            .collect();
        rst.set(0);
        clk.set(0);
        dut.eval();
        clk.set(1);
        dut.eval();
        clk.set(0);
        rst.set(1);
        dut.eval();
        Ok(UnitBench {
            dut,
            clk,
            ins,
            outs,
            cycle: 0,
            seed,
            replay: replay.into(),
        })
    }

    /// One cycle: `inputs` in port order, compared against `expected` outputs in port order
    /// before the clock rises. `context` describes what runs, for a mismatch report.
    pub fn cycle(
        &mut self,
        inputs: &[u128],
        expected: &[u128],
        context: impl FnOnce() -> String,
    ) -> std::result::Result<(), Box<Mismatch>> {
        for (port, &v) in self.ins.iter().zip(inputs) {
            port.set(v);
        }
        self.clk.set(0);
        self.dut.eval();
        for ((name, port), &e) in self.outs.iter().zip(expected) {
            let a = port.get();
            if a != e {
                return Err(Box::new(Mismatch {
                    cause: Cause::Port,
                    cycle: self.cycle,
                    signal: name.clone(),
                    expected: e,
                    actual: a,
                    in_flight: vec![context()],
                    seed: self.seed,
                    replay: self.replay.clone(),
                    waves: None,
                }));
            }
        }
        self.clk.set(1);
        self.dut.eval();
        self.cycle += 1;
        Ok(())
    }
}

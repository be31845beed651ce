//! The DUT on a thread of its own: the bench sends it the inputs of every cycle in batches and
//! compares the outputs it sends back with the golden model's, which runs ahead on the caller's
//! thread. On two cores a cycle then costs the slower of the two models rather than their sum.
//!
//! The stimulus never depends on the DUT (drivers and scoreboards read the golden model's
//! outputs, which equal the DUT's until a mismatch), so the DUT can run behind. A mismatch is
//! found when its batch comes back, up to [`BATCH`] x ([`IN_FLIGHT`] + 1) cycles after the golden
//! model ran it: the run then stops, and its cycle, port and values are exact.

use crate::dut::Dut;
use crate::verilate::PortSpec;
use anyhow::{anyhow, Context, Result};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Cycles per batch.
pub const BATCH: usize = 2048;
/// Batches queued for the DUT beyond the one it runs.
pub const IN_FLIGHT: usize = 2;

/// A DUT output that differs: the cycle, the index of the output port, expected and actual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Differs {
    pub cycle: u64,
    pub port: usize,
    pub expected: u128,
    pub actual: u128,
}

/// The DUT's thread and the cycles it owes.
pub struct Pipeline {
    to_dut: Option<SyncSender<Vec<u128>>>,
    from_dut: Receiver<Vec<u128>>,
    worker: Option<JoinHandle<()>>,
    n_in: usize,
    n_out: usize,
    /// Inputs of the cycles not yet sent, and their expected outputs.
    inputs: Vec<u128>,
    expected: Vec<u128>,
    /// Expected outputs of the batches sent, oldest first, with their first cycle.
    owed: VecDeque<(u64, Vec<u128>)>,
    /// The first cycle of `inputs`.
    first: u64,
    differs: Option<Differs>,
}

impl Pipeline {
    /// Loads the model in `library` on a new thread, resets it ([`Dut::reset`]), and
    /// waits until it is ready. `ins` and `outs` name the ports of each cycle's values, in order.
    pub fn start(
        library: PathBuf,
        spec: Vec<PortSpec>,
        ins: Vec<&'static str>,
        outs: Vec<&'static str>,
    ) -> Result<Pipeline> {
        let (n_in, n_out) = (ins.len(), outs.len());
        let (to_dut, batches) = mpsc::sync_channel::<Vec<u128>>(IN_FLIGHT);
        let (results, from_dut) = mpsc::sync_channel::<Vec<u128>>(IN_FLIGHT + 1);
        let (ready_tx, ready) = mpsc::channel::<Result<()>>();
        let worker = std::thread::Builder::new()
            .name("pimforge-dut".into())
            .spawn(move || {
                // The model is made, run and freed on this thread only.
                let mut dut = match Dut::load(&library, &spec, false) {
                    Ok(d) => d,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let clk = dut.port("clk_i");
                let ins: Vec<_> = ins.iter().map(|n| dut.port(n)).collect();
                let outs: Vec<_> = outs.iter().map(|n| dut.port(n)).collect();
                dut.reset();
                if ready_tx.send(Ok(())).is_err() {
                    return;
                }
                for batch in batches {
                    let mut got = Vec::with_capacity(batch.len() / n_in.max(1) * n_out);
                    for cycle in batch.chunks_exact(n_in) {
                        for (p, &v) in ins.iter().zip(cycle) {
                            p.set(v);
                        }
                        clk.set(0);
                        dut.eval();
                        got.extend(outs.iter().map(|p| p.get()));
                        clk.set(1);
                        dut.eval();
                    }
                    if results.send(got).is_err() {
                        return;
                    }
                }
            })
            .context("cannot start the DUT's thread")?;
        ready
            .recv()
            .map_err(|_| anyhow!("the DUT's thread ended while loading the model"))??;
        Ok(Pipeline {
            to_dut: Some(to_dut),
            from_dut,
            worker: Some(worker),
            n_in,
            n_out,
            inputs: Vec::with_capacity(BATCH * n_in),
            expected: Vec::with_capacity(BATCH * n_out),
            owed: VecDeque::new(),
            first: 0,
            differs: None,
        })
    }

    /// Queues one cycle: its inputs and the outputs the golden model expects.
    pub fn push(
        &mut self,
        inputs: impl Iterator<Item = u128>,
        expected: impl Iterator<Item = u128>,
    ) {
        self.inputs.extend(inputs);
        self.expected.extend(expected);
        if self.inputs.len() >= BATCH * self.n_in {
            self.send();
        }
    }

    /// The first output that differed, among the batches that came back.
    pub fn differs(&self) -> Option<Differs> {
        self.differs
    }

    /// Sends the queued cycles, and checks the batches that are back (waiting for the oldest
    /// when the queue is full).
    fn send(&mut self) {
        if self.inputs.is_empty() {
            return;
        }
        let cycles = (self.inputs.len() / self.n_in.max(1)) as u64;
        let inputs = std::mem::replace(&mut self.inputs, Vec::with_capacity(BATCH * self.n_in));
        let expected =
            std::mem::replace(&mut self.expected, Vec::with_capacity(BATCH * self.n_out));
        self.owed.push_back((self.first, expected));
        self.first += cycles;
        if let Some(tx) = &self.to_dut {
            // A closed channel means the thread ended; `settle` reports it.
            let _ = tx.send(inputs);
        }
        while self.owed.len() > IN_FLIGHT + 1 {
            self.receive_one();
        }
        while let Ok(got) = self.from_dut.try_recv() {
            self.compare(got);
        }
    }

    fn receive_one(&mut self) {
        match self.from_dut.recv() {
            Ok(got) => self.compare(got),
            // The thread is gone (it panicked): nothing more comes back.
            Err(_) => self.owed.clear(),
        }
    }

    fn compare(&mut self, got: Vec<u128>) {
        let Some((first, expected)) = self.owed.pop_front() else {
            return;
        };
        if self.differs.is_some() {
            return;
        }
        let n = self.n_out.max(1);
        let at = expected.iter().zip(&got).position(|(e, a)| e != a);
        if let Some(i) = at {
            self.differs = Some(Differs {
                cycle: first + (i / n) as u64,
                port: i % n,
                expected: expected[i],
                actual: got[i],
            });
        }
    }

    /// Runs every queued cycle on the DUT and checks them all.
    pub fn settle(&mut self) -> Result<Option<Differs>> {
        self.send();
        while !self.owed.is_empty() {
            self.receive_one();
        }
        if self.worker.as_ref().is_some_and(|w| w.is_finished()) && self.differs.is_none() {
            let w = self.worker.take().expect("worker");
            w.join().map_err(|_| anyhow!("the DUT's thread panicked"))?;
        }
        Ok(self.differs)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; it frees the model.
        self.to_dut.take();
        while self.from_dut.recv().is_ok() {}
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

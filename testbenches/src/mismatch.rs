//! The first mismatch of a lock-step run: what differed, where, and how to replay it.

use std::fmt;
use std::path::PathBuf;

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A DUT output differs from the golden model's prediction.
    Port,
    /// The DUT and the cycle model agree, but not with the functional model.
    Scoreboard,
    /// No command was accepted for too long.
    Stall,
    /// Icarus, replaying the recorded stream, differs from the Verilator outputs it recorded.
    SecondSimulator,
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
            Cause::SecondSimulator => "Icarus differs from Verilator (and the golden model)",
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

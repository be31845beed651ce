//! The options of a lock-step run, and the heartbeat a long run reports to.

use crate::waves::Waves;
use std::path::PathBuf;

/// Options of a run.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// The command that replays this run, printed on failure.
    pub replay: String,
    /// Waveforms of the run, or of a window of its cycles (none: only a mismatch's).
    pub waves: Option<Waves>,
    /// Where to write the waveforms of a mismatch's replay (none: no replay waveform).
    pub wave_dir: Option<PathBuf>,
    /// Cycles of waveform before a mismatch.
    pub mismatch_window: u64,
    /// Where to record every cycle's inputs and outputs for a second simulator (none: no
    /// recording; see [`crate::icarus`]).
    pub record: Option<PathBuf>,
    /// Run the DUT on this thread, one cycle at a time, rather than on a thread of its own
    /// behind the golden model ([`crate::pipeline`]): the same results, slower on two cores.
    pub inline: bool,
    /// Called about every [`HEARTBEAT`] of a run with how far it is (none: silent). A long
    /// chunk (the weight loads of many large tiles) otherwise says nothing for many minutes.
    pub heartbeat: Option<fn(&Heartbeat)>,
}

/// How often [`Options::heartbeat`] is called.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

/// How far a run is: cycles matched, commands accepted (over the chunks so far) and seconds.
#[derive(Clone, Copy, Debug)]
pub struct Heartbeat {
    pub cycles: u64,
    pub commands: u64,
    pub commands_in_chunk: (usize, usize),
    pub seconds: f64,
}

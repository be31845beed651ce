//! What a lock-step run of the array matched: the counts of its transactions and cycles, and
//! the coverage bins it hit.

use crate::coverage::Coverage;
use crate::stimulus::{Kind, Stimulus};
use std::fmt;

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
    /// Tiki-Taka transactions, and their clipped cell updates.
    pub tiki_updates: u64,
    pub tiki_clips: u64,
    /// Low-rank transactions (samples absorbed, usually a batch's end).
    pub lowrank: u64,
    pub pulses: u64,
    pub seconds: f64,
    /// Cycle in which each stimulus command was accepted.
    pub accepted: Vec<u64>,
    /// The coverage bins hit (see [`crate::coverage`]).
    pub coverage: Coverage,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cycles matched on every output; {} commands, {} responses; {} products ({} MVM, {} MTVM, {} also equal to the big-integer product), {} clipped conversions counted; {} OPAs ({} clipped cell updates), {} CRS passes ({} saturated weights), {} mixed-precision updates ({} saturated or clipped), {} Tiki-Taka updates ({} clipped), {} low-rank batches; {} device pulses; {} weight loads, {} raw cell writes, {} error probes; {:.2} s ({:.0} cycles/s)",
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
            self.tiki_updates,
            self.tiki_clips,
            self.lowrank,
            self.pulses,
            self.weight_loads,
            self.cell_writes,
            self.error_probes,
            self.seconds,
            self.cycles as f64 / self.seconds.max(1e-9)
        )
    }
}

/// Adds the transactions of a chunk that matched to the counts.
pub(crate) fn summarise(stim: &Stimulus, s: &mut Summary) {
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
            Kind::Tiki => {
                s.tiki_updates += 1;
                s.tiki_clips += t.clipped;
            }
            Kind::LowRank => s.lowrank += 1,
            Kind::StatusSweep => {}
        }
        for &b in &t.hits {
            s.coverage.hit(b);
        }
        s.pulses += t.pulses;
        if matches!(t.kind, Kind::Product(_)) {
            s.exact_checked += t.exact_checked as u64;
            s.clipped += t.clipped;
        }
    }
}

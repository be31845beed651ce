//! The solver's cost events: what the refinement controller and its INV crossbar do in a solve,
//! counted as `pim_refine` counts them (`ev_o`, the counts of the last solve) so that a cost table
//! can price them. The tile's own events (its loads and product passes) are the tile's
//! [`crate::events::Event`]s.

use crate::protocol::solver_event;

/// A counted action of the solver (`ev_o` at `ev_idx_i = e as usize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SolverEvent {
    InvWrites,
    InvDrives,
    InvSolves,
    InvConversions,
    ProductPasses,
    PartialSums,
    SolutionUpdates,
    StopSteps,
}

/// Number of solver events.
pub const SOLVER_EVENTS: usize = solver_event::COUNT as usize;

impl SolverEvent {
    /// Every event, in index order.
    pub const ALL: [SolverEvent; SOLVER_EVENTS] = [
        SolverEvent::InvWrites,
        SolverEvent::InvDrives,
        SolverEvent::InvSolves,
        SolverEvent::InvConversions,
        SolverEvent::ProductPasses,
        SolverEvent::PartialSums,
        SolverEvent::SolutionUpdates,
        SolverEvent::StopSteps,
    ];

    /// The name (`INV_WRITES`).
    pub fn name(self) -> &'static str {
        solver_event::TABLE[self as usize].1
    }

    /// The name in lower case, as reports and cost tables spell it.
    pub fn key(self) -> String {
        self.name().to_ascii_lowercase()
    }

    pub fn from_key(key: &str) -> Option<SolverEvent> {
        SolverEvent::ALL.into_iter().find(|e| e.key() == key)
    }
}

crate::counts!(
    /// A count per solver event (exact; `ev_o` saturates at 32 bits).
    SolverEvents,
    SolverEvent,
    SOLVER_EVENTS
);

impl SolverEvents {
    /// The value of `ev_o`: the count, saturated at 32 bits.
    pub fn word(&self, e: SolverEvent) -> u64 {
        self[e].min(u32::MAX as u64)
    }
}

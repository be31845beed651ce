//! The phases of a training run that a cost report splits into, and the events and tile cycles
//! counted in each.

use pimforge_golden::events::{Event, Events};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A phase of training (NeuroSim's split: FW, AG, WG + WU, and the periodic passes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Programming the initial weights.
    Load,
    /// Forward products of training samples (FW).
    Forward,
    /// Transpose products of the backward pass (AG).
    Backward,
    /// The per-sample weight update: OPA, ACCUMULATE or PULSE (WG and WU).
    Update,
    /// The periodic passes: CRS, or the transfers of mixed precision and Tiki-Taka.
    Resolve,
    /// Forward products of the test set after each epoch (not training work).
    Test,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Load,
        Phase::Forward,
        Phase::Backward,
        Phase::Update,
        Phase::Resolve,
        Phase::Test,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::Forward => "forward",
            Phase::Backward => "backward",
            Phase::Update => "update",
            Phase::Resolve => "resolve",
            Phase::Test => "test",
        }
    }

    /// Whether the phase is part of a training step (load and test are not).
    pub fn is_training(self) -> bool {
        !matches!(self, Phase::Load | Phase::Test)
    }
}

/// What one phase counted on a tile: its events and the tile's cycles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub events: Events,
    /// Cycles of the tile's operations (their RTL latencies) and of the commands that fed them.
    pub cycles: u64,
    /// In-array update steps taken one after another (an OPA bit-step of all slices at once, a
    /// transfer row, a pulse slot): each lasts at least the table's update latency.
    pub update_rounds: u64,
    /// Planes sampled (all slices at once): each lasts at least the table's array read latency.
    pub planes: u64,
}

impl std::ops::AddAssign for Work {
    fn add_assign(&mut self, o: Work) {
        self.events += o.events;
        self.cycles += o.cycles;
        self.update_rounds += o.update_rounds;
        self.planes += o.planes;
    }
}

/// The work of every phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseWork(pub [Work; 6]);

impl PhaseWork {
    pub fn get(&self, p: Phase) -> &Work {
        &self.0[p as usize]
    }

    /// Adds `w` to phase `p`.
    pub fn add(&mut self, p: Phase, w: Work) {
        self.0[p as usize] += w;
    }

    /// Every phase's events summed.
    pub fn total(&self) -> Events {
        let mut e = Events::default();
        for w in &self.0 {
            e += w.events;
        }
        e
    }
}

impl std::ops::AddAssign for PhaseWork {
    fn add_assign(&mut self, o: PhaseWork) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

/// `{phase: {cycles, event: count, ...}}`.
impl Serialize for PhaseWork {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(Phase::ALL.len()))?;
        for p in Phase::ALL {
            let w = self.get(p);
            let mut fields = serde_json::Map::new();
            fields.insert("cycles".into(), w.cycles.into());
            fields.insert("update_rounds".into(), w.update_rounds.into());
            fields.insert("planes".into(), w.planes.into());
            for (e, n) in w.events.iter() {
                fields.insert(e.key(), n.into());
            }
            m.serialize_entry(p.key(), &fields)?;
        }
        m.end()
    }
}

/// The events of phase map `v` (as [`PhaseWork`] serialises it), for `pimforge cost` on a report.
pub fn from_json(v: &serde_json::Value) -> Option<PhaseWork> {
    let mut w = PhaseWork::default();
    for p in Phase::ALL {
        let o = v.get(p.key())?;
        let slot = &mut w.0[p as usize];
        slot.cycles = o.get("cycles")?.as_u64()?;
        slot.update_rounds = o.get("update_rounds")?.as_u64()?;
        slot.planes = o.get("planes")?.as_u64()?;
        for e in Event::ALL {
            slot.events[e] = o.get(e.key())?.as_u64()?;
        }
    }
    Some(w)
}

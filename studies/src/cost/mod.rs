//! What a run costs: the events the tiles counted, split by training phase, priced by a cost
//! table into energy, latency and area (`docs/cost.md`).

pub mod digital;
pub mod phase;
pub mod plot;
pub mod price;
pub mod solve;
pub mod table;
pub mod work;

pub use phase::{Phase, PhaseWork, Work};
pub use table::CostTable;
pub use work::TileOp;

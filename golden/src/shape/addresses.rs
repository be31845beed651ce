//! The address space of every addressed command: which addresses a tile takes, and so which is
//! the last valid and the first invalid one. The tile model checks addresses with this, and the
//! harness's coverage asks it for the edges.

use super::TileShape;
use crate::protocol::{stat, Op};

impl TileShape {
    /// The number of valid addresses of `op`: `addr < n` is taken, `addr >= n` raises
    /// `BAD_ADDR`. None: the command has no address (or the tile lacks its unit). Cell
    /// addresses are the fields `{slice, row, col}` with `rows` and `cols` powers of two, so
    /// they count up without holes: `LOAD_W` takes slice 0, `WRITE_CELL` every slice.
    pub fn addresses(&self, op: Op) -> Option<u64> {
        let cells = 1u64 << (self.row_bits() + self.col_bits());
        match op {
            Op::WriteX | Op::ReadY => Some(self.lines() as u64),
            Op::WriteD => Some(self.cols as u64),
            Op::ReadStat => Some(stat::COUNT),
            Op::LoadW => Some(cells),
            Op::WriteCell => Some(self.slices() as u64 * cells),
            Op::WriteProb => self.tiki.as_ref().map(|_| (self.rows + self.cols) as u64),
            // 0: into A (chopped), 1: into C.
            Op::Pulse => self.tiki.as_ref().map(|_| 2),
            Op::ReadUnit => self
                .unit_map()
                .map(|m| m.words)
                .or(self.lowrank_map().map(|m| m.words)),
            // The low-rank unit's counters (after its scale) are read-only.
            Op::WriteUnit => self
                .unit_map()
                .map(|m| m.words)
                .or(self.lowrank_map().map(|m| m.scale + 1)),
            Op::Mvm
            | Op::Mtvm
            | Op::Clear
            | Op::Opa
            | Op::Crs
            | Op::Accumulate
            | Op::Transfer
            | Op::Absorb
            | Op::EndBatch => None,
        }
    }

    /// Whether the address field can carry `addr` (it is `addr_bits` wide).
    pub fn addressable(&self, addr: u64) -> bool {
        addr < 1u64 << self.addr_bits()
    }
}

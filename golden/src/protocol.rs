//! The hardware contract: every code, field layout, seed hash and fixed width that the RTL and
//! the golden model share, written once.
//!
//! The golden model, the harness and the stimulus use these items directly. The generator
//! renders [`constants`] into the SystemVerilog package `pim_pkg` (first in every file list),
//! and the templates use qualified names (`pim_pkg::OpMvm`): no template keeps a copy of a
//! code or a fixed width. Changing an opcode, a status word or the device-file layout is an
//! edit of this file.

/// Command opcodes of the tile ([`OP_BITS`] bits on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Op {
    /// `x[addr] = data` (input buffer, one entry per line).
    WriteX = 1,
    /// Program the canonical digits of weight `data` into cell `addr = {row, col}` of all slices.
    LoadW = 2,
    /// Program raw level `data` into cell `addr = {slice, row, col}`.
    WriteCell = 3,
    /// Forward product `y = x . W` over rows `x[0..rows)`.
    Mvm = 4,
    /// Transpose product `y = W . x` over columns `x[0..cols)`.
    Mtvm = 5,
    /// Respond with accumulator `y[addr]`.
    ReadY = 6,
    /// Respond with status word `addr` (see [`stat`]).
    ReadStat = 7,
    /// Clear the event counters and the error flags.
    Clear = 8,
    /// `d[addr] = data` (outer-product column operand, one entry per column).
    WriteD = 9,
    /// Outer-product update `W += x d^T` in the crossbars (x over rows, d over columns).
    Opa = 10,
    /// Carry resolution of every cell.
    Crs = 11,
    /// Mixed precision: `chi += x d^T` in the digital accumulators, one row per cycle.
    Accumulate = 12,
    /// Mixed precision: pulses `trunc(chi / epsilon)` (clamped) into slice 0, one row per cycle.
    /// Tiki-Taka: reads the next input line of A and moves it through H into C.
    Transfer = 13,
    /// Tiki-Taka: firing threshold and sign of line `addr` (rows, then columns) for `PULSE`.
    WriteProb = 14,
    /// Tiki-Taka: stochastic pulse update of `data` slots, into A (`addr` 0, chopped) or C (1).
    Pulse = 15,
    /// Tiki-Taka: respond with word `addr` of the unit's state (H, means, choppers, counters).
    ReadUnit = 16,
    /// Tiki-Taka: set word `addr` of the unit's state.
    WriteUnit = 17,
    /// SBPCA: the low-rank unit absorbs the sample the buffers hold (`x` over rows, `d` over
    /// columns) into its rank-k estimate.
    Absorb = 18,
    /// SBPCA: the batch's end: the last re-orthogonalisation, the `k` terms written as OPAs
    /// through the buffers, the next batch's warm start.
    EndBatch = 19,
}

/// Which update unit a command belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Every tile.
    Core,
    /// The mixed-precision unit.
    Mixed,
    /// The Tiki-Taka unit.
    Tiki,
    /// Either update unit (`TRANSFER`).
    Either,
    /// SBPCA's low-rank unit.
    LowRank,
    /// The unit whose words `READ_UNIT` and `WRITE_UNIT` address: Tiki-Taka's or the low-rank
    /// unit's (a tile has at most one of them).
    Words,
}

/// The update units a tile has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Units {
    pub mixed: bool,
    pub tiki: bool,
    pub lowrank: bool,
}

/// Width of the command opcode field.
pub const OP_BITS: u32 = 5;

impl Op {
    /// Every opcode with its wire name: the one table of the command set.
    pub const TABLE: [(Op, &'static str); 19] = [
        (Op::WriteX, "WRITE_X"),
        (Op::LoadW, "LOAD_W"),
        (Op::WriteCell, "WRITE_CELL"),
        (Op::Mvm, "MVM"),
        (Op::Mtvm, "MTVM"),
        (Op::ReadY, "READ_Y"),
        (Op::ReadStat, "READ_STAT"),
        (Op::Clear, "CLEAR"),
        (Op::WriteD, "WRITE_D"),
        (Op::Opa, "OPA"),
        (Op::Crs, "CRS"),
        (Op::Accumulate, "ACCUMULATE"),
        (Op::Transfer, "TRANSFER"),
        (Op::WriteProb, "WRITE_PROB"),
        (Op::Pulse, "PULSE"),
        (Op::ReadUnit, "READ_UNIT"),
        (Op::WriteUnit, "WRITE_UNIT"),
        (Op::Absorb, "ABSORB"),
        (Op::EndBatch, "END_BATCH"),
    ];
    pub const BITS: u32 = OP_BITS;

    pub fn all() -> impl Iterator<Item = Op> {
        Op::TABLE.into_iter().map(|(op, _)| op)
    }

    pub fn from_code(code: u8) -> Option<Op> {
        Op::all().find(|op| *op as u8 == code)
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        Op::TABLE
            .iter()
            .find(|(op, _)| *op == self)
            .map(|(_, n)| *n)
            .expect("every opcode is in the table")
    }

    /// The unit the command needs (without it the command is a bad opcode).
    pub fn unit(self) -> Unit {
        match self {
            Op::Accumulate => Unit::Mixed,
            Op::Transfer => Unit::Either,
            Op::WriteProb | Op::Pulse => Unit::Tiki,
            Op::ReadUnit | Op::WriteUnit => Unit::Words,
            Op::Absorb | Op::EndBatch => Unit::LowRank,
            _ => Unit::Core,
        }
    }

    /// Whether a tile with (or without) the mixed-precision, Tiki-Taka and low-rank units has
    /// the command.
    pub fn available(self, units: Units) -> bool {
        match self.unit() {
            Unit::Core => true,
            Unit::Mixed => units.mixed,
            Unit::Tiki => units.tiki,
            Unit::Either => units.mixed || units.tiki,
            Unit::LowRank => units.lowrank,
            Unit::Words => units.tiki || units.lowrank,
        }
    }

    /// The codes of the op field that no command has.
    pub fn unused_codes() -> impl Iterator<Item = u8> {
        (0..1u8 << OP_BITS).filter(|c| Op::from_code(*c).is_none())
    }
}

/// Error flags (status word [`stat::ERRORS`]); sticky until `CLEAR`.
pub mod err {
    /// An unknown opcode, or a command of a unit the tile does not have.
    pub const BAD_OP: u8 = 1;
    /// An address outside the command's address space.
    pub const BAD_ADDR: u8 = 2;
    /// A data value outside its command's range: a raw level outside its slice's cell range, a
    /// firing threshold above `2^16`, a slot count above the unit's, a unit word out of range.
    pub const BAD_LEVEL: u8 = 4;
    /// Every flag with its name.
    pub const TABLE: [(u8, &str); 3] = [
        (BAD_OP, "BAD_OP"),
        (BAD_ADDR, "BAD_ADDR"),
        (BAD_LEVEL, "BAD_LEVEL"),
    ];
    /// Width of the error word.
    pub const BITS: u32 = TABLE.len() as u32;
}

/// Status words readable with `READ_STAT` (the address is the word's index).
pub mod stat {
    /// Clipped ADC conversions of the products.
    pub const SATURATIONS: u64 = 0;
    /// The error flags ([`super::err`]).
    pub const ERRORS: u64 = 1;
    /// Completed products (MVM and MTVM).
    pub const PRODUCTS: u64 = 2;
    /// Cell updates (OPA steps, transfer pulse trains) that clipped at a device bound.
    pub const UPDATE_CLIPS: u64 = 3;
    /// Weights that CRS saturated.
    pub const CRS_SATURATIONS: u64 = 4;
    /// Programming pulses sent to the cells (OPA and transfer).
    pub const PULSES: u64 = 5;
    /// Accumulator updates that saturated at the width of chi.
    pub const CHI_SATURATIONS: u64 = 6;
    /// Tiki-Taka: pulses sent into A (`PULSE` into A).
    pub const A_PULSES: u64 = 7;
    /// Tiki-Taka: updates of H that saturated at its width.
    pub const H_SATURATIONS: u64 = 8;
    /// Tiki-Taka: chopper flips.
    pub const FLIPS: u64 = 9;
    /// Tiki-Taka (AGAD): pulses into C withheld during the warm-up passes.
    pub const WITHHELD: u64 = 10;
    /// Cost events ([`crate::events::Event`], in that order from here): lines driven by the
    /// DACs, one per line per plane sampled.
    pub const DAC_DRIVES: u64 = 11;
    /// Array read accesses of a forward product: one per plane per slice (a Tiki-Taka
    /// transfer's read of A: one per plane).
    pub const FORWARD_READS: u64 = 12;
    /// Array read accesses of a transpose product: one per plane per slice.
    pub const TRANSPOSE_READS: u64 = 13;
    /// ADC conversions: one per ADC per slice per line group.
    pub const CONVERSIONS: u64 = 14;
    /// Shift-and-add operations: one per converted code.
    pub const SHIFT_ADDS: u64 = 15;
    /// In-array update steps: an OPA bit-step on one slice, a mixed-precision transfer row, a
    /// Tiki-Taka pulse slot or transfer line.
    pub const UPDATE_STEPS: u64 = 16;
    /// Serial cell reads (CRS), one per cell per slice.
    pub const CELL_READS: u64 = 17;
    /// Serial cell writes (LOAD_W, WRITE_CELL, CRS), one per cell per slice.
    pub const CELL_WRITES: u64 = 18;
    /// Digital accumulator updates: chi of mixed precision, H of Tiki-Taka, one per entry.
    pub const ACC_UPDATES: u64 = 19;
    /// Operand and result buffer accesses: WRITE_X, WRITE_D, WRITE_PROB, READ_Y, one per value.
    pub const BUFFER_ACCESSES: u64 = 20;
    /// The first cost event's word.
    pub const EVENTS: u64 = DAC_DRIVES;
    /// Every status word with its name, in address order.
    pub const TABLE: [(u64, &str); 21] = [
        (SATURATIONS, "SATURATIONS"),
        (ERRORS, "ERRORS"),
        (PRODUCTS, "PRODUCTS"),
        (UPDATE_CLIPS, "UPDATE_CLIPS"),
        (CRS_SATURATIONS, "CRS_SATURATIONS"),
        (PULSES, "PULSES"),
        (CHI_SATURATIONS, "CHI_SATURATIONS"),
        (A_PULSES, "A_PULSES"),
        (H_SATURATIONS, "H_SATURATIONS"),
        (FLIPS, "FLIPS"),
        (WITHHELD, "WITHHELD"),
        (DAC_DRIVES, "DAC_DRIVES"),
        (FORWARD_READS, "FORWARD_READS"),
        (TRANSPOSE_READS, "TRANSPOSE_READS"),
        (CONVERSIONS, "CONVERSIONS"),
        (SHIFT_ADDS, "SHIFT_ADDS"),
        (UPDATE_STEPS, "UPDATE_STEPS"),
        (CELL_READS, "CELL_READS"),
        (CELL_WRITES, "CELL_WRITES"),
        (ACC_UPDATES, "ACC_UPDATES"),
        (BUFFER_ACCESSES, "BUFFER_ACCESSES"),
    ];
    /// Number of status words: addresses at or above it are bad.
    pub const COUNT: u64 = TABLE.len() as u64;
}

/// Width of the tile's status counters (they saturate).
pub const COUNTER_BITS: u32 = 32;

/// The solver's cost events (`ev_o` of `pim_solver` at `ev_idx_i`: the counts of the last solve,
/// [`COUNTER_BITS`] wide and saturating; [`crate::solver::SolverEvent`], in this order).
pub mod solver_event {
    /// Cells of the INV crossbar programmed with `A_h`, one per entry.
    pub const INV_WRITES: u64 = 0;
    /// INV inputs driven by its DACs, one per entry of a solved vector.
    pub const INV_DRIVES: u64 = 1;
    /// INV solves: the analog loop started and settled.
    pub const INV_SOLVES: u64 = 2;
    /// INV output conversions, one per entry read.
    pub const INV_CONVERSIONS: u64 = 3;
    /// The controller's product passes on its tile (one MVM of a digit vector).
    pub const PRODUCT_PASSES: u64 = 4;
    /// Wide partial sums: one per product entry per pass (shifted and added into place).
    pub const PARTIAL_SUMS: u64 = 5;
    /// Entries of the solution updated (`X += DX`).
    pub const SOLUTION_UPDATES: u64 = 6;
    /// Steps of the stop check (two digit-serial multiply-adds each).
    pub const STOP_STEPS: u64 = 7;
    /// Every event with its name, in index order.
    pub const TABLE: [(u64, &str); 8] = [
        (INV_WRITES, "INV_WRITES"),
        (INV_DRIVES, "INV_DRIVES"),
        (INV_SOLVES, "INV_SOLVES"),
        (INV_CONVERSIONS, "INV_CONVERSIONS"),
        (PRODUCT_PASSES, "PRODUCT_PASSES"),
        (PARTIAL_SUMS, "PARTIAL_SUMS"),
        (SOLUTION_UPDATES, "SOLUTION_UPDATES"),
        (STOP_STEPS, "STOP_STEPS"),
    ];
    /// Number of events.
    pub const COUNT: u64 = TABLE.len() as u64;
    /// Width of `ev_idx_i`.
    pub const INDEX_BITS: u32 = 3;
}

/// How a refined solve ended (`status_o` of the solver, [`SOLVE_STATUS_BITS`] bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Converged = 0,
    MaxIters = 1,
    /// The residual grew: the INV approximation does not contract (ill-conditioned, or
    /// `A_h` too far from `A`), or the answer could overflow the solution register.
    Diverged = 2,
    /// The INV loop has a zero pivot.
    Singular = 3,
}

impl Status {
    pub const TABLE: [(Status, &'static str); 4] = [
        (Status::Converged, "CONVERGED"),
        (Status::MaxIters, "MAX_ITERS"),
        (Status::Diverged, "DIVERGED"),
        (Status::Singular, "SINGULAR"),
    ];

    pub fn code(self) -> u64 {
        self as u64
    }
}

/// Width of the solver's status code.
pub const SOLVE_STATUS_BITS: u32 = 2;
/// Width of the solver's iteration count (`iters_o`).
pub const ITERS_BITS: u32 = 8;
/// Width of the INV output exponent `k` (`k_o`) and of the controller's shift amounts and
/// block exponents.
pub const EXP_BITS: u32 = 16;
/// Width of the diagonal's extra gain `dsh` (`diag_shift_i`).
pub const DIAG_SHIFT_BITS: u32 = 5;
/// Shifts beyond this saturate: a right shift to the sign, a left shift is refused.
pub const MAX_SHIFT: i32 = 120;
/// A residual may exceed the smallest residual so far by `2^DIVERGENCE_LOG2` before the solve
/// is declared diverged.
pub const DIVERGENCE_LOG2: u32 = 2;
/// Bits of margin of the stop rule: `2^STOP_MARGIN_LOG2 u^2 <= (max|X| >> target) p`.
pub const STOP_MARGIN_LOG2: u32 = 2;
/// The stop rule's exact products run digit-serially in digits of this width.
pub const STOP_DIGIT_BITS: u32 = 8;

/// Stuck-at codes of the device-file entry's `stuck` field.
pub mod stuck {
    pub const NO: u64 = 0;
    /// Stuck at `g_max`.
    pub const ON: u64 = 1;
    /// Stuck at `g_min`.
    pub const OFF: u64 = 2;
}

/// One field of the packed device-file entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lsb: u32,
    pub bits: u32,
}

impl Field {
    pub fn get(&self, entry: u128) -> u128 {
        (entry >> self.lsb) & ((1u128 << self.bits) - 1)
    }

    pub fn put(&self, value: u128) -> u128 {
        (value & ((1u128 << self.bits) - 1)) << self.lsb
    }
}

/// The device-file entry of one cell (`$readmemh`, one hexadecimal entry per line, cells
/// row-major): `{stuck, step_down, step_up, g_max, g_min}`, least significant field last.
pub mod entry {
    use super::Field;
    /// Lower conductance bound, fine units (signed).
    pub const G_MIN: Field = Field {
        name: "G_MIN",
        lsb: 0,
        bits: 32,
    };
    /// Upper conductance bound, fine units (signed).
    pub const G_MAX: Field = Field {
        name: "G_MAX",
        lsb: 32,
        bits: 32,
    };
    /// Nominal potentiation step, fine units (unsigned).
    pub const STEP_UP: Field = Field {
        name: "STEP_UP",
        lsb: 64,
        bits: 16,
    };
    /// Nominal depression step, fine units (unsigned).
    pub const STEP_DOWN: Field = Field {
        name: "STEP_DOWN",
        lsb: 80,
        bits: 16,
    };
    /// Stuck-at code ([`super::stuck`]).
    pub const STUCK: Field = Field {
        name: "STUCK",
        lsb: 96,
        bits: 2,
    };
    pub const FIELDS: [Field; 5] = [G_MIN, G_MAX, STEP_UP, STEP_DOWN, STUCK];
    /// Width of one entry.
    pub const BITS: u32 = STUCK.lsb + STUCK.bits;
    /// Hexadecimal digits of one entry in a file.
    pub const HEX_DIGITS: usize = BITS.div_ceil(4) as usize;
}

mod noise;
pub use noise::*;
mod package;
pub use package::{camel, constants, Constant};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_fit_their_fields() {
        let ops: Vec<u8> = Op::all().map(Op::code).collect();
        assert!(ops.iter().all(|&c| c != 0 && (c as u32) < 1 << OP_BITS));
        let mut sorted = ops.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), ops.len());
        assert!(Op::all().all(|op| Op::from_code(op.code()) == Some(op)));
        assert_eq!(Op::unused_codes().count(), 32 - Op::TABLE.len());
        let bits: u8 = err::TABLE.iter().fold(0, |acc, (b, _)| {
            assert_eq!(acc & b, 0, "error bits overlap");
            acc | b
        });
        assert_eq!(bits as u32, (1 << err::BITS) - 1);
        for (i, (addr, _)) in stat::TABLE.iter().enumerate() {
            assert_eq!(*addr, i as u64, "status words are numbered in order");
        }
        for (i, (idx, _)) in solver_event::TABLE.iter().enumerate() {
            assert_eq!(*idx, i as u64, "solver events are numbered in order");
        }
        // ev_idx_i selects every solver event and nothing else.
        assert_eq!(1 << solver_event::INDEX_BITS, solver_event::COUNT);
        assert!(Status::TABLE
            .iter()
            .all(|(s, _)| s.code() < 1 << SOLVE_STATUS_BITS));
        let names: Vec<String> = constants().into_iter().map(|c| c.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(constants()
            .iter()
            .all(|c| c.bits == 0 || c.bits >= 64 || c.value < 1 << c.bits));
    }

    #[test]
    fn device_entry_fields_tile_the_entry() {
        let mut next = 0;
        for f in entry::FIELDS {
            assert_eq!(f.lsb, next, "{} starts where the field below ends", f.name);
            next += f.bits;
            assert_eq!(f.get(f.put(u128::MAX)), (1u128 << f.bits) - 1);
        }
        assert_eq!(next, entry::BITS);
        assert_eq!(entry::BITS, 98);
        assert_eq!(camel("CRS_SATURATIONS"), "CrsSaturations");
    }

    #[test]
    fn seed_hash_matches_its_formula() {
        assert_eq!(seed_hash(0, 0, 0, 0), 1);
        let want = 7 ^ (((3u32 << 24) ^ (1 << 20) ^ 5).wrapping_mul(0x9E37_79B9));
        assert_eq!(seed_hash(7, 3, 1, 5), want);
    }
}

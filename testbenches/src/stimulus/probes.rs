//! Error-path probes: every way a command can raise an error flag, one cause per probe, each
//! read back alone before the CLEAR that ends it.

use super::{Gen, Kind, TileGen};
use pimforge_golden::tile::{err, stat};
use pimforge_golden::{Op, TileShape};
use rand::seq::IndexedRandom;
use rand::Rng;

/// One command that raises one error flag on a fresh tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCause {
    /// The opcode (a code no command has, for some).
    pub op: u8,
    pub addr: u64,
    pub data: u64,
    /// The flag it raises.
    pub flag: u8,
}

impl ErrorCause {
    /// Whether the command answers: a read answers 0 at a bad address, and a command the tile
    /// does not have does nothing but raise `BAD_OP`.
    pub fn reads(&self) -> bool {
        self.flag != err::BAD_OP
            && [Op::ReadY, Op::ReadStat, Op::ReadUnit]
                .iter()
                .any(|&o| o as u8 == self.op)
    }
}

/// Every cause of the design's tile, bad addresses at the first invalid address: an unused
/// opcode, each command of a unit the tile lacks, each addressed command past its space (where
/// the address field reaches), a raw level past a slice's range, and the Tiki-Taka unit's
/// threshold, slot count and word range.
pub fn error_causes(s: &TileShape) -> Vec<ErrorCause> {
    let cause = |op: u8, addr, data, flag| ErrorCause {
        op,
        addr,
        data,
        flag,
    };
    let mut v = Vec::new();
    let unused = Op::unused_codes().next().expect("an unused opcode");
    v.push(cause(unused, 0, 0, err::BAD_OP));
    for op in Op::all().filter(|op| !op.available(s.units())) {
        v.push(cause(op.code(), 0, 0, err::BAD_OP));
    }
    for op in Op::all() {
        match s.addresses(op) {
            Some(n) if s.addressable(n) => v.push(cause(op.code(), n, 0, err::BAD_ADDR)),
            _ => {}
        }
    }
    // A level one past the top of a slice's cell range (where the data field carries it).
    if let Some(m) = (0..s.slices()).find(|&m| s.cell_bits[m] < s.data_bits()) {
        let (_, hi) = s.cell_range(m);
        v.push(cause(
            Op::WriteCell.code(),
            s.cell_addr(m, 0, 0),
            (hi + 1) as u64,
            err::BAD_LEVEL,
        ));
    }
    if let (Some(t), Some(map)) = (&s.tiki, s.unit_map()) {
        let over = (1u64 << pimforge_golden::protocol::PROB_BITS) + 1;
        v.push(cause(Op::WriteProb.code(), 0, over, err::BAD_LEVEL));
        let slots = pimforge_golden::num::mask(t.slot_bits) as u64 + 1;
        if slots < 1 << s.data_bits() {
            v.push(cause(Op::Pulse.code(), 0, slots, err::BAD_LEVEL));
        }
        // The next input line of a transfer must be a row.
        v.push(cause(
            Op::WriteUnit.code(),
            map.next,
            s.rows as u64,
            err::BAD_LEVEL,
        ));
    }
    v
}

impl Gen<'_> {
    /// One probe of `cause`: the command, its flag read back alone, CLEAR, the flags read as 0.
    pub(super) fn probe(&mut self, t: &mut TileGen, cause: ErrorCause) {
        let idle = self.idle();
        t.count(self.shape, cause.op, cause.addr, cause.data);
        t.commands.push(super::Command {
            tile: t.tile,
            op: cause.op,
            addr: cause.addr,
            data: cause.data,
            idle,
            txn: self.txns.len(),
            expect: cause.reads().then_some(0),
        });
        let flags = Some(cause.flag as u128);
        self.push(t, Op::ReadStat, stat::ERRORS, 0, flags);
        self.push(t, Op::Clear, 0, 0, None);
        self.push(t, Op::ReadStat, stat::ERRORS, 0, Some(0));
        self.record(t.tile, Kind::ErrorProbe);
    }

    /// A random probe: one cause of the design's, a bad address anywhere past the space as
    /// often as at its first invalid address.
    pub(super) fn error_probe(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let mut cause = *error_causes(s).choose(&mut self.rng).expect("a cause");
        if cause.flag == err::BAD_ADDR && self.rng.random_bool(0.5) {
            cause.addr = self.rng.random_range(cause.addr..1u64 << s.addr_bits());
        }
        self.probe(t, cause);
    }

    /// Every cause once (the directed start of each tile).
    pub(super) fn every_probe(&mut self, t: &mut TileGen) {
        for cause in error_causes(self.shape) {
            self.probe(t, cause);
        }
    }
}

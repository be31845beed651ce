//! Directed sequences of the first chunk, for the coverage bins random stimulus reaches rarely
//! or never: every status word read after a CLEAR, the last cell address, CLEAR racing busy
//! tiles and an absent tile's flag, and chi driven onto both of its bounds.

use super::{Command, Direction, Gen, Kind, TileGen};
use pimforge_golden::num::signed_range;
use pimforge_golden::protocol::Unit;
use pimforge_golden::tile::stat;
use pimforge_golden::Op;
use rand::Rng;

/// The products among `txns`.
pub(super) fn products_in(txns: &[super::Txn]) -> usize {
    txns.iter()
        .filter(|t| matches!(t.kind, Kind::Product(_)))
        .count()
}

impl Gen<'_> {
    /// CLEAR, then every status word read back: 0 but PRODUCTS, which CLEAR leaves.
    pub(super) fn status_sweep(&mut self, t: &mut TileGen) {
        self.push(t, Op::Clear, 0, 0, None);
        for (w, _) in stat::TABLE {
            let want = if w == stat::PRODUCTS { t.products } else { 0 };
            self.push(t, Op::ReadStat, w, 0, Some(want as u128));
        }
        self.record(t.tile, Kind::StatusSweep);
    }

    /// A raw level written at the last cell address.
    pub(super) fn last_cell(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let m = s.slices() - 1;
        let (lo, hi) = s.cell_range(m);
        let level = self.rng.random_range(lo..=hi);
        t.cells.set(m, s.rows - 1, s.cols - 1, level);
        let raw = pimforge_golden::num::to_raw(level as i128, s.data_bits()) as u64;
        let addr = s.cell_addr(m, s.rows - 1, s.cols - 1);
        self.push(t, Op::WriteCell, addr, raw, None);
        self.record(t.tile, Kind::WriteCells);
    }

    /// CLEAR racing busy tiles, in a fixed order: a command to an absent tile (where the id
    /// space has one), so `bad_tile_o` is set while tile 0 runs an MVM with a CLEAR right
    /// behind it (held until the tile is ready); then tile 1 runs an MTVM and tile 0 takes a
    /// CLEAR beside it.
    pub(super) fn races(&mut self, gens: &mut [TileGen]) -> Vec<Command> {
        let tiles = gens.len();
        let mut out = Vec::new();
        let ids = 1usize << pimforge_golden::array::tile_bits(tiles);
        if ids > tiles {
            out.push(Command {
                tile: tiles as u32,
                op: Op::WriteX as u8,
                addr: 0,
                data: 0,
                idle: 0,
                txn: self.txns.len(),
                expect: None,
            });
            self.record(tiles as u32, Kind::BadTile);
        }
        self.product_racing(&mut gens[0], Direction::Forward, true);
        out.append(&mut gens[0].commands);
        if tiles >= 2 {
            self.product(&mut gens[1], Direction::Transpose);
            let run = gens[1]
                .commands
                .iter()
                .position(|c| c.op == Op::Mtvm as u8)
                .expect("the MTVM");
            let rest = gens[1].commands.split_off(run + 1);
            out.append(&mut gens[1].commands);
            self.status_sweep(&mut gens[0]);
            out.append(&mut gens[0].commands);
            out.extend(rest);
        }
        out
    }

    /// Mixed precision: chi[0][0] saturated at its maximum, taken one below and back onto it
    /// exactly, then transferred (the pulse count clamps); the same at its minimum.
    pub(super) fn chi_corners(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let mixed = s.mixed.clone().expect("mixed unit");
        let (lo, hi) = signed_range(mixed.chi_bits);
        let (xmax, dmax) = (signed_range(s.input_bits).1, signed_range(s.weight_bits).1);
        let one = |v: i64, n: usize| {
            let mut x = vec![0; n];
            x[0] = v;
            x
        };
        for (sign, bound) in [(1, hi), (-1, lo)] {
            for _ in 0..64 {
                if t.chi[0] == bound {
                    break;
                }
                self.mixed_with(t, &one(sign * xmax, s.rows), &one(dmax, s.cols), 4, false);
            }
            self.mixed_with(t, &one(-sign, s.rows), &one(1, s.cols), 1, false);
            self.mixed_with(t, &one(sign, s.rows), &one(1, s.cols), 1, true);
        }
    }

    /// Every command each tile has, taken while another tile is busy: the tile's transaction
    /// that holds the command is cut just before it, and the next tile's CRS (a long run) goes
    /// into the cut.
    pub(super) fn beside_busy(&mut self, gens: &mut [TileGen]) -> Vec<Command> {
        let s = self.shape;
        let tiles = gens.len();
        let mut out = Vec::new();
        if tiles < 2 {
            return out;
        }
        let ops: Vec<Op> = Op::all().filter(|o| o.available(s.units())).collect();
        for t in 0..tiles {
            let p = (t + 1) % tiles;
            for &op in &ops {
                // A random transaction may lack the command (a Tiki-Taka one without a
                // transfer): make another, a few times.
                for _ in 0..8 {
                    self.holding(op, &mut gens[t]);
                    if gens[t].commands.iter().any(|c| c.op == op as u8) {
                        break;
                    }
                }
                let Some(cut) = gens[t].commands.iter().position(|c| c.op == op as u8) else {
                    out.append(&mut gens[t].commands);
                    continue;
                };
                let after = gens[t].commands.split_off(cut);
                out.append(&mut gens[t].commands);
                self.crs(&mut gens[p]);
                let rest = gens[p].commands.split_off(1);
                out.append(&mut gens[p].commands);
                out.extend(after);
                out.extend(rest);
            }
        }
        out
    }

    /// A transaction that holds command `op`.
    fn holding(&mut self, op: Op, t: &mut TileGen) {
        match op {
            Op::WriteX | Op::Mvm | Op::ReadY => self.product(t, Direction::Forward),
            Op::Mtvm => self.product(t, Direction::Transpose),
            Op::LoadW => self.load_weights(t),
            Op::WriteCell => self.last_cell(t),
            Op::WriteD | Op::Opa => self.opa(t),
            Op::Crs | Op::ReadStat | Op::Clear => self.crs(t),
            Op::Accumulate | Op::Transfer if self.shape.mixed.is_some() => self.mixed(t),
            Op::Absorb | Op::EndBatch | Op::ReadUnit | Op::WriteUnit
                if self.shape.lowrank.is_some() =>
            {
                self.lowrank(t)
            }
            _ => {
                debug_assert!(matches!(op.unit(), Unit::Tiki | Unit::Either | Unit::Words));
                self.tiki(t)
            }
        }
    }

    /// The products that reach the ADC's ends where some can: every cell at the top (then the
    /// bottom) of its range, driven by the largest input in both directions.
    pub(super) fn adc_ends(&mut self, t: &mut TileGen) {
        let s = self.shape;
        for high in [true, false] {
            for m in 0..s.slices() {
                let (lo, hi) = s.cell_range(m);
                let level = if high { hi } else { lo };
                let raw = pimforge_golden::num::to_raw(level as i128, s.data_bits()) as u64;
                for r in 0..s.rows {
                    for c in 0..s.cols {
                        t.cells.set(m, r, c, level);
                        self.push(t, Op::WriteCell, s.cell_addr(m, r, c), raw, None);
                    }
                }
            }
            self.record(t.tile, Kind::WriteCells);
            for dir in [Direction::Forward, Direction::Transpose] {
                let (n_in, _) = dir.extent(s);
                let x = vec![signed_range(s.input_bits).1; n_in];
                self.product_of(t, dir, x, false);
            }
        }
    }
}

/// Whether the products of [`Gen::adc_ends`] clip the ADC below (`.0`) and above (`.1`) its
/// range on crossbars `cells`: the ADC bins' goals.
pub fn adc_reach(
    shape: &pimforge_golden::TileShape,
    cells: &pimforge_golden::Cells,
) -> (bool, bool) {
    let (mut low, mut high) = (false, false);
    for top in [true, false] {
        let mut c = cells.clone();
        for m in 0..shape.slices() {
            let (lo, hi) = shape.cell_range(m);
            for r in 0..shape.rows {
                for col in 0..shape.cols {
                    c.set(m, r, col, if top { hi } else { lo });
                }
            }
        }
        for dir in [Direction::Forward, Direction::Transpose] {
            let (n_in, _) = dir.extent(shape);
            let x = vec![signed_range(shape.input_bits).1; n_in];
            let y = pimforge_golden::mvm(shape, &mut c, &x, dir);
            high |= y.clipped_high > 0;
            low |= y.clipped > y.clipped_high;
        }
    }
    (low, high)
}

// Longer than 500 lines: one seeded generator of every transaction kind, its parts sharing its state.
//! Random and directed stimulus from one seed: host command streams with the responses the
//! functional golden model expects.
//!
//! Each tile gets its own stream of transactions (weight loads, raw cell writes with carries in
//! the headroom bits, MVM/MTVM products, error probes), generated against a shadow of the tile's
//! cells; expected responses come from the *functional* model ([`pimforge_golden::mvm`]), so the
//! scoreboard checks the cycle-level model and the RTL against an independent reference. The
//! streams are interleaved at random, so tiles compute while others are being loaded.

use crate::bins::Bin;
use num_bigint::BigInt;
use pimforge_golden::events::{self, Events};
use pimforge_golden::mixed::Transferred;
use pimforge_golden::num::{signed_range, to_raw, Ends};
use pimforge_golden::opa::{crs_counted, opa};
use pimforge_golden::tiki::TikiUnit;
use pimforge_golden::tile::stat;
use pimforge_golden::{mvm, Cells, Direction, Op, PortWidths, TileShape};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One host command, presented after `idle` cycles without a valid command.
#[derive(Clone, Debug)]
pub struct Command {
    pub tile: u32,
    pub op: u8,
    pub addr: u64,
    pub data: u64,
    pub idle: u32,
    /// The transaction this command belongs to.
    pub txn: usize,
    /// The raw response this command must produce, for reads.
    pub expect: Option<u128>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    LoadWeights,
    WriteCells,
    Product(Direction),
    ErrorProbe,
    /// A command to a tile id the array does not have.
    BadTile,
    /// An outer-product update `W += x d^T` in the crossbars.
    Opa,
    /// Carry resolution of every cell.
    Crs,
    /// Mixed precision: accumulates `x d^T` into chi, then (sometimes) a transfer.
    Mixed,
    /// Tiki-Taka: thresholds, pulse updates into A or C, transfers, unit words read back.
    Tiki,
    /// CLEAR and every status word read back.
    StatusSweep,
    /// SBPCA: samples absorbed by the low-rank unit, X and D read back, the batch's end.
    LowRank,
}

#[derive(Clone, Debug)]
pub struct Txn {
    pub tile: u32,
    pub kind: Kind,
    /// For products: whether the result was also checked against the big-integer product.
    pub exact_checked: bool,
    /// Conversions (products), cell updates (OPA) or weights (CRS) the functional model expects
    /// to clip or saturate.
    pub clipped: u64,
    /// Programming pulses the updates of this transaction send.
    pub pulses: u64,
    /// The datapath coverage bins the transaction reaches (counted once it matched).
    pub hits: Vec<Bin>,
}

impl Txn {
    pub fn describe(&self, index: usize) -> String {
        let what = match &self.kind {
            Kind::LoadWeights => "LOAD_W of every cell".to_string(),
            Kind::WriteCells => "WRITE_CELL of raw levels".to_string(),
            Kind::Product(Direction::Forward) => "MVM (forward) product".to_string(),
            Kind::Product(Direction::Transpose) => "MTVM (transpose) product".to_string(),
            Kind::ErrorProbe => "error-path probe".to_string(),
            Kind::BadTile => "command to an absent tile".to_string(),
            Kind::Opa => "OPA (outer-product update)".to_string(),
            Kind::Crs => "CRS (carry resolution)".to_string(),
            Kind::Mixed => "ACCUMULATE/TRANSFER (mixed precision)".to_string(),
            Kind::Tiki => "WRITE_PROB/PULSE/TRANSFER (Tiki-Taka)".to_string(),
            Kind::StatusSweep => "CLEAR and every status word read".to_string(),
            Kind::LowRank => "WRITE_UNIT/ABSORB/END_BATCH (low-rank unit)".to_string(),
        };
        format!("transaction {index}: tile {} {what}", self.tile)
    }
}

/// Everything the harness drives in one run.
#[derive(Clone, Debug, Default)]
pub struct Stimulus {
    pub commands: Vec<Command>,
    pub txns: Vec<Txn>,
}

impl Stimulus {
    pub fn products(&self) -> usize {
        self.txns
            .iter()
            .filter(|t| matches!(t.kind, Kind::Product(_)))
            .count()
    }
}

/// Per-tile generator state: the shadow of the tile's cells and accumulators.
struct TileGen {
    tile: u32,
    cells: Cells,
    chi: Vec<i64>,
    tiki: Option<TikiUnit>,
    lowrank: Option<pimforge_golden::tile::LowRankTile>,
    /// Completed products and transfer reads (the PRODUCTS word: never cleared, wraps).
    products: u32,
    /// The cost event words, as the commands pushed so far leave them.
    events: [u32; events::COUNT],
    commands: Vec<Command>,
}

impl TileGen {
    /// Counts the events of a command pushed for this tile (`CLEAR` zeroes them).
    fn count(&mut self, shape: &TileShape, op: u8, addr: u64, data: u64) {
        match op == Op::Clear as u8 {
            true => self.events = [0; events::COUNT],
            false => Events::command(shape, op, addr, data).add_to(&mut self.events),
        }
    }
}

struct Gen<'a> {
    shape: &'a TileShape,
    widths: PortWidths,
    rng: ChaCha8Rng,
    txns: Vec<Txn>,
}

impl Gen<'_> {
    /// Records a transaction that has no product result.
    fn record(&mut self, tile: u32, kind: Kind) {
        self.txns.push(Txn {
            tile,
            kind,
            exact_checked: false,
            clipped: 0,
            pulses: 0,
            hits: Vec::new(),
        });
    }

    fn idle(&mut self) -> u32 {
        // Mostly back-to-back, sometimes a gap.
        if self.rng.random_bool(0.85) {
            0
        } else {
            self.rng.random_range(1..4)
        }
    }

    fn push(&mut self, t: &mut TileGen, op: Op, addr: u64, data: u64, expect: Option<u128>) {
        let idle = self.idle();
        t.count(self.shape, op as u8, addr, data);
        let event = (op == Op::ReadStat && (stat::EVENTS..stat::COUNT).contains(&addr))
            .then(|| t.events[(addr - stat::EVENTS) as usize] as u128);
        t.commands.push(Command {
            tile: t.tile,
            op: op as u8,
            addr,
            data,
            idle,
            txn: self.txns.len(),
            expect: expect.or(event),
        });
    }

    /// Every cost event word read back, expected as [`Events::command`] counts the commands
    /// pushed since the last `CLEAR`.
    fn read_events(&mut self, t: &mut TileGen) {
        for w in stat::EVENTS..stat::COUNT {
            self.push(t, Op::ReadStat, w, 0, None);
        }
    }

    /// A value of `bits` bits from one of several distributions.
    fn value(&mut self, bits: u32, style: u32) -> i64 {
        let (lo, hi) = signed_range(bits);
        match style {
            0 => self.rng.random_range(lo..=hi),
            1 => self.rng.random_range(lo / 16..=hi / 16),
            2 => *[lo, hi, 0, -1, 1].choose(&mut self.rng).unwrap(),
            _ => {
                if self.rng.random_bool(0.7) {
                    0
                } else {
                    self.rng.random_range(lo..=hi)
                }
            }
        }
    }

    fn load_weights(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let style = self.rng.random_range(0..4);
        for r in 0..s.rows {
            for c in 0..s.cols {
                let w = self.value(s.weight_bits, style);
                t.cells.load_weight(s, r, c, w);
                let addr = s.cell_addr(0, r, c);
                self.push(
                    t,
                    Op::LoadW,
                    addr,
                    to_raw(w as i128, self.widths.data) as u64,
                    None,
                );
            }
        }
        self.record(t.tile, Kind::LoadWeights);
    }

    fn write_cells(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let n = self.rng.random_range(1..=s.rows * s.cols);
        for _ in 0..n {
            let (m, r, c) = (
                self.rng.random_range(0..s.slices()),
                self.rng.random_range(0..s.rows),
                self.rng.random_range(0..s.cols),
            );
            let (lo, hi) = s.cell_range(m);
            let level = if self.rng.random_bool(0.2) {
                *[lo, hi].choose(&mut self.rng).unwrap()
            } else {
                self.rng.random_range(lo..=hi)
            };
            t.cells.set(m, r, c, level);
            let addr = s.cell_addr(m, r, c);
            self.push(
                t,
                Op::WriteCell,
                addr,
                to_raw(level as i128, self.widths.data) as u64,
                None,
            );
        }
        self.record(t.tile, Kind::WriteCells);
    }

    fn product(&mut self, t: &mut TileGen, dir: Direction) {
        self.product_racing(t, dir, false)
    }

    /// A product; with `race`, a CLEAR follows the MVM at once (held while the tile is busy,
    /// taken in its first ready cycle), so the saturations read back are 0.
    fn product_racing(&mut self, t: &mut TileGen, dir: Direction, race: bool) {
        let s = self.shape;
        let (n_in, _) = dir.extent(s);
        let style = self.rng.random_range(0..4);
        let x: Vec<i64> = (0..n_in).map(|_| self.value(s.input_bits, style)).collect();
        self.product_of(t, dir, x, race)
    }

    /// The product of input `x` (see [`Self::product_racing`]).
    fn product_of(&mut self, t: &mut TileGen, dir: Direction, x: Vec<i64>, race: bool) {
        let s = self.shape;
        let (n_in, _) = dir.extent(s);
        for (i, &v) in x.iter().enumerate() {
            self.push(
                t,
                Op::WriteX,
                i as u64,
                to_raw(v as i128, self.widths.data) as u64,
                None,
            );
        }
        let op = if dir == Direction::Forward {
            Op::Mvm
        } else {
            Op::Mtvm
        };
        self.push(t, op, 0, 0, None);
        if race {
            self.push(t, Op::Clear, 0, 0, None);
        }
        let want = mvm(s, &mut t.cells, &x, dir);
        t.products = t.products.wrapping_add(1);
        // Read noise makes products inexact on purpose.
        let exact = s.adc_is_exact() && s.device.read_q16 == 0;
        if exact {
            // The identity the hardware exists for: with an exact ADC, the sliced bit-serial
            // product is the integer product of the weights the cells hold (carries included).
            for (o, &y) in want.y.iter().enumerate() {
                let big: BigInt = (0..n_in)
                    .map(|i| {
                        let (r, c) = if dir == Direction::Forward {
                            (i, o)
                        } else {
                            (o, i)
                        };
                        BigInt::from(x[i]) * BigInt::from(t.cells.weight(s.value_bits, r, c))
                    })
                    .sum();
                assert_eq!(
                    BigInt::from(y),
                    big,
                    "functional model breaks the exact identity"
                );
            }
        }
        for (o, &y) in want.y.iter().enumerate() {
            self.push(t, Op::ReadY, o as u64, 0, Some(to_raw(y, self.widths.rsp)));
        }
        let sat = if race {
            0
        } else {
            want.clipped.min(u32::MAX as u64) as u128
        };
        self.push(t, Op::ReadStat, stat::SATURATIONS, 0, Some(sat));
        self.push(t, Op::ReadStat, stat::PRODUCTS, 0, Some(t.products as u128));
        if self.rng.random_ratio(1, 4) {
            self.read_events(t);
        }
        self.push(t, Op::Clear, 0, 0, None);
        let low = want.clipped - want.clipped_high;
        let mut hits = vec![];
        if want.clipped_high > 0 {
            hits.push(Bin::AdcClip { high: true });
        }
        if low > 0 {
            hits.push(Bin::AdcClip { high: false });
        }
        if s.device.read_q16 != 0 && s.rows != s.cols {
            hits.push(Bin::ReadNoiseNonSquare);
        }
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::Product(dir),
            exact_checked: exact,
            clipped: want.clipped,
            pulses: 0,
            hits,
        });
    }

    /// An OPA with operands sized to stay inside the headroom (mostly) or to clip.
    fn opa(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let (xb, db) = match self.rng.random_range(0..4) {
            0 => (s.input_bits, s.weight_bits),
            1 => (4.min(s.input_bits), 6.min(s.weight_bits)),
            _ => (3.min(s.input_bits), 4.min(s.weight_bits)),
        };
        let x: Vec<i64> = (0..s.rows).map(|_| self.value(xb, 0)).collect();
        let d: Vec<i64> = (0..s.cols).map(|_| self.value(db, 0)).collect();
        for (r, &v) in x.iter().enumerate() {
            self.push(
                t,
                Op::WriteX,
                r as u64,
                to_raw(v as i128, self.widths.data) as u64,
                None,
            );
        }
        for (c, &v) in d.iter().enumerate() {
            self.push(
                t,
                Op::WriteD,
                c as u64,
                to_raw(v as i128, self.widths.data) as u64,
                None,
            );
        }
        self.push(t, Op::Opa, 0, 0, None);
        let before = t.cells.pulses;
        let clipped = opa(s, &mut t.cells, &x, &d);
        let want = clipped.min(u32::MAX as u64) as u128;
        let pulses = (t.cells.pulses - before).min(u32::MAX as u64) as u128;
        self.push(t, Op::ReadStat, stat::UPDATE_CLIPS, 0, Some(want));
        self.push(t, Op::ReadStat, stat::PULSES, 0, Some(pulses));
        self.read_events(t);
        self.push(t, Op::Clear, 0, 0, None);
        let mut hits = self.c2c_hits(pulses as u64);
        if clipped > 0 {
            hits.push(Bin::OpaClip);
        }
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::Opa,
            exact_checked: false,
            clipped,
            pulses: pulses as u64,
            hits,
        });
    }

    /// Some accumulates of one `x d^T` (operands mostly small, sometimes full width so that
    /// chi saturates), then usually a transfer; the counters are checked against the
    /// functional model.
    fn mixed(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let (xb, db) = if self.rng.random_bool(0.15) {
            (s.input_bits, s.weight_bits)
        } else {
            (10.min(s.input_bits), 6.min(s.weight_bits))
        };
        let x: Vec<i64> = (0..s.rows).map(|_| self.value(xb, 0)).collect();
        let d: Vec<i64> = (0..s.cols).map(|_| self.value(db, 0)).collect();
        let accumulates = self.rng.random_range(1..=4);
        let transfer = self.rng.random_bool(0.8);
        self.mixed_with(t, &x, &d, accumulates, transfer);
    }

    /// `accumulates` accumulates of `x d^T`, a transfer when `transfer`, and the counters read
    /// back.
    fn mixed_with(
        &mut self,
        t: &mut TileGen,
        x: &[i64],
        d: &[i64],
        accumulates: usize,
        transfer: bool,
    ) {
        let s = self.shape;
        let mixed = s.mixed.clone().expect("mixed unit");
        for (r, &v) in x.iter().enumerate() {
            let raw = to_raw(v as i128, self.widths.data) as u64;
            self.push(t, Op::WriteX, r as u64, raw, None);
        }
        for (c, &v) in d.iter().enumerate() {
            let raw = to_raw(v as i128, self.widths.data) as u64;
            self.push(t, Op::WriteD, c as u64, raw, None);
        }
        let mut chi = Ends::default();
        for _ in 0..accumulates {
            self.push(t, Op::Accumulate, 0, 0, None);
            chi += pimforge_golden::mixed::accumulate(&mixed, &mut t.chi, x, d);
        }
        let (mut done, before) = (Transferred::default(), t.cells.pulses);
        if transfer {
            self.push(t, Op::Transfer, 0, 0, None);
            done = pimforge_golden::mixed::transfer_all(&mixed, &mut t.chi, &mut t.cells);
        }
        let count = |v: u64| Some(v.min(u32::MAX as u64) as u128);
        let pulses = t.cells.pulses - before;
        let saturated = chi.clamped();
        self.push(t, Op::ReadStat, stat::CHI_SATURATIONS, 0, count(saturated));
        self.push(t, Op::ReadStat, stat::PULSES, 0, count(pulses));
        self.push(t, Op::ReadStat, stat::UPDATE_CLIPS, 0, count(done.clipped));
        self.read_events(t);
        self.push(t, Op::Clear, 0, 0, None);
        let mut hits = self.c2c_hits(pulses);
        for (n, bin) in [
            (chi.above, Bin::ChiSaturation { high: true }),
            (chi.below, Bin::ChiSaturation { high: false }),
            (chi.at_max, Bin::ChiExact { max: true }),
            (chi.at_min, Bin::ChiExact { max: false }),
            (done.pulses.above, Bin::TransferClamp { high: true }),
            (done.pulses.below, Bin::TransferClamp { high: false }),
        ] {
            if n > 0 {
                hits.push(bin);
            }
        }
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::Mixed,
            exact_checked: false,
            clipped: saturated + done.clipped,
            pulses,
            hits,
        });
    }

    /// Tiki-Taka: new thresholds, sometimes a new rate, choppers or H words, pulse updates into
    /// A (mostly) or C, transfers (sometimes a whole pass or more), then the unit's words, the
    /// last read and the counters checked against the shadow.
    fn tiki(&mut self, t: &mut TileGen) {
        self.tiki_with(t, false)
    }

    /// A Tiki-Taka transaction; `force` makes its choices the ones that drive H into its
    /// bounds: every line firing always, the largest rate, every H word at its maximum or
    /// minimum in turn, full pulse trains into A, and a whole pass of transfers.
    fn tiki_with(&mut self, t: &mut TileGen, force: bool) {
        use pimforge_golden::tiki::ALWAYS;
        let s = self.shape;
        let map = s.unit_map().expect("Tiki-Taka unit");
        let tk = s.tiki.as_ref().expect("Tiki-Taka unit");
        let mut unit = t.tiki.take().expect("a shadow of the unit");
        let before = (unit.state.counters, t.cells.pulses);
        for l in 0..(s.rows + s.cols) as u64 {
            if !force && self.rng.random_bool(0.2) {
                continue;
            }
            let thr = match self.rng.random_range(0..5) {
                _ if force => ALWAYS,
                0 => 0,
                1 => ALWAYS,
                2 => self.rng.random_range(0..=ALWAYS / 8),
                _ => self.rng.random_range(0..=ALWAYS),
            };
            let data = TikiUnit::prob_data(thr, self.rng.random_bool(0.5));
            assert_eq!(unit.write_prob(l, data), 0);
            self.push(t, Op::WriteProb, l, data, None);
        }
        let words = |unit: &mut TikiUnit, g: &mut Self, t: &mut TileGen, addr: u64, v: u64| {
            assert_eq!(unit.write_word(s, addr, v), 0, "word {addr}");
            g.push(t, Op::WriteUnit, addr, v, None);
        };
        if force || unit.lr_q == 0 || self.rng.random_bool(0.3) {
            let lr_max = pimforge_golden::num::mask(tk.lr_bits) as u64;
            let top = (1u64 << (tk.transfer.h_frac + 2)).min(lr_max);
            let lr = if force {
                top
            } else {
                self.rng.random_range(0..=top)
            };
            words(&mut unit, self, t, map.lr, lr);
        }
        if self.rng.random_bool(0.2) {
            for l in 0..(s.rows + s.cols) as u64 {
                let v = self.rng.random_range(0..4);
                words(&mut unit, self, t, map.chop + l, v);
            }
        }
        if force {
            let (lo, hi) = signed_range(tk.transfer.h_bits);
            for w in 0..(s.rows * s.cols) as u64 {
                let v = if w % 2 == 0 { hi } else { lo };
                let raw = to_raw(v as i128, self.widths.data) as u64;
                words(&mut unit, self, t, map.h + w, raw);
            }
        } else if self.rng.random_bool(0.1) {
            let (lo, hi) = signed_range(tk.transfer.h_bits);
            let w = self.rng.random_range(0..(s.rows * s.cols) as u64);
            let v = *[lo, hi, 0, -1].choose(&mut self.rng).unwrap();
            words(
                &mut unit,
                self,
                t,
                map.h + w,
                to_raw(v as i128, self.widths.data) as u64,
            );
        }
        let (mut clipped, mut conversions_clipped, mut a_pulses) = (0, 0, 0);
        let max_slots = pimforge_golden::num::mask(tk.slot_bits) as usize;
        for _ in 0..self.rng.random_range(1..=3) {
            let slots = *[0, 1, max_slots, self.rng.random_range(1..=max_slots)]
                .choose(&mut self.rng)
                .unwrap();
            let slots = if force { max_slots } else { slots };
            let into_c = !force && self.rng.random_bool(0.2);
            self.push(t, Op::Pulse, into_c as u64, slots as u64, None);
            let sent = unit.pulse(slots, into_c, &mut t.cells);
            clipped += sent.clipped;
            if !into_c {
                a_pulses += sent.pulses;
            }
        }
        let transfers = match self.rng.random_range(0..4) {
            _ if force => s.rows,
            0 => 0,
            1 => s.rows + self.rng.random_range(0..s.rows),
            _ => self.rng.random_range(1..=4),
        };
        let mut last = None;
        // Each transfer's read of A runs as a product (PRODUCTS counts it).
        t.products = t.products.wrapping_add(transfers as u32);
        for _ in 0..transfers {
            self.push(t, Op::Transfer, 0, 0, None);
            let (v, c) = unit.read(s);
            conversions_clipped += c;
            clipped += unit.transfer(s, &v, &mut t.cells).clipped;
            last = Some(v);
        }
        if let Some(v) = last {
            for (j, &y) in v.iter().enumerate() {
                let want = to_raw(y as i128, self.widths.rsp);
                self.push(t, Op::ReadY, j as u64, 0, Some(want));
            }
        }
        // The unit's words: choppers and counters always, H (and the means) in part.
        let n = (s.rows * s.cols) as u64;
        let mut addrs: Vec<u64> = (map.chop..map.words).collect();
        let sample = if self.rng.random_bool(0.25) {
            n
        } else {
            8.min(n)
        };
        for _ in 0..sample {
            let w = self.rng.random_range(0..n);
            addrs.push(map.h + w);
            if let (Some(mu), Some(past)) = (map.mu, map.mu_past) {
                addrs.extend([mu + w, past + w]);
            }
        }
        for a in addrs {
            let want = unit.read_word(s, a);
            self.push(t, Op::ReadUnit, a, 0, want);
        }
        let after = unit.state.counters;
        let count = |v: u64| Some(v.min(u32::MAX as u64) as u128);
        let c_pulses = t.cells.pulses - before.1;
        for (word, v) in [
            (stat::A_PULSES, a_pulses),
            (stat::PULSES, c_pulses),
            (stat::UPDATE_CLIPS, clipped),
            (stat::SATURATIONS, conversions_clipped),
            (
                stat::H_SATURATIONS,
                after.h_saturations - before.0.h_saturations,
            ),
            (stat::FLIPS, after.flips - before.0.flips),
            (stat::WITHHELD, after.withheld - before.0.withheld),
        ] {
            self.push(t, Op::ReadStat, word, 0, count(v));
        }
        self.read_events(t);
        self.push(t, Op::Clear, 0, 0, None);
        t.tiki = Some(unit);
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::Tiki,
            exact_checked: false,
            clipped,
            pulses: a_pulses + c_pulses,
            hits: self.c2c_hits(a_pulses + c_pulses),
        });
    }

    fn crs(&mut self, t: &mut TileGen) {
        self.push(t, Op::Crs, 0, 0, None);
        let ends = crs_counted(self.shape, &mut t.cells);
        let saturated = ends.clamped();
        self.push(
            t,
            Op::ReadStat,
            stat::CRS_SATURATIONS,
            0,
            Some(saturated as u128),
        );
        self.read_events(t);
        self.push(t, Op::Clear, 0, 0, None);
        let mut hits = vec![];
        if ends.above > 0 {
            hits.push(Bin::CrsSaturation { high: true });
        }
        if ends.below > 0 {
            hits.push(Bin::CrsSaturation { high: false });
        }
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::Crs,
            exact_checked: false,
            clipped: saturated,
            pulses: 0,
            hits,
        });
    }

    /// The tiles' pending streams interleaved at random, each kept in order, in runs of 1 to 8
    /// commands; the streams are left empty.
    fn interleave(&mut self, gens: &mut [TileGen]) -> Vec<Command> {
        let mut cursors = vec![0usize; gens.len()];
        let mut commands = Vec::new();
        loop {
            let open: Vec<usize> = (0..gens.len())
                .filter(|&i| cursors[i] < gens[i].commands.len())
                .collect();
            let Some(&i) = open.choose(&mut self.rng) else {
                break;
            };
            let run = self.rng.random_range(1..=8);
            for _ in 0..run {
                if let Some(c) = gens[i].commands.get(cursors[i]) {
                    commands.push(c.clone());
                    cursors[i] += 1;
                }
            }
        }
        for t in gens.iter_mut() {
            t.commands.clear();
        }
        commands
    }

    /// Cycle-to-cycle noise on a non-square tile, when `pulses` were sent.
    fn c2c_hits(&self, pulses: u64) -> Vec<Bin> {
        let s = self.shape;
        let noisy = s.device.c2c_q16 != 0 && s.rows != s.cols && pulses > 0;
        noisy
            .then_some(Bin::C2cNoiseNonSquare)
            .into_iter()
            .collect()
    }
}

/// Generates `products` random MVM/MTVM products over the tiles whose power-up crossbars are
/// `initial`, with weight loads, raw cell writes, updates (OPA, CRS, and accumulate/transfer
/// when the tile has a mixed-precision unit) and error probes between them, all from `seed`:
/// the whole of a [`Stream`] in one [`Stimulus`].
pub fn generate(
    shape: &TileShape,
    initial: &[Cells],
    units: &[Option<TikiUnit>],
    products: usize,
    seed: u64,
) -> Stimulus {
    Stream::new(shape, initial, units, products, seed)
        .next_chunk(usize::MAX)
        .unwrap_or_default()
}

/// The stimulus of [`generate`] made a chunk at a time, so that a long run holds one chunk of
/// commands in memory, not all of them. The generator's state (its random source and the
/// shadow of every tile's cells) carries over from chunk to chunk.
pub struct Stream<'a> {
    g: Gen<'a>,
    gens: Vec<TileGen>,
    left: usize,
    started: bool,
}

impl<'a> Stream<'a> {
    /// The stream for tiles whose power-up crossbars are `initial` and whose Tiki-Taka units
    /// are `units` (empty: none, or nominal ones when the shape has a unit).
    pub fn new(
        shape: &'a TileShape,
        initial: &[Cells],
        units: &[Option<TikiUnit>],
        products: usize,
        seed: u64,
    ) -> Self {
        let gens = initial
            .iter()
            .enumerate()
            .map(|(i, cells)| TileGen {
                tile: i as u32,
                cells: cells.clone(),
                chi: vec![0; shape.rows * shape.cols],
                tiki: match units.get(i) {
                    Some(u) => u.clone(),
                    None => pimforge_golden::TileModel::new(shape).tiki,
                },
                lowrank: shape
                    .lowrank
                    .map(|_| pimforge_golden::tile::LowRankTile::new(shape, i)),
                products: 0,
                events: [0; events::COUNT],
                commands: Vec::new(),
            })
            .collect();
        Stream {
            g: Gen {
                shape,
                widths: shape.port_widths(),
                rng: ChaCha8Rng::seed_from_u64(seed),
                txns: Vec::new(),
            },
            gens,
            left: products,
            started: false,
        }
    }

    /// The next chunk: at most `max` random products (the first chunk also holds the directed
    /// start: an all-zero product, a weight load and an error probe on every tile); `None` once
    /// every product was made. Transaction numbers count from 0 in each chunk.
    pub fn next_chunk(&mut self, max: usize) -> Option<Stimulus> {
        if self.started && self.left == 0 {
            return None;
        }
        let (g, gens) = (&mut self.g, &mut self.gens);
        let shape = g.shape;
        let tiles = gens.len();
        g.txns = Vec::new();
        let first = !self.started;
        self.started = true;
        let mut commands = Vec::new();
        if first {
            for t in gens.iter_mut() {
                g.product(t, Direction::Forward);
                g.load_weights(t);
                g.every_probe(t);
                g.status_sweep(t);
                g.last_cell(t);
                if shape.mixed.is_some() && t.tile == 0 {
                    g.chi_corners(t);
                }
                if shape.tiki.is_some() && t.tile == 0 {
                    g.tiki_with(t, true);
                }
                if shape.lowrank.is_some() {
                    g.lowrank(t);
                }
                if !shape.adc_is_exact() && t.tile == 0 {
                    g.adc_ends(t);
                }
            }
            commands = g.interleave(gens);
            commands.extend(g.races(gens));
            commands.extend(g.beside_busy(gens));
            // The directed products count among the run's.
            self.left = self.left.saturating_sub(products_in(&g.txns));
        }
        let n = self.left.min(max);
        self.left -= n;
        for _ in 0..n {
            let i = g.rng.random_range(0..tiles);
            let t = &mut gens[i];
            match g.rng.random_range(0..100) {
                0..=3 => g.load_weights(t),
                4..=7 => g.write_cells(t),
                8 => g.error_probe(t),
                9..=14 => g.opa(t),
                15..=17 => g.crs(t),
                18..=25 if shape.mixed.is_some() => g.mixed(t),
                18..=29 if shape.tiki.is_some() => g.tiki(t),
                18..=25 if shape.lowrank.is_some() => g.lowrank(t),
                _ => {}
            }
            let dir = if g.rng.random_bool(0.5) {
                Direction::Forward
            } else {
                Direction::Transpose
            };
            g.product(t, dir);
        }
        commands.extend(g.interleave(gens));
        // Commands to tile ids past the last tile, where the id space has them: the array must
        // drop them and raise bad_tile_o until the next CLEAR.
        let made = products_in(&g.txns);
        let ids = 1u32 << pimforge_golden::array::tile_bits(tiles);
        if ids as usize > tiles && !commands.is_empty() {
            for _ in 0..(made / 50).max(1) {
                let at = g.rng.random_range(0..commands.len());
                commands.insert(
                    at,
                    Command {
                        tile: g.rng.random_range(tiles as u32..ids),
                        op: Op::WriteX as u8,
                        addr: 0,
                        data: 0,
                        idle: 0,
                        txn: g.txns.len(),
                        expect: None,
                    },
                );
                g.record(tiles as u32, Kind::BadTile);
            }
        }
        Some(Stimulus {
            commands,
            txns: std::mem::take(&mut g.txns),
        })
    }
}

mod directed;
mod lowrank;
mod probes;
#[cfg(test)]
mod tests;

pub use directed::adc_reach;
use directed::products_in;
pub use probes::{error_causes, ErrorCause};

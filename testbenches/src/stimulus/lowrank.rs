//! SBPCA's low-rank unit in the tile: a batch of samples absorbed from the buffers, every word
//! of X and D read back after every sample, and (mostly) the batch's end, whose terms' OPAs,
//! pulses, clips and the unit's counters are checked against a functional shadow of the unit
//! ([`LowRankTile`]).

use super::{Gen, Kind, TileGen, Txn};
use pimforge_golden::lowrank::fixed::{invsqrt, FRAC};
use pimforge_golden::lowrank::operands::{row_shift, Scale};
use pimforge_golden::num::{bit_length, to_raw};
use pimforge_golden::tile::{stat, LowRankTile};
use pimforge_golden::Op;
use rand::Rng;

impl Gen<'_> {
    /// A low-rank transaction: sometimes new first pairs (a pair sometimes zero, to vanish in
    /// Gram-Schmidt), 1 to `batch + 2` samples, then usually `END_BATCH` with a scale whose
    /// largest column operand is a few LSBs, or sometimes the weight range's end.
    pub(super) fn lowrank(&mut self, t: &mut TileGen) {
        let s = self.shape;
        let map = s.lowrank_map().expect("a low-rank tile");
        let f = s.lowrank_fixed().expect("a low-rank tile");
        let bits = s.data_bits();
        let mut unit = t.lowrank.take().expect("a low-rank shadow");
        if unit.est.samples == 0 && (unit.est.counts.samples == 0 || self.rng.random_bool(0.25)) {
            let top = f.acc_bits() - 8;
            let zero = self
                .rng
                .random_bool(0.25)
                .then(|| self.rng.random_range(0..f.k));
            for r in 0..f.k {
                for (n, at) in [(s.rows, map.x), (s.cols, map.d)] {
                    for i in 0..n {
                        let v = match zero == Some(r) {
                            true => 0,
                            false => self.value(top, 0),
                        };
                        let a = at + (r * n + i) as u64;
                        match a < map.d {
                            true => unit.est.x[r * s.rows + i] = v,
                            false => unit.est.d[r * s.cols + i] = v,
                        }
                        self.push(t, Op::WriteUnit, a, to_raw(v as i128, bits) as u64, None);
                    }
                }
            }
        }
        let samples = self.rng.random_range(1..=f.batch + 2);
        for _ in 0..samples {
            let style = self.rng.random_range(0..4);
            let x: Vec<i64> = (0..s.rows)
                .map(|_| self.value(s.input_bits, style))
                .collect();
            let d: Vec<i64> = (0..s.cols)
                .map(|_| self.value(s.weight_bits, style))
                .collect();
            for (op, v) in [(Op::WriteX, &x), (Op::WriteD, &d)] {
                for (i, &e) in v.iter().enumerate() {
                    self.push(t, op, i as u64, to_raw(e as i128, bits) as u64, None);
                }
            }
            self.push(t, Op::Absorb, 0, 0, None);
            unit.absorb(&x, &d);
            for (a, &v) in unit.est.x.iter().chain(&unit.est.d).enumerate() {
                let want = to_raw(v as i128, f.acc_bits());
                self.push(t, Op::ReadUnit, a as u64, 0, Some(want));
            }
        }
        let mut pulses = 0;
        if self.rng.random_bool(0.8) {
            let ends = self.rng.random_bool(0.2);
            let row_frac = self.rng.random_range(1..s.input_bits);
            let scale = scale_for(&unit, row_frac, if ends { s.weight_bits } else { 3 });
            unit.scale = scale;
            self.push(t, Op::WriteUnit, map.scale, scale.word(), None);
            self.push(t, Op::EndBatch, 0, 0, None);
            let done = unit.end_batch(s, &mut t.cells);
            pulses = done.pulses;
            let count = |v: u64| Some(v.min(u32::MAX as u64) as u128);
            self.push(t, Op::ReadStat, stat::PULSES, 0, count(done.pulses));
            self.push(t, Op::ReadStat, stat::UPDATE_CLIPS, 0, count(done.clipped));
        }
        for (w, v) in [
            (map.scale, unit.scale.word()),
            (map.samples, unit.est.counts.samples),
            (map.saturations, unit.est.counts.saturations + unit.clamped),
            (map.replaced, unit.est.counts.replaced),
            (map.opas, unit.opas),
        ] {
            self.push(t, Op::ReadUnit, w, 0, Some(v.min(u32::MAX as u64) as u128));
        }
        self.read_events(t);
        self.push(t, Op::Clear, 0, 0, None);
        t.lowrank = Some(unit);
        let hits = self.c2c_hits(pulses);
        self.txns.push(Txn {
            tile: t.tile,
            kind: Kind::LowRank,
            exact_checked: false,
            clipped: 0,
            pulses,
            hits,
        });
    }
}

/// A scale whose largest column operand of the first term is about `2^top` LSBs (on the
/// estimate as `END_BATCH`'s re-orthogonalisation leaves it).
fn scale_for(unit: &LowRankTile, row_frac: u32, top: u32) -> Scale {
    let mut est = unit.est.clone();
    est.finish();
    let (ni, no) = (est.shape.inputs, est.shape.outputs);
    let (xr, dr) = (&est.x[..ni], &est.d[..no]);
    let a: u128 = xr.iter().map(|v| (*v as i128 * *v as i128) as u128).sum();
    let big = dr.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u128;
    if a == 0 || big == 0 {
        return Scale::of(1.0, row_frac).expect("a scale");
    }
    let (y, e) = invsqrt(a);
    let mant = 1u32 << 15;
    // The largest |D y m| 2^-t is 2^top: t = bit_length - 1 - top.
    let t = bit_length(big * y as u128 * mant as u128) as i32 - 1 - top as i32;
    let shift = t - FRAC as i32 - e + row_shift(xr, row_frac) + row_frac as i32;
    Scale {
        mant,
        shift: shift.clamp(0, 255) as u32,
        row_frac,
    }
}

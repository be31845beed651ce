//! Functional coverage of a lock-step run: the bins a regression must hit, counted while it runs.
//!
//! Two kinds of bin. Protocol bins are seen by the harness on the wires, cycle by cycle
//! ([`Observer`]): which command a tile accepted and what the other tiles were doing, status
//! words read back after they changed, an error flag raised by one cause alone, the edges of
//! every address space, back-to-back commands, CLEAR racing busy tiles and an absent tile's
//! flag. Datapath bins come with the stimulus: the generator runs the functional model and
//! marks each transaction with the corners it reaches (ADC clipping at either end, CRS and chi
//! saturation of either sign, chi exactly at its bounds, the transfer clamp, noise on a
//! non-square tile); the harness counts them once the transaction's responses matched, so a
//! bin counts only what the RTL was seen to do.
//!
//! [`goals`] lists the bins a design can reach; a bin it cannot (a clip of an exact ADC, a CRS
//! saturation that the cells' ranges rule out) is not a goal. `verify` prints the bins and
//! fails on a goal left unhit where asked (`--require-coverage`, as CI does).

pub use crate::bins::Bin;
use crate::stimulus::error_causes;
use pimforge_golden::array::tile_bits;
use pimforge_golden::num::signed_range;
use pimforge_golden::tile::{err, stat};
use pimforge_golden::{Cells, Op, TileShape};
use std::collections::BTreeMap;

/// Hit counts per bin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub hits: BTreeMap<Bin, u64>,
}

impl Coverage {
    pub fn hit(&mut self, bin: Bin) {
        *self.hits.entry(bin).or_default() += 1;
    }

    pub fn count(&self, bin: &Bin) -> u64 {
        self.hits.get(bin).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (b, n) in &other.hits {
            *self.hits.entry(*b).or_default() += n;
        }
    }

    /// The goals this run left unhit.
    pub fn unhit(&self, goals: &[Bin]) -> Vec<Bin> {
        goals
            .iter()
            .filter(|b| self.count(b) == 0)
            .copied()
            .collect()
    }

    /// One line: goals hit of all.
    pub fn headline(&self, goals: &[Bin]) -> String {
        let unhit = self.unhit(goals);
        let mut s = format!(
            "coverage: {} of {} bins hit",
            goals.len() - unhit.len(),
            goals.len()
        );
        if !unhit.is_empty() {
            let names: Vec<String> = unhit.iter().map(Bin::to_string).collect();
            s += &format!("; unhit: {}", names.join("; "));
        }
        s
    }

    /// Every goal with its count, one per line, in bin order.
    pub fn table(&self, goals: &[Bin]) -> String {
        let mut sorted = goals.to_vec();
        sorted.sort();
        let width = sorted
            .iter()
            .map(|b| b.to_string().len())
            .max()
            .unwrap_or(0);
        sorted
            .iter()
            .map(|b| format!("  {:<width$}  {}\n", b.to_string(), self.count(b)))
            .collect()
    }
}

/// Whether CRS can saturate a weight above (`.1`) or below (`.0`) its range: the slices' cell
/// ranges recomposed reach beyond the weight's.
fn crs_reach(shape: &TileShape) -> (bool, bool) {
    let (mut lo, mut hi) = (0i128, 0i128);
    for m in 0..shape.slices() {
        let (clo, chi) = shape.cell_range(m);
        lo += (clo as i128) << (shape.value_bits * m as u32);
        hi += (chi as i128) << (shape.value_bits * m as u32);
    }
    let (wlo, whi) = signed_range(shape.weight_bits);
    (lo < wlo as i128, hi > whi as i128)
}

/// Whether status word `w` can change on this design (`clips`: some device can clip; `crs`:
/// CRS can saturate a weight).
fn status_can_change(shape: &TileShape, clips: bool, crs: bool, w: u64) -> bool {
    let agad_warmup = shape
        .tiki
        .as_ref()
        .is_some_and(|t| t.transfer.warmup_passes > 0);
    match w {
        stat::SATURATIONS => !shape.adc_is_exact(),
        stat::CRS_SATURATIONS => crs,
        stat::CHI_SATURATIONS => shape.mixed.is_some(),
        stat::A_PULSES | stat::H_SATURATIONS => shape.tiki.is_some(),
        stat::FLIPS => shape
            .tiki
            .as_ref()
            .is_some_and(|t| t.transfer.schedule != pimforge_golden::shape::Schedule::Never),
        stat::WITHHELD => agad_warmup,
        stat::UPDATE_CLIPS => clips,
        stat::ACC_UPDATES => shape.mixed.is_some() || shape.tiki.is_some(),
        _ => true,
    }
}

/// The bins a design of `shape` can reach whose tiles power up with crossbars `cells`: the
/// goals of its regression.
pub fn goals(shape: &TileShape, cells: &[Cells]) -> Vec<Bin> {
    let mixed = shape.mixed.is_some();
    let tiles = cells.len();
    let clips = cells.iter().any(Cells::can_clip);
    let (crs_lo, crs_hi) = crs_reach(shape);
    let many = tiles > 1;
    let mut g = Vec::new();
    for op in Op::all().filter(|o| o.available(shape.units())) {
        for tile in 0..tiles as u32 {
            for beside_busy in [false, true] {
                if many || !beside_busy {
                    g.push(Bin::Command {
                        op,
                        tile,
                        beside_busy,
                    });
                }
            }
        }
        if let Some(n) = shape.addresses(op) {
            g.push(Bin::LastAddress(op));
            if shape.addressable(n) {
                g.push(Bin::FirstBadAddress(op));
            }
        }
    }
    g.extend(
        stat::TABLE
            .iter()
            .filter(|(w, _)| status_can_change(shape, clips, crs_lo || crs_hi, *w))
            .map(|(w, _)| Bin::StatusChanged(*w)),
    );
    for c in error_causes(shape) {
        let b = Bin::ErrorAlone {
            flag: c.flag,
            cause: Op::from_code(c.op),
        };
        if !g.contains(&b) {
            g.push(b);
        }
    }
    g.extend([
        Bin::BackToBack { same_tile: true },
        Bin::ClearAfterOperation,
    ]);
    if many {
        g.extend([Bin::BackToBack { same_tile: false }, Bin::ClearBesideBusy]);
    }
    if 1usize << tile_bits(tiles) > tiles {
        g.extend([Bin::AbsentTile, Bin::ClearHeldWithBadTile]);
    }
    if !shape.adc_is_exact() && tiles > 0 {
        let (low, high) = crate::stimulus::adc_reach(shape, &cells[0]);
        if low {
            g.push(Bin::AdcClip { high: false });
        }
        if high {
            g.push(Bin::AdcClip { high: true });
        }
    }
    if clips {
        g.push(Bin::OpaClip);
    }
    if crs_lo {
        g.push(Bin::CrsSaturation { high: false });
    }
    if crs_hi {
        g.push(Bin::CrsSaturation { high: true });
    }
    if mixed {
        for high in [false, true] {
            g.extend([
                Bin::ChiSaturation { high },
                Bin::ChiExact { max: high },
                Bin::TransferClamp { high },
            ]);
        }
    }
    if shape.rows != shape.cols {
        if shape.device.read_q16 != 0 {
            g.push(Bin::ReadNoiseNonSquare);
        }
        if shape.device.c2c_q16 != 0 {
            g.push(Bin::C2cNoiseNonSquare);
        }
    }
    g
}

/// The harness's side of coverage: the protocol bins, from what crosses the wires.
#[derive(Debug)]
pub(crate) struct Observer {
    /// Per tile, the last value read from each status word.
    last_read: Vec<[u128; stat::COUNT as usize]>,
    /// Per tile, the commands that raised error flags since its last CLEAR, with the flags.
    causes: Vec<Vec<(u8, u8)>>,
    /// The tile of the command accepted in the cycle before, if one was.
    last_accepted: Option<u32>,
    /// `busy_o` in the cycle before.
    last_busy: u128,
}

impl Observer {
    pub(crate) fn new(tiles: usize) -> Self {
        Observer {
            last_read: vec![[0; stat::COUNT as usize]; tiles],
            causes: vec![Vec::new(); tiles],
            last_accepted: None,
            last_busy: 0,
        }
    }

    /// One cycle: `held` is a CLEAR presented but not taken while `bad_tile_o` is set;
    /// `accepted` the command taken in it (tile, opcode, address) with the error flags its tile
    /// gained; `busy` is `busy_o`.
    pub(crate) fn cycle(
        &mut self,
        cov: &mut Coverage,
        shape: &TileShape,
        held_clear_with_bad_tile: bool,
        accepted: Option<(u32, u8, u64, u8)>,
        busy: u128,
    ) {
        if held_clear_with_bad_tile {
            cov.hit(Bin::ClearHeldWithBadTile);
        }
        if let Some((tile, code, addr, gained)) = accepted {
            let t = tile as usize;
            if let Some(same) = self.last_accepted.map(|l| l == tile) {
                cov.hit(Bin::BackToBack { same_tile: same });
            }
            if t >= self.causes.len() {
                cov.hit(Bin::AbsentTile);
            } else if let Some(op) = Op::from_code(code) {
                let others = busy & !(1u128 << t);
                cov.hit(Bin::Command {
                    op,
                    tile,
                    beside_busy: others != 0,
                });
                if let Some(n) = shape.addresses(op) {
                    if addr + 1 == n {
                        cov.hit(Bin::LastAddress(op));
                    } else if addr == n {
                        cov.hit(Bin::FirstBadAddress(op));
                    }
                }
                if op == Op::Clear {
                    if others != 0 {
                        cov.hit(Bin::ClearBesideBusy);
                    }
                    if self.last_busy >> t & 1 == 1 {
                        cov.hit(Bin::ClearAfterOperation);
                    }
                    self.causes[t].clear();
                }
            }
            if gained != 0 && t < self.causes.len() {
                self.causes[t].push((code, gained));
            }
        }
        self.last_accepted = accepted.map(|a| a.0);
        self.last_busy = busy;
    }

    /// A response `data` to `READ_STAT word` of `tile`, matched by the scoreboard.
    pub(crate) fn status_read(&mut self, cov: &mut Coverage, tile: u32, word: u64, data: u128) {
        let t = tile as usize;
        let Some(last) = self
            .last_read
            .get_mut(t)
            .and_then(|l| l.get_mut(word as usize))
        else {
            return;
        };
        if *last != data {
            cov.hit(Bin::StatusChanged(word));
        }
        *last = data;
        if word == stat::ERRORS {
            if let [(code, flags)] = self.causes[t][..] {
                for (flag, _) in err::TABLE.iter().filter(|(f, _)| flags & f != 0) {
                    cov.hit(Bin::ErrorAlone {
                        flag: *flag,
                        cause: Op::from_code(code),
                    });
                }
            }
        }
    }
}

//! The template context of SBPCA's low-rank unit (`pim_lowrank.sv`) and of the unit on its own
//! (`pim_lowrank_solo.sv`).

use super::{header, host_ports, PortDecl};
use crate::design::Design;
use crate::fault::Flags;
use pimforge_golden::Interface;

/// What `pim_lowrank` prints: its host ports and its widths, from the golden unit.
pub struct LowRankCtx {
    pub header: String,
    pub host_ports: Vec<PortDecl>,
    pub rows: usize,
    pub cols: usize,
    pub rank: usize,
    pub x_bits: u32,
    pub d_bits: u32,
    pub acc_bits: u32,
    pub batch_log2: u32,
    pub frac: u32,
    pub proj_frac: u32,
    pub newton_steps: u32,
    pub index_bits: u32,
    pub pair_bits: u32,
    pub counter_bits: u32,
    pub seeds: Vec<i64>,
    /// Width of the scale word.
    pub scale_bits: u32,
    /// The device seed (the rounding LFSR's base).
    pub seed: u32,
    pub fault: Flags,
}

impl LowRankCtx {
    /// The context of a design with a `lowrank` section.
    pub fn new(d: &Design) -> Option<LowRankCtx> {
        use pimforge_golden::lowrank::{fixed, unit};
        let model = d.lowrank_model()?;
        let s = model.geometry();
        Some(LowRankCtx {
            header: header(d),
            host_ports: host_ports::<unit::LowRankUnit>(&s),
            rows: s.inputs,
            cols: s.outputs,
            rank: s.k,
            x_bits: s.x_bits,
            d_bits: s.d_bits,
            acc_bits: s.acc_bits(),
            batch_log2: s.batch_log2(),
            frac: fixed::FRAC,
            proj_frac: fixed::PROJ_FRAC,
            newton_steps: fixed::NEWTON_STEPS,
            index_bits: unit::index_bits(&s),
            pair_bits: unit::pair_bits(&s),
            counter_bits: unit::COUNTER_BITS,
            seeds: fixed::invsqrt_seeds().to_vec(),
            scale_bits: pimforge_golden::lowrank::operands::SCALE_BITS,
            seed: d.shape.device.seed,
            fault: Flags::of(d.fault),
        })
    }
}

/// What `pim_tile` prints of its low-rank unit: the widths of its words and their map (zeros
/// without one).
#[derive(Default)]
pub struct LowRankTileCtx {
    pub rank: usize,
    pub acc_bits: u32,
    pub pair_bits: u32,
    pub index_bits: u32,
    pub counter_bits: u32,
    pub scale_bits: u32,
    pub map_d: u64,
    pub map_scale: u64,
    pub map_samples: u64,
    pub map_saturations: u64,
    pub map_replaced: u64,
    pub map_opas: u64,
}

impl LowRankTileCtx {
    pub fn new(s: &pimforge_golden::TileShape) -> LowRankTileCtx {
        use pimforge_golden::lowrank::unit;
        let (Some(f), Some(map)) = (s.lowrank_fixed(), s.lowrank_map()) else {
            return LowRankTileCtx::default();
        };
        LowRankTileCtx {
            rank: f.k,
            acc_bits: f.acc_bits(),
            pair_bits: unit::pair_bits(&f),
            index_bits: unit::index_bits(&f),
            counter_bits: unit::COUNTER_BITS,
            scale_bits: pimforge_golden::lowrank::operands::SCALE_BITS,
            map_d: map.d,
            map_scale: map.scale,
            map_samples: map.samples,
            map_saturations: map.saturations,
            map_replaced: map.replaced,
            map_opas: map.opas,
        }
    }
}

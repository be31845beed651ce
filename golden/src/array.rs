//! Cycle-level model of the array top: `tiles` tiles behind one host command interface.
//!
//! A command goes to tile `cmd_tile`; `cmd_ready` is that tile's ready (commands to a tile id
//! beyond the array are swallowed and flagged in `bad_tile`, sticky until a `Clear`). At most one
//! tile answers per cycle (answers follow their command by one cycle), so the response port is
//! the OR of the tiles' responses.

use crate::cycle::{one_bit, CycleModel, Interface, Signal};
use crate::num::clog2;
use crate::shape::TileShape;
use crate::tile::{Op, TileIn, TileModel};

/// Width of the tile-id field of an array of `tiles` tiles.
pub fn tile_bits(tiles: usize) -> u32 {
    clog2(tiles as u64).max(1)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArrayIn {
    pub cmd_valid: bool,
    pub cmd_tile: u32,
    pub cmd_op: u8,
    pub cmd_addr: u64,
    pub cmd_data: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArrayOut {
    pub cmd_ready: bool,
    pub rsp_valid: bool,
    pub rsp_data: u128,
    /// Bit `i`: tile `i` busy.
    pub busy: u128,
    /// Bit `i`: tile `i` has an error flag set.
    pub err: u128,
    pub bad_tile: bool,
}

#[derive(Clone, Debug)]
pub struct ArrayModel {
    pub tiles: Vec<TileModel>,
    bad_tile: bool,
}

impl ArrayModel {
    pub fn new(shape: &TileShape, tiles: usize) -> Self {
        ArrayModel {
            tiles: (0..tiles)
                .map(|i| TileModel::new(shape).at_index(i))
                .collect(),
            bad_tile: false,
        }
    }

    /// The array after reset, tile `i` with crossbars `cells[i]` (e.g. with device variation).
    pub fn with_cells(shape: &TileShape, cells: Vec<crate::Cells>) -> Self {
        ArrayModel {
            tiles: cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| TileModel::with_cells(shape, c).at_index(i))
                .collect(),
            bad_tile: false,
        }
    }

    /// The array after reset, tile `i` with crossbars `cells[i]` and Tiki-Taka unit `units[i]`
    /// (empty `units`: the shape's nominal units).
    pub fn with_units(
        shape: &TileShape,
        cells: Vec<crate::Cells>,
        units: Vec<Option<crate::tiki::TikiUnit>>,
    ) -> Self {
        if units.is_empty() {
            return ArrayModel::with_cells(shape, cells);
        }
        ArrayModel {
            tiles: cells
                .into_iter()
                .zip(units)
                .enumerate()
                .map(|(i, (c, u))| TileModel::with_units(shape, c, u).at_index(i))
                .collect(),
            bad_tile: false,
        }
    }

    fn tile_in(&self, inp: &ArrayIn, i: usize) -> TileIn {
        TileIn {
            cmd_valid: inp.cmd_valid && inp.cmd_tile as usize == i,
            cmd_op: inp.cmd_op,
            cmd_addr: inp.cmd_addr,
            cmd_data: inp.cmd_data,
        }
    }

    /// The geometry of every tile.
    pub fn shape(&self) -> &TileShape {
        &self.tiles[0].shape
    }
}

impl CycleModel for ArrayModel {
    type In = ArrayIn;
    type Out = ArrayOut;

    /// Outputs in the current cycle for inputs `inp` (`cmd_ready` depends on `cmd_tile`).
    fn outputs(&self, inp: &ArrayIn) -> ArrayOut {
        let mut out = ArrayOut {
            cmd_ready: true,
            bad_tile: self.bad_tile,
            ..ArrayOut::default()
        };
        for (i, t) in self.tiles.iter().enumerate() {
            let o = t.outputs();
            if inp.cmd_tile as usize == i {
                out.cmd_ready = o.cmd_ready;
            }
            out.rsp_valid |= o.rsp_valid;
            if o.rsp_valid {
                out.rsp_data |= o.rsp_data;
            }
            out.busy |= (o.busy as u128) << i;
            out.err |= (o.err as u128) << i;
        }
        out
    }

    fn clock(&mut self, inp: &ArrayIn) {
        let ready = self
            .tiles
            .get(inp.cmd_tile as usize)
            .is_none_or(|t| t.outputs().cmd_ready);
        if inp.cmd_valid && ready {
            if inp.cmd_tile as usize >= self.tiles.len() {
                self.bad_tile = true;
            } else if inp.cmd_op == Op::Clear as u8 {
                self.bad_tile = false;
            }
        }
        for i in 0..self.tiles.len() {
            let ti = self.tile_in(inp, i);
            self.tiles[i].clock(&ti);
        }
    }
}

/// What fixes the array's ports: the tile geometry and the number of tiles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayGeometry {
    pub shape: TileShape,
    pub tiles: usize,
}

impl Interface for ArrayModel {
    type Geometry = ArrayGeometry;
    const TOP: &'static str = "pim_array";
    const INPUTS: &'static [Signal<ArrayIn, ArrayGeometry>] = &[
        Signal::new("cmd_valid_i", one_bit, |i| i.cmd_valid as u128),
        Signal::new("cmd_tile_i", |g| tile_bits(g.tiles), |i| i.cmd_tile as u128),
        Signal::new("cmd_op_i", |_| Op::BITS, |i| i.cmd_op as u128),
        Signal::new(
            "cmd_addr_i",
            |g| g.shape.addr_bits(),
            |i| i.cmd_addr as u128,
        ),
        Signal::new(
            "cmd_data_i",
            |g| g.shape.data_bits(),
            |i| i.cmd_data as u128,
        ),
    ];
    const OUTPUTS: &'static [Signal<ArrayOut, ArrayGeometry>] = &[
        Signal::new("cmd_ready_o", one_bit, |o| o.cmd_ready as u128),
        Signal::new("rsp_valid_o", one_bit, |o| o.rsp_valid as u128),
        Signal::new("rsp_data_o", |g| g.shape.rsp_bits(), |o| o.rsp_data),
        Signal::new("busy_o", |g| g.tiles as u32, |o| o.busy),
        Signal::new("err_o", |g| g.tiles as u32, |o| o.err),
        Signal::new("bad_tile_o", one_bit, |o| o.bad_tile as u128),
    ];

    fn geometry(&self) -> ArrayGeometry {
        ArrayGeometry {
            shape: self.shape().clone(),
            tiles: self.tiles.len(),
        }
    }
}

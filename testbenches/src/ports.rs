//! The host interface of the generated array top, as the harness sees it.

use crate::verilate::PortSpec;
use pimforge_golden::num::clog2;
use pimforge_golden::{ArrayOut, Op, TileShape};

/// Width of the tile-id port for `tiles` tiles.
pub fn tile_bits(tiles: usize) -> u32 {
    clog2(tiles as u64).max(1)
}

/// Every port of `pim_array` with its width.
pub fn array_ports(shape: &TileShape, tiles: usize) -> Vec<PortSpec> {
    let p = |name: &str, width: u32, output: bool| PortSpec {
        name: name.into(),
        width,
        output,
    };
    vec![
        p("clk_i", 1, false),
        p("rst_ni", 1, false),
        p("cmd_valid_i", 1, false),
        p("cmd_tile_i", tile_bits(tiles), false),
        p("cmd_op_i", Op::BITS, false),
        p("cmd_addr_i", shape.addr_bits(), false),
        p("cmd_data_i", shape.data_bits(), false),
        p("cmd_ready_o", 1, true),
        p("rsp_valid_o", 1, true),
        p("rsp_data_o", shape.rsp_bits(), true),
        p("busy_o", tiles as u32, true),
        p("err_o", tiles as u32, true),
        p("bad_tile_o", 1, true),
    ]
}

/// The outputs of the array as `(port name, value)` pairs, in port order.
pub fn output_values(o: &ArrayOut) -> [(&'static str, u128); 6] {
    [
        ("cmd_ready_o", o.cmd_ready as u128),
        ("rsp_valid_o", o.rsp_valid as u128),
        ("rsp_data_o", o.rsp_data),
        ("busy_o", o.busy),
        ("err_o", o.err),
        ("bad_tile_o", o.bad_tile as u128),
    ]
}

{{ header }}
// Array top: {{ tiles }} tiles behind one host command interface. A command goes to tile
// cmd_tile_i and cmd_ready_o is that tile's ready; commands to a tile id beyond the array are
// accepted, dropped and flagged in bad_tile_o (sticky until a CLEAR). Responses follow their
// command by one cycle, so at most one tile answers per cycle and the response port ORs the
// tiles' answers.
module pim_array #(
  parameter int Tiles = {{ tiles }},
  parameter int TileW = {{ tile_bits }},
  parameter int AddrW = {{ addr_bits }},
  parameter int DataW = {{ data_bits }},
  parameter int RspW  = {{ rsp_bits }},
  // Directory of the device files (pim_dev_t<tile>_s<slice>.memh), when the config has them.
  parameter DeviceDir = "."
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             cmd_valid_i,
  output logic             cmd_ready_o,
  input  logic [TileW-1:0] cmd_tile_i,
  input  logic [pim_pkg::OpW-1:0] cmd_op_i,
  input  logic [AddrW-1:0] cmd_addr_i,
  input  logic [DataW-1:0] cmd_data_i,
  output logic             rsp_valid_o,
  output logic [RspW-1:0]  rsp_data_o,
  output logic [Tiles-1:0] busy_o,
  output logic [Tiles-1:0] err_o,
  output logic             bad_tile_o
);


  logic [Tiles-1:0]      tile_ready, tile_rsp_valid;
  logic [Tiles*RspW-1:0] tile_rsp_data;

  for (genvar i = 0; i < Tiles; i++) begin : g_tile
    // Every tile is the same module: its index is a port tied to a constant, so Verilator
    // compiles one tile for the whole array.
    pim_tile #(
      .DeviceDir (DeviceDir)
    ) u_tile (
      .clk_i,
      .rst_ni,
      .tile_i      (pim_pkg::TileIdW'(i)),
      .cmd_valid_i (cmd_valid_i && (cmd_tile_i == TileW'(i))),
      .cmd_ready_o (tile_ready[i]),
      .cmd_op_i,
      .cmd_addr_i,
      .cmd_data_i,
      .rsp_valid_o (tile_rsp_valid[i]),
      .rsp_data_o  (tile_rsp_data[i*RspW +: RspW]),
      .busy_o      (busy_o[i]),
      .err_o       (err_o[i])
    );
  end

  // Tile ids past the last tile exist only when Tiles is not a power of two: padded as absent.
  logic [2**TileW-1:0] present, ready_pad;
{%- if pad == 0 %}
  assign present   = '1;
  assign ready_pad = tile_ready;
{%- else %}
  assign present   = {{ tiles + pad }}'b{{ present_bits }};
  assign ready_pad = { {{ pad }}'b{{ "1".repeat(*pad) }}, tile_ready};
{%- endif %}
  assign cmd_ready_o = ready_pad[cmd_tile_i];

  always_comb begin
    rsp_valid_o = 1'b0;
    rsp_data_o  = '0;
    for (int i = 0; i < Tiles; i++) begin
      rsp_valid_o = rsp_valid_o | tile_rsp_valid[i];
      rsp_data_o  = rsp_data_o | (tile_rsp_data[i*RspW +: RspW] & {RspW{tile_rsp_valid[i]} });
    end
  end

  logic bad_tile_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bad_tile_q <= 1'b0;
    end else if (cmd_valid_i && cmd_ready_o) begin
      if (!present[cmd_tile_i]) begin
        bad_tile_q <= 1'b1;
      end else if (cmd_op_i == pim_pkg::OpClear) begin
        bad_tile_q <= 1'b0;
      end
    end
  end
  assign bad_tile_o = bad_tile_q;

endmodule : pim_array

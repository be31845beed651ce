{{ header }}
// High-precision solver (RePAST; docs/hardware.md, "High-precision solves"): the refinement
// controller pim_refine with its INV crossbar, and a tile (pim_tile, this design's geometry)
// whose bit-sliced VMM path computes the controller's exact residuals and A_l products. The
// tile belongs to the solver: the controller is the only master of its command port.
module pim_solver (
  input  logic clk_i,
  input  logic rst_ni,
  // Host ports: from the golden solver's port table (pimforge_golden::solver::units).
{%- for p in host_ports %}
  {% if p.output %}output{% else %}input {% endif %} logic {{ p.range }} {{ p.name }}{% if !loop.last %},{% endif %}
{%- endfor %}
);

  logic                       cmd_valid, cmd_ready, rsp_valid, tile_busy, tile_err;
  logic [pim_pkg::OpW-1:0]    cmd_op;
  logic [{{ addr_bits }}-1:0] cmd_addr;
  logic [{{ data_bits }}-1:0] cmd_data;
  logic [{{ rsp_bits }}-1:0]  rsp_data;

  pim_refine u_refine (
    .clk_i,
    .rst_ni,
{%- for p in host_ports %}
    .{{ p.name }},
{%- endfor %}
    .tile_cmd_valid_o (cmd_valid),
    .tile_cmd_ready_i (cmd_ready),
    .tile_cmd_op_o    (cmd_op),
    .tile_cmd_addr_o  (cmd_addr),
    .tile_cmd_data_o  (cmd_data),
    .tile_rsp_valid_i (rsp_valid),
    .tile_rsp_data_i  (rsp_data),
    .tile_busy_i      (tile_busy)
  );

  pim_tile u_tile (
    .clk_i,
    .rst_ni,
    .tile_i      (pim_pkg::TileIdW'(0)),
    .cmd_valid_i (cmd_valid),
    .cmd_ready_o (cmd_ready),
    .cmd_op_i    (cmd_op),
    .cmd_addr_i  (cmd_addr),
    .cmd_data_i  (cmd_data),
    .rsp_valid_o (rsp_valid),
    .rsp_data_o  (rsp_data),
    .busy_o      (tile_busy),
    .err_o       (tile_err)
  );

  // The controller never issues a bad command; the lock-step model would see one in its results.
  logic unused_err;
  assign unused_err = tile_err;

endmodule : pim_solver

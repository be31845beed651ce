{{ header }}
// The low-rank unit on its own (pim_lowrank beside sample buffers of its own), for its
// lock-step regression and its synthesis: the host writes a sample's x (Rows entries) and d
// (Cols entries) with x_we_i / d_we_i at idx_i, and the first pairs with st_we_i; ABSORB,
// FINISH and WARM strobe the unit (END_BATCH's terms need a tile: pim_tile drives them).
module pim_lowrank_solo (
  input  logic clk_i,
  input  logic rst_ni,
  // Host ports: from the golden unit's port table (pimforge_golden::lowrank::unit).
{%- for p in host_ports %}
  {% if p.output %}output{% else %}input {% endif %} logic {{ p.range }} {{ p.name }}{% if !loop.last %},{% endif %}
{%- endfor %}
);

  localparam int Rows = {{ rows }};
  localparam int Cols = {{ cols }};
  localparam int XW   = {{ x_bits }};
  localparam int DW   = {{ d_bits }};

  logic [Rows*XW-1:0] xbuf_q;
  logic [Cols*DW-1:0] dbuf_q;

  // The sample buffers take writes while the unit is idle.
  always_ff @(posedge clk_i) begin
    if (!busy_o) begin
      if (x_we_i && 32'(idx_i) < Rows) xbuf_q[32'(idx_i)*XW +: XW] <= data_i[XW-1:0];
      if (d_we_i && 32'(idx_i) < Cols) dbuf_q[32'(idx_i)*DW +: DW] <= data_i[DW-1:0];
    end
  end

  logic                     op_x_we, op_d_we, opa_start;
  logic [{{ index_bits }}-1:0]  op_idx;
  logic [XW-1:0]            op_x;
  logic [DW-1:0]            op_d;
  logic [{{ counter_bits }}-1:0] opas;
  logic [{{ scale_bits }}-1:0]   scale;

  pim_lowrank u_lowrank (
    .clk_i,
    .rst_ni,
    .tile_i        (pim_pkg::TileIdW'(0)),
    .absorb_i,
    .finish_i,
    .warm_i,
    .end_batch_i   (1'b0),
    .x_i           (xbuf_q),
    .d_i           (dbuf_q),
    .rd_side_i,
    .rd_pair_i,
    .rd_idx_i,
    .st_we_i,
    .st_data_i,
    .scale_we_i    (1'b0),
    .scale_i       ({{ scale_bits }}'(0)),
    .op_x_we_o     (op_x_we),
    .op_d_we_o     (op_d_we),
    .op_idx_o      (op_idx),
    .op_x_o        (op_x),
    .op_d_o        (op_d),
    .opa_start_o   (opa_start),
    .opa_busy_i    (1'b0),
    .busy_o,
    .rd_o,
    .samples_o,
    .saturations_o,
    .replaced_o,
    .opas_o        (opas),
    .scale_o       (scale)
  );

  logic unused_terms;
  assign unused_terms = ^{op_x_we, op_d_we, opa_start, op_idx, op_x, op_d, opas, scale};

endmodule : pim_lowrank_solo

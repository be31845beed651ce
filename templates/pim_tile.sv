{{ header }}
// One PIM tile: control, DAC, {{ slices }} crossbar slices of {{ rows }}x{{ cols }} cells (one per
// {{ value_bits }}-bit weight digit), an ADC bank per slice and the shift-and-add unit.
module pim_tile #(
  parameter int Rows      = {{ rows }},
  parameter int Cols      = {{ cols }},
  parameter int Lines     = {{ lines }},
  parameter int Slices    = {{ slices }},
  parameter int InW       = {{ input_bits }},
  parameter int DataW     = {{ data_bits }},
  parameter int AddrW     = {{ addr_bits }},
  parameter int LevelW    = {{ level_bits }},
  parameter int DrvW      = {{ drive_bits }},
  parameter int CurW      = {{ current_bits }},
  parameter int PlaneW    = {{ plane_bits }},
  parameter int SelW      = {{ sel_bits }},
  parameter int NumAdc    = {{ adcs }},
  parameter int AdcW      = {{ adc_bits }},
  parameter int AccW      = {{ acc_bits }},
  parameter int RspW      = {{ rsp_bits }},
  // Directory of the device files (pim_dev_t<tile>_s<slice>.memh), when the config has them.
  parameter DeviceDir = "."
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // The tile's index, a constant (the array ties it): it selects the device files and seeds the
  // LFSRs, and being a port rather than a parameter lets every tile share one model.
  input  logic [pim_pkg::TileIdW-1:0] tile_i,
  // The array drives each tile's valid with its own decode of the command's tile. The metacomment
  // keeps that decode out of the tile's code: without it Verilator folds `cmd_tile_i == i` into
  // a copy of the tile's settle code per instance (2 MB of C++ per 128x128 tile).
  input  logic             cmd_valid_i /* verilator public_flat_rd */,
  output logic             cmd_ready_o,
  input  logic [pim_pkg::OpW-1:0] cmd_op_i,
  input  logic [AddrW-1:0] cmd_addr_i,
  input  logic [DataW-1:0] cmd_data_i,
  output logic             rsp_valid_o,
  output logic [RspW-1:0]  rsp_data_o,
  output logic             busy_o,
  output logic             err_o
);
  // Keep one copy of the tile for every instance: Verilator elaborates it once, not per tile.
  /* verilator no_inline_module */

  logic [Slices-1:0]            prog_we;
  logic [$clog2(Rows)-1:0]      prog_row;
  logic [$clog2(Cols)-1:0]      prog_col;
  logic [LevelW-1:0]            prog_level;
  logic [$clog2(Rows)-1:0]      rd_row;
  logic [$clog2(Cols)-1:0]      rd_col;
  logic [LevelW-1:0]            rd_level;
  // Update port of the crossbars, and the OPA sequencer's drive of it.
  logic                         upd_en, opa_en;
  logic [Cols-1:0]              upd_neg, opa_neg;
  logic [Rows-1:0]              upd_row, opa_row;
  logic [Slices*Cols*{{ value_bits }}-1:0] upd_digit, opa_digit;
  logic [Slices*{{ xbar_clip_bits }}-1:0] upd_clips;
  logic [Slices*{{ xbar_pulse_bits }}-1:0] upd_pulses;
  logic                         mix_acc, mix_xfer, mix_busy;
  logic [Cols*{{ weight_bits }}-1:0] d;
  logic [{{ chi_sat_bits }}-1:0] mix_chi_sat;
  logic [Lines*InW-1:0]         x;
  logic                         transpose, sample, adc_valid, acc_clear, acc_valid;
  logic [PlaneW-1:0]            plane, acc_plane;
  logic [SelW-1:0]              adc_sel, acc_sel;
  logic [Lines*DrvW-1:0]        drive;
  logic [Slices*NumAdc*AdcW-1:0] code;
  logic [Slices*NumAdc-1:0]     clip;
  logic                         acc_rd;
  logic [$clog2(Lines)-1:0]     acc_line;
  logic [AccW-1:0]              acc_data;
  // Tiki-Taka unit: its answers to the control and the read of A.
  logic [pim_pkg::ErrW-1:0]     tiki_err;
  logic [RspW-1:0]              tiki_rsp;
  logic [4*pim_pkg::CntW-1:0]   tiki_stat;
  logic                         tiki_busy, read_a, read_done, tiki_acc_sel;
  logic [{{ xbar_clip_bits }}-1:0] tiki_clips;
  logic [$clog2(Lines)-1:0]     tiki_acc_line;
  logic [Lines*InW-1:0]         dac_x;
  // Low-rank unit: its busy, its writes of the buffers, the OPA it starts and the OPA's busy.
  logic                         lr_busy, lr_x_we, lr_d_we, lr_opa, opa_busy;
  logic [$clog2(Lines)-1:0]     lr_idx;
  logic [InW-1:0]               lr_x;
  logic [{{ weight_bits }}-1:0] lr_d;

  pim_tile_ctrl #(
    .Rows      (Rows),
    .Cols      (Cols),
    .Lines     (Lines),
    .Slices    (Slices),
    .ValueBits ({{ value_bits }}),
    .InW       (InW),
    .WeightW   ({{ weight_bits }}),
    .RecW      ({{ recompose_bits }}),
    .XbarClipW ({{ xbar_clip_bits }}),
    .XbarPulseW ({{ xbar_pulse_bits }}),
    .HasMixed  (1'b{{ has_mixed }}),
    .HasLowRank (1'b{{ has_lowrank }}),
    .Rank      ({{ lowrank.rank }}),
    .ChiSatW   ({{ chi_sat_bits }}),
    .DataW     (DataW),
    .AddrW     (AddrW),
    .SliceW    ({{ slice_bits }}),
    .LevelW    (LevelW),
    .Planes    ({{ planes }}),
    .PlaneW    (PlaneW),
    .Share     ({{ share }}),
    .SelW      (SelW),
    .NumAdc    (NumAdc),
    .AccW      (AccW),
    .RspW      (RspW)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .cmd_valid_i,
    .cmd_ready_o,
    .cmd_op_i,
    .cmd_addr_i,
    .cmd_data_i,
    .rsp_valid_o,
    .rsp_data_o,
    .busy_o,
    .err_o,
    .prog_we_o    (prog_we),
    .prog_row_o   (prog_row),
    .prog_col_o   (prog_col),
    .prog_level_o (prog_level),
    .rd_row_o     (rd_row),
    .rd_col_o     (rd_col),
    .rd_level_i   (rd_level),
    .upd_en_o     (opa_en),
    .upd_neg_o    (opa_neg),
    .upd_row_o    (opa_row),
    .upd_digit_o  (opa_digit),
    .upd_clips_i  (upd_clips),
    .upd_pulses_i (upd_pulses),
    .mix_acc_o    (mix_acc),
    .mix_xfer_o   (mix_xfer),
    .d_o          (d),
    .mix_busy_i   (mix_busy),
    .mix_chi_sat_i (mix_chi_sat),
    .tiki_err_i   (tiki_err),
    .tiki_rsp_i   (tiki_rsp),
    .tiki_stat_i  (tiki_stat),
    .tiki_busy_i  (tiki_busy),
    .tiki_clips_i (tiki_clips),
    .read_a_o     (read_a),
    .read_done_o  (read_done),
    .tiki_acc_sel_i (tiki_acc_sel),
    .tiki_acc_line_i (tiki_acc_line),
    .lr_busy_i    (lr_busy),
    .lr_x_we_i    (lr_x_we),
    .lr_d_we_i    (lr_d_we),
    .lr_idx_i     (lr_idx),
    .lr_x_i       (lr_x),
    .lr_d_i       (lr_d),
    .lr_opa_i     (lr_opa),
    .opa_busy_o   (opa_busy),
    .x_o          (x),
    .transpose_o  (transpose),
    .plane_o      (plane),
    .sample_o     (sample),
    .adc_valid_o  (adc_valid),
    .adc_sel_o    (adc_sel),
    .clip_i       (clip),
    .acc_clear_o  (acc_clear),
    .acc_valid_o  (acc_valid),
    .acc_plane_o  (acc_plane),
    .acc_sel_o    (acc_sel),
    .acc_rd_o     (acc_rd),
    .acc_line_o   (acc_line),
    .acc_data_i   (acc_data)
  );

{%- if has_mixed == 1 %}

  // Mixed-precision unit: its transfers drive slice 0 while it runs (the OPA is then idle).
  logic                         xfer_en;
  logic [Cols-1:0]              xfer_neg;
  logic [Rows-1:0]              xfer_row;
  logic [Cols*{{ value_bits }}-1:0] xfer_digit;

  pim_mixed #(
    .Rows      (Rows),
    .Cols      (Cols),
    .InW       (InW),
    .WeightW   ({{ weight_bits }}),
    .ValueBits ({{ value_bits }}),
    .ChiW      ({{ chi_bits }}),
    .EpsLog2   ({{ epsilon_log2 }}),
    .MaxPulses ({{ max_pulses }}),
    .ChiSatW   ({{ chi_sat_bits }})
  ) u_mixed (
    .clk_i,
    .rst_ni,
    .acc_i       (mix_acc),
    .xfer_i      (mix_xfer),
    .x_i         (x[Rows*InW-1:0]),
    .d_i         (d),
    .busy_o      (mix_busy),
    .chi_sat_o   (mix_chi_sat),
    .upd_en_o    (xfer_en),
    .upd_row_o   (xfer_row),
    .upd_digit_o (xfer_digit),
    .upd_neg_o   (xfer_neg)
  );

  assign upd_en    = opa_en || xfer_en;
  assign upd_neg   = xfer_en ? xfer_neg : opa_neg;
  assign upd_row   = xfer_en ? xfer_row : opa_row;
{%- if xfer_pad == 0 %}
  assign upd_digit = xfer_en ? xfer_digit : opa_digit;
{%- else %}
  assign upd_digit = xfer_en ? { {{ xfer_pad }}'0, xfer_digit} : opa_digit;
{%- endif %}
{%- elif has_tiki == 1 %}

  // Tiki-Taka unit: A (its own update port), and slice 0 (C) for transfers and pulses into C
  // while it runs (the OPA is then idle).
  logic                         a_en, tk_c_en;
  logic [Cols-1:0]              a_neg, tk_c_neg;
  logic [Rows-1:0]              a_row, tk_c_row;
  logic [Cols*{{ value_bits }}-1:0] a_digit, tk_c_digit;
  logic [{{ xbar_pulse_bits }}-1:0] a_pulses;
  logic [$clog2(Rows)-1:0]      tiki_line;
  logic [Lines*CurW-1:0]        held_a;
  // A's serial read port is unused (CRS resolves C only).
  logic [{{ tiki.a_cell_bits }}-1:0] a_rd_level;
  logic                         unused_a_rd;
  assign unused_a_rd = ^a_rd_level;

  pim_tiki #(
    .Rows      (Rows),
    .Cols      (Cols),
    .Lines     (Lines),
    .ValueBits ({{ value_bits }}),
    .DataW     (DataW),
    .AddrW     (AddrW),
    .AccW      (AccW),
    .RspW      (RspW),
    .PulseW    ({{ xbar_pulse_bits }}),
    .Seed      ({{ device_seed }})
  ) u_tiki (
    .clk_i,
    .rst_ni,
    .tile_i,
    .accept_i    (cmd_valid_i && cmd_ready_o),
    .op_i        (cmd_op_i),
    .addr_i      (cmd_addr_i),
    .data_i      (cmd_data_i),
    .err_o       (tiki_err),
    .rsp_o       (tiki_rsp),
    .busy_o      (tiki_busy),
    .stat_o      (tiki_stat),
    .line_o      (tiki_line),
    .read_done_i (read_done),
    .acc_sel_o   (tiki_acc_sel),
    .acc_line_o  (tiki_acc_line),
    .acc_data_i  (acc_data),
    .a_en_o      (a_en),
    .a_neg_o     (a_neg),
    .a_row_o     (a_row),
    .a_digit_o   (a_digit),
    .a_pulses_i  (a_pulses),
    .c_en_o      (tk_c_en),
    .c_neg_o     (tk_c_neg),
    .c_row_o     (tk_c_row),
    .c_digit_o   (tk_c_digit)
  );

  // A: slice index pim_pkg::AArray of the tile's device and reference files.
  pim_xbar #(
    .Rows  (Rows),
    .Cols  (Cols),
    .Lines (Lines),
    .CellW ({{ tiki.a_cell_bits }}),
    .DrvW  (DrvW),
    .CurW  (CurW),
    .ValueBits ({{ value_bits }}),
    .ClipW ({{ xbar_clip_bits }}),
    .PulseW ({{ xbar_pulse_bits }}),
    .FracBits ({{ frac_bits }}),
    .Kind ({{ device_kind }}),
    .C2cQ16 ({{ c2c_q16 }}),
    .ReadQ16 ({{ read_q16 }}),
    .DevFiles (1'b{{ dev_files }}),
    .HasRef (1'b1),
    .DeviceDir (DeviceDir),
    .SliceIndex (pim_pkg::AArray),
    .Seed ({{ device_seed }}),
    .GMinNom ({{ tiki.a_g_min_nom }}),
    .GMaxNom ({{ tiki.a_g_max_nom }})
  ) u_xbar_a (
    .clk_i,
    .tile_i,
    .prog_we_i    (1'b0),
    .prog_row_i   ($clog2(Rows)'(0)),
    .prog_col_i   ($clog2(Cols)'(0)),
    .prog_level_i ({{ tiki.a_cell_bits }}'(0)),
    .rd_row_i     ($clog2(Rows)'(0)),
    .rd_col_i     ($clog2(Cols)'(0)),
    .rd_level_o   (a_rd_level),
    .upd_en_i     (a_en),
    .upd_neg_i    (a_neg),
    .upd_row_i    (a_row),
    .upd_digit_i  (a_digit),
    .upd_clips_o  (tiki_clips),
    .upd_pulses_o (a_pulses),
    .transpose_i  (transpose),
    .drive_i      (drive),
    .sample_i     (sample && read_a),
    .held_o       (held_a)
  );

  // A transfer's read drives 1 on input line tiki_line.
  for (genvar l = 0; l < Lines; l++) begin : g_dac_x
    assign dac_x[l*InW +: InW] =
        read_a ? ((l == 32'(tiki_line)) ? InW'(1) : '0) : x[l*InW +: InW];
  end

  assign mix_busy    = 1'b0;
  assign mix_chi_sat = '0;
  assign upd_en      = opa_en || tk_c_en;
  assign upd_neg     = tk_c_en ? tk_c_neg : opa_neg;
  assign upd_row     = tk_c_en ? tk_c_row : opa_row;
  assign upd_digit   = tk_c_en ? tk_c_digit : opa_digit;
  logic unused_mix;
  assign unused_mix = ^{mix_acc, mix_xfer, d};
{%- else %}

  // No update unit: the OPA sequencer alone drives the update port.
  assign mix_busy    = 1'b0;
  assign mix_chi_sat = '0;
  assign upd_en      = opa_en;
  assign upd_neg     = opa_neg;
  assign upd_row     = opa_row;
  assign upd_digit   = opa_digit;
  logic unused_mix;
  assign unused_mix = ^{mix_acc, mix_xfer, d};
{%- endif %}
{%- if has_lowrank == 1 %}

  // SBPCA's low-rank unit: it reads the buffers, writes its terms into them and starts their
  // OPAs; its words answer READ_UNIT and WRITE_UNIT (pimforge_golden::shape::LowRankMap: X, D,
  // the scale, then the read-only counters).
  localparam int LrD     = {{ lowrank.map_d }};
  localparam int LrScale = {{ lowrank.map_scale }};
  localparam int LrAccW  = {{ lowrank.acc_bits }};
  localparam int LrCntW  = {{ lowrank.counter_bits }};
  localparam int LrScaleW = {{ lowrank.scale_bits }};
  logic                  lr_accept, lr_side;
  logic [AddrW:0]        lr_addr, lr_off;
  logic [LrAccW-1:0]     lr_rd;
  logic [LrCntW-1:0]     lr_samples, lr_sats, lr_repl, lr_opas;
  logic [LrScaleW-1:0]   lr_scale;
  assign lr_accept = cmd_valid_i && cmd_ready_o;
  assign lr_addr   = {1'b0, cmd_addr_i};
  assign lr_side   = lr_addr >= (AddrW+1)'(LrD);
  assign lr_off    = lr_side ? lr_addr - (AddrW+1)'(LrD) : lr_addr;

  pim_lowrank #(
    .Seed      ({{ device_seed }})
  ) u_lowrank (
    .clk_i,
    .rst_ni,
    .tile_i,
    .absorb_i      (lr_accept && cmd_op_i == pim_pkg::OpAbsorb),
    .finish_i      (1'b0),
    .warm_i        (1'b0),
    .end_batch_i   (lr_accept && cmd_op_i == pim_pkg::OpEndBatch),
    .x_i           (x[Rows*InW-1:0]),
    .d_i           (d),
    .rd_side_i     (lr_side),
    .rd_pair_i     ({{ lowrank.pair_bits }}'(lr_side ? lr_off / (AddrW+1)'(Cols) : lr_off / (AddrW+1)'(Rows))),
    .rd_idx_i      ({{ lowrank.index_bits }}'(lr_side ? lr_off % (AddrW+1)'(Cols) : lr_off % (AddrW+1)'(Rows))),
    .st_we_i       (lr_accept && cmd_op_i == pim_pkg::OpWriteUnit && lr_addr < (AddrW+1)'(LrScale)),
    .st_data_i     (cmd_data_i[LrAccW-1:0]),
    .scale_we_i    (lr_accept && cmd_op_i == pim_pkg::OpWriteUnit
                    && lr_addr == (AddrW+1)'(LrScale)),
    .scale_i       (cmd_data_i[LrScaleW-1:0]),
    .op_x_we_o     (lr_x_we),
    .op_d_we_o     (lr_d_we),
    .op_idx_o      (lr_idx),
    .op_x_o        (lr_x),
    .op_d_o        (lr_d),
    .opa_start_o   (lr_opa),
    .opa_busy_i    (opa_busy),
    .busy_o        (lr_busy),
    .rd_o          (lr_rd),
    .samples_o     (lr_samples),
    .saturations_o (lr_sats),
    .replaced_o    (lr_repl),
    .opas_o        (lr_opas),
    .scale_o       (lr_scale)
  );

  // The unit's words and errors, through the unit-word ports of the control.
  always_comb begin
    tiki_rsp = '0;
    tiki_err = '0;
    if (cmd_op_i == pim_pkg::OpReadUnit) begin
      if (lr_addr < (AddrW+1)'(LrScale)) tiki_rsp = RspW'(lr_rd);
      else if (lr_addr == (AddrW+1)'(LrScale)) tiki_rsp = RspW'(lr_scale);
      else if (lr_addr == (AddrW+1)'({{ lowrank.map_samples }})) tiki_rsp = RspW'(lr_samples);
      else if (lr_addr == (AddrW+1)'({{ lowrank.map_saturations }})) tiki_rsp = RspW'(lr_sats);
      else if (lr_addr == (AddrW+1)'({{ lowrank.map_replaced }})) tiki_rsp = RspW'(lr_repl);
      else if (lr_addr == (AddrW+1)'({{ lowrank.map_opas }})) tiki_rsp = RspW'(lr_opas);
      else tiki_err = pim_pkg::ErrBadAddr;
    end else if (cmd_op_i == pim_pkg::OpWriteUnit && lr_addr > (AddrW+1)'(LrScale)) begin
      tiki_err = pim_pkg::ErrBadAddr;
    end
  end
{%- else %}

  assign lr_busy = 1'b0;
  assign lr_x_we = 1'b0;
  assign lr_d_we = 1'b0;
  assign lr_idx  = '0;
  assign lr_x    = '0;
  assign lr_d    = '0;
  assign lr_opa  = 1'b0;
  logic unused_lr;
  assign unused_lr = opa_busy;
{%- endif %}
{%- if has_tiki == 0 %}
{%- if has_lowrank == 0 %}

  assign tiki_err      = '0;
  assign tiki_rsp      = '0;
{%- endif %}
  assign tiki_stat     = '0;
  assign tiki_busy     = 1'b0;
  assign tiki_clips    = '0;
  assign tiki_acc_sel  = 1'b0;
  assign tiki_acc_line = '0;
  assign dac_x         = x;
  logic unused_tiki;
  assign unused_tiki = ^{read_a, read_done};
{%- endif %}

  pim_dac #(
    .Lines  (Lines),
    .InW    (InW),
    .DacW   (DrvW - 1),
    .Planes ({{ planes }}),
    .PlaneW (PlaneW)
  ) u_dac (
    .valid_i (sample),
    .x_i     (dac_x),
    .plane_i (plane),
    .drive_o (drive)
  );
{% for s in slice_info %}
  // Slice {{ s.index }}: weight bits [{{ s.digit_lo + value_bits - 1 }}:{{ s.digit_lo }}], {{ s.cell_bits }}-bit cells.
  logic [Lines*CurW-1:0] held_{{ s.index }};

  pim_xbar #(
    .Rows  (Rows),
    .Cols  (Cols),
    .Lines (Lines),
    .CellW ({{ s.cell_bits }}),
    .DrvW  (DrvW),
    .CurW  (CurW),
    .ValueBits ({{ value_bits }}),
    .ClipW ({{ xbar_clip_bits }}),
    .PulseW ({{ xbar_pulse_bits }}),
    .FracBits ({{ frac_bits }}),
    .Kind ({{ device_kind }}),
    .C2cQ16 ({{ c2c_q16 }}),
    .ReadQ16 ({{ read_q16 }}),
    .DevFiles (1'b{{ dev_files }}),
    .DeviceDir (DeviceDir),
    .SliceIndex ({{ s.index }}),
    .Seed ({{ device_seed }}),
    .GMinNom ({{ s.g_min_nom }}),
    .GMaxNom ({{ s.g_max_nom }})
  ) u_xbar_{{ s.index }} (
    .clk_i,
    .tile_i,
    .prog_we_i    (prog_we[{{ s.index }}]),
    .prog_row_i   (prog_row),
    .prog_col_i   (prog_col),
    .prog_level_i (prog_level[{{ s.offset }} +: {{ s.cell_bits }}]),
    .rd_row_i     (rd_row),
    .rd_col_i     (rd_col),
    .rd_level_o   (rd_level[{{ s.offset }} +: {{ s.cell_bits }}]),
    .upd_en_i     (upd_en),
    .upd_neg_i    (upd_neg),
    .upd_row_i    (upd_row),
    .upd_digit_i  (upd_digit[{{ s.index }}*Cols*{{ value_bits }} +: Cols*{{ value_bits }}]),
    .upd_clips_o  (upd_clips[{{ s.index }}*{{ xbar_clip_bits }} +: {{ xbar_clip_bits }}]),
    .upd_pulses_o (upd_pulses[{{ s.index }}*{{ xbar_pulse_bits }} +: {{ xbar_pulse_bits }}]),
    .transpose_i  (transpose),
    .drive_i      (drive),
    .sample_i     (sample{% if has_tiki == 1 %} && !read_a{% endif %}),
    .held_o       (held_{{ s.index }})
  );

  pim_adc #(
    .Lines    (Lines),
    .Share    ({{ share }}),
    .NumAdc   (NumAdc),
    .SelW     (SelW),
    .CurW     (CurW),
    .AdcW     (AdcW),
    .StepLog2 ({{ step_log2 }})
  ) u_adc_{{ s.index }} (
    .clk_i,
    .rst_ni,
    .valid_i (adc_valid),
    .sel_i   (adc_sel),
    .held_i  ({% if has_tiki == 1 %}read_a ? held_a : {% endif %}held_{{ s.index }}),
    .code_o  (code[{{ s.index }}*NumAdc*AdcW +: NumAdc*AdcW]),
    .clip_o  (clip[{{ s.index }}*NumAdc +: NumAdc])
  );
{% endfor %}
  pim_shift_add #(
    .Lines     (Lines),
    .Share     ({{ share }}),
    .NumAdc    (NumAdc),
    .SelW      (SelW),
    .Slices    (Slices),
    .AdcW      (AdcW),
    .AccW      (AccW),
    .ValueBits ({{ value_bits }}),
    .DacW      (DrvW - 1),
    .PlaneW    (PlaneW),
    .StepLog2  ({{ step_log2 }})
  ) u_shift_add (
    .clk_i,
    .rst_ni,
    .clear_i   (acc_clear),
    .valid_i   (acc_valid),
    .plane_i   (acc_plane),
    .sel_i     (acc_sel),
    .code_i    (code),
    .rd_i      (acc_rd),
    .rd_line_i (acc_line),
    .rd_data_o (acc_data)
  );

endmodule : pim_tile

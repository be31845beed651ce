{{ header }}
// Tile control: command interface (valid/ready), input buffer, weight-to-digit split and cell
// programming, the MVM/MTVM sequencer with its pipeline tags, counters, errors and responses.
//
// An MVM or MTVM runs Planes*Share + 2 cycles. At run step n (n < Planes*Share) stage 1 drives
// plane n/Share and samples the array when n%Share == 0; the ADCs convert group n-1 (stage 2)
// and the shift-and-add unit accumulates group n-2 (stage 3). cmd_ready_o is low while running.
module pim_tile_ctrl #(
  parameter int Rows      = {{ rows }},
  parameter int Cols      = {{ cols }},
  parameter int Lines     = {{ lines }},
  parameter int Slices    = {{ slices }},
  parameter int ValueBits = {{ value_bits }},
  parameter int InW       = {{ input_bits }},
  parameter int DataW     = {{ data_bits }},
  parameter int AddrW     = {{ addr_bits }},
  parameter int SliceW    = {{ slice_bits }},
  parameter int LevelW    = {{ level_bits }},
  parameter int Planes    = {{ planes }},
  parameter int PlaneW    = {{ plane_bits }},
  parameter int Share     = {{ share }},
  parameter int SelW      = {{ sel_bits }},
  parameter int NumAdc    = {{ adcs }},
  parameter int AccW      = {{ acc_bits }},
  parameter int RspW      = {{ rsp_bits }},
  parameter int CntW      = {{ counter_bits }}
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  // Host command interface.
  input  logic                         cmd_valid_i,
  output logic                         cmd_ready_o,
  input  logic [3:0]                   cmd_op_i,
  input  logic [AddrW-1:0]             cmd_addr_i,
  input  logic [DataW-1:0]             cmd_data_i,
  output logic                         rsp_valid_o,
  output logic [RspW-1:0]              rsp_data_o,
  output logic                         busy_o,
  output logic                         err_o,
  // Crossbar programming, all slices at once; slice levels packed at generated offsets.
  output logic [Slices-1:0]            prog_we_o,
  output logic [$clog2(Rows)-1:0]      prog_row_o,
  output logic [$clog2(Cols)-1:0]      prog_col_o,
  output logic [LevelW-1:0]            prog_level_o,
  // Stage 1: DAC and sample-and-hold.
  output logic [Lines*InW-1:0]         x_o,
  output logic                         transpose_o,
  output logic [PlaneW-1:0]            plane_o,
  output logic                         sample_o,
  // Stage 2: ADC.
  output logic                         adc_valid_o,
  output logic [SelW-1:0]              adc_sel_o,
  input  logic [Slices*NumAdc-1:0]     clip_i,
  // Stage 3: shift-and-add, and its read port.
  output logic                         acc_clear_o,
  output logic                         acc_valid_o,
  output logic [PlaneW-1:0]            acc_plane_o,
  output logic [SelW-1:0]              acc_sel_o,
  output logic [$clog2(Lines)-1:0]     acc_line_o,
  input  logic [AccW-1:0]              acc_data_i
);

  localparam int Convs = Planes * Share;
  localparam int StepW = $clog2(Convs + 2);
  localparam int ClipW = $clog2(Slices * NumAdc + 1);

  localparam logic [3:0] OpWriteX    = 4'd1;
  localparam logic [3:0] OpLoadW     = 4'd2;
  localparam logic [3:0] OpWriteCell = 4'd3;
  localparam logic [3:0] OpMvm       = 4'd4;
  localparam logic [3:0] OpMtvm      = 4'd5;
  localparam logic [3:0] OpReadY     = 4'd6;
  localparam logic [3:0] OpReadStat  = 4'd7;
  localparam logic [3:0] OpClear     = 4'd8;

  localparam logic [2:0] ErrBadOp    = 3'b001;
  localparam logic [2:0] ErrBadAddr  = 3'b010;
  localparam logic [2:0] ErrBadLevel = 3'b100;

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  logic [InW-1:0]    x_q [Lines];
  logic              run_q, transpose_q;
  logic [StepW-1:0]  step_q;
  logic              v2_q, v3_q;
  logic [PlaneW-1:0] k2_q, k3_q;
  logic [SelW-1:0]   s2_q, s3_q;
  logic [CntW-1:0]   sat_q, products_q;
  logic [2:0]        err_q;
  logic              rsp_valid_q;
  logic [RspW-1:0]   rsp_data_q;

  // ---------------------------------------------------------------------------------------------
  // Command decode
  // ---------------------------------------------------------------------------------------------
  logic                      accept;
  logic [SliceW-1:0]         addr_slice;
  logic [$clog2(Rows)-1:0]   addr_row;
  logic [$clog2(Cols)-1:0]   addr_col;
  logic                      line_ok, slice_ok, level_ok;

  assign cmd_ready_o = !run_q;
  assign accept      = cmd_valid_i && cmd_ready_o;
  assign {addr_slice, addr_row, addr_col} = cmd_addr_i;
  assign line_ok  = ({1'b0, cmd_addr_i} < (AddrW+1)'(Lines));
  assign slice_ok = ({1'b0, addr_slice} < (SliceW+1)'(Slices));

  // Raw level range of each slice's cells (signed, generated per slice).
  always_comb begin
    unique case (addr_slice)
{%- for s in slice_info %}
      SliceW'({{ s.index }}): level_ok = ($signed(cmd_data_i) >= DataW'({{ s.level_min }})) && ($signed(cmd_data_i) <= DataW'({{ s.level_max }}));
{%- endfor %}
      default: level_ok = 1'b0;
    endcase
  end

  // Levels per slice: the canonical digit of the weight (LOAD_W) or the raw level (WRITE_CELL).
{%- for s in slice_info %}
  assign prog_level_o[{{ s.offset }} +: {{ s.cell_bits }}] = (cmd_op_i == OpWriteCell) ?
      cmd_data_i[{{ s.cell_bits }}-1:0] :
      {{ s.cell_bits }}'({{ s.digit_signed }}(cmd_data_i[{{ s.digit_lo }} +: ValueBits]));
{%- endfor %}

  always_comb begin
    prog_we_o = '0;
    if (accept && cmd_op_i == OpLoadW && addr_slice == '0) begin
      prog_we_o = '1;
    end else if (accept && cmd_op_i == OpWriteCell && slice_ok && level_ok) begin
      prog_we_o[addr_slice] = 1'b1;
    end
  end
  assign prog_row_o = addr_row;
  assign prog_col_o = addr_col;

  logic [2:0] err_set;
  always_comb begin
    err_set = '0;
    if (accept) begin
      unique case (cmd_op_i)
        OpWriteX, OpReadY: if (!line_ok) err_set = ErrBadAddr;
        OpLoadW:           if (addr_slice != '0) err_set = ErrBadAddr;
        OpWriteCell:       err_set = !slice_ok ? ErrBadAddr : (!level_ok ? ErrBadLevel : '0);
        OpReadStat:        if (cmd_addr_i > AddrW'(2)) err_set = ErrBadAddr;
        OpMvm, OpMtvm, OpClear: err_set = '0;
        default:           err_set = ErrBadOp;
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Input buffer
  // ---------------------------------------------------------------------------------------------
  logic x_we;
  assign x_we = accept && cmd_op_i == OpWriteX && line_ok;

  for (genvar l = 0; l < Lines; l++) begin : g_x
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        x_q[l] <= '0;
      end else if (x_we && cmd_addr_i[$clog2(Lines)-1:0] == $clog2(Lines)'(l)) begin
        x_q[l] <= cmd_data_i[InW-1:0];
      end
    end
    assign x_o[l*InW +: InW] = x_q[l];
  end

  // ---------------------------------------------------------------------------------------------
  // Sequencer and pipeline tags
  // ---------------------------------------------------------------------------------------------
  logic start, stage1, done;
  assign start  = accept && (cmd_op_i == OpMvm || cmd_op_i == OpMtvm);
  assign stage1 = run_q && (step_q < StepW'(Convs));
  assign done   = run_q && (step_q == StepW'(Convs + 1));

  assign plane_o  = PlaneW'(step_q / StepW'(Share));
  assign sample_o = stage1 && ((step_q % StepW'(Share)) == '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q       <= 1'b0;
      transpose_q <= 1'b0;
      step_q      <= '0;
      v2_q        <= 1'b0;
      v3_q        <= 1'b0;
      k2_q        <= '0;
      k3_q        <= '0;
      s2_q        <= '0;
      s3_q        <= '0;
    end else begin
      v2_q <= stage1;
      k2_q <= plane_o;
      s2_q <= SelW'(step_q % StepW'(Share));
      v3_q <= v2_q;
      k3_q <= k2_q;
      s3_q <= s2_q;
      if (start) begin
        run_q       <= 1'b1;
        transpose_q <= (cmd_op_i == OpMtvm);
        step_q      <= '0;
      end else if (done) begin
        run_q <= 1'b0;
      end else if (run_q) begin
        step_q <= step_q + 1'b1;
      end
    end
  end

  assign transpose_o = transpose_q;
  assign adc_valid_o = v2_q;
  assign adc_sel_o   = s2_q;
  assign acc_clear_o = start;
  assign acc_valid_o = v3_q;
  assign acc_plane_o = k3_q;
  assign acc_sel_o   = s3_q;
  assign acc_line_o  = cmd_addr_i[$clog2(Lines)-1:0];
  assign busy_o      = run_q;

  // ---------------------------------------------------------------------------------------------
  // Counters, errors, responses
  // ---------------------------------------------------------------------------------------------
  logic [ClipW-1:0] clips;
  always_comb begin
    clips = '0;
    for (int i = 0; i < Slices * NumAdc; i++) begin
      clips = clips + ClipW'(clip_i[i]);
    end
  end

  logic [CntW:0] sat_sum;
  assign sat_sum = {1'b0, sat_q} + (CntW+1)'(clips);

  logic [CntW-1:0] stat_word;
  always_comb begin
    unique case (cmd_addr_i)
      AddrW'(0): stat_word = sat_q;
      AddrW'(1): stat_word = CntW'(err_q);
      AddrW'(2): stat_word = products_q;
      default:   stat_word = '0;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sat_q       <= '0;
      products_q  <= '0;
      err_q       <= '0;
      rsp_valid_q <= 1'b0;
      rsp_data_q  <= '0;
    end else begin
      if (accept && cmd_op_i == OpClear) begin
        sat_q <= '0;
        err_q <= '0;
      end else begin
        if (v3_q) begin
          sat_q <= sat_sum[CntW] ? '1 : sat_sum[CntW-1:0];
        end
        err_q <= err_q | err_set;
      end
      if (done) begin
        products_q <= products_q + 1'b1;
      end
      rsp_valid_q <= accept && (cmd_op_i == OpReadY || cmd_op_i == OpReadStat);
      if (accept && cmd_op_i == OpReadY) begin
        rsp_data_q <= line_ok ? RspW'($signed(acc_data_i)) : '0;
      end else if (accept && cmd_op_i == OpReadStat) begin
        rsp_data_q <= RspW'(stat_word);
      end
    end
  end

  assign rsp_valid_o = rsp_valid_q;
  assign rsp_data_o  = rsp_data_q;
  assign err_o       = |err_q;

endmodule : pim_tile_ctrl

{{ header }}
// Tile control: command interface (valid/ready), input and column-operand buffers,
// weight-to-digit split and cell programming, the MVM/MTVM sequencer with its pipeline tags, the
// outer-product (OPA) sequencer, carry resolution (CRS), counters, errors and responses. With
// HasMixed, ACCUMULATE and TRANSFER start the mixed-precision unit (pim_mixed), which runs
// beside it. With HasTiki, the Tiki-Taka unit (pim_tiki) sees every accepted command and
// answers the errors and words of its own; a TRANSFER runs here first as a one-plane product
// that reads A (read_a_o), Share + 2 cycles.
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
  parameter int WeightW   = {{ weight_bits }},
  parameter int RecW      = {{ recompose_bits }},
  parameter int XbarClipW = {{ xbar_clip_bits }},
  parameter int XbarPulseW = {{ xbar_pulse_bits }},
  parameter bit HasMixed  = 1'b{{ has_mixed }},
  parameter bit HasTiki   = 1'b{{ has_tiki }},
  parameter bit HasLowRank = 1'b{{ has_lowrank }},
  parameter int Rank      = {{ lowrank.rank }},
  parameter int ChiSatW   = {{ chi_sat_bits }},
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
  parameter int RspW      = {{ rsp_bits }}
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  // Host command interface.
  input  logic                         cmd_valid_i,
  output logic                         cmd_ready_o,
  input  logic [pim_pkg::OpW-1:0]      cmd_op_i,
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
  // Crossbar serial read (CRS), all slices at once; levels packed as for programming.
  output logic [$clog2(Rows)-1:0]      rd_row_o,
  output logic [$clog2(Cols)-1:0]      rd_col_o,
  input  logic [LevelW-1:0]            rd_level_i,
  // Outer-product update step, all slices at once; digits of slice m at m*Cols*ValueBits.
  output logic                         upd_en_o,
  output logic [Cols-1:0]              upd_neg_o,
  output logic [Rows-1:0]              upd_row_o,
  output logic [Slices*Cols*ValueBits-1:0] upd_digit_o,
  input  logic [Slices*XbarClipW-1:0]  upd_clips_i,
  input  logic [Slices*XbarPulseW-1:0] upd_pulses_i,
  // Mixed-precision unit: start strobes, column operands, status.
  output logic                         mix_acc_o,
  output logic                         mix_xfer_o,
  output logic [Cols*WeightW-1:0]      d_o,
  input  logic                         mix_busy_i,
  input  logic [ChiSatW-1:0]           mix_chi_sat_i,
  // Tiki-Taka unit: its errors, words, status, busy, the read of A and the accumulator port.
  input  logic [pim_pkg::ErrW-1:0]     tiki_err_i,
  input  logic [RspW-1:0]              tiki_rsp_i,
  input  logic [4*pim_pkg::CntW-1:0]   tiki_stat_i,
  input  logic                         tiki_busy_i,
  input  logic [XbarClipW-1:0]         tiki_clips_i,
  output logic                         read_a_o,
  output logic                         read_done_o,
  input  logic                         tiki_acc_sel_i,
  input  logic [$clog2(Lines)-1:0]     tiki_acc_line_i,
  // Low-rank unit: its busy, its writes of the buffers (its terms' operands), the OPA it
  // starts, and the OPA's busy it waits on.
  input  logic                         lr_busy_i,
  input  logic                         lr_x_we_i,
  input  logic                         lr_d_we_i,
  input  logic [$clog2(Lines)-1:0]     lr_idx_i,
  input  logic [InW-1:0]               lr_x_i,
  input  logic [WeightW-1:0]           lr_d_i,
  input  logic                         lr_opa_i,
  output logic                         opa_busy_o,
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
  output logic                         acc_rd_o,
  output logic [$clog2(Lines)-1:0]     acc_line_o,
  input  logic [AccW-1:0]              acc_data_i
);

  localparam int CntW  = pim_pkg::CntW;

  // Invariants of the geometry, checked at elaboration (Icarus 11 has no elaboration tasks).
`ifndef __ICARUS__
  if (Slices * ValueBits != WeightW) begin : g_bad_slices
    $error("Slices * ValueBits (%0d) must equal WeightW (%0d)", Slices * ValueBits, WeightW);
  end
  if (Lines != ((Rows > Cols) ? Rows : Cols) || NumAdc * Share != Lines) begin : g_bad_lines
    $error("Lines (%0d) must be max(Rows, Cols), served by NumAdc * Share ADC inputs", Lines);
  end
`endif
  localparam int Convs = Planes * Share;
  localparam int StepW = $clog2(Convs + 2);
  localparam int ClipW = $clog2(Slices * NumAdc + 1);

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------
  // The input buffer: line l's word at bits [l*InW +: InW], written one word per cycle.
  logic [Lines*InW-1:0] x_q;
  // The three sequencers (MVM/MTVM, OPA, CRS) and their busy state.
  typedef enum logic {MvmIdle, MvmRun} mvm_state_e;
  typedef enum logic [1:0] {OpaIdle, OpaStep, OpaDrain} opa_state_e;
  // CRS reads cell i while it writes back cell i - 1: FIRST reads only, DRAIN writes only.
  typedef enum logic [1:0] {CrsIdle, CrsFirst, CrsRun, CrsDrain} crs_state_e;
  mvm_state_e        mvm_state_q, mvm_state_d;
  opa_state_e        opa_state_q, opa_state_d;
  crs_state_e        crs_state_q, crs_state_d;
  logic              run, busy;
  logic              transpose_q, transpose_d;
  logic              read_a_q, read_a_d;
  logic [StepW-1:0]  step_q, step_d;
  logic              v2_q, v3_q;
  logic [PlaneW-1:0] k2_q, k3_q;
  logic [SelW-1:0]   s2_q, s3_q;
  logic [CntW-1:0]   sat_q, products_q;
  logic [pim_pkg::ErrW-1:0] err_q;
  logic              rsp_valid_q;
  logic [RspW-1:0]   rsp_data_q;

  // ---------------------------------------------------------------------------------------------
  // Command decode
  // ---------------------------------------------------------------------------------------------
  logic                      accept;
  // The slice field: every address bit above the row and column (the Tiki-Taka unit's words
  // may make the address wider than the cell space).
  localparam int ASliceW = AddrW - $clog2(Rows) - $clog2(Cols);
  logic [ASliceW-1:0]        addr_slice;
  logic [$clog2(Rows)-1:0]   addr_row;
  logic [$clog2(Cols)-1:0]   addr_col;
  logic                      line_ok, col_ok, stat_ok, slice_ok, level_ok;

  logic crs_read, crs_write;
  assign run         = mvm_state_q == MvmRun;
  assign crs_read    = crs_state_q == CrsFirst || crs_state_q == CrsRun;
  assign crs_write   = crs_state_q == CrsRun || crs_state_q == CrsDrain;
  assign busy        = run || opa_state_q != OpaIdle || crs_state_q != CrsIdle || mix_busy_i
                       || tiki_busy_i || lr_busy_i;
  assign cmd_ready_o = !busy;
  assign accept      = cmd_valid_i && cmd_ready_o;
  assign {addr_slice, addr_row, addr_col} = cmd_addr_i;
  assign line_ok  = ({1'b0, cmd_addr_i} < (AddrW+1)'(Lines));
  assign col_ok   = ({1'b0, cmd_addr_i} < (AddrW+1)'(Cols));
  assign stat_ok  = ({1'b0, cmd_addr_i} < (AddrW+1)'(pim_pkg::StatCount));
  assign slice_ok = ({1'b0, addr_slice} < (ASliceW+1)'(Slices));

  // Raw level range of each slice's cells (signed, generated per slice).
  always_comb begin
    unique case (addr_slice)
{%- for s in slice_info %}
      ASliceW'({{ s.index }}): level_ok = ($signed(cmd_data_i) >= DataW'({{ s.level_min }}))
                    && ($signed(cmd_data_i) <= DataW'({{ s.level_max }}));
{%- endfor %}
      default: level_ok = 1'b0;
    endcase
  end

  // Levels per slice: the canonical digit of the resolved weight (CRS), of the weight (LOAD_W),
  // or the raw level (WRITE_CELL).
  logic [WeightW-1:0] crs_w;
{%- for s in slice_info %}
  assign prog_level_o[{{ s.offset }} +: {{ s.cell_bits }}] =
      crs_write ? {{ s.cell_bits }}'({% if s.top %}$signed{% else %}$unsigned{% endif %}(crs_w[{{ s.digit_lo }} +: ValueBits])) :
      (cmd_op_i == pim_pkg::OpWriteCell) ? cmd_data_i[{{ s.cell_bits }}-1:0] :
      {{ s.cell_bits }}'({% if s.top %}$signed{% else %}$unsigned{% endif %}(cmd_data_i[{{ s.digit_lo }} +: ValueBits]));
{%- endfor %}

  always_comb begin
    prog_we_o = '0;
    if (crs_write) begin
      prog_we_o = '1;
    end else if (accept && cmd_op_i == pim_pkg::OpLoadW && addr_slice == '0) begin
      prog_we_o = '1;
    end else if (accept && cmd_op_i == pim_pkg::OpWriteCell && slice_ok && level_ok) begin
      prog_we_o[SliceW'(addr_slice)] = 1'b1;
    end
  end
  logic [$clog2(Rows)-1:0] crs_row_q, crs_wr_row_q;
  logic [$clog2(Cols)-1:0] crs_col_q, crs_wr_col_q;
  assign prog_row_o = crs_write ? crs_wr_row_q : addr_row;
  assign prog_col_o = crs_write ? crs_wr_col_q : addr_col;

  logic [pim_pkg::ErrW-1:0] err_set;
  always_comb begin
    err_set = '0;
    if (accept) begin
      unique case (cmd_op_i)
        pim_pkg::OpWriteX, pim_pkg::OpReadY: if (!line_ok) err_set = pim_pkg::ErrBadAddr;
        pim_pkg::OpWriteD: if (!col_ok) err_set = pim_pkg::ErrBadAddr;
        pim_pkg::OpLoadW: if (addr_slice != '0) err_set = pim_pkg::ErrBadAddr;
        pim_pkg::OpWriteCell: begin
          if (!slice_ok) begin
            err_set = pim_pkg::ErrBadAddr;
          end else if (!level_ok) begin
            err_set = pim_pkg::ErrBadLevel;
          end
        end
        pim_pkg::OpReadStat: if (!stat_ok) err_set = pim_pkg::ErrBadAddr;
        pim_pkg::OpMvm, pim_pkg::OpMtvm, pim_pkg::OpClear, pim_pkg::OpOpa,
        pim_pkg::OpCrs: err_set = '0;
        pim_pkg::OpAccumulate: if (!HasMixed) err_set = pim_pkg::ErrBadOp;
        pim_pkg::OpTransfer: if (!HasMixed && !HasTiki) err_set = pim_pkg::ErrBadOp;
        pim_pkg::OpWriteProb, pim_pkg::OpPulse:
          err_set = HasTiki ? tiki_err_i : pim_pkg::ErrBadOp;
        // The unit words: Tiki-Taka's or the low-rank unit's (a tile has at most one).
        pim_pkg::OpReadUnit, pim_pkg::OpWriteUnit:
          err_set = (HasTiki || HasLowRank) ? tiki_err_i : pim_pkg::ErrBadOp;
        pim_pkg::OpAbsorb, pim_pkg::OpEndBatch: if (!HasLowRank) err_set = pim_pkg::ErrBadOp;
        default: err_set = pim_pkg::ErrBadOp;
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Input buffer
  // ---------------------------------------------------------------------------------------------
  logic                     x_we;
  logic [$clog2(Lines)-1:0] x_addr;
  logic [InW-1:0]           x_wdata;
  assign x_we = accept && cmd_op_i == pim_pkg::OpWriteX && line_ok;
  // A command's write wins over the low-rank unit's.
  assign x_addr  = x_we ? cmd_addr_i[$clog2(Lines)-1:0] : lr_idx_i;
  assign x_wdata = x_we ? cmd_data_i[InW-1:0] : lr_x_i;

  // One process for the buffer, its loop run only in a write. The constant part-selects make a
  // line decoder in synthesis (Yosys builds a variable part-select as shifters over the whole
  // buffer). An index past the last line writes nothing.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q <= '0;
    end else if (x_we || lr_x_we_i) begin
      for (int l = 0; l < Lines; l++) begin
        if (32'(x_addr) == l) x_q[l*InW +: InW] <= x_wdata;
      end
    end
  end
  assign x_o = x_q;

  // ---------------------------------------------------------------------------------------------
  // Sequencer and pipeline tags
  // ---------------------------------------------------------------------------------------------
  logic start, start_a, stage1, done;
  logic [StepW-1:0] convs;
  assign start   = accept && (cmd_op_i == pim_pkg::OpMvm || cmd_op_i == pim_pkg::OpMtvm);
  assign start_a = HasTiki && accept && cmd_op_i == pim_pkg::OpTransfer;
  // A transfer's read of A drives one plane.
  assign convs   = read_a_q ? StepW'(Share) : StepW'(Convs);
  assign stage1  = run && (step_q < convs);
  assign done    = run && (step_q == convs + 1'b1);

  assign plane_o  = PlaneW'(step_q / StepW'(Share));
  assign sample_o = stage1 && ((step_q % StepW'(Share)) == '0);

  always_comb begin
    mvm_state_d = mvm_state_q;
    transpose_d = transpose_q;
    read_a_d    = read_a_q;
    step_d      = step_q;
    unique case (mvm_state_q)
      MvmIdle: begin
        if (start || start_a) begin
          mvm_state_d = MvmRun;
          transpose_d = cmd_op_i == pim_pkg::OpMtvm;
          read_a_d    = start_a;
          step_d      = '0;
        end
      end
      MvmRun: begin
        if (done) begin
          mvm_state_d = MvmIdle;
        end else begin
          step_d = step_q + 1'b1;
        end
      end
      default: mvm_state_d = MvmIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mvm_state_q <= MvmIdle;
      transpose_q <= 1'b0;
      read_a_q    <= 1'b0;
      step_q      <= '0;
      v2_q        <= 1'b0;
      v3_q        <= 1'b0;
      k2_q        <= '0;
      k3_q        <= '0;
      s2_q        <= '0;
      s3_q        <= '0;
    end else begin
      mvm_state_q <= mvm_state_d;
      transpose_q <= transpose_d;
      read_a_q    <= read_a_d;
      step_q      <= step_d;
      // Pipeline tags of stages 2 and 3.
      v2_q <= stage1;
      k2_q <= plane_o;
      s2_q <= SelW'(step_q % StepW'(Share));
      v3_q <= v2_q;
      k3_q <= k2_q;
      s3_q <= s2_q;
    end
  end

  assign transpose_o = transpose_q;
  assign adc_valid_o = v2_q;
  assign adc_sel_o   = s2_q;
  assign acc_clear_o = start || start_a;
  assign read_a_o    = run && read_a_q;
  assign read_done_o = done && read_a_q;
  assign acc_valid_o = v3_q;
  assign acc_plane_o = k3_q;
  assign acc_sel_o   = s3_q;
  // The accumulators are read by READ_Y and by the Tiki-Taka unit's column pass.
  assign acc_rd_o    = tiki_acc_sel_i || (accept && cmd_op_i == pim_pkg::OpReadY);
  assign acc_line_o  = tiki_acc_sel_i ? tiki_acc_line_i : cmd_addr_i[$clog2(Lines)-1:0];
  assign busy_o      = busy;
  assign mix_acc_o   = HasMixed && accept && cmd_op_i == pim_pkg::OpAccumulate;
  assign mix_xfer_o  = HasMixed && accept && cmd_op_i == pim_pkg::OpTransfer;

  // ---------------------------------------------------------------------------------------------
  // Outer-product update (OPA): four sign phases (x+d+, x+d-, x-d+, x-d-) of InW steps. In a
  // phase, xplane_q holds |x| of the rows with the phase's x sign (else 0) and shifts right: its
  // LSB drives the row. dplane_q holds |d| of the columns with the phase's d sign and shifts
  // left within WeightW bits: its ValueBits-wide fields are the slices' column digits. A phase's
  // magnitudes load in the cycle before its first step; one drain cycle lets the last clip count
  // arrive.
  // ---------------------------------------------------------------------------------------------
  // d, column c's word at bits [c*WeightW +: WeightW]. The magnitudes are held as bit planes
  // (bit b*Rows + r of xplane_q is bit b of row r's |x|), so that a step shifts whole planes and
  // plane 0 drives the rows.
  logic [Cols*WeightW-1:0] d_q;
  logic [InW*Rows-1:0]     xplane_q, xplane_load;
  logic [WeightW*Cols-1:0] dplane_q, dplane_load;
  logic [1:0]             phase_q, phase_d;
  logic [$clog2(InW)-1:0] bit_q, bit_d;
  logic                   start_opa, opa_step, last_bit, opa_load;
  logic [1:0]             load_phase;

  assign start_opa  = (accept && cmd_op_i == pim_pkg::OpOpa) || lr_opa_i;
  assign opa_busy_o = opa_state_q != OpaIdle;
  assign opa_step   = opa_state_q == OpaStep;
  assign last_bit   = (32'(bit_q) == InW - 1);
  assign opa_load   = start_opa || (opa_step && last_bit && phase_q != 2'd3);
  assign load_phase = start_opa ? 2'd0 : phase_q + 2'd1;

  logic                     d_we;
  logic [$clog2(Lines)-1:0] d_addr;
  logic [WeightW-1:0]       d_wdata;
  assign d_we    = accept && cmd_op_i == pim_pkg::OpWriteD && col_ok;
  assign d_addr  = d_we ? $clog2(Lines)'(cmd_addr_i[$clog2(Cols)-1:0]) : lr_idx_i;
  assign d_wdata = d_we ? cmd_data_i[WeightW-1:0] : lr_d_i;

  // Written like the input buffer: a decoder, a loop run only in a write.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      d_q <= '0;
    end else if (d_we || lr_d_we_i) begin
      for (int c = 0; c < Cols; c++) begin
        if (32'(d_addr) == c) d_q[c*WeightW +: WeightW] <= d_wdata;
      end
    end
  end
  assign d_o = d_q;

  // A phase's magnitudes as bit planes: |x| of the rows with the phase's x sign (load_phase[1]:
  // negative) and |d| of the columns with its d sign (load_phase[0]), else 0. Computed only when
  // a phase loads.
  always_comb begin
    logic [InW-1:0]     x, xmag;
    logic [WeightW-1:0] d, dmag;
    x           = '0;
    d           = '0;
    xmag        = '0;
    dmag        = '0;
    xplane_load = '0;
    dplane_load = '0;
    if (opa_load) begin
      for (int r = 0; r < Rows; r++) begin
        x    = x_q[r*InW +: InW];
        xmag = (load_phase[1] ? $signed(x) < 0 : $signed(x) > 0) ? (x[InW-1] ? -x : x) : '0;
        for (int b = 0; b < InW; b++) xplane_load[b*Rows + r] = xmag[b];
      end
      for (int c = 0; c < Cols; c++) begin
        d    = d_q[c*WeightW +: WeightW];
        dmag = (load_phase[0] ? $signed(d) < 0 : $signed(d) > 0) ? (d[WeightW-1] ? -d : d) : '0;
        for (int b = 0; b < WeightW; b++) dplane_load[b*Cols + c] = dmag[b];
      end
    end
  end

  // A step shifts |x| right (the next bit drives the rows) and |d| left within WeightW bits.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      xplane_q <= '0;
      dplane_q <= '0;
    end else if (opa_load) begin
      xplane_q <= xplane_load;
      dplane_q <= dplane_load;
    end else if (opa_step) begin
      xplane_q <= xplane_q >> Rows;
      dplane_q <= dplane_q << Cols;
    end
  end
  assign upd_row_o = xplane_q[Rows-1:0];

  // The slices' column digits: bits [m*ValueBits +: ValueBits] of |d|, read only in a step.
  always_comb begin
    upd_digit_o = '0;
    if (opa_step) begin
      for (int m = 0; m < Slices; m++) begin
        for (int c = 0; c < Cols; c++) begin
          for (int k = 0; k < ValueBits; k++) begin
{%- if fault.opa_digit %}
            // Fault: the digit is taken one bit too high (the top bit reads 0).
            if (m*ValueBits + k + 1 < WeightW) begin
              upd_digit_o[(m*Cols + c)*ValueBits + k] = dplane_q[(m*ValueBits + k + 1)*Cols + c];
            end
{%- else %}
            upd_digit_o[(m*Cols + c)*ValueBits + k] = dplane_q[(m*ValueBits + k)*Cols + c];
{%- endif %}
          end
        end
      end
    end
  end

  assign upd_en_o  = opa_step;
  assign upd_neg_o = {Cols{phase_q == 2'd1 || phase_q == 2'd2}};

  always_comb begin
    opa_state_d = opa_state_q;
    phase_d     = phase_q;
    bit_d       = bit_q;
    unique case (opa_state_q)
      OpaIdle: begin
        if (start_opa) begin
          opa_state_d = OpaStep;
          phase_d     = '0;
          bit_d       = '0;
        end
      end
      OpaStep: begin
        if (last_bit) begin
          bit_d = '0;
          if (phase_q == 2'd3) begin
            opa_state_d = OpaDrain;
          end else begin
            phase_d = phase_q + 2'd1;
          end
        end else begin
          bit_d = bit_q + 1'b1;
        end
      end
      OpaDrain: opa_state_d = OpaIdle;
      default:  opa_state_d = OpaIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      opa_state_q <= OpaIdle;
      phase_q     <= '0;
      bit_q       <= '0;
    end else begin
      opa_state_q <= opa_state_d;
      phase_q     <= phase_d;
      bit_q       <= bit_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Carry resolution (CRS): one cell per cycle, row-major. All slices of a cell are read into a
  // register; in the next cycle they are recomposed, saturated to WeightW bits (counted) and
  // written back as canonical digits, while the next cell is read.
  // ---------------------------------------------------------------------------------------------
  localparam logic signed [RecW-1:0] WMax = (RecW'(1) <<< (WeightW - 1)) - RecW'(1);
  localparam logic signed [RecW-1:0] WMin = -(RecW'(1) <<< (WeightW - 1));

  logic [LevelW-1:0]      crs_levels_q;
  logic signed [RecW-1:0] crs_sum;
  logic                   crs_sat, crs_last;
  always_comb begin
    crs_sum = '0;
{%- for s in slice_info %}
    crs_sum = crs_sum
              + (RecW'($signed(crs_levels_q[{{ s.offset }} +: {{ s.cell_bits }}])) <<< {{ s.crs_shift }});
{%- endfor %}
  end
  assign crs_sat  = crs_write && (crs_sum > WMax || crs_sum < WMin);
  assign crs_w    = (crs_sum > WMax) ? WeightW'(WMax)
                  : (crs_sum < WMin) ? WeightW'(WMin) : WeightW'(crs_sum);
  assign crs_last = (crs_row_q == '1) && (crs_col_q == '1);
  assign rd_row_o = crs_row_q;
  assign rd_col_o = crs_col_q;

  logic [$clog2(Rows)-1:0] crs_row_d, crs_wr_row_d;
  logic [$clog2(Cols)-1:0] crs_col_d, crs_wr_col_d;
  logic [LevelW-1:0]       crs_levels_d;
  always_comb begin
    crs_state_d  = crs_state_q;
    crs_row_d    = crs_row_q;
    crs_col_d    = crs_col_q;
    crs_wr_row_d = crs_wr_row_q;
    crs_wr_col_d = crs_wr_col_q;
    crs_levels_d = crs_levels_q;
    if (crs_read) begin
      // Read the next cell; it is written back in the next cycle.
      crs_levels_d           = rd_level_i;
      crs_wr_row_d           = crs_row_q;
      crs_wr_col_d           = crs_col_q;
      {crs_row_d, crs_col_d} = {crs_row_q, crs_col_q} + 1'b1;
    end
    unique case (crs_state_q)
      CrsIdle: begin
        if (accept && cmd_op_i == pim_pkg::OpCrs) begin
          crs_state_d = CrsFirst;
          crs_row_d   = '0;
          crs_col_d   = '0;
        end
      end
      CrsFirst, CrsRun: begin
        crs_state_d = CrsRun;
        if (crs_last) begin
          crs_state_d = CrsDrain;
        end
      end
      CrsDrain: crs_state_d = CrsIdle;
      default:  crs_state_d = CrsIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      crs_state_q  <= CrsIdle;
      crs_row_q    <= '0;
      crs_col_q    <= '0;
      crs_wr_row_q <= '0;
      crs_wr_col_q <= '0;
      crs_levels_q <= '0;
    end else begin
      crs_state_q  <= crs_state_d;
      crs_row_q    <= crs_row_d;
      crs_col_q    <= crs_col_d;
      crs_wr_row_q <= crs_wr_row_d;
      crs_wr_col_q <= crs_wr_col_d;
      crs_levels_q <= crs_levels_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Counters, errors, responses
  // ---------------------------------------------------------------------------------------------
  logic [ClipW-1:0] clips;
  assign clips = ClipW'($countones(clip_i));

  logic [CntW:0] sat_sum;
  assign sat_sum = {1'b0, sat_q} + (CntW+1)'(clips);

  localparam int OpaClipW = $clog2((Slices + 1) * ((1 << XbarClipW) - 1) + 1);
  logic [OpaClipW-1:0] opa_clips;
  always_comb begin
    opa_clips = '0;
    for (int m = 0; m < Slices; m++) begin
      opa_clips = opa_clips + OpaClipW'(upd_clips_i[m*XbarClipW +: XbarClipW]);
    end
    // A's clipped cells (its update port is the Tiki-Taka unit's).
    opa_clips = opa_clips + OpaClipW'(tiki_clips_i);
  end

  localparam int PulsesW = XbarPulseW + $clog2(Slices + 1);
  logic [PulsesW-1:0] pulses;
  always_comb begin
    pulses = '0;
    for (int m = 0; m < Slices; m++) begin
      pulses = pulses + PulsesW'(upd_pulses_i[m*XbarPulseW +: XbarPulseW]);
    end
  end

  logic [CntW-1:0] opa_clip_q, crs_sat_q, pulses_q, chi_sat_q;
  logic [CntW:0]   opa_sum, pulses_sum, chi_sat_sum;
  assign opa_sum     = {1'b0, opa_clip_q} + (CntW+1)'(opa_clips);
  assign pulses_sum  = (CntW+1)'({1'b0, pulses_q}) + (CntW+1)'(pulses);
  assign chi_sat_sum = {1'b0, chi_sat_q} + (CntW+1)'(mix_chi_sat_i);

  // Cost events (pim_events), status words StatEvents and above.
  logic [pim_pkg::EventCount*CntW-1:0] events;
  logic                                buffer_access;
  assign buffer_access = x_we || d_we || lr_x_we_i || lr_d_we_i
                         || (accept && cmd_op_i == pim_pkg::OpReadY && line_ok)
                         || (HasTiki && accept && cmd_op_i == pim_pkg::OpWriteProb
                             && tiki_err_i == '0);
  pim_events #(
    .Rows     (Rows),
    .Cols     (Cols),
    .Slices   (Slices),
    .NumAdc   (NumAdc),
    .HasMixed (HasMixed),
    .HasTiki  (HasTiki),
    .HasLowRank (HasLowRank),
    .Rank     (Rank)
  ) u_events (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .clear_i     (accept && cmd_op_i == pim_pkg::OpClear),
    .sample_i    (sample_o),
    .transpose_i (transpose_q),
    .read_a_i    (read_a_q),
    .adc_valid_i (v2_q),
    .acc_valid_i (v3_q),
    .opa_step_i  (opa_step),
    .crs_read_i  (crs_read),
    .prog_we_i   (prog_we_o),
    .accept_i    (accept),
    .op_i        (cmd_op_i),
    .data_i      (CntW'(cmd_data_i)),
    .buffer_i    (buffer_access),
    .tiki_ok_i   (tiki_err_i == '0),
    .events_o    (events)
  );

  logic [CntW-1:0] stat_word;
  always_comb begin
    unique case (cmd_addr_i)
      AddrW'(pim_pkg::StatSaturations):    stat_word = sat_q;
      AddrW'(pim_pkg::StatErrors):         stat_word = CntW'(err_q);
      AddrW'(pim_pkg::StatProducts):       stat_word = products_q;
      AddrW'(pim_pkg::StatUpdateClips):    stat_word = opa_clip_q;
      AddrW'(pim_pkg::StatCrsSaturations): stat_word = crs_sat_q;
      AddrW'(pim_pkg::StatPulses):         stat_word = pulses_q;
      AddrW'(pim_pkg::StatChiSaturations): stat_word = chi_sat_q;
      AddrW'(pim_pkg::StatAPulses):        stat_word = tiki_stat_i[0*CntW +: CntW];
      AddrW'(pim_pkg::StatHSaturations):   stat_word = tiki_stat_i[1*CntW +: CntW];
      AddrW'(pim_pkg::StatFlips):          stat_word = tiki_stat_i[2*CntW +: CntW];
      AddrW'(pim_pkg::StatWithheld):       stat_word = tiki_stat_i[3*CntW +: CntW];
      default: begin
        stat_word = '0;
        if (stat_ok && {1'b0, cmd_addr_i} >= (AddrW+1)'(pim_pkg::StatEvents)) begin
          stat_word = events[(32'(cmd_addr_i) - pim_pkg::StatEvents)*CntW +: CntW];
        end
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sat_q       <= '0;
      opa_clip_q  <= '0;
      crs_sat_q   <= '0;
      pulses_q    <= '0;
      chi_sat_q   <= '0;
      products_q  <= '0;
      err_q       <= '0;
      rsp_valid_q <= 1'b0;
      rsp_data_q  <= '0;
    end else begin
      if (accept && cmd_op_i == pim_pkg::OpClear) begin
        sat_q      <= '0;
        opa_clip_q <= '0;
        crs_sat_q  <= '0;
        pulses_q   <= '0;
        chi_sat_q  <= '0;
        err_q      <= '0;
      end else begin
        opa_clip_q <= opa_sum[CntW] ? '1 : opa_sum[CntW-1:0];
        pulses_q   <= pulses_sum[CntW] ? '1 : pulses_sum[CntW-1:0];
        chi_sat_q  <= chi_sat_sum[CntW] ? '1 : chi_sat_sum[CntW-1:0];
        if (crs_sat && crs_sat_q != '1) begin
          crs_sat_q <= crs_sat_q + 1'b1;
        end
        if (v3_q) begin
          sat_q <= sat_sum[CntW] ? '1 : sat_sum[CntW-1:0];
        end
        err_q <= err_q | err_set;
      end
      if (done) begin
        products_q <= products_q + 1'b1;
      end
      rsp_valid_q <= accept && (cmd_op_i == pim_pkg::OpReadY || cmd_op_i == pim_pkg::OpReadStat
                                || ((HasTiki || HasLowRank) && cmd_op_i == pim_pkg::OpReadUnit));
      if ((HasTiki || HasLowRank) && accept && cmd_op_i == pim_pkg::OpReadUnit) begin
        rsp_data_q <= tiki_rsp_i;
      end else if (accept && cmd_op_i == pim_pkg::OpReadY) begin
        rsp_data_q <= line_ok ? RspW'($signed(acc_data_i)) : '0;
      end else if (accept && cmd_op_i == pim_pkg::OpReadStat) begin
        rsp_data_q <= RspW'(stat_word);
      end
    end
  end

  assign rsp_valid_o = rsp_valid_q;
  assign rsp_data_o  = rsp_data_q;
  assign err_o       = |err_q;

endmodule : pim_tile_ctrl

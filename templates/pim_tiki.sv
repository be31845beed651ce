{{ header }}
// Tiki-Taka unit (docs/hardware.md, Tiki-Taka): {{ tiki.tiki_flavor }} beside a one-slice tile. It holds
// the hidden matrix H (Rows x Cols of HW bits){% if tiki.tiki_agad == 1 %}, AGAD's means mu and mu_past{% endif %}, the choppers, the
// firing thresholds and line LFSRs of the stochastic pulse update, and the transfer sequencer.
//
// PULSE (n slots): per slot, cycle 0 draws one word of every line's LFSR and pulses the fired
// rows whose sign x_neg ^ chopper is 0, cycle 1 the fired rows whose sign is 1 (an update port
// has one sign per column); then one cycle for the last counts (2n + 1 cycles).
// TRANSFER: the tile reads input line k = next of A with a one-hot, one-plane product (the
// control's sequencer), then this unit reads one accumulator per cycle into H (Cols cycles),
// sends the pulses into row k of C (one cycle), flips the line's chopper, and waits one cycle
// for the counts.
module pim_tiki #(
  parameter int Rows      = {{ rows }},
  parameter int Cols      = {{ cols }},
  parameter int Lines     = {{ lines }},
  parameter int ValueBits = {{ value_bits }},
  parameter int DataW     = {{ data_bits }},
  parameter int AddrW     = {{ addr_bits }},
  parameter int AccW      = {{ acc_bits }},
  parameter int RspW      = {{ rsp_bits }},
  parameter int PulseW    = {{ xbar_pulse_bits }},
  parameter logic [31:0] Seed = {{ device_seed }}
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // The tile's index (a constant): it seeds the LFSRs.
  input  logic [pim_pkg::TileIdW-1:0] tile_i,
  // The tile's accepted command.
  input  logic                     accept_i,
  input  logic [pim_pkg::OpW-1:0]  op_i,
  input  logic [AddrW-1:0]         addr_i,
  input  logic [DataW-1:0]         data_i,
  output logic [pim_pkg::ErrW-1:0] err_o,
  output logic [RspW-1:0]          rsp_o,
  output logic                     busy_o,
  output logic [4*pim_pkg::CntW-1:0] stat_o,
  // Transfer read: the line driven, the end of the read, the accumulator read port.
  output logic [$clog2(Rows)-1:0]  line_o,
  input  logic                     read_done_i,
  output logic                     acc_sel_o,
  output logic [$clog2(Lines)-1:0] acc_line_o,
  input  logic [AccW-1:0]          acc_data_i,
  // Update port of A, and its pulse count.
  output logic                     a_en_o,
  output logic [Cols-1:0]          a_neg_o,
  output logic [Rows-1:0]          a_row_o,
  output logic [Cols*ValueBits-1:0] a_digit_o,
  input  logic [PulseW-1:0]        a_pulses_i,
  // Update port of C (slice 0).
  output logic                     c_en_o,
  output logic [Cols-1:0]          c_neg_o,
  output logic [Rows-1:0]          c_row_o,
  output logic [Cols*ValueBits-1:0] c_digit_o
);

  localparam int CntW    = pim_pkg::CntW;
  localparam int RowW    = $clog2(Rows);
  localparam int ColW    = $clog2(Cols);
  localparam int ProbW   = pim_pkg::ProbBits + 1;
  localparam int HW      = {{ tiki.h_bits }};
  localparam int HFrac   = {{ tiki.h_frac }};
  localparam int MuFrac  = {{ tiki.mu_frac }};
  localparam int MuW     = {{ tiki.mu_bits }};
  localparam int LrW     = {{ tiki.lr_bits }};
  localparam int SlotW   = {{ tiki.slot_bits }};
  localparam int Flavor  = {{ tiki.tiki_flavor_code }};  // 0 TTv2, 1 chopped, 2 AGAD
  localparam int Flips   = {{ tiki.tiki_flips_code }};   // 0 never, 1 random, 2 regular
  localparam int FlipThr = {{ tiki.flip_thr }};
  localparam int Period  = {{ tiki.chop_period }};
  localparam int PhaseW  = {{ tiki.phase_bits }};
  localparam int Warmup  = {{ tiki.warmup_passes }};
  localparam int WarmMax = {{ tiki.warm_max }};
  localparam int WarmW   = {{ tiki.warm_bits }};
  localparam int BetaQ16 = {{ tiki.beta_q16 }};
  localparam int N       = Rows * Cols;
  localparam int WideW   = AccW + MuFrac + LrW + 24;
  // Word addresses of READ_UNIT / WRITE_UNIT (docs/hardware.md, Tiki-Taka).
  localparam logic [63:0] MapMu     = {{ tiki.map_mu }};
  localparam logic [63:0] MapMuPast = {{ tiki.map_mu_past }};
  localparam logic [63:0] MapChop   = {{ tiki.map_chop }};
  localparam logic [63:0] MapNext   = {{ tiki.map_next }};
  localparam logic [63:0] MapPhase  = {{ tiki.map_phase }};
  localparam logic [63:0] MapWarm   = {{ tiki.map_warm }};
  localparam logic [63:0] MapLr     = {{ tiki.map_lr }};
  localparam logic [63:0] Words     = {{ tiki.map_words }};
  localparam logic signed [WideW-1:0] HMax = (WideW'(1) <<< (HW - 1)) - WideW'(1);
  localparam logic signed [WideW-1:0] HMin = -(WideW'(1) <<< (HW - 1));
  localparam logic signed [WideW-1:0] One  = WideW'(1) <<< HFrac;

  typedef enum logic [2:0] {
    TkIdle, TkSlot0, TkSlot1, TkPulseDrain, TkRead, TkColumn, TkFire, TkDrain
  } tk_state_e;
  tk_state_e state_q, state_d;

  // Packed, so that one process can write any element in a loop (Verilator cannot delay-assign
  // unpacked arrays in loops).
  logic [Rows*ProbW-1:0] x_thr_q;
  logic [Cols*ProbW-1:0] d_thr_q;
  logic [Rows-1:0]  x_neg_q, c_in_q, sw_q, rf_q;
  logic [Cols-1:0]  d_neg_q, c_out_q, cf_q, fire_q, up_q;
  logic [Rows*32-1:0] row_lfsr_q;
  logic [Cols*32-1:0] col_lfsr_q;
  logic [31:0]      chop_lfsr_q;
  logic [N*HW-1:0]  h_q;
  logic [N*MuW-1:0] mu_q, mup_q;
  logic [RowW-1:0]  next_q;
  logic [ColW-1:0]  col_q;
  logic [PhaseW-1:0] phase_q;
  logic [WarmW-1:0] warm_q;
  logic [LrW-1:0]   lr_q;
  logic [SlotW-1:0] slots_q;
  logic             into_c_q;
  logic [CntW-1:0]  a_pulses_q, h_sat_q, flips_q, withheld_q;

  // Seed of line `index`'s LFSR (the unit's LFSRs use slice 0 of the hash).
  function automatic logic [31:0] seed_hash(input logic [31:0] base, input int index);
    seed_hash = pim_pkg::seed_hash(base, 32'(tile_i), 0, index);
  endfunction

  // Only the top ProbBits bits of a word count.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic fires(input logic [ProbW-1:0] thr, input logic [31:0] w);
    fires = {1'b0, w[31 -: pim_pkg::ProbBits]} < thr;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // ---------------------------------------------------------------------------------------------
  // Command decode: errors and the READ_UNIT word
  // ---------------------------------------------------------------------------------------------
  logic [63:0] addr, data;
  assign addr = 64'(addr_i);
  assign data = 64'(data_i);
  logic is_h, is_mu, is_mup, is_chop;
  assign is_h    = addr < 64'(N);
  assign is_mu   = Flavor == 2 && addr >= 64'(MapMu) && addr < 64'(MapMu) + 64'(N);
  assign is_mup  = Flavor == 2 && addr >= 64'(MapMuPast) && addr < 64'(MapMuPast) + 64'(N);
  assign is_chop = addr >= 64'(MapChop) && addr < 64'(MapNext);
  logic [RowW+ColW-1:0] word_idx;
  logic [63:0]          chop_line;
  assign word_idx  = (RowW+ColW)'(is_mu  ? addr - 64'(MapMu) :
                                  is_mup ? addr - 64'(MapMuPast) : addr);
  assign chop_line = addr - 64'(MapChop);

  always_comb begin
    err_o = '0;
    if (accept_i) begin
      unique case (op_i)
        pim_pkg::OpWriteProb: begin
          if (addr >= 64'(Rows) + 64'(Cols)) begin
            err_o = pim_pkg::ErrBadAddr;
          end else if (data[ProbW-1:0] > ProbW'(1 << pim_pkg::ProbBits)) begin
            err_o = pim_pkg::ErrBadLevel;
          end
        end
        pim_pkg::OpPulse: begin
          if (addr > 64'd1) begin
            err_o = pim_pkg::ErrBadAddr;
          end else if (data > 64'((1 << SlotW) - 1)) begin
            err_o = pim_pkg::ErrBadLevel;
          end
        end
        pim_pkg::OpReadUnit: if (addr >= 64'(Words)) err_o = pim_pkg::ErrBadAddr;
        pim_pkg::OpWriteUnit: begin
          if (addr >= 64'(Words)) begin
            err_o = pim_pkg::ErrBadAddr;
          end else if ((addr == 64'(MapNext) && data >= 64'(Rows))
                       || (addr == 64'(MapPhase) && data >= 64'(Period))
                       || (addr == 64'(MapWarm) && data > 64'(WarmMax))
                       || (addr == 64'(MapLr) && (data >> LrW) != '0)) begin
            err_o = pim_pkg::ErrBadLevel;
          end
        end
        default: err_o = '0;
      endcase
    end
  end

  always_comb begin
    rsp_o = '0;
    if (is_h) begin
      rsp_o = RspW'($signed(h_q[32'(word_idx)*HW +: HW]));
    end else if (is_mu) begin
      rsp_o = RspW'($signed(mu_q[32'(word_idx)*MuW +: MuW]));
    end else if (is_mup) begin
      rsp_o = RspW'($signed(mup_q[32'(word_idx)*MuW +: MuW]));
    end else if (is_chop) begin
      if (chop_line < 64'(Rows)) begin
        rsp_o = RspW'({sw_q[RowW'(chop_line)], c_in_q[RowW'(chop_line)]});
      end else begin
        rsp_o = RspW'(c_out_q[ColW'(chop_line - 64'(Rows))]);
      end
    end else if (addr == 64'(MapNext)) begin
      rsp_o = RspW'(next_q);
    end else if (addr == 64'(MapPhase)) begin
      rsp_o = RspW'(phase_q);
    end else if (addr == 64'(MapWarm)) begin
      rsp_o = RspW'(warm_q);
    end else if (addr == 64'(MapLr)) begin
      rsp_o = RspW'(lr_q);
    end
  end

  logic ok, write_unit, start_pulse, start_xfer;
  assign ok          = accept_i && err_o == '0;
  assign write_unit  = ok && op_i == pim_pkg::OpWriteUnit;
  assign start_pulse = ok && op_i == pim_pkg::OpPulse;
  assign start_xfer  = accept_i && op_i == pim_pkg::OpTransfer;

  // ---------------------------------------------------------------------------------------------
  // Pulse update: one slot in two cycles
  // ---------------------------------------------------------------------------------------------
  // The draws (the lines' next LFSR words and whether each line fires) are used in a slot's first
  // cycle only; in every other cycle they are held at zero.
  logic [31:0]     row_w [Rows];
  logic [31:0]     col_w [Cols];
  logic [Rows-1:0] rf, rs;
  logic [Cols-1:0] cf, cs;
  logic            draw;
  assign draw = state_q == TkSlot0;
  always_comb begin
    for (int r = 0; r < Rows; r++) begin
      row_w[r] = draw ? pim_pkg::lfsr_word(row_lfsr_q[r*32 +: 32]) : '0;
      rf[r]    = draw && fires(x_thr_q[r*ProbW +: ProbW], row_w[r]);
      rs[r]    = x_neg_q[r] ^ (!into_c_q && c_in_q[r]);
    end
    for (int c = 0; c < Cols; c++) begin
      col_w[c] = draw ? pim_pkg::lfsr_word(col_lfsr_q[c*32 +: 32]) : '0;
      cf[c]    = draw && fires(d_thr_q[c*ProbW +: ProbW], col_w[c]);
      cs[c]    = d_neg_q[c] ^ (!into_c_q && c_out_q[c]);
    end
  end

  // The pulses of a slot's cycle: fired rows of one sign, one pulse in every fired column.
  logic            slot_en;
  logic [Rows-1:0] slot_row;
  logic [Cols-1:0] slot_neg, slot_cols;
  assign slot_en   = state_q == TkSlot0 || state_q == TkSlot1;
  assign slot_row  = (state_q == TkSlot0) ? (rf & ~rs) : (rf_q & rs);
  assign slot_neg  = (state_q == TkSlot0) ? ~cs : cs;
  assign slot_cols = (state_q == TkSlot0) ? cf : cf_q;

  // ---------------------------------------------------------------------------------------------
  // Transfer: H from column col_q of the read, then the pulses into C
  // ---------------------------------------------------------------------------------------------
  logic [RowW+ColW-1:0] w_idx;
  assign w_idx = {next_q, col_q};
  logic write_c;
  assign write_c = Flavor != 2 || 32'(warm_q) > Warmup;

  logic signed [WideW-1:0] v, lr, step, omega, dw, mu_old, mup_eff;
  // The mean stays in MuW bits (an average of reads in range); its upper bits are sign copies.
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [WideW-1:0] mu_new;
  /* verilator lint_on UNUSEDSIGNAL */
  logic                    chopped, h_sat, h_fire;
  logic [HW-1:0]           h_next;
  always_comb begin
    v       = WideW'($signed(acc_data_i));
    lr      = WideW'($signed({1'b0, lr_q}));
    chopped = Flavor != 0 && (c_in_q[next_q] != c_out_q[col_q]){% if fault.chopper %} && 1'b0{% endif %};
    mu_old  = WideW'($signed(mu_q[32'(w_idx)*MuW +: MuW]));
    mup_eff = sw_q[next_q] ? mu_old : WideW'($signed(mup_q[32'(w_idx)*MuW +: MuW]));
    dw      = (v <<< MuFrac) - mup_eff;
    step    = (Flavor == 2) ? ((dw * lr + ((WideW'(1) <<< MuFrac) >>> 1)) >>> MuFrac) : v * lr;
    mu_new  = mu_old + ((((v <<< MuFrac) - mu_old) * WideW'(BetaQ16) + (WideW'(1) <<< 15))
                        >>> 16);
    omega   = WideW'($signed(h_q[32'(w_idx)*HW +: HW])) + (chopped ? -step : step);
    h_sat   = omega > HMax || omega < HMin;
    omega   = (omega > HMax) ? HMax : (omega < HMin) ? HMin : omega;
    h_fire  = omega >= One || omega <= -One;
    h_next  = h_fire ? '0 : HW'(omega);
  end

  logic flip;
  logic [31:0] chop_w;
  assign chop_w = pim_pkg::lfsr_word(chop_lfsr_q);
  always_comb begin
    unique case (Flips)
      1:       flip = fires(ProbW'(FlipThr), chop_w);
      2:       flip = 32'(phase_q) == Period - 1;
      default: flip = 1'b0;
    endcase
  end
  logic wrap;
  assign wrap = next_q == RowW'(Rows - 1);

  // ---------------------------------------------------------------------------------------------
  // Ports
  // ---------------------------------------------------------------------------------------------
  assign busy_o     = state_q != TkIdle;
  assign line_o     = next_q;
  assign acc_sel_o  = state_q == TkColumn;
  assign acc_line_o = $clog2(Lines)'(col_q);
  assign a_en_o     = slot_en && !into_c_q;
  assign c_en_o     = (slot_en && into_c_q) || state_q == TkFire;
  assign a_row_o    = slot_row;
  assign a_neg_o    = slot_neg;
  always_comb begin
    c_row_o = slot_row;
    c_neg_o = slot_neg;
    if (state_q == TkFire) begin
      c_row_o         = '0;
      c_row_o[next_q] = 1'b1;
      c_neg_o         = ~up_q;
    end
  end
  logic [Cols-1:0] c_cols;
  assign c_cols = (state_q == TkFire) ? fire_q : slot_cols;
  for (genvar c = 0; c < Cols; c++) begin : g_digit
    assign a_digit_o[c*ValueBits +: ValueBits] = ValueBits'(slot_cols[c]);
    assign c_digit_o[c*ValueBits +: ValueBits] = ValueBits'(c_cols[c]);
  end
  assign stat_o = {withheld_q, flips_q, h_sat_q, a_pulses_q};

  // ---------------------------------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------------------------------
  always_comb begin
    state_d = state_q;
    unique case (state_q)
      TkIdle: begin
        if (start_pulse && data[SlotW-1:0] == '0) begin
          state_d = TkPulseDrain;
        end else if (start_pulse) begin
          state_d = TkSlot0;
        end else if (start_xfer) begin
          state_d = TkRead;
        end
      end
      TkSlot0:      state_d = TkSlot1;
      TkSlot1: begin
        state_d = TkSlot0;
        if (slots_q == SlotW'(1)) begin
          state_d = TkPulseDrain;
        end
      end
      TkPulseDrain: state_d = TkIdle;
      TkRead: begin
        if (read_done_i) begin
          state_d = TkColumn;
        end
      end
      TkColumn: begin
        if (col_q == ColW'(Cols - 1)) begin
          state_d = TkFire;
        end
      end
      TkFire:       state_d = TkDrain;
      TkDrain:      state_d = TkIdle;
      default:      state_d = TkIdle;
    endcase
  end

  function automatic logic [CntW-1:0] sat_add(input logic [CntW-1:0] a, input logic [CntW-1:0] b);
    logic [CntW:0] s;
    s = {1'b0, a} + {1'b0, b};
    sat_add = s[CntW] ? '1 : s[CntW-1:0];
  endfunction

  logic clear;
  assign clear = accept_i && op_i == pim_pkg::OpClear;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= TkIdle;
      x_neg_q     <= '0;
      d_neg_q     <= '0;
      c_in_q      <= '0;
      c_out_q     <= '0;
      sw_q        <= '0;
      rf_q        <= '0;
      cf_q        <= '0;
      fire_q      <= '0;
      up_q        <= '0;
      next_q      <= '0;
      col_q       <= '0;
      phase_q     <= '0;
      warm_q      <= '0;
      lr_q        <= '0;
      slots_q     <= '0;
      into_c_q    <= 1'b0;
      a_pulses_q  <= '0;
      h_sat_q     <= '0;
      flips_q     <= '0;
      withheld_q  <= '0;
      chop_lfsr_q <= seed_hash(Seed ^ pim_pkg::ChopSeed, 0);
      x_thr_q     <= '0;
      d_thr_q     <= '0;
      h_q         <= '0;
      mu_q        <= '0;
      mup_q       <= '0;
      for (int r = 0; r < Rows; r++) begin
        row_lfsr_q[r*32 +: 32] <= seed_hash(Seed ^ pim_pkg::PulseSeed, r);
      end
      for (int c = 0; c < Cols; c++) begin
        col_lfsr_q[c*32 +: 32] <= seed_hash(Seed ^ pim_pkg::PulseSeed, Rows + c);
      end
    end else begin
      state_q <= state_d;
      // Host writes (the unit is idle: the tile accepts commands only then).
      if (ok && op_i == pim_pkg::OpWriteProb) begin
        if (addr < 64'(Rows)) begin
          x_thr_q[32'(addr)*ProbW +: ProbW] <= data[ProbW-1:0];
          x_neg_q[RowW'(addr)] <= data[ProbW];
        end else begin
          d_thr_q[32'(addr - 64'(Rows))*ProbW +: ProbW] <= data[ProbW-1:0];
          d_neg_q[ColW'(addr - 64'(Rows))] <= data[ProbW];
        end
      end
      if (write_unit) begin
        if (is_h) begin
          h_q[32'(word_idx)*HW +: HW] <= data[HW-1:0];
        end else if (is_mu) begin
          mu_q[32'(word_idx)*MuW +: MuW] <= data[MuW-1:0];
        end else if (is_mup) begin
          mup_q[32'(word_idx)*MuW +: MuW] <= data[MuW-1:0];
        end else if (is_chop && chop_line < 64'(Rows)) begin
          c_in_q[RowW'(chop_line)] <= data[0];
          sw_q[RowW'(chop_line)]   <= data[1];
        end else if (is_chop) begin
          c_out_q[ColW'(chop_line - 64'(Rows))] <= data[0];
        end else if (addr == 64'(MapNext)) begin
          next_q <= RowW'(data);
        end else if (addr == 64'(MapPhase)) begin
          phase_q <= PhaseW'(data);
        end else if (addr == 64'(MapWarm)) begin
          warm_q <= WarmW'(data);
        end else if (addr == 64'(MapLr)) begin
          lr_q <= LrW'(data);
        end
      end
      if (start_pulse) begin
        slots_q  <= data[SlotW-1:0];
        into_c_q <= addr[0];
      end
      // A slot: the draws in its first cycle, the count in its second.
      if (draw) begin
        rf_q <= rf;
        cf_q <= cf;
        for (int r = 0; r < Rows; r++) begin
          row_lfsr_q[r*32 +: 32] <= row_w[r];
        end
        for (int c = 0; c < Cols; c++) begin
          col_lfsr_q[c*32 +: 32] <= col_w[c];
        end
      end
      if (state_q == TkSlot1) begin
        slots_q <= slots_q - 1'b1;
      end
      // Transfer: one weight of row next_q per cycle.
      if (read_done_i) begin
        col_q <= '0;
      end
      if (state_q == TkColumn) begin
        col_q         <= col_q + 1'b1;
        h_q[32'(w_idx)*HW +: HW] <= h_next;
        fire_q[col_q] <= h_fire && write_c;
        up_q[col_q]   <= omega > 0;
        if (Flavor == 2) begin
          mu_q[32'(w_idx)*MuW +: MuW] <= MuW'(mu_new);
          if (sw_q[next_q]) begin
            mup_q[32'(w_idx)*MuW +: MuW] <= MuW'(mu_old);
          end
        end
      end
      if (state_q == TkFire) begin
        sw_q[next_q] <= flip;
        if (flip) begin
          c_in_q[next_q] <= !c_in_q[next_q];
        end
        if (Flips == 1) begin
          chop_lfsr_q <= chop_w;
        end
        next_q <= wrap ? '0 : next_q + 1'b1;
        if (wrap) begin
          phase_q <= (32'(phase_q) == Period - 1) ? '0 : phase_q + 1'b1;
          warm_q  <= (32'(warm_q) == WarmMax) ? warm_q : warm_q + 1'b1;
        end
      end
      // Counters (saturating; CLEAR zeroes them).
      if (clear) begin
        a_pulses_q <= '0;
        h_sat_q    <= '0;
        flips_q    <= '0;
        withheld_q <= '0;
      end else begin
        a_pulses_q <= sat_add(a_pulses_q, CntW'(a_pulses_i));
        if (state_q == TkColumn) begin
          h_sat_q    <= sat_add(h_sat_q, CntW'(h_sat));
          withheld_q <= sat_add(withheld_q, CntW'(h_fire && !write_c));
        end
        if (state_q == TkFire) begin
          flips_q <= sat_add(flips_q, CntW'(flip));
        end
      end
    end
  end

endmodule : pim_tiki

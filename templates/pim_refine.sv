{{ header }}
// Refinement controller (RePAST; docs/hardware.md, "High-precision solves"): solves A x = b to
// Target bits from the INV crossbar pim_inv, with exact residuals from a tile's bit-sliced VMM
// path (the tile's command port; pim_solver connects the two).
//
// The host writes A (N x N, AW-bit entries) and b, then START. The controller splits A into the
// INV crossbar's levels A_h (rounded to InvCellW bits with a power-of-two scale 2^sh; with
// SplitDiag, the diagonal on its own scale 2^(sh + dsh), its gain in the INV's feedback paths) and
// programs
// them, loading A (transposed, columns 0..N-1) into the tile in the same cycles and, with Taylor
// terms, A_l = A - A_h 2^sh (columns N..2N-1) after them. Then it iterates: the residual
// R = b 2^XFrac - A X, a divergence check and block-floating-point scaling of R into the INV's
// input range, an INV solve, and the update X += code 2^(k + e - sh); each of Taylor terms adds
// -INV(A_l term). A product (A X, or A_l term) takes Digits passes over the XW-bit operand's
// digits of TileInW-1 bits (the top one signed): write N inputs, MVM, wait while the tile is busy
// plus one cycle, read N results (each arrives a cycle after its READ_Y), shift and add.
// It stops converged, after MaxIters, diverged (the residual grew past 4x its smallest value) or
// singular (a zero INV pivot). A converged or max-iterations solve ends with one more residual
// product, of the returned X, and a cycle to latch its largest entry (residual_o).
// Cycle for cycle this is golden::inv::refine_with on golden::refine_tile::TileProducts:
//   scan A N*N, split 1, program N*N (A_l: N*N more); per iteration: the residual product,
//   check 1, INV block (write N, start 1, settle Latency, read N), per Taylor term: the A_l
//   product, check 1, INV block; update 1 and the stop check StopCycles (13); at the end, the
//   final residual product and 1.
// status_o: 0 converged, 1 max iterations, 2 diverged, 3 singular.
module pim_refine (
  input  logic clk_i,
  input  logic rst_ni,
  // Host ports: from the golden solver's port table (pimforge_golden::solver::units).
{%- for p in host_ports %}
  {% if p.output %}output{% else %}input {% endif %} logic {{ p.range }} {{ p.name }},
{%- endfor %}
  // Master of the tile's command port.
  output logic                    tile_cmd_valid_o,
  input  logic                    tile_cmd_ready_i,
  output logic [pim_pkg::OpW-1:0] tile_cmd_op_o,
  output logic {{ tile_addr_range }} tile_cmd_addr_o,
  output logic {{ tile_data_range }} tile_cmd_data_o,
  input  logic                    tile_rsp_valid_i,
  input  logic {{ tile_rsp_range }} tile_rsp_data_i,
  input  logic                    tile_busy_i
);

  // Fixed by the config: the host ports above are generated for these values.
  localparam int N         = {{ inv_size }};
  localparam int AW        = {{ weight_bits }};
  localparam int InvCellW  = {{ inv_cell_bits }};
  localparam int InvDacW   = {{ inv_input_bits }};
  localparam int InvAdcW   = {{ inv_bits }};
  localparam int Latency   = {{ inv_latency }};
  localparam int XFrac     = {{ inv_x_frac }};
  localparam int XW        = {{ inv_x_bits }};
  localparam int Target    = {{ inv_target_bits }};
  localparam int MaxIters  = {{ inv_max_iters }};
  localparam int Taylor    = {{ inv_taylor }};
  localparam bit SplitDiag = 1'b{{ inv_split_diag }};
  // The tile's command port.
  localparam int TileCols  = {{ cols }};
  localparam int TileInW   = {{ input_bits }};
  localparam int TileAddrW = {{ addr_bits }};
  localparam int TileDataW = {{ data_bits }};

  localparam int IdxW = $clog2(N);

  // Invariants, checked at elaboration (Icarus 11 has no elaboration tasks): X holds A's width
  // above its fraction, and the tile holds A (and A_l with Taylor terms).
`ifndef __ICARUS__
  if (XW <= XFrac + AW) begin : g_bad_x
    $error("XW (%0d) must exceed XFrac + AW (%0d)", XW, XFrac + AW);
  end
  if (TileCols < N * ((Taylor > 0) ? 2 : 1)) begin : g_bad_tile
    $error("the tile's %0d columns cannot hold A (and A_l) of size %0d", TileCols, N);
  end
`endif
  // Residuals and A_l products: AW-bit entries times XW-bit values, summed over N, plus b.
  localparam int RW   = AW + XW + IdxW + 2;
  localparam int WW   = pim_pkg::ExpW;  // shift amounts and exponents
  // The step counter: N*N programming steps, INV settling and the stop check's digits.
  localparam int CntW0 = 2 * IdxW + 2;
  localparam int CntW1 = (CntW0 > $clog2(Latency + 1)) ? CntW0 : $clog2(Latency + 1);
  localparam int CntW  = (CntW1 > $clog2((XW + 1) / 8 + 2)) ? CntW1 : $clog2((XW + 1) / 8 + 2);
  // Largest right shift computed (golden::inv::MAX_SHIFT); larger ones give 0.
  // Largest exponent of an INV answer in X units that cannot overflow X.
  localparam int UpMax = XW - 1 - InvAdcW;

  // Digits of a product's operand, and their width.
  localparam int DW     = TileInW - 1;
  localparam int Digits = (XW + DW - 1) / DW;
  localparam int DigW   = $clog2(Digits + 1);
  localparam int TColW  = $clog2(TileCols);

  typedef enum logic [4:0] {
    SIdle, SScan, SSplit, SProg, SProgLow, SXw, SMvm, SMvmWait, SRdY, SCheck, SWrite, SStart, SWait,
    SRead, SUpdate, SStop, SDone
  } state_e;

  state_e state_q;
  logic [CntW-1:0]          cnt_q;
  logic [N*N*AW-1:0]        a_q;
  logic [N*AW-1:0]          b_q;
  logic signed [XW-1:0]     x_q [N];
  logic signed [XW-1:0]     dx_q [N];
  logic signed [XW-1:0]     term_q [N];
  logic signed [RW-1:0]     v_q [N];      // the vector the next INV solves (R, or A_l term)
  logic signed [RW-1:0]     prod_q [N];   // the product being summed over digits
  logic [DigW-1:0]          dig_q;
  logic [IdxW-1:0]          row, col;     // the entry of the N x N steps (scan, program)
  logic [RW-1:0]            res_q;        // largest entry of the last residual
  logic                     final_q;      // the product is the final residual
  assign row = cnt_q[2*IdxW-1:IdxW];
  assign col = cnt_q[IdxW-1:0];
  logic [RW-1:0]            vmax_q, best_q;
  logic                     have_best_q;
  logic [XW:0]              prev_q;
  logic                     have_prev_q;
  logic signed [WW-1:0]     sh_q, e_q;
  logic [pim_pkg::DiagShiftW-1:0] dsh_q;
  logic [pim_pkg::ItersW-1:0] iters_q;
  logic [pim_pkg::StatusW-1:0] status_q;
  localparam int TIdxW = $clog2(Taylor + 2);
  logic [TIdxW-1:0]         term_idx_q;

  // --------------------------------------------------------------------------------------------
  // Arithmetic helpers
  // --------------------------------------------------------------------------------------------
  // Entry (i, j) of A (AW bits), and arithmetic at A's width: AW plus room for the scales
  // (at most 2 AW) and the rounding.
  localparam int NW = AW + 2 * AW + 2;
  function automatic logic signed [NW-1:0] a_at(input int i, input int j);
    a_at = NW'($signed(a_q[(i*N + j)*AW +: AW]));
  endfunction

  // v / 2^s rounded half up, at A's width (golden::inv::shift_round for 0 <= s <= 2 AW).
  function automatic logic signed [NW-1:0] round_a(input logic signed [NW-1:0] v,
                                                   input logic signed [WW-1:0] s);
    round_a = (s <= 0) ? v : (v + (NW'(1) <<< (s - 1))) >>> s;
  endfunction

  function automatic logic [AW:0] a_mag(input logic signed [NW-1:0] v);
    a_mag = v[NW-1] ? (AW+1)'(-v) : (AW+1)'(v);
  endfunction

  // v / 2^s rounded half up (s <= 0: exact left shift).
  function automatic logic signed [RW+64-1:0] shift_round(input logic signed [RW+64-1:0] v,
                                                       input logic signed [WW-1:0] s);
    if (s <= 0) begin
      shift_round = v <<< (-s);
    end else if (s > WW'(pim_pkg::MaxShift)) begin
      shift_round = '0;
    end else begin
{%- if fault.refine_round %}
      shift_round = (v + '0) >>> s;
{%- else %}
      shift_round = (v + ((RW+64)'(1) <<< (s - 1))) >>> s;
{%- endif %}
    end
  endfunction

  function automatic logic signed [WW-1:0] bit_width(input logic [RW-1:0] v);
    bit_width = '0;
    for (int i = 0; i < RW; i++) begin
      if (v[i]) begin
        bit_width = WW'(i + 1);
      end
    end
  endfunction

  localparam logic signed [63:0] HMax = (64'sd1 <<< (InvCellW - 1)) - 64'sd1;
  localparam logic signed [63:0] HMin = -(64'sd1 <<< (InvCellW - 1));
  localparam logic signed [63:0] RMax = (64'sd1 <<< (InvDacW - 1)) - 64'sd1;
  localparam logic signed [63:0] RMin = -(64'sd1 <<< (InvDacW - 1));

  // The scale of entry (i, j): sh, or sh + dsh on the diagonal.
  function automatic logic signed [WW-1:0] scale(input int i, input int j);
    scale = sh_q + ((i == j) ? WW'(dsh_q) : '0);
  endfunction

  // A_h level of entry (i, j): A / 2^scale rounded half up, clamped to InvCellW bits.
  function automatic logic signed [63:0] level(input int i, input int j);
    logic signed [NW-1:0] v;
    v = round_a(a_at(i, j), scale(i, j));
    level = (v > NW'(HMax)) ? HMax : (v < NW'(HMin)) ? HMin : 64'(v);
  endfunction

  // A_l entry (i, j) = A - A_h 2^scale. Every group's scale keeps its levels unclamped, so
  // |A_l| <= 2^(scale-1) <= 2^(AW-1): AW+1 bits hold it (and the A_l multiplier is that narrow).
  function automatic logic signed [AW:0] a_low(input int i, input int j);
    a_low = (AW+1)'(a_at(i, j) - (NW'(level(i, j)) <<< scale(i, j)));
  endfunction

  function automatic logic [RW-1:0] mag(input logic signed [RW-1:0] v);
    mag = v[RW-1] ? RW'(-v) : RW'(v);
  endfunction

  function automatic logic [XW:0] xmag(input logic signed [XW-1:0] v);
    logic signed [XW:0] w;
    w = {v[XW-1], v};
    xmag = w[XW] ? -w : w;
  endfunction

  // --------------------------------------------------------------------------------------------
  // Split (golden::inv::split): the scale of a group of entries from its largest magnitude and
  // its largest positive entry; groups: the diagonal and the rest.
  // --------------------------------------------------------------------------------------------
  function automatic logic signed [WW-1:0] group_shift(input logic [AW:0] amax,
                                                       input logic signed [AW-1:0] apos);
    logic signed [WW-1:0] s;
    s = bit_width(RW'(amax)) - WW'(InvCellW - 1);
    s = (s < 0) ? '0 : s;
    if (round_a(NW'(apos), s) > NW'(HMax)) begin
      s = s + 1'b1;
    end
    group_shift = s;
  endfunction

  // SCAN visits one entry per cycle (the read port SPROG uses) and keeps each group's largest
  // magnitude and largest positive entry; SPLIT then fixes the scales.
  logic [AW:0]          max_off_q, max_diag_q;
  logic signed [AW-1:0] pos_off_q, pos_diag_q;
  logic signed [WW-1:0] split_sh;
  logic [pim_pkg::DiagShiftW-1:0] split_dsh;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      max_off_q  <= '0;
      max_diag_q <= '0;
      pos_off_q  <= '0;
      pos_diag_q <= '0;
    end else if (state_q == SIdle) begin
      max_off_q  <= '0;
      max_diag_q <= '0;
      pos_off_q  <= '0;
      pos_diag_q <= '0;
    end else if (state_q == SScan) begin
      if (row == col) begin
        max_diag_q <= (a_mag(a_at(32'(row), 32'(col))) > max_diag_q)
                      ? a_mag(a_at(32'(row), 32'(col))) : max_diag_q;
        pos_diag_q <= (a_at(32'(row), 32'(col)) > NW'(pos_diag_q))
                      ? AW'(a_at(32'(row), 32'(col))) : pos_diag_q;
      end else begin
        max_off_q <= (a_mag(a_at(32'(row), 32'(col))) > max_off_q)
                     ? a_mag(a_at(32'(row), 32'(col))) : max_off_q;
        pos_off_q <= (a_at(32'(row), 32'(col)) > NW'(pos_off_q))
                     ? AW'(a_at(32'(row), 32'(col))) : pos_off_q;
      end
    end
  end

  always_comb begin
    logic signed [WW-1:0] off, diag, shared;
    off    = group_shift(max_off_q, pos_off_q);
    diag   = group_shift(max_diag_q, pos_diag_q);
    shared = group_shift((max_off_q > max_diag_q) ? max_off_q : max_diag_q,
                         (pos_off_q > pos_diag_q) ? pos_off_q : pos_diag_q);
    if (SplitDiag && diag > off) begin
      split_sh  = off;
      split_dsh = pim_pkg::DiagShiftW'(diag - off);
    end else begin
      split_sh  = shared;
      split_dsh = '0;
    end
  end

  // --------------------------------------------------------------------------------------------
  // The INV crossbar
  // --------------------------------------------------------------------------------------------
  logic                 inv_prog_we, inv_r_we, inv_start, inv_busy, inv_singular;
  logic [IdxW-1:0]      inv_row, inv_col, inv_idx;
  logic [InvCellW-1:0]        inv_level;
  logic [InvDacW-1:0]       inv_r;
  logic signed [pim_pkg::ExpW-1:0] inv_k;
  logic [InvAdcW-1:0]      inv_code;

  logic unused_inv_busy;
  assign unused_inv_busy = inv_busy;

  pim_inv #(
    .N        (N),
    .InvCellW (InvCellW),
    .InvDacW  (InvDacW),
    .InvAdcW  (InvAdcW),
    .Latency  (Latency)
  ) u_inv (
    .clk_i,
    .rst_ni,
    .prog_we_i    (inv_prog_we),
    .prog_row_i   (inv_row),
    .prog_col_i   (inv_col),
    .prog_level_i (inv_level),
    .r_we_i       (inv_r_we),
    .r_idx_i      (inv_idx),
    .r_data_i     (inv_r),
    .start_i      (inv_start),
    .diag_shift_i (dsh_q),
    .busy_o       (inv_busy),
    .singular_o   (inv_singular),
    .k_o          (inv_k),
    .rd_idx_i     (inv_idx),
    .code_o       (inv_code)
  );

  assign inv_prog_we = state_q == SProg;
  assign inv_row     = row;
  assign inv_col     = col;
  assign inv_level   = InvCellW'(level(32'(row), 32'(col)));
  assign inv_r_we    = state_q == SWrite;
  assign inv_idx     = col;
  assign inv_start   = state_q == SStart;
  always_comb begin
    logic signed [RW+64-1:0] r;
    r = shift_round((RW+64)'(v_q[col]), e_q);
    inv_r = InvDacW'((r > (RW+64)'(RMax)) ? RMax : (r < (RW+64)'(RMin)) ? RMin : 64'(r));
  end

  // The code being read, in X units: code 2^(k + e - sh), negated for Taylor terms.
  logic signed [XW-1:0] read_val;
  logic signed [WW-1:0] up;
  always_comb begin
    logic signed [RW+64-1:0] v;
    up = WW'(inv_k) + e_q - sh_q;
    v = shift_round((RW+64)'($signed(inv_code)), -up);
    read_val = (term_idx_q == '0) ? XW'(v) : XW'(-v);
  end

  // --------------------------------------------------------------------------------------------
  // The tile: loads of A and A_l, and the product passes (golden::refine_tile)
  // --------------------------------------------------------------------------------------------
  logic low;  // the product is A_l term (a Taylor term), else A X
  assign low = term_idx_q != '0;

  // Digit d of a product operand: DW bits unsigned, or the signed rest for the top digit.
  function automatic logic [TileInW-1:0] digit(input logic signed [XW-1:0] v,
                                            input logic [DigW-1:0] d);
    logic [TileInW-1:0] t;
    t = TileInW'(v >>> (32'(d) * DW));
    digit = (32'(d) == Digits - 1) ? t : {1'b0, t[DW-1:0]};
  endfunction

  always_comb begin
    logic [63:0] base;
    base = low ? 64'(N) : 64'd0;
    tile_cmd_valid_o = 1'b0;
    tile_cmd_op_o    = '0;
    tile_cmd_addr_o  = '0;
    tile_cmd_data_o  = '0;
    unique case (state_q)
      SProg, SProgLow: begin
        // Weight (col, block + row) = A (row, col), block N for A_l.
        tile_cmd_valid_o = 1'b1;
        tile_cmd_op_o    = pim_pkg::OpLoadW;
        tile_cmd_addr_o  = TileAddrW'((64'(col) << TColW)
                                   | ((state_q == SProgLow) ? 64'(N) : 64'd0) + 64'(row));
        tile_cmd_data_o  = (state_q == SProg) ? TileDataW'(a_q[(32'(row)*N + 32'(col))*AW +: AW])
                                              : TileDataW'(AW'(a_low(32'(row), 32'(col))));
      end
      SXw: begin
        tile_cmd_valid_o = 1'b1;
        tile_cmd_op_o    = pim_pkg::OpWriteX;
        tile_cmd_addr_o  = TileAddrW'(col);
        tile_cmd_data_o  = TileDataW'(digit(low ? term_q[col] : x_q[col], dig_q));
      end
      SMvm: begin
        tile_cmd_valid_o = 1'b1;
        tile_cmd_op_o    = pim_pkg::OpMvm;
      end
      SRdY: begin
        if (cnt_q < CntW'(N)) begin
          tile_cmd_valid_o = 1'b1;
          tile_cmd_op_o    = pim_pkg::OpReadY;
          tile_cmd_addr_o  = TileAddrW'(base + 64'(cnt_q));
        end
      end
      default: ;
    endcase
  end

  // The response to the READ_Y of the cycle before: result entry cnt_q - 1 of this pass, added
  // into place; after the last digit, R = b 2^XFrac - A X or W = A_l term.
  logic [IdxW-1:0]      rd_entry;
  logic signed [RW-1:0] prod_next, v_next;
  assign rd_entry  = IdxW'(cnt_q - 1'b1);
  assign prod_next = ((dig_q == '0) ? '0 : prod_q[rd_entry])
                     + (RW'($signed(tile_rsp_data_i)) <<< (32'(dig_q) * DW));
  assign v_next    = low ? prod_next
                         : (RW'($signed(b_q[32'(rd_entry)*AW +: AW])) <<< XFrac) - prod_next;

  // Handshakes the schedule does not need: the tile is idle whenever a command is issued (the
  // lock-step model would see a dropped one), and a response always follows its READ_Y.
  logic unused_tile;
  assign unused_tile = tile_cmd_ready_i ^ tile_rsp_valid_i;

  // Update: X + DX, its largest entry and the largest update.
  logic [XW:0] upd_max, xnew_max;
  always_comb begin
    logic signed [XW-1:0] xn;
    upd_max = '0;
    xnew_max = '0;
    for (int i = 0; i < N; i++) begin
      xn = x_q[i] + dx_q[i];
      if (xmag(dx_q[i]) > upd_max) begin
        upd_max = xmag(dx_q[i]);
      end
      if (xmag(xn) > xnew_max) begin
        xnew_max = xmag(xn);
      end
    end
  end

  // The stop rule (golden::inv::converged): 4 u^2 <= t p when u < p, else 4 u <= t, with
  // t = max|X| >> Target. UPDATE latches u, t and p; the products u u and t p then take
  // StopCycles digit-serial steps, most significant 8-bit digit of u and p first:
  // acc = acc 2^8 + (u or t) * digit.
  localparam int SdW        = pim_pkg::StopDigitW;
  localparam int StopCycles = (XW + 1 + SdW - 1) / SdW;
  localparam int DgW        = StopCycles * SdW;
  localparam int PW         = 2 * XW + 4;
  logic [XW:0]     u_q, t_q;
  logic [DgW-1:0]  du_q, dp_q;       // digits of u and p, the next one on top
  logic [PW-1:0]   uu_q, tp_q;       // u u and t p so far
  logic            ratio_q;          // u < p: the contraction estimate applies
  logic [PW-1:0]   uu_next, tp_next;
  logic            converged;
  assign uu_next = (uu_q << SdW) + PW'(u_q) * PW'(du_q[DgW-1 -: SdW]);
  assign tp_next = (tp_q << SdW) + PW'(t_q) * PW'(dp_q[DgW-1 -: SdW]);
  assign converged = ratio_q ? (uu_next << pim_pkg::StopMarginLog2) <= tp_next
                              : (PW'(u_q) << pim_pkg::StopMarginLog2) <= PW'(t_q);

  // The solution: cleared by START, updated by UPDATE (one process per entry, so that Verilator
  // need not delay-assign an unpacked array in a loop).
  logic x_clear, x_update;
  for (genvar i = 0; i < N; i++) begin : g_x
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        x_q[i] <= '0;
      end else if (x_clear) begin
        x_q[i] <= '0;
      end else if (x_update) begin
        x_q[i] <= x_q[i] + dx_q[i];
      end
    end
  end

  localparam logic [CntW-1:0] LastSq = CntW'(N*N - 1);
  localparam logic [CntW-1:0] LastN  = CntW'(N - 1);

  // --------------------------------------------------------------------------------------------
  // Sequencer: the next state and the registers' next values, defaults first; the register
  // processes below only latch them.
  // --------------------------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (a_we_i) begin
      a_q[(32'(a_row_i)*N + 32'(a_col_i))*AW +: AW] <= a_data_i;
    end
    if (b_we_i) begin
      b_q[32'(b_idx_i)*AW +: AW] <= b_data_i;
    end
  end

  state_e                     state_d;
  logic [CntW-1:0]            cnt_d;
  logic [DigW-1:0]            dig_d;
  logic [RW-1:0]              res_d, vmax_d, best_d;
  logic                       final_d, have_best_d, have_prev_d;
  logic [XW:0]                prev_d;
  logic signed [WW-1:0]       sh_d, e_d;
  logic [pim_pkg::DiagShiftW-1:0] dsh_d;
  logic [pim_pkg::ItersW-1:0] iters_d;
  logic [pim_pkg::StatusW-1:0] status_d;
  logic [TIdxW-1:0]           term_idx_d;
  logic [XW:0]                u_d, t_d;
  logic [DgW-1:0]             du_d, dp_d;
  logic [PW-1:0]              uu_d, tp_d;
  logic                       ratio_d;
  // Writes of one entry of the vectors: a product pass's sum, the vector INV solves next, the
  // code read (the term and the update DX).
  logic                       prod_we, v_we, read_we;

  always_comb begin
    state_d     = state_q;
    cnt_d       = cnt_q;
    dig_d       = dig_q;
    res_d       = res_q;
    final_d     = final_q;
    vmax_d      = vmax_q;
    best_d      = best_q;
    have_best_d = have_best_q;
    prev_d      = prev_q;
    have_prev_d = have_prev_q;
    sh_d        = sh_q;
    dsh_d       = dsh_q;
    e_d         = e_q;
    iters_d     = iters_q;
    status_d    = status_q;
    term_idx_d  = term_idx_q;
    u_d         = u_q;
    t_d         = t_q;
    du_d        = du_q;
    dp_d        = dp_q;
    uu_d        = uu_q;
    tp_d        = tp_q;
    ratio_d     = ratio_q;
    prod_we     = 1'b0;
    v_we        = 1'b0;
    read_we     = 1'b0;
    x_clear     = 1'b0;
    x_update    = 1'b0;
    unique case (state_q)
      SIdle: begin
        if (start_i) begin
          cnt_d       = '0;
          state_d     = SScan;
          iters_d     = '0;
          status_d    = '0;
          have_best_d = 1'b0;
          have_prev_d = 1'b0;
          x_clear     = 1'b1;
        end
      end
      // The N x N steps: scan A, program A_h (and load A), load A_l.
      SScan, SProg, SProgLow: begin
        cnt_d = cnt_q + 1'b1;
        if (cnt_q == LastSq) begin
          cnt_d   = '0;
          vmax_d  = '0;
          dig_d   = '0;
          if (state_q == SScan) begin
            state_d = SSplit;
          end else if (state_q == SProg && Taylor > 0) begin
            state_d = SProgLow;
          end else begin
            state_d = SXw;
          end
        end
      end
      SSplit: begin
        sh_d    = split_sh;
        dsh_d   = split_dsh;
        cnt_d   = '0;
        state_d = SProg;
      end
      SXw: begin
        cnt_d = cnt_q + 1'b1;
        if (cnt_q == LastN) begin
          cnt_d   = '0;
          state_d = SMvm;
        end
      end
      SMvm: state_d = SMvmWait;
      SMvmWait: begin
        if (!tile_busy_i) begin
          cnt_d   = '0;
          state_d = SRdY;
        end
      end
      SRdY: begin
        cnt_d = cnt_q + 1'b1;
        if (cnt_q != '0) begin
          prod_we = 1'b1;
          if (32'(dig_q) == Digits - 1) begin
            v_we = 1'b1;
            if (mag(v_next) > vmax_q) begin
              vmax_d = mag(v_next);
            end
          end
        end
        if (cnt_q == CntW'(N)) begin
          cnt_d = '0;
          if (32'(dig_q) == Digits - 1) begin
            dig_d   = '0;
            state_d = SCheck;
            if (final_q) begin
              state_d = SDone;
            end
          end else begin
            dig_d   = dig_q + 1'b1;
            state_d = SXw;
          end
        end
      end
      SCheck: begin
        e_d = bit_width(vmax_q) - WW'(InvDacW - 1);
        if (term_idx_q == '0) begin
          res_d = vmax_q;
        end
        if (term_idx_q == '0 && have_best_q
            && vmax_q > (best_q << pim_pkg::DivergenceLog2)) begin
          status_d = pim_pkg::StatusDiverged;
          state_d  = SIdle;
        end else begin
          if (term_idx_q == '0) begin
            best_d      = (have_best_q && best_q < vmax_q) ? best_q : vmax_q;
            have_best_d = 1'b1;
          end
          cnt_d   = '0;
          state_d = SWrite;
        end
      end
      SWrite: begin
        cnt_d = cnt_q + 1'b1;
        if (cnt_q == LastN) begin
          cnt_d   = '0;
          state_d = SStart;
        end
      end
      SStart: begin
        cnt_d   = '0;
        state_d = SWait;
      end
      SWait: begin
        cnt_d = cnt_q + 1'b1;
        if (cnt_q == CntW'(Latency - 1)) begin
          cnt_d   = '0;
          state_d = SRead;
        end
      end
      SRead: begin
        if (inv_singular) begin
          status_d = pim_pkg::StatusSingular;
          state_d  = SIdle;
        end else if (up > WW'(UpMax)) begin
          status_d = pim_pkg::StatusDiverged;  // the answer could overflow X: diverged
          state_d  = SIdle;
        end else begin
          read_we = 1'b1;
          cnt_d   = cnt_q + 1'b1;
          if (cnt_q == LastN) begin
            cnt_d  = '0;
            vmax_d = '0;
            if (term_idx_q != TIdxW'(Taylor)) begin
              term_idx_d = term_idx_q + 1'b1;
              state_d    = SXw;
            end else begin
              state_d = SUpdate;
            end
          end
        end
      end
      SUpdate: begin
        x_update    = 1'b1;
        iters_d     = iters_q + 1'b1;
        prev_d      = upd_max;
        have_prev_d = 1'b1;
        term_idx_d  = '0;
        vmax_d      = '0;
        cnt_d       = '0;
        u_d         = upd_max;
        t_d         = xnew_max >> Target;
        du_d        = DgW'(upd_max) << (DgW - XW - 1);
        dp_d        = DgW'(prev_q) << (DgW - XW - 1);
        uu_d        = '0;
        tp_d        = '0;
        ratio_d     = have_prev_q && prev_q != '0 && upd_max < prev_q;
        state_d     = SStop;
      end
      SStop: begin
        uu_d  = uu_next;
        tp_d  = tp_next;
        du_d  = du_q << SdW;
        dp_d  = dp_q << SdW;
        cnt_d = cnt_q + 1'b1;
        if (cnt_q == CntW'(StopCycles - 1)) begin
          cnt_d = '0;
          // Converged or out of iterations: the final residual product, then done.
          if (converged) begin
            status_d = pim_pkg::StatusConverged;
            final_d  = 1'b1;
          end else if (32'(iters_q) == MaxIters) begin
            status_d = pim_pkg::StatusMaxIters;
            final_d  = 1'b1;
          end
          state_d = SXw;
        end
      end
      SDone: begin
        res_d   = vmax_q;
        final_d = 1'b0;
        state_d = SIdle;
      end
      default: state_d = SIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= SIdle;
      cnt_q       <= '0;
      dig_q       <= '0;
      res_q       <= '0;
      final_q     <= 1'b0;
      vmax_q      <= '0;
      best_q      <= '0;
      have_best_q <= 1'b0;
      prev_q      <= '0;
      have_prev_q <= 1'b0;
      sh_q        <= '0;
      dsh_q       <= '0;
      e_q         <= '0;
      iters_q     <= '0;
      status_q    <= '0;
      term_idx_q  <= '0;
    end else begin
      state_q     <= state_d;
      cnt_q       <= cnt_d;
      dig_q       <= dig_d;
      res_q       <= res_d;
      final_q     <= final_d;
      vmax_q      <= vmax_d;
      best_q      <= best_d;
      have_best_q <= have_best_d;
      prev_q      <= prev_d;
      have_prev_q <= have_prev_d;
      sh_q        <= sh_d;
      dsh_q       <= dsh_d;
      e_q         <= e_d;
      iters_q     <= iters_d;
      status_q    <= status_d;
      term_idx_q  <= term_idx_d;
    end
  end

  // The stop rule's operands and the vectors: written before they are read in every solve, so
  // they need no reset.
  always_ff @(posedge clk_i) begin
    u_q     <= u_d;
    t_q     <= t_d;
    du_q    <= du_d;
    dp_q    <= dp_d;
    uu_q    <= uu_d;
    tp_q    <= tp_d;
    ratio_q <= ratio_d;
    if (prod_we) begin
      prod_q[rd_entry] <= prod_next;
    end
    if (v_we) begin
      v_q[rd_entry] <= v_next;
    end
    if (read_we) begin
      term_q[col] <= read_val;
      dx_q[col]   <= (term_idx_q == '0) ? read_val : dx_q[col] + read_val;
    end
  end

  // --------------------------------------------------------------------------------------------
  // Cost events of the solve (golden::solver::events): one saturating counter per event, cleared
  // by START, counted from the strobes above; ev_o shows event ev_idx_i once the solve is done.
  // --------------------------------------------------------------------------------------------
  localparam int EvN  = pim_pkg::SolverEventCount;
  localparam int EvW  = pim_pkg::CntW;
  logic [EvN*EvW-1:0] ev_inc;
  logic [EvN*EvW-1:0] ev_counts;
  logic               ev_clear;
  assign ev_clear = state_q == SIdle && start_i;
  always_comb begin
    ev_inc = '0;
    ev_inc[pim_pkg::SolverEvInvWrites*EvW +: EvW]       = EvW'(inv_prog_we);
    ev_inc[pim_pkg::SolverEvInvDrives*EvW +: EvW]       = EvW'(inv_r_we);
    ev_inc[pim_pkg::SolverEvInvSolves*EvW +: EvW]       = EvW'(inv_start);
{%- if fault.solver_event_count %}
    ev_inc[pim_pkg::SolverEvInvConversions*EvW +: EvW]  = EvW'(read_we && cnt_q != '0);
{%- else %}
    ev_inc[pim_pkg::SolverEvInvConversions*EvW +: EvW]  = EvW'(read_we);
{%- endif %}
    ev_inc[pim_pkg::SolverEvProductPasses*EvW +: EvW]   = EvW'(state_q == SMvm);
    ev_inc[pim_pkg::SolverEvPartialSums*EvW +: EvW]     = EvW'(prod_we);
    ev_inc[pim_pkg::SolverEvSolutionUpdates*EvW +: EvW] = x_update ? EvW'(N) : '0;
    ev_inc[pim_pkg::SolverEvStopSteps*EvW +: EvW]       = EvW'(state_q == SStop);
  end

  pim_counters #(
    .N (EvN),
    .W (EvW)
  ) u_counters (
    .clk_i,
    .rst_ni,
    .clear_i (ev_clear),
    .inc_i   (ev_inc),
    .count_o (ev_counts)
  );

  assign busy_o   = state_q != SIdle;
  assign status_o = busy_o ? '0 : status_q;
  assign iters_o  = busy_o ? '0 : iters_q;
  assign x_o      = busy_o ? '0 : x_q[rd_idx_i];
  assign residual_o = busy_o ? '0 : res_q;
  assign ev_o       = busy_o ? '0 : ev_counts[32'(ev_idx_i)*EvW +: EvW];

endmodule : pim_refine

{{ header }}
// Low-rank unit (SBPCA; docs/hardware.md, SBPCA): the streaming rank-K estimate of a tile's
// batch gradient in the division-free integer form of golden::lowrank::fixed, bit for bit.
//
// The first pairs are written entry by entry (st_we_i at the entry rd_side_i, rd_pair_i,
// rd_idx_i select); the sample is the x (Rows entries, XW bits) and d (Cols entries, DW bits) of
// the buffers beside it (x_i, d_i: the tile's input and column-operand buffers, or
// pim_lowrank_solo's). ABSORB: for every pair r, with both projections taken before either
// update, X_r += x (d . D_r / |D_r|) and D_r += d (x . X_r / |X_r|), the sums AccW bits wide
// (saturating, counted); every 8th sample of a batch ends with a re-orthogonalisation (modified
// Gram-Schmidt on the X's and, separately, the D's, each vector keeping its norm). FINISH runs
// the batch's last re-orthogonalisation; WARM shifts every sum down by BatchLog2 (the next
// batch's warm start). END_BATCH is FINISH, then per pair its term as OPA operands written into
// the buffers (op_*_o) and an OPA (opa_start_o, waiting while opa_busy_i), then WARM: the rows
// X_r 2^(f - E) rounded (E the bit length of the largest |X_r[i]|, f the scale's row fraction
// bits), the columns -SR(D_r y m 2^(E - Frac - e - shift - f)) with 1/|X_r| = y 2^-(Frac + e),
// the scale m 2^-shift and a DrawBits-bit draw of the rounding LFSR per column; both clamped
// (counted). 1/|V| is an inverse square root: an even-shift normalisation of |V|^2 to a
// mantissa in [2^Frac, 2^(Frac+2)), a seed from a table of its quarter, Newton steps
// y <- y (3 - m y^2) / 2. Every shift rounds half up.
//
// One lane per quantity, serial over the entries (N = max(Rows, Cols)). Cycle for cycle this is
// golden::lowrank::unit (and the tile's golden model): a pair of ABSORB takes N (dot products)
// + 1 + Newton (inverse square roots) + 1 (projections) + N (updates) cycles; a
// re-orthogonalisation, per side of M entries and pair r, M (|V_r|^2) + 2 M r (projection on
// and subtraction of each earlier unit vector) + M (new norm) + 1 + Newton + 1 (norm ratio) + M
// (scaling) + M (norm of the result) + 1 + Newton (its inverse square root, for the later
// pairs' unit vectors); a term of END_BATCH, Rows (|X_r|^2 and the largest entry) + 1 + Newton
// + Rows (rows) + Cols (columns) + 1 (the OPA's start), then the OPA and one cycle. While busy,
// rd_o and the counters read zero.
module pim_lowrank #(
  parameter logic [31:0] Seed = 32'd{{ seed }}
) (
  input  logic clk_i,
  input  logic rst_ni,
  // The tile's index (a constant): it seeds the rounding LFSR.
  input  logic [pim_pkg::TileIdW-1:0] tile_i,
  // Commands (strobes, taken when idle).
  input  logic absorb_i,
  input  logic finish_i,
  input  logic warm_i,
  input  logic end_batch_i,
  // The sample: the buffers beside the unit.
  input  logic [{{ rows }}*{{ x_bits }}-1:0] x_i,
  input  logic [{{ cols }}*{{ d_bits }}-1:0] d_i,
  // The words: an entry of X (rd_side_i 0) or D (1), read (rd_o) or written (st_we_i); the scale.
  input  logic rd_side_i,
  input  logic [{{ pair_bits }}-1:0] rd_pair_i,
  input  logic [{{ index_bits }}-1:0] rd_idx_i,
  input  logic st_we_i,
  input  logic [{{ acc_bits }}-1:0] st_data_i,
  input  logic scale_we_i,
  input  logic [{{ scale_bits }}-1:0] scale_i,
  // END_BATCH: the terms' operands into the buffers, and the OPA that writes them.
  output logic op_x_we_o,
  output logic op_d_we_o,
  output logic [{{ index_bits }}-1:0] op_idx_o,
  output logic [{{ x_bits }}-1:0] op_x_o,
  output logic [{{ d_bits }}-1:0] op_d_o,
  output logic opa_start_o,
  input  logic opa_busy_i,
  output logic busy_o,
  output logic [{{ acc_bits }}-1:0] rd_o,
  output logic [{{ counter_bits }}-1:0] samples_o,
  output logic [{{ counter_bits }}-1:0] saturations_o,
  output logic [{{ counter_bits }}-1:0] replaced_o,
  output logic [{{ counter_bits }}-1:0] opas_o,
  output logic [{{ scale_bits }}-1:0] scale_o
);

  localparam int Rows      = {{ rows }};
  localparam int Cols      = {{ cols }};
  localparam int K         = {{ rank }};
  localparam int XW        = {{ x_bits }};
  localparam int DW        = {{ d_bits }};
  localparam int AccW      = {{ acc_bits }};
  localparam int BatchLog2 = {{ batch_log2 }};
  localparam int Frac      = {{ frac }};
  localparam int ProjFrac  = {{ proj_frac }};
  localparam int Newton    = {{ newton_steps }};
  localparam int N         = (Rows > Cols) ? Rows : Cols;
  localparam int IdxW      = {{ index_bits }};
  localparam int PairW     = {{ pair_bits }};
  localparam int CntW      = {{ counter_bits }};
  localparam int ScaleW    = {{ scale_bits }};
  localparam int MantW     = pim_pkg::ScaleMantW;
  localparam int ShiftW    = pim_pkg::ScaleShiftW;
  localparam int DrawW     = pim_pkg::DrawBits;
  // Every intermediate: an entry times a norm ratio (clamped at 2^(Frac + AccW)) is the widest.
  localparam int W         = 2 * AccW + Frac + 4;
  localparam int MW        = Frac + 2;  // inverse square root mantissa
  localparam int YW        = Frac + 2;  // its result, in (2^(Frac-1), 2^Frac]
  localparam int EW        = 16;        // exponents

  // Seeds of the inverse square root: round(2^Frac / sqrt(1 + (q + 1/2) / 4)), q clamped to the table.
  function automatic logic [YW-1:0] seed_of(input int q);
    unique case ((q < 0) ? 0 : (q > {{ seeds.len() - 1 }}) ? {{ seeds.len() - 1 }} : q)
{%- for s in seeds %}
      {% if loop.last %}default{% else %}{{ loop.index0 }}{% endif %}: seed_of = YW'({{ s }});
{%- endfor %}
    endcase
  endfunction

  localparam logic signed [W-1:0] AccMax   = ($signed(W'(1)) <<< (AccW - 1)) - $signed(W'(1));
  localparam logic signed [W-1:0] AccMin   = -($signed(W'(1)) <<< (AccW - 1));
  localparam logic signed [W-1:0] RatioMax = $signed(W'(1)) <<< (Frac + AccW);
  localparam logic [CntW-1:0] CntMax = '1;

  // v / 2^s rounded half up (s < 0: v * 2^-s).
  function automatic logic signed [W-1:0] rs(input logic signed [W-1:0] v, input int s);
    if (s <= 0) begin
      rs = v <<< (-s);
    end else begin
      rs = (v + ($signed(W'(1)) <<< (s - 1))) >>> s;
    end
  endfunction

  function automatic logic signed [AccW-1:0] sat_acc(input logic signed [W-1:0] v);
    sat_acc = (v > AccMax) ? AccW'(AccMax) : (v < AccMin) ? AccW'(AccMin) : AccW'(v);
  endfunction

  function automatic logic overflows(input logic signed [W-1:0] v);
    overflows = v > AccMax || v < AccMin;
  endfunction

  function automatic logic [CntW-1:0] bump(input logic [CntW-1:0] c, input int by);
    logic [CntW:0] s;
    s = {1'b0, c} + (CntW+1)'(by);
    bump = s[CntW] ? CntMax : s[CntW-1:0];
  endfunction

  // ---------------------------------------------------------------------------------------------
  // State.
  typedef enum logic [4:0] {
    Idle, ADot, AInv, AScale, AUpd, GA, GT, GS, GB, GInv, GRatio, GScale, GU, GUInv, Warm,
    TNorm, TInv, TRow, TCol, TOpa, TWait
  } state_e;

  state_e state_q, state_d;
  logic [PairW:0]    r_q, r_d, c_q, c_d;
  logic [IdxW:0]     i_q, i_d;
  logic [3:0]        step_q, step_d;
  logic              side_q, side_d;
  logic [2:0]        bsamp_q, bsamp_d;
  logic [CntW-1:0]   samples_q, samples_d, sat_q, sat_d, repl_q, repl_d, opas_q, opas_d;
  // END_BATCH in progress; the largest |X_r[i]| of the term; the scale; the rounding LFSR.
  logic              eb_q, eb_d;
  logic [AccW-1:0]   mx_q;
  logic [ScaleW-1:0] scale_q;
  logic [31:0]       lfsr_q;

  logic signed [AccW-1:0] xs_q [K*Rows];
  logic signed [AccW-1:0] ds_q [K*Cols];

  // Accumulators: absorb X.X, X.x, D.D, D.d; re-orthogonalisation |V_r|^2 (a), the projection
  // (t), the new norm (b), the result's norm (u) in acc0..acc3 as well.
  logic signed [W-1:0] acc0_q, acc1_q, acc2_q, acc3_q;
  logic signed [W-1:0] q0_q, q1_q;  // projections (absorb), ratio and length (re-orthogonalisation)
  logic  degen_q;
  // Two inverse square root lanes.
  logic [MW-1:0] m0_q, m1_q;
  logic [YW-1:0] y0_q, y1_q;
  logic signed [EW-1:0] e0_q, e1_q;
  // The unit vectors of the pairs done on this side: U_c = V_c y_c 2^-e_c (0 when |V_c| = 0).
  logic [YW-1:0]        uy_q [K];
  logic signed [EW-1:0] ue_q [K];
  logic                 uz_q [K];

  // ---------------------------------------------------------------------------------------------
  // The vector entries of this cycle.
  int unsigned n_side;     // entries of the side being re-orthogonalised
  logic        last_i;     // i is the side's (absorb: N's) last entry
  logic signed [W-1:0] vx, vd, sx, sd, vr, vc, uc, t_proj;

  assign n_side = side_q ? Cols : Rows;

  always_comb begin
    int unsigned i;
    i = 32'(i_q);
    vx = '0;
    vd = '0;
    sx = '0;
    sd = '0;
    vr = '0;
    vc = '0;
    if (i < Rows) begin
      vx = $signed(W'(xs_q[32'(r_q) * Rows + i]));
      sx = $signed(W'($signed(x_i[i*XW +: XW])));
    end
    if (i < Cols) begin
      vd = $signed(W'(ds_q[32'(r_q) * Cols + i]));
      sd = $signed(W'($signed(d_i[i*DW +: DW])));
    end
    if (i < n_side && r_q < (PairW+1)'(K) && c_q < (PairW+1)'(K)) begin
      vr = side_q ? $signed(W'(ds_q[32'(r_q) * Cols + i])) : $signed(W'(xs_q[32'(r_q) * Rows + i]));
      vc = side_q ? $signed(W'(ds_q[32'(c_q) * Cols + i])) : $signed(W'(xs_q[32'(c_q) * Rows + i]));
    end
  end

  assign uc     = (c_q < (PairW+1)'(K) && !uz_q[c_q[PairW-1:0]]) ?
                  rs(vc * $signed(W'(uy_q[c_q[PairW-1:0]])), $signed(32'(ue_q[c_q[PairW-1:0]]))) : '0;
  assign t_proj = rs(acc1_q, Frac);
  always_comb begin
    unique case (state_q)
      ADot, AUpd:  last_i = 32'(i_q) == N - 1;
      TNorm, TRow: last_i = 32'(i_q) == Rows - 1;
      TCol:        last_i = 32'(i_q) == Cols - 1;
      default:     last_i = 32'(i_q) == n_side - 1;
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Inverse square roots: the normalisation of a nonzero a and a Newton step.
  // floor(log2 a) of a > 0.
  function automatic int top_bit(input logic signed [W-1:0] a);
    top_bit = 0;
    for (int b = 0; b < W; b++) begin
      if (a[b]) top_bit = b;
    end
  endfunction

  // s = floor((L - 1 - Frac) / 2), the exponent e = s + Frac/2.
  function automatic logic signed [EW-1:0] norm_shift(input logic signed [W-1:0] a);
    int over;
    over = top_bit(a) - Frac;
    norm_shift = EW'((over < 0) ? -((1 - over) / 2) : over / 2);
  endfunction

  function automatic logic [MW-1:0] mantissa(input logic signed [W-1:0] a, input logic signed [EW-1:0] s);
    mantissa = (s >= 0) ? MW'(a >> (2 * $signed(32'(s)))) : MW'(a << (-2 * $signed(32'(s))));
  endfunction

  // The seed of mantissa m (a zero norm's garbage mantissa reads the first).
  function automatic logic [YW-1:0] seed(input logic [MW-1:0] m);
    int q;
{%- if fault.lowrank_seed %}
    // FAULT lowrank-seed: the seed of the next quarter.
    q = $signed(32'(m >> (Frac - 2))) - 3;
{%- else %}
    q = $signed(32'(m >> (Frac - 2))) - 4;
{%- endif %}
    seed = seed_of(q);
  endfunction

  function automatic logic [YW-1:0] newton(input logic [MW-1:0] m, input logic [YW-1:0] y);
    logic signed [W-1:0] t;
    t = rs(rs($signed(W'(m)) * $signed(W'(y)), Frac) * $signed(W'(y)), Frac);
    newton = YW'(rs($signed(W'(y)) * (($signed(W'(3)) <<< Frac) - t), Frac + 1));
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Control: two processes.
  logic serial, newton_state;
  assign serial       = state_q == ADot || state_q == AUpd || state_q == GA || state_q == GT
                        || state_q == GS || state_q == GB || state_q == GScale || state_q == GU
                        || state_q == TNorm || state_q == TRow || state_q == TCol;
  assign newton_state = state_q == AInv || state_q == GInv || state_q == GUInv
                        || state_q == TInv;

  always_comb begin
    state_d   = state_q;
    r_d       = r_q;
    c_d       = c_q;
    i_d       = i_q;
    step_d    = step_q;
    side_d    = side_q;
    bsamp_d   = bsamp_q;
    samples_d = samples_q;
    repl_d    = repl_q;
    opas_d    = opas_q;
    eb_d      = eb_q;
    // The serial states step i over their entries (back to 0 after the last), the Newton states
    // step over the inverse square root; each state below says only where it goes next.
    if (serial) i_d = last_i ? '0 : i_q + 1'b1;
    if (newton_state) step_d = (32'(step_q) == Newton) ? '0 : step_q + 1'b1;
    unique case (state_q)
      Idle: begin
        i_d    = '0;
        r_d    = '0;
        c_d    = '0;
        step_d = '0;
        if (absorb_i) begin
          state_d = ADot;
        end else if (finish_i) begin
          state_d = GA;
          side_d  = 1'b0;
        end else if (warm_i) begin
          state_d = Warm;
        end else if (end_batch_i) begin
          state_d = GA;
          side_d  = 1'b0;
          eb_d    = 1'b1;
        end
      end
      ADot: if (last_i) state_d = AInv;
      AInv: if (32'(step_q) == Newton) state_d = AScale;
      AScale: state_d = AUpd;
      AUpd: begin
        if (last_i) begin
          r_d = r_q + 1'b1;
          state_d = ADot;
          if (32'(r_q) == K - 1) begin
            r_d       = '0;
            samples_d = bump(samples_q, 1);
            bsamp_d   = bsamp_q + 1'b1;
            side_d    = 1'b0;
            if (bsamp_q == 3'd7) state_d = GA;
            else state_d = Idle;
          end
        end
      end
      GA: begin
        if (last_i) begin
          c_d     = '0;
          if (r_q == '0) state_d = GB;
          else state_d = GT;
        end
      end
      GT: if (last_i) state_d = GS;
      GS: begin
        if (last_i) begin
          c_d     = c_q + 1'b1;
          if (c_q + 1'b1 == r_q) state_d = GB;
          else state_d = GT;
        end
      end
      GB: if (last_i) state_d = GInv;
      GInv: if (32'(step_q) == Newton) state_d = GRatio;
      GRatio: begin
        state_d = GScale;
        if (acc0_q == '0 || acc2_q == '0) begin
          repl_d = bump(repl_q, 1);
        end
      end
      GScale: if (last_i) state_d = GU;
      GU: if (last_i) state_d = GUInv;
      GUInv: begin
        if (32'(step_q) == Newton) begin
          r_d     = r_q + 1'b1;
          state_d = GA;
          if (32'(r_q) == K - 1) begin
            r_d     = '0;
            side_d  = 1'b1;
            if (side_q && eb_q) state_d = TNorm;
            else if (side_q) state_d = Idle;
            else state_d = GA;
          end
        end
      end
      Warm: begin
        bsamp_d = '0;
        eb_d    = 1'b0;
        state_d = Idle;
      end
      TNorm: if (last_i) state_d = TInv;
      TInv: if (32'(step_q) == Newton) state_d = TRow;
      TRow: if (last_i) state_d = TCol;
      TCol: if (last_i) state_d = TOpa;
      TOpa: begin
        opas_d  = bump(opas_q, 1);
        state_d = TWait;
      end
      TWait: begin
        if (!opa_busy_i) begin
          r_d     = r_q + 1'b1;
          state_d = TNorm;
          if (32'(r_q) == K - 1) begin
            r_d     = '0;
            state_d = Warm;
          end
        end
      end
      default: state_d = Idle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= Idle;
      r_q       <= '0;
      c_q       <= '0;
      i_q       <= '0;
      step_q    <= '0;
      side_q    <= 1'b0;
      bsamp_q   <= '0;
      samples_q <= '0;
      repl_q    <= '0;
      opas_q    <= '0;
      eb_q      <= 1'b0;
    end else begin
      state_q   <= state_d;
      r_q       <= r_d;
      c_q       <= c_d;
      i_q       <= i_d;
      step_q    <= step_d;
      side_q    <= side_d;
      bsamp_q   <= bsamp_d;
      samples_q <= samples_d;
      repl_q    <= repl_d;
      opas_q    <= opas_d;
      eb_q      <= eb_d;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Datapath.
  logic signed [W-1:0] up_x, up_d, scaled, sub;
  assign up_x   = $signed(W'(vx)) + rs(sx * q1_q, ProjFrac);
  assign up_d   = $signed(W'(vd)) + rs(sd * q0_q, ProjFrac);
  assign scaled = rs(vr * q0_q, Frac);
  assign sub    = vr - rs(t_proj * uc, Frac);

  // The degenerate vector's entry: clamp(len) at index r mod n.
  logic signed [W-1:0] degen_v;
  assign degen_v = (32'(i_q) == 32'(r_q) % n_side) ? q1_q : '0;

  // END_BATCH's terms: the row shift E - f, the columns' shift and product, their clamps.
  logic [MantW-1:0]  s_mant;
  logic [ShiftW-1:0] s_shift;
  logic [pim_pkg::ScaleFracW-1:0] s_frac;
  assign {s_frac, s_shift, s_mant} = scale_q;

  int row_sh, col_sh;
  logic signed [W-1:0] row_v, col_p, col_v;
  logic [31:0]         lfsr_w;
  logic                row_clamped, col_clamped;
  localparam logic signed [W-1:0] XMax = ($signed(W'(1)) <<< (XW - 1)) - $signed(W'(1));
  localparam logic signed [W-1:0] XMin = -($signed(W'(1)) <<< (XW - 1));
  localparam logic signed [W-1:0] DMax = ($signed(W'(1)) <<< (DW - 1)) - $signed(W'(1));
  localparam logic signed [W-1:0] DMin = -($signed(W'(1)) <<< (DW - 1));

  // floor(v 2^-t + u 2^-DrawW): v 2^-t stochastically rounded with draw u (t <= 0: exact).
  function automatic logic signed [W-1:0] sr_shift(input logic signed [W-1:0] v, input int t,
                                                   input logic [DrawW-1:0] u);
    if (t <= 0) begin
      sr_shift = v <<< (-t);
    end else if (t >= DrawW) begin
      sr_shift = (v + ($signed(W'(u)) <<< (t - DrawW))) >>> t;
    end else begin
      sr_shift = (v + $signed(W'(u) >> (DrawW - t))) >>> t;
    end
  endfunction

  assign row_sh  = ((mx_q == '0) ? 0 : top_bit($signed(W'(mx_q))) + 1) - $signed(32'(s_frac));
  assign col_sh  = Frac + $signed(32'(e0_q)) + $signed(32'(s_shift)) - row_sh
                   - $signed(32'(s_frac));
  assign row_v   = rs(vx, row_sh);
  assign lfsr_w  = pim_pkg::lfsr_word(lfsr_q);
  assign col_p   = -(vd * $signed(W'(y0_q)) * $signed(W'(s_mant)));
{%- if fault.lowrank_draw %}
  // FAULT lowrank-draw: the draw one bit too high in the word.
  assign col_v   = (acc0_q == '0) ? '0 : sr_shift(col_p, col_sh, lfsr_w[DrawW:1]);
{%- else %}
  assign col_v   = (acc0_q == '0) ? '0 : sr_shift(col_p, col_sh, lfsr_w[DrawW-1:0]);
{%- endif %}
  assign row_clamped = row_v > XMax || row_v < XMin;
  assign col_clamped = col_v > DMax || col_v < DMin;

  assign op_x_we_o   = state_q == TRow;
  assign op_d_we_o   = state_q == TCol;
  assign op_idx_o    = i_q[IdxW-1:0];
  assign op_x_o      = (row_v > XMax) ? XW'(XMax) : (row_v < XMin) ? XW'(XMin) : XW'(row_v);
  assign op_d_o      = (col_v > DMax) ? DW'(DMax) : (col_v < DMin) ? DW'(DMin) : DW'(col_v);
  assign opa_start_o = state_q == TOpa;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scale_q <= '0;
      lfsr_q  <= pim_pkg::seed_hash(Seed ^ pim_pkg::RoundSeed, 32'(tile_i), 0, 0);
      mx_q    <= '0;
    end else begin
      if (state_q == Idle && scale_we_i) begin
        scale_q <= scale_i;
      end
      if (state_q == TCol) begin
        lfsr_q <= lfsr_w;
      end
      if (state_q == TNorm) begin
        mx_q <= (vx < 0 ? AccW'(-vx) : AccW'(vx)) > mx_q ? (vx < 0 ? AccW'(-vx) : AccW'(vx)) : mx_q;
      end else if (state_q == TWait) begin
        mx_q <= '0;
      end
    end
  end

  // Saturations this cycle.
  int unsigned sats;
  always_comb begin
    sats = 0;
    unique case (state_q)
      AUpd: begin
        if (32'(i_q) < Rows && overflows(up_x)) sats = sats + 1;
        if (32'(i_q) < Cols && overflows(up_d)) sats = sats + 1;
      end
      GS: begin
        if (32'(i_q) < n_side && overflows(sub)) sats = 1;
      end
      GScale: begin
        if (32'(i_q) < n_side && !degen_q && overflows(scaled)) sats = 1;
      end
      TRow: if (row_clamped) sats = 1;
      TCol: if (col_clamped) sats = 1;
      default: sats = 0;
    endcase
  end
  assign sat_d = bump(sat_q, $signed(32'(sats)));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sat_q <= '0;
    end else begin
      sat_q <= sat_d;
    end
  end

  // The vector being written this cycle: V_r on the re-orthogonalised side.
  logic signed [W-1:0] g_write;
  logic  g_we;
  always_comb begin
    g_write = '0;
    g_we    = 1'b0;
    unique case (state_q)
      GS: begin
        g_write = sub;
        g_we    = 32'(i_q) < n_side;
      end
      GScale: begin
        g_write = degen_q ? degen_v : scaled;
        g_we    = 32'(i_q) < n_side;
      end
      default: ;
    endcase
  end

  // The one entry of X and of D written this cycle (besides WARM's shift of all of them).
  logic                   x_wr, d_wr;
  int unsigned            x_wr_at, d_wr_at;
  logic signed [AccW-1:0] x_wr_v, d_wr_v;
  always_comb begin
    int unsigned i, r;
    i = 32'(i_q);
    r = 32'(r_q);
    x_wr    = 1'b0;
    d_wr    = 1'b0;
    x_wr_at = r * Rows + i;
    d_wr_at = r * Cols + i;
    x_wr_v  = sat_acc(up_x);
    d_wr_v  = sat_acc(up_d);
    unique case (state_q)
      Idle: begin
        x_wr_at = 32'(rd_pair_i) * Rows + 32'(rd_idx_i);
        d_wr_at = 32'(rd_pair_i) * Cols + 32'(rd_idx_i);
        x_wr_v  = st_data_i;
        d_wr_v  = st_data_i;
        x_wr    = st_we_i && 32'(rd_pair_i) < K && !rd_side_i && 32'(rd_idx_i) < Rows;
        d_wr    = st_we_i && 32'(rd_pair_i) < K && rd_side_i && 32'(rd_idx_i) < Cols;
      end
      AUpd: begin
        x_wr = i < Rows;
        d_wr = i < Cols;
      end
      GS, GScale: begin
        x_wr_v = sat_acc(g_write);
        d_wr_v = sat_acc(g_write);
        x_wr   = g_we && !side_q;
        d_wr   = g_we && side_q;
      end
      default: ;
    endcase
  end

  for (genvar r = 0; r < K; r++) begin : g_pair
    for (genvar i = 0; i < Rows; i++) begin : g_x
      always_ff @(posedge clk_i) begin
        if (state_q == Warm) begin
          xs_q[r * Rows + i] <= AccW'(rs($signed(W'(xs_q[r * Rows + i])), BatchLog2));
        end else if (x_wr && x_wr_at == r * Rows + i) begin
          xs_q[r * Rows + i] <= x_wr_v;
        end
      end
    end
    for (genvar i = 0; i < Cols; i++) begin : g_d
      always_ff @(posedge clk_i) begin
        if (state_q == Warm) begin
          ds_q[r * Cols + i] <= AccW'(rs($signed(W'(ds_q[r * Cols + i])), BatchLog2));
        end else if (d_wr && d_wr_at == r * Cols + i) begin
          ds_q[r * Cols + i] <= d_wr_v;
        end
      end
    end
  end

  // Accumulators, inverse square roots, projections. The Newton states run both lanes: lane 0
  // on |V|^2 in acc0 (GUInv: the result's norm in acc3), lane 1 on acc2 (used after AInv and
  // GInv only).
  logic signed [W-1:0] inv0;
  assign inv0 = (state_q == GUInv) ? acc3_q : acc0_q;
  always_ff @(posedge clk_i) begin
    if (newton_state) begin
      if (step_q == '0) begin
        e0_q <= norm_shift(inv0) + EW'(Frac / 2);
        e1_q <= norm_shift(acc2_q) + EW'(Frac / 2);
        m0_q <= mantissa(inv0, norm_shift(inv0));
        m1_q <= mantissa(acc2_q, norm_shift(acc2_q));
        y0_q <= seed(mantissa(inv0, norm_shift(inv0)));
        y1_q <= seed(mantissa(acc2_q, norm_shift(acc2_q)));
      end else begin
        y0_q <= newton(m0_q, y0_q);
        y1_q <= newton(m1_q, y1_q);
      end
    end
    unique case (state_q)
      Idle: begin
        acc0_q <= '0;
        acc1_q <= '0;
        acc2_q <= '0;
        acc3_q <= '0;
      end
      ADot: begin
        acc0_q <= acc0_q + vx * vx;
        acc1_q <= acc1_q + vx * sx;
        acc2_q <= acc2_q + vd * vd;
        acc3_q <= acc3_q + vd * sd;
      end
      AScale: begin
        // q0 = x . X_r / |X_r|, q1 = d . D_r / |D_r|, at 2^-ProjFrac.
        q0_q <= (acc0_q == '0) ? '0 : rs(acc1_q * $signed(W'(y0_q)), Frac + $signed(32'(e0_q)) - ProjFrac);
        q1_q <= (acc2_q == '0) ? '0 : rs(acc3_q * $signed(W'(y1_q)), Frac + $signed(32'(e1_q)) - ProjFrac);
      end
      AUpd: begin
        if (last_i) begin
          acc0_q <= '0;
          acc1_q <= '0;
          acc2_q <= '0;
          acc3_q <= '0;
        end
      end
      GA: begin
        acc0_q <= acc0_q + vr * vr;
        acc1_q <= '0;
      end
      GT: acc1_q <= acc1_q + vr * uc;
      GS: if (last_i) acc1_q <= '0;
      GB: acc2_q <= acc2_q + vr * vr;
      GRatio: begin
        degen_q <= acc0_q == '0 || acc2_q == '0;
        // q0: |V_r| / |V_r'| in Q.Frac, clamped at 2^(Frac + AccW) (every nonzero entry
        // saturates beyond); q1: the degenerate vector's length |V_r| (at least 1).
        begin
          logic signed [W-1:0] ratio, len;
          ratio = rs(rs($signed(W'(m0_q)) * $signed(W'(y0_q)), Frac) * $signed(W'(y1_q)),
                     Frac / 2 + $signed(32'(e1_q)) - ($signed(32'(e0_q)) - Frac / 2));
          q0_q <= (ratio > RatioMax) ? RatioMax : ratio;
          len = (acc0_q == '0) ? $signed(W'(1)) : rs(acc0_q * $signed(W'(y0_q)), Frac + $signed(32'(e0_q)));
          len = (len < $signed(W'(1))) ? $signed(W'(1)) : len;
          q1_q <= (len > AccMax) ? AccMax : len;
        end
      end
      GScale: begin
        acc3_q <= '0;
      end
      TNorm: acc0_q <= acc0_q + vx * vx;
      TWait: if (!opa_busy_i) acc0_q <= '0;
      GU: acc3_q <= acc3_q + vr * vr;
      GUInv: begin
        if (32'(step_q) == Newton) begin
          uy_q[r_q[PairW-1:0]] <= newton(m0_q, y0_q);
          ue_q[r_q[PairW-1:0]] <= e0_q;
          uz_q[r_q[PairW-1:0]] <= acc3_q == '0;
        end
        if (32'(step_q) == Newton) begin
          acc0_q <= '0;
          acc2_q <= '0;
          acc3_q <= '0;
        end
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Outputs.
  logic signed [AccW-1:0] rd_v;
  always_comb begin
    rd_v = '0;
    if (!rd_side_i && 32'(rd_pair_i) < K && 32'(rd_idx_i) < Rows) begin
      rd_v = xs_q[32'(rd_pair_i) * Rows + 32'(rd_idx_i)];
    end else if (rd_side_i && 32'(rd_pair_i) < K && 32'(rd_idx_i) < Cols) begin
      rd_v = ds_q[32'(rd_pair_i) * Cols + 32'(rd_idx_i)];
    end
  end

  assign busy_o        = state_q != Idle;
  assign rd_o          = busy_o ? '0 : rd_v;
  assign samples_o     = busy_o ? '0 : samples_q;
  assign saturations_o = busy_o ? '0 : sat_q;
  assign replaced_o    = busy_o ? '0 : repl_q;
  assign opas_o        = busy_o ? '0 : opas_q;
  assign scale_o       = busy_o ? '0 : scale_q;

endmodule : pim_lowrank

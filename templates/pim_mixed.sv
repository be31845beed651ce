{{ header }}
// Mixed-precision accumulate-and-threshold unit (docs/hardware.md, Mixed precision): a digital
// accumulator chi per weight, Rows x Cols of ChiW bits.
//
// ACCUMULATE adds x[r] * d[c] to row r of chi, one row per cycle (Rows cycles, Cols multipliers),
// saturating at ChiW bits; chi_sat_o counts the saturating columns of the current step.
// TRANSFER visits row r per cycle: n = trunc(chi / 2^EpsLog2) clamped to +-MaxPulses, chi -= n *
// 2^EpsLog2, and |n| pulses of sign(n) go to the cells of row r (slice 0); a last drain cycle lets
// the crossbar's clip and pulse counts of the last row arrive (Rows + 1 cycles).
//
// chi is a memory of Rows words of Cols x ChiW bits with one read and one write port (one row per
// cycle, as both steps use it): an SRAM in a real tile. It is not reset; a row_valid_q bit per
// row, cleared by reset and set by the row's first write, makes an unwritten row read as zero.
module pim_mixed #(
  parameter int Rows      = {{ rows }},
  parameter int Cols      = {{ cols }},
  parameter int InW       = {{ input_bits }},
  parameter int WeightW   = {{ weight_bits }},
  parameter int ValueBits = {{ value_bits }},
  parameter int ChiW      = {{ chi_bits }},
  parameter int EpsLog2   = {{ epsilon_log2 }},
  parameter int MaxPulses = {{ max_pulses }},
  parameter int ChiSatW   = {{ chi_sat_bits }}
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     acc_i,
  input  logic                     xfer_i,
  input  logic [Rows*InW-1:0]      x_i,
  input  logic [Cols*WeightW-1:0]  d_i,
  output logic                     busy_o,
  output logic [ChiSatW-1:0]       chi_sat_o,
  output logic                     upd_en_o,
  output logic [Rows-1:0]          upd_row_o,
  output logic [Cols*ValueBits-1:0] upd_digit_o,
  output logic [Cols-1:0]          upd_neg_o
);

  localparam int RowW  = $clog2(Rows);
  localparam int ProdW = InW + WeightW;
  localparam int SumW  = ((ChiW > ProdW) ? ChiW : ProdW) + 1;
  localparam logic signed [SumW-1:0] ChiMax = (SumW'(1) <<< (ChiW - 1)) - SumW'(1);
  localparam logic signed [SumW-1:0] ChiMin = -(SumW'(1) <<< (ChiW - 1));
  localparam logic signed [ChiW:0]   NMax   = (ChiW+1)'(MaxPulses);

  logic [Cols*ChiW-1:0] chi_q [Rows];
  logic [Rows-1:0]      row_valid_q;
  logic            acc_q, xfer_q, drain_q;
  logic [RowW-1:0] row_q;
  logic            acc_step, xfer_step, last_row;

  assign acc_step  = acc_q;
  assign xfer_step = xfer_q && !drain_q;
  assign last_row  = row_q == RowW'(Rows - 1);
  assign busy_o    = acc_q || xfer_q;

  // The current row of chi (zero until written) and of x.
  logic [Cols*ChiW-1:0]     chi_row;
  logic signed [InW-1:0]    x_row;
  assign chi_row = row_valid_q[row_q] ? chi_q[row_q] : '0;
  assign x_row   = $signed(x_i[32'(row_q)*InW +: InW]);

  // Per column: the accumulated value (saturated), and the transfer's pulse count and remainder;
  // row_d is the row written back by the current step. Between steps all of it is zero.
  logic                     row_we;
  logic [Cols*ChiW-1:0]     row_d;
  logic [Cols-1:0]          acc_sat;
  assign row_we = acc_step || xfer_step;
  always_comb begin
    logic [Cols*ChiW-1:0]   row;
    logic signed [SumW-1:0] sum;
    logic signed [ChiW:0]   chi, n;
    logic [ChiW-1:0]        acc_next, xfer_next;
    row         = chi_row;
    sum         = '0;
    chi         = '0;
    n           = '0;
    acc_next    = '0;
    xfer_next   = '0;
    row_d       = '0;
    acc_sat     = '0;
    upd_neg_o   = '0;
    upd_digit_o = '0;
    if (row_we) begin
      for (int c = 0; c < Cols; c++) begin
        chi = (ChiW+1)'($signed(row[c*ChiW +: ChiW]));
        sum = SumW'(chi) + SumW'(x_row * $signed(d_i[c*WeightW +: WeightW]));
        acc_sat[c] = sum > ChiMax || sum < ChiMin;
        acc_next   = (sum > ChiMax) ? ChiW'(ChiMax) : (sum < ChiMin) ? ChiW'(ChiMin) : ChiW'(sum);
        // trunc(chi / 2^EpsLog2): the quotient of |chi|, with chi's sign.
        n = (chi < 0) ? -((-chi) >>> EpsLog2) : (chi >>> EpsLog2);
        n = (n > NMax) ? NMax : (n < -NMax) ? -NMax : n;
        xfer_next = ChiW'(chi - (n <<< EpsLog2));
        row_d[c*ChiW +: ChiW] = acc_step ? acc_next : xfer_next;
        upd_neg_o[c] = n < 0;
        upd_digit_o[c*ValueBits +: ValueBits] = ValueBits'((n < 0) ? -n : n);
      end
    end
  end

  always_comb begin
    chi_sat_o = '0;
    if (acc_step) begin
      for (int c = 0; c < Cols; c++) begin
        chi_sat_o = chi_sat_o + ChiSatW'(acc_sat[c]);
      end
    end
  end

  assign upd_en_o = xfer_step;
  always_comb begin
    upd_row_o = '0;
    upd_row_o[row_q] = 1'b1;
  end

  // The memory's write port: the current row, on every step.
  always_ff @(posedge clk_i) begin
    if (row_we) begin
      chi_q[row_q] <= row_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      row_valid_q <= '0;
    end else if (row_we) begin
      row_valid_q[row_q] <= 1'b1{% if fault.chi_valid %} && row_q != '0{% endif %};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q   <= 1'b0;
      xfer_q  <= 1'b0;
      drain_q <= 1'b0;
      row_q   <= '0;
    end else if (acc_i || xfer_i) begin
      acc_q   <= acc_i;
      xfer_q  <= xfer_i;
      drain_q <= 1'b0;
      row_q   <= '0;
    end else if (drain_q) begin
      xfer_q  <= 1'b0;
      drain_q <= 1'b0;
    end else if (acc_q || xfer_q) begin
      row_q <= row_q + 1'b1;
      if (last_row) begin
        acc_q   <= 1'b0;
        drain_q <= xfer_q;
      end
    end
  end

endmodule : pim_mixed

{{ header }}
// Behavioral model of the INV-mode crossbar (RePAST; docs/hardware.md, "High-precision solves"):
// an N x N slice programmed with the levels of A_h in an op-amp feedback loop settles to
// z = A_h^-1 r, and the output ADC digitises z to InvAdcW bits with a per-vector gain 2^k. The
// diagonal cells sit in the op-amps' feedback paths with a gain of 2^diag_shift_i (the split
// diagonal; 0 for a shared scale).
//
// The settled value is Gaussian elimination without pivoting in IEEE double precision, in the
// golden model's order (golden::inv::solve_f64), so both compute the same bits; a zero or
// non-finite pivot reports singular_o. A START takes Latency cycles (settling plus conversion);
// the codes are then read one per cycle through rd_idx_i. Not synthesisable: a black box.
module pim_inv #(
  parameter int N        = {{ inv_size }},
  parameter int InvCellW = {{ inv_cell_bits }},
  parameter int InvDacW  = {{ inv_input_bits }},
  parameter int InvAdcW  = {{ inv_bits }},
  parameter int Latency  = {{ inv_latency }}
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // Programming of A_h, one level per cycle.
  input  logic                 prog_we_i,
  input  logic [$clog2(N)-1:0] prog_row_i,
  input  logic [$clog2(N)-1:0] prog_col_i,
  input  logic [InvCellW-1:0]        prog_level_i,
  // The input vector r, one entry per cycle (the DAC range: InvDacW bits, signed).
  input  logic                 r_we_i,
  input  logic [$clog2(N)-1:0] r_idx_i,
  input  logic [InvDacW-1:0]       r_data_i,
  // Solve; busy for Latency cycles.
  input  logic                 start_i,
  input  logic [pim_pkg::DiagShiftW-1:0] diag_shift_i,
  output logic                 busy_o,
  output logic                 singular_o,
  output logic signed [pim_pkg::ExpW-1:0] k_o,
  input  logic [$clog2(N)-1:0] rd_idx_i,
  output logic [InvAdcW-1:0]      code_o
);

  localparam int ResW = N * InvAdcW + pim_pkg::ExpW + 1;
  localparam int CntW = $clog2(Latency + 1);

  logic [N*N*InvCellW-1:0]  ah_q;
  logic [N*InvDacW-1:0]   r_q;
  logic [N*InvAdcW-1:0]  codes_q;
  logic signed [pim_pkg::ExpW-1:0] k_q;
  logic               singular_q;
  logic [CntW-1:0]    cnt_q;

  function automatic logic finite(input real v);
    finite = (v - v) == 0.0;
  endfunction

  // {singular, k[ExpW-1:0], codes}.
  function automatic logic [ResW-1:0] inv_solve(input logic [N*N*InvCellW-1:0] ah,
                                            input logic [pim_pkg::DiagShiftW-1:0] dsh,
                                            input logic [N*InvDacW-1:0] r);
    real a [N*N];
    real y [N];
    real z [N];
    real p, f, s, m, hi, scale;
    int k;
    logic sing, fits;
    logic [N*InvAdcW-1:0] codes;
    sing = 1'b0;
    codes = '0;
    k = 0;
    for (int i = 0; i < N*N; i++) begin
      a[i] = real'(longint'($signed(ah[i*InvCellW +: InvCellW])) <<< ((i / N == i % N) ? dsh : '0));
    end
    for (int i = 0; i < N; i++) begin
      y[i] = real'($signed(r[i*InvDacW +: InvDacW]));
      z[i] = 0.0;
    end
    for (int c = 0; c < N; c++) begin
      p = a[c*N + c];
      if (p == 0.0 || !finite(p)) begin
        sing = 1'b1;
      end
      if (!sing) begin
        for (int i = c + 1; i < N; i++) begin
          f = a[i*N + c] / p;
          for (int j = c; j < N; j++) begin
            a[i*N + j] = a[i*N + j] - f * a[c*N + j];
          end
          y[i] = y[i] - f * y[c];
        end
      end
    end
    for (int i = N - 1; i >= 0; i--) begin
      if (!sing) begin
        s = y[i];
        for (int j = i + 1; j < N; j++) begin
          s = s - a[i*N + j] * z[j];
        end
        z[i] = s / a[i*N + i];
        if (!finite(z[i])) begin
          sing = 1'b1;
        end
      end
    end
    if (!sing) begin
      m = 0.0;
      for (int i = 0; i < N; i++) begin
        if ((z[i] < 0.0 ? -z[i] : z[i]) > m) begin
          m = z[i] < 0.0 ? -z[i] : z[i];
        end
      end
      hi = real'((64'sd1 <<< (InvAdcW - 1)) - 64'sd1);
      if (m > 0.0) begin
        // Start below the smallest exponent that fits, then search upward.
        k = int'($floor($ln(m / hi) / $ln(2.0))) - 2;
        fits = 1'b0;
        while (!fits) begin
          scale = 2.0 ** (-k);
          fits = 1'b1;
          for (int i = 0; i < N; i++) begin
            if ($floor(z[i] * scale + 0.5) > hi || $floor(z[i] * scale + 0.5) < -hi) begin
              fits = 1'b0;
            end
          end
          if (!fits) begin
            k = k + 1;
          end
        end
        for (int i = 0; i < N; i++) begin
          codes[i*InvAdcW +: InvAdcW] = InvAdcW'(longint'($floor(z[i] * scale + 0.5)));
        end
      end
    end
    if (sing) begin
      codes = '0;
      k = 0;
    end
    inv_solve = {sing, pim_pkg::ExpW'(k), codes};
  endfunction

  // Programming and inputs. A_h and r are analog state: no reset, level 0 at power-up.
  initial begin
    ah_q = '0;
    r_q  = '0;
  end

  always_ff @(posedge clk_i) begin
    if (prog_we_i) begin
      ah_q[(32'(prog_row_i)*N + 32'(prog_col_i))*InvCellW +: InvCellW] <= prog_level_i;
    end
    if (r_we_i) begin
      r_q[32'(r_idx_i)*InvDacW +: InvDacW] <= r_data_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q      <= '0;
      codes_q    <= '0;
      k_q        <= '0;
      singular_q <= 1'b0;
    end else if (start_i && cnt_q == '0) begin
      {singular_q, k_q, codes_q} <= inv_solve(ah_q, diag_shift_i, r_q);
      cnt_q <= CntW'(Latency);
    end else if (cnt_q != '0) begin
      cnt_q <= cnt_q - 1'b1;
    end
  end

  assign busy_o     = cnt_q != '0;
  assign singular_o = singular_q && !busy_o;
  assign k_o        = busy_o ? '0 : k_q;
  assign code_o     = busy_o ? '0 : codes_q[32'(rd_idx_i)*InvAdcW +: InvAdcW];

endmodule : pim_inv

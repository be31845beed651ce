{{ header }}
// Behavioral analog model of one crossbar slice: Rows x Cols signed conductance levels (a
// differential pair per cell), a serial programming port, and a read that drives rows (forward)
// or columns (transpose) with DAC values and samples the exact integer line currents into a
// sample-and-hold. Not synthesisable: synthesis replaces this module by a black box.
module pim_xbar #(
  parameter int Rows  = {{ rows }},
  parameter int Cols  = {{ cols }},
  parameter int Lines = {{ lines }},
  parameter int CellW = 6,
  parameter int DrvW  = {{ drive_bits }},
  parameter int CurW  = {{ current_bits }}
) (
  input  logic                    clk_i,
  // Serial programming port: one cell per cycle.
  input  logic                    prog_we_i,
  input  logic [$clog2(Rows)-1:0] prog_row_i,
  input  logic [$clog2(Cols)-1:0] prog_col_i,
  input  logic [CellW-1:0]        prog_level_i,
  // Read: drive lines (rows, or columns when transpose_i), sample every sensed line current.
  input  logic                    transpose_i,
  input  logic [Lines*DrvW-1:0]   drive_i,
  input  logic                    sample_i,
  output logic [Lines*CurW-1:0]   held_o
);

  logic signed [CellW-1:0] cell_q [Rows][Cols];
  // Packed, so that one loop can sample every line (Verilator cannot delay-assign unpacked
  // arrays in loops).
  logic [Lines*CurW-1:0]   held_q;

  // Power-up state: every cell at level 0, nothing held.
  initial begin
    for (int r = 0; r < Rows; r++) begin
      for (int c = 0; c < Cols; c++) begin
        cell_q[r][c] = '0;
      end
    end
    held_q = '0;
  end

  // Exact current of sensed line `o`: sum over driven lines of drive * level.
  function automatic logic signed [CurW-1:0] line_current(input int o);
    logic signed [CurW-1:0] sum;
    logic signed [CurW-1:0] drv;
    logic signed [CurW-1:0] lvl;
    sum = '0;
    if (!transpose_i) begin
      if (o < Cols) begin
        for (int r = 0; r < Rows; r++) begin
          drv = CurW'($signed(drive_i[r*DrvW +: DrvW]));
          lvl = CurW'(cell_q[r][o]);
          sum = sum + drv * lvl;
        end
      end
    end else begin
      if (o < Rows) begin
        for (int c = 0; c < Cols; c++) begin
          drv = CurW'($signed(drive_i[c*DrvW +: DrvW]));
          lvl = CurW'(cell_q[o][c]);
          sum = sum + drv * lvl;
        end
      end
    end
    line_current = sum;
  endfunction

  always_ff @(posedge clk_i) begin
    if (prog_we_i) begin
      cell_q[prog_row_i][prog_col_i] <= $signed(prog_level_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (sample_i) begin
      for (int l = 0; l < Lines; l++) begin
        held_q[l*CurW +: CurW] <= line_current(l);
      end
    end
  end

  assign held_o = held_q;

endmodule : pim_xbar

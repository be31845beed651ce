{{ header }}
// Behavioral analog model of one crossbar slice: Rows x Cols signed conductance levels (a
// differential pair per cell), a serial programming port and a serial read port, an in-array
// outer-product update (driven rows x column digits, all cells at once, clipped at the cell
// range), and a read that drives rows (forward) or columns (transpose) with DAC values and
// samples the exact integer line currents into a sample-and-hold. Not synthesisable: synthesis
// replaces this module by a black box.
module pim_xbar #(
  parameter int Rows  = {{ rows }},
  parameter int Cols  = {{ cols }},
  parameter int Lines = {{ lines }},
  parameter int CellW = 6,
  parameter int DrvW  = {{ drive_bits }},
  parameter int CurW  = {{ current_bits }},
  parameter int ValueBits = {{ value_bits }},
  parameter int ClipW = {{ xbar_clip_bits }}
) (
  input  logic                    clk_i,
  // Serial programming port: one cell per cycle.
  input  logic                    prog_we_i,
  input  logic [$clog2(Rows)-1:0] prog_row_i,
  input  logic [$clog2(Cols)-1:0] prog_col_i,
  input  logic [CellW-1:0]        prog_level_i,
  // Serial read port: the level of one cell.
  input  logic [$clog2(Rows)-1:0] rd_row_i,
  input  logic [$clog2(Cols)-1:0] rd_col_i,
  output logic [CellW-1:0]        rd_level_o,
  // Outer-product update step: every cell of a driven row moves by its column's digit,
  // negated when upd_neg_i. upd_clips_o counts the cells that clipped at the previous step
  // (a model observable: it makes precision loss visible).
  input  logic                    upd_en_i,
  input  logic                    upd_neg_i,
  input  logic [Rows-1:0]         upd_row_i,
  input  logic [Cols*ValueBits-1:0] upd_digit_i,
  output logic [ClipW-1:0]        upd_clips_o,
  // Read: drive lines (rows, or columns when transpose_i), sample every sensed line current.
  input  logic                    transpose_i,
  input  logic [Lines*DrvW-1:0]   drive_i,
  input  logic                    sample_i,
  output logic [Lines*CurW-1:0]   held_o
);

  localparam int RowClipW = $clog2(Cols + 1);
  localparam int SumW = CellW + ValueBits + 2;
  localparam logic signed [SumW-1:0] CellMax = (SumW'(1) <<< (CellW - 1)) - SumW'(1);
  localparam logic signed [SumW-1:0] CellMin = -(SumW'(1) <<< (CellW - 1));

  // One flat vector, cell (r, c) at bits (r*Cols + c)*CellW, so that one process can update
  // every row in a loop (Verilator cannot delay-assign unpacked arrays in loops) without a copy
  // of the update logic per row, and Icarus can index it (no multi-dimensional packed selects).
  localparam int RowW = Cols * CellW;
  logic [Rows*RowW-1:0] cells_q;
  logic [ClipW-1:0]                     clips_q;
  // Packed, so that one loop can sample every line (Verilator cannot delay-assign unpacked
  // arrays in loops).
  logic [Lines*CurW-1:0]   held_q;

  // Power-up state: every cell at level 0, nothing held.
  initial begin
    for (int r = 0; r < Rows; r++) begin
      for (int c = 0; c < Cols; c++) begin
        cells_q[(r*Cols + c)*CellW +: CellW] = '0;
      end
    end
    clips_q = '0;
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
          lvl = CurW'($signed(cells_q[(r*Cols + o)*CellW +: CellW]));
          sum = sum + drv * lvl;
        end
      end
    end else begin
      if (o < Rows) begin
        for (int c = 0; c < Cols; c++) begin
          drv = CurW'($signed(drive_i[c*DrvW +: DrvW]));
          lvl = CurW'($signed(cells_q[(o*Cols + c)*CellW +: CellW]));
          sum = sum + drv * lvl;
        end
      end
    end
    line_current = sum;
  endfunction

  // A level after one update step by a column digit, before clipping.
  function automatic logic signed [SumW-1:0] moved(input logic [CellW-1:0] level,
                                                   input logic [ValueBits-1:0] digit);
    logic signed [SumW-1:0] step;
    step = SumW'({1'b0, digit});
    moved = SumW'($signed(level)) + (upd_neg_i ? -step : step);
  endfunction

  function automatic logic [RowW-1:0] updated_row(input logic [RowW-1:0] row);
    logic signed [SumW-1:0] v;
    updated_row = row;
    for (int c = 0; c < Cols; c++) begin
      v = moved(row[c*CellW +: CellW], upd_digit_i[c*ValueBits +: ValueBits]);
      if (v > CellMax) begin
        updated_row[c*CellW +: CellW] = CellW'(CellMax);
      end else if (v < CellMin) begin
        updated_row[c*CellW +: CellW] = CellW'(CellMin);
      end else begin
        updated_row[c*CellW +: CellW] = CellW'(v);
      end
    end
  endfunction

  function automatic logic [RowClipW-1:0] row_clips(input logic [RowW-1:0] row);
    logic signed [SumW-1:0] v;
    row_clips = '0;
    for (int c = 0; c < Cols; c++) begin
      v = moved(row[c*CellW +: CellW], upd_digit_i[c*ValueBits +: ValueBits]);
      if (v > CellMax || v < CellMin) begin
        row_clips = row_clips + RowClipW'(1);
      end
    end
  endfunction

  // Cells of all driven rows that clip in this update step.
  function automatic logic [ClipW-1:0] step_clips();
    step_clips = '0;
    for (int r = 0; r < Rows; r++) begin
      if (upd_row_i[r]) begin
        step_clips = step_clips + ClipW'(row_clips(cells_q[r*RowW +: RowW]));
      end
    end
  endfunction

  always_ff @(posedge clk_i) begin
    if (prog_we_i) begin
      cells_q[(32'(prog_row_i)*Cols + 32'(prog_col_i))*CellW +: CellW] <= prog_level_i;
    end else if (upd_en_i) begin
      for (int r = 0; r < Rows; r++) begin
        if (upd_row_i[r]) begin
          cells_q[r*RowW +: RowW] <= updated_row(cells_q[r*RowW +: RowW]);
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    clips_q <= upd_en_i ? step_clips() : '0;
  end

  assign upd_clips_o = clips_q;
  assign rd_level_o = cells_q[(32'(rd_row_i)*Cols + 32'(rd_col_i))*CellW +: CellW];

  always_ff @(posedge clk_i) begin
    if (sample_i) begin
      for (int l = 0; l < Lines; l++) begin
        held_q[l*CurW +: CurW] <= line_current(l);
      end
    end
  end

  assign held_o = held_q;

endmodule : pim_xbar

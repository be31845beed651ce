(* blackbox *)
module pim_xbar #(
  parameter int Rows  = 8,
  parameter int Cols  = 8,
  parameter int Lines = 8,
  parameter int CellW = 6,
  parameter int DrvW  = 2,
  parameter int CurW  = 8,
  parameter int ValueBits = 2,
  parameter int ClipW = 7,
  parameter int PulseW = 8,
  parameter int FracBits = 0,
  parameter int Kind = 0,
  parameter int C2cQ16 = 0,
  parameter int ReadQ16 = 0,
  parameter bit DevFiles = 1'b0,
  parameter bit HasRef = 1'b0,
  // Untyped: Icarus 11 has no string parameters.
  parameter DeviceDir = ".",
  parameter int SliceIndex = 0,
  parameter logic [31:0] Seed = 1,
  parameter logic signed [63:0] GMinNom = -(64'(1) <<< (CellW - 1 + FracBits)),
  parameter logic signed [63:0] GMaxNom =
      (64'(1) <<< (CellW - 1 + FracBits)) - (64'(1) <<< FracBits)
) (
  input  logic                    clk_i,
  // Index of the tile (a constant: it selects the device files and seeds the LFSRs).
  input  logic [pim_pkg::TileIdW-1:0] tile_i,
  // Serial programming port: one cell per cycle.
  input  logic                    prog_we_i,
  input  logic [$clog2(Rows)-1:0] prog_row_i,
  input  logic [$clog2(Cols)-1:0] prog_col_i,
  input  logic [CellW-1:0]        prog_level_i,
  // Serial read port: the level of one cell.
  input  logic [$clog2(Rows)-1:0] rd_row_i,
  input  logic [$clog2(Cols)-1:0] rd_col_i,
  output logic [CellW-1:0]        rd_level_o,
  // Update step: every cell of a driven row receives its column's digit as a train of pulses,
  // downward when the column's upd_neg_i bit is set. upd_clips_o and upd_pulses_o count the
  // cells whose train clipped and the pulses sent at the previous step (model observables: they
  // make precision loss and programming effort visible).
  input  logic                    upd_en_i,
  input  logic [Cols-1:0]         upd_neg_i,
  input  logic [Rows-1:0]         upd_row_i,
  input  logic [Cols*ValueBits-1:0] upd_digit_i,
  output logic [ClipW-1:0]        upd_clips_o,
  output logic [PulseW-1:0]       upd_pulses_o,
  // Read: drive lines (rows, or columns when transpose_i), sample every sensed line current.
  input  logic                    transpose_i,
  input  logic [Lines*DrvW-1:0]   drive_i,
  input  logic                    sample_i,
  output logic [Lines*CurW-1:0]   held_o
);

endmodule

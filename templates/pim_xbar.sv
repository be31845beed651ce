{{ header }}
// Behavioral analog model of one crossbar slice: Rows x Cols programmable devices (a
// differential pair per cell), a serial programming port and a serial read port, an in-array
// update that sends trains of programming pulses to the cells of the driven rows, and a read that
// drives rows (forward) or columns (transpose) with DAC values and samples the exact integer line
// currents into a sample-and-hold. Not synthesisable: synthesis replaces it by a black box.
//
// Devices (docs/hardware.md, "Devices"): a cell holds its conductance g in fine units (2^FracBits
// per level) and reads as the level g >>> FracBits. Programming is write-and-verify: g = level <<
// FracBits within the device's bounds. A pulse moves g by a constant step (Kind 0, ideal) or by a
// step that shrinks linearly toward the bound (Kind 1, soft bounds), scaled by cycle-to-cycle
// noise from the cell's own LFSR when C2cQ16 != 0. Per-cell bounds, steps and stuck-at faults
// come from DeviceDir/pim_dev_t<tile_i>_s<SliceIndex>.memh when DevFiles, else nominal values.
// With ReadQ16 != 0 every sampled line current gets read noise from the line's own LFSR. With
// HasRef (Tiki-Taka's A) every cell has a reference conductance, from
// DeviceDir/pim_ref_t<tile_i>_s<SliceIndex>.memh, subtracted before the level is taken:
// reads see (g - ref) >>> FracBits.
module pim_xbar #(
  parameter int Rows  = {{ rows }},
  parameter int Cols  = {{ cols }},
  parameter int Lines = {{ lines }},
  parameter int CellW = 6,
  parameter int DrvW  = {{ drive_bits }},
  parameter int CurW  = {{ current_bits }},
  parameter int ValueBits = {{ value_bits }},
  parameter int ClipW = {{ xbar_clip_bits }},
  parameter int PulseW = {{ xbar_pulse_bits }},
  parameter int FracBits = {{ frac_bits }},
  parameter int Kind = {{ device_kind }},
  parameter int C2cQ16 = {{ c2c_q16 }},
  parameter int ReadQ16 = {{ read_q16 }},
  parameter bit DevFiles = 1'b{{ dev_files }},
  parameter bit HasRef = 1'b0,
  // Untyped: Icarus 11 has no string parameters.
  parameter DeviceDir = ".",
  parameter int SliceIndex = 0,
  parameter logic [31:0] Seed = {{ device_seed }},
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


  localparam int Cells = Rows * Cols;
  localparam int GW = CellW + FracBits;
  localparam int IdxW = $clog2(Cells);
  // A cell's row-major index; unsigned (a size cast of a signed int would stay signed, and
  // Icarus reads an index at or above 2^(IdxW-1) as negative).
  typedef logic [IdxW-1:0] idx_t;

  // Event-driven evaluation: nothing is computed on a cycle without an event. The rising edge
  // latches a programming or update command (a few words); the falling edge that follows applies
  // it to the cells, so every rising-edge reader sees the cells as a register bank would (the
  // state after the previous rising edge's command). Line currents are summed only when a plane
  // is sampled, over the driven lines only, from a cached read level per cell that changes only
  // when the cell does.
  //
  // The cell arrays belong to the falling-edge process alone, which writes them with blocking
  // assignments: Verilator cannot delay-assign unpacked arrays in loops, and a packed vector
  // would be copied whole on every edge.

  // Device parameters of cell i: {stuck, step_down, step_up, g_max, g_min}, the device-file
  // entry (field positions and widths from pim_pkg).
  logic [pim_pkg::DevEntryW-1:0] dev_mem [Cells];
  // Reference conductance of every cell (fine units, signed), when HasRef.
  logic [31:0] ref_mem [HasRef ? Cells : 1];
  // Fine conductance of every cell, row-major; its read level (g - ref) >>> FracBits, the
  // operand of the line currents; its cycle-to-cycle noise LFSR, when there is noise.
  logic [GW-1:0]               g_mem [Cells];
  logic signed [CurW-1:0]      lvl_mem [Cells];
  logic [31:0]                 lfsr_mem [C2cQ16 != 0 ? Cells : 1];
  logic [Lines*32-1:0]         read_lfsr_q;
  logic [ClipW-1:0]            clips_q;
  logic [PulseW-1:0]           pulses_q;
  // Packed, so that one loop can sample every line.
  logic [Lines*CurW-1:0]       held_q;

  // The device model: pure functions of a cell's device-file entry (kept as functions of their
  // own by Verilator, so every tile's model shares their code). Each field reader reads its
  // field only.
  localparam int DevW = pim_pkg::DevEntryW;
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic longint g_min(input logic [DevW-1:0] dev);
    /* verilator no_inline_task */
    g_min = longint'($signed(dev[pim_pkg::DevGMinLsb +: pim_pkg::DevGMinW]));
  endfunction
  function automatic longint g_max(input logic [DevW-1:0] dev);
    /* verilator no_inline_task */
    g_max = longint'($signed(dev[pim_pkg::DevGMaxLsb +: pim_pkg::DevGMaxW]));
  endfunction
  function automatic longint step(input logic [DevW-1:0] dev, input logic down);
    /* verilator no_inline_task */
    step = down ? longint'(dev[pim_pkg::DevStepDownLsb +: pim_pkg::DevStepDownW])
                : longint'(dev[pim_pkg::DevStepUpLsb +: pim_pkg::DevStepUpW]);
  endfunction
  function automatic logic [pim_pkg::DevStuckW-1:0] stuck(input logic [DevW-1:0] dev);
    /* verilator no_inline_task */
    stuck = dev[pim_pkg::DevStuckLsb +: pim_pkg::DevStuckW];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // Write-and-verify programming of a cell to `level`.
  function automatic logic [GW-1:0] programmed(input logic [DevW-1:0] dev, input longint level);
    /* verilator no_inline_task */
    longint g;
    g = level <<< FracBits;
    if (stuck(dev) == pim_pkg::StuckOn || g > g_max(dev)) begin
      g = g_max(dev);
    end
    if (stuck(dev) == pim_pkg::StuckOff || g < g_min(dev)) begin
      g = g_min(dev);
    end
    programmed = GW'(g);
  endfunction

  // Sum of the four bytes minus NoiseOffset: zero-mean noise of one word.
  function automatic longint noise(input logic [31:0] w);
    /* verilator no_inline_task */
    noise = longint'(w[7:0]) + longint'(w[15:8]) + longint'(w[23:16]) + longint'(w[31:24])
            - longint'(pim_pkg::NoiseOffset);
  endfunction

  // The read level of a cell at conductance g with reference conductance `ref_g`.
  function automatic logic signed [CurW-1:0] level(input logic [GW-1:0] g,
                                                   input logic [31:0] ref_g);
    /* verilator no_inline_task */
    level = CurW'((longint'($signed(g)) - (HasRef ? longint'($signed(ref_g)) : 0)) >>> FracBits);
  endfunction

  // Power-up: device parameters loaded, every cell programmed to level 0, LFSRs seeded. The
  // tile's index is a port, tied to a constant by the array, so that every tile shares one
  // model: it selects the device files and seeds the LFSRs.
  initial begin
    if (DevFiles) begin
      $readmemh($sformatf("{{ device_file_format }}", DeviceDir, tile_i, SliceIndex), dev_mem);
    end else begin
      for (int i = 0; i < Cells; i++) begin
        dev_mem[i] = '0;
        dev_mem[i][pim_pkg::DevGMinLsb +: pim_pkg::DevGMinW] = pim_pkg::DevGMinW'(GMinNom);
        dev_mem[i][pim_pkg::DevGMaxLsb +: pim_pkg::DevGMaxW] = pim_pkg::DevGMaxW'(GMaxNom);
        dev_mem[i][pim_pkg::DevStepUpLsb +: pim_pkg::DevStepUpW] =
            pim_pkg::DevStepUpW'(64'(1) <<< FracBits);
        dev_mem[i][pim_pkg::DevStepDownLsb +: pim_pkg::DevStepDownW] =
            pim_pkg::DevStepDownW'(64'(1) <<< FracBits);
        dev_mem[i][pim_pkg::DevStuckLsb +: pim_pkg::DevStuckW] = pim_pkg::StuckNo;
      end
    end
    if (HasRef) begin
      $readmemh($sformatf("{{ reference_file_format }}", DeviceDir, tile_i, SliceIndex), ref_mem);
    end else begin
      ref_mem[0] = '0;
    end
    for (int i = 0; i < Cells; i++) begin
      g_mem[i] = programmed(dev_mem[i], 0);
      lvl_mem[i] = level(g_mem[i], ref_mem[HasRef ? i : 0]);
      lfsr_mem[C2cQ16 != 0 ? i : 0] = pim_pkg::seed_hash(Seed, 32'(tile_i), SliceIndex, i);
    end
    for (int l = 0; l < Lines; l++) begin
      read_lfsr_q[l*32 +: 32] = pim_pkg::seed_hash(Seed ^ pim_pkg::ReadSeed, 32'(tile_i),
                                                   SliceIndex, l);
    end
    clips_q = '0;
    pulses_q = '0;
    held_q = '0;
  end

  // A train of n pulses on a cell with device entry `dev`, conductance g and LFSR state l, one
  // pulse after the other through the device model, each with one LFSR word when there is noise
  // (stuck cells draw too, so the draw count never depends on the state); `clipped` when a pulse
  // clipped at a bound. A task (Icarus has no output arguments of functions).
  task automatic pulse_train(input logic [DevW-1:0] dev, input int n, input logic down,
                             inout longint g, inout logic [31:0] l, output logic clipped);
    /* verilator no_inline_task */
    longint dg, want;
    clipped = 1'b0;
    for (int k = 0; k < n; k++) begin
      if (C2cQ16 != 0) begin
        l = pim_pkg::lfsr_word(l);
      end
      if (Kind == 1) begin
        dg = down ? (step(dev, 1'b1) * (g - g_min(dev))) / -g_min(dev)
                  : (step(dev, 1'b0) * (g_max(dev) - g)) / g_max(dev);
        dg = (dg < 0) ? 0 : dg;
      end else begin
        dg = step(dev, down);
      end
      if (C2cQ16 != 0) begin
        dg = dg + ((dg * noise(l) * longint'(C2cQ16)) >>> 16);
      end
      want = down ? g - dg : g + dg;
      g = (want > g_max(dev)) ? g_max(dev) : (want < g_min(dev)) ? g_min(dev) : want;
      if (stuck(dev) == pim_pkg::StuckOn) begin
        g = g_max(dev);
      end else if (stuck(dev) == pim_pkg::StuckOff) begin
        g = g_min(dev);
      end else if (g != want) begin
        clipped = 1'b1;
      end
    end
  endtask

  // The command of the last rising edge: a programming write (it takes precedence over an
  // update step for the cells) or an update step.
  logic                    prog_q, upd_q;
  logic [IdxW-1:0]         prog_idx_q;
  logic [CellW-1:0]        prog_level_q;
  logic [Cols-1:0]         upd_neg_q;
  logic [Rows-1:0]         upd_row_q;
  logic [Cols*ValueBits-1:0] upd_digit_q;
  always_ff @(posedge clk_i) begin
    prog_q <= prog_we_i;
    upd_q  <= upd_en_i;
    if (prog_we_i) begin
      prog_idx_q   <= IdxW'(32'(prog_row_i) * Cols + 32'(prog_col_i));
      prog_level_q <= prog_level_i;
    end
    if (upd_en_i) begin
      upd_neg_q   <= upd_neg_i;
      upd_row_q   <= upd_row_i;
      upd_digit_q <= upd_digit_i;
    end
  end

  // Applies the command: every cell of the driven rows receives its column's digit as a train
  // of pulses; upd_clips_o and upd_pulses_o count the cells whose train clipped and the pulses
  // sent (zero after a cycle without an update step).
  // A plain `always`: a behavioral process (Icarus checks an always_ff body for synthesis, and
  // a train's pulse count is not a constant).
  /* verilator lint_off BLKSEQ */
  always @(negedge clk_i) begin
    // Within the cell's bounds after a train: its low GW bits are the conductance.
    /* verilator lint_off UNUSEDSIGNAL */
    longint g;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [31:0] l;
    logic clipped;
    logic [IdxW-1:0] i;
    int n;
    clips_q  = '0;
    pulses_q = '0;
    if (upd_q) begin
      for (int r = 0; r < Rows; r++) begin
        if (upd_row_q[r]) begin
          for (int c = 0; c < Cols; c++) begin
            n = 32'(upd_digit_q[c*ValueBits +: ValueBits]);
            if (n != 0) begin
              i = IdxW'(r * Cols + c);
              g = longint'($signed(g_mem[i]));
              l = lfsr_mem[C2cQ16 != 0 ? i : 0];
              pulse_train(dev_mem[i], n, upd_neg_q[c], g, l, clipped);
              if (!prog_q) begin
                g_mem[i] = GW'(g);
                lvl_mem[i] = level(g_mem[i], ref_mem[HasRef ? i : 0]);
                lfsr_mem[C2cQ16 != 0 ? i : 0] = l;
              end
              clips_q  = clips_q + ClipW'(clipped);
              pulses_q = pulses_q + PulseW'(n);
            end
          end
        end
      end
    end
    if (prog_q) begin
      g_mem[prog_idx_q] = programmed(dev_mem[prog_idx_q], longint'($signed(prog_level_q)));
      lvl_mem[prog_idx_q] = level(g_mem[prog_idx_q], ref_mem[HasRef ? prog_idx_q : 0]);
    end
  end
  /* verilator lint_on BLKSEQ */

  assign upd_clips_o = clips_q;
  assign upd_pulses_o = pulses_q;
  assign rd_level_o =
      CellW'(longint'($signed(g_mem[IdxW'(32'(rd_row_i) * Cols + 32'(rd_col_i))])) >>> FracBits);

  // Sample-and-hold: every sensed line's current, summed over the driven lines with a nonzero
  // drive, plus read noise (one word of the line's LFSR per sample) when ReadQ16 != 0.
  always_ff @(posedge clk_i) begin
    logic signed [CurW-1:0] sum [Lines];
    logic signed [CurW-1:0] drv;
    logic [31:0] w;
    if (sample_i) begin
      for (int l = 0; l < Lines; l++) begin
        sum[l] = '0;
      end
      if (!transpose_i) begin
        for (int r = 0; r < Rows; r++) begin
          drv = CurW'($signed(drive_i[r*DrvW +: DrvW]));
          if (drv != '0) begin
            for (int c = 0; c < Cols; c++) begin
              sum[c] = sum[c] + drv * lvl_mem[idx_t'(r * Cols + c)];
            end
          end
        end
      end else begin
        for (int c = 0; c < Cols; c++) begin
          drv = CurW'($signed(drive_i[c*DrvW +: DrvW]));
          if (drv != '0) begin
            for (int r = 0; r < Rows; r++) begin
              sum[r] = sum[r] + drv * lvl_mem[idx_t'(r * Cols + c)];
            end
          end
        end
      end
      for (int l = 0; l < Lines; l++) begin
        if (ReadQ16 != 0 && l < (transpose_i ? Rows : Cols)) begin
          w = pim_pkg::lfsr_word(read_lfsr_q[l*32 +: 32]);
          read_lfsr_q[l*32 +: 32] <= w;
          held_q[l*CurW +: CurW] <= sum[l] +
              CurW'((noise(w) * longint'(ReadQ16) + 64'sd32768) >>> 16);
        end else begin
          held_q[l*CurW +: CurW] <= sum[l];
        end
      end
    end
  end

  assign held_o = held_q;

endmodule : pim_xbar

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
// come from DeviceDir/pim_dev_t<TileIndex>_s<SliceIndex>.memh when DevFiles, else nominal values.
// With ReadQ16 != 0 every sampled line current gets read noise from the line's own LFSR. With
// HasRef (Tiki-Taka's A) every cell has a reference conductance, from
// DeviceDir/pim_ref_t<TileIndex>_s<SliceIndex>.memh, subtracted before the level is taken:
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
  parameter int TileIndex = 0,
  parameter int SliceIndex = 0,
  parameter logic [31:0] Seed = {{ device_seed }},
  parameter logic signed [63:0] GMinNom = -(64'(1) <<< (CellW - 1 + FracBits)),
  parameter logic signed [63:0] GMaxNom =
      (64'(1) <<< (CellW - 1 + FracBits)) - (64'(1) <<< FracBits)
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

  // Device parameters of cell i: {stuck, step_down, step_up, g_max, g_min}, the device-file
  // entry (field positions and widths from pim_pkg).
  logic [pim_pkg::DevEntryW-1:0] dev_mem [Cells];
  // Reference conductance of every cell (fine units, signed), when HasRef.
  logic [31:0] ref_mem [HasRef ? Cells : 1];
  // One flat vector of fine conductances, cell (r, c) at bits (r*Cols + c)*GW, so that one
  // process can update every row in a loop (Verilator cannot delay-assign unpacked arrays in
  // loops), and Icarus can index it (no multi-dimensional packed selects).
  localparam int RowW = Cols * GW;
  logic [Rows*RowW-1:0]  g_q;
  logic [Cells*32-1:0]   lfsr_q;
  logic [Lines*32-1:0]   read_lfsr_q;
  logic [ClipW-1:0]      clips_q;
  logic [PulseW-1:0]     pulses_q;
  // Packed, so that one loop can sample every line.
  logic [Lines*CurW-1:0] held_q;

  function automatic longint g_min(input logic [IdxW-1:0] i);
    g_min = longint'($signed(dev_mem[i][pim_pkg::DevGMinLsb +: pim_pkg::DevGMinW]));
  endfunction
  function automatic longint g_max(input logic [IdxW-1:0] i);
    g_max = longint'($signed(dev_mem[i][pim_pkg::DevGMaxLsb +: pim_pkg::DevGMaxW]));
  endfunction
  function automatic longint step(input logic [IdxW-1:0] i, input logic down);
    step = down ? longint'(dev_mem[i][pim_pkg::DevStepDownLsb +: pim_pkg::DevStepDownW])
                : longint'(dev_mem[i][pim_pkg::DevStepUpLsb +: pim_pkg::DevStepUpW]);
  endfunction
  function automatic logic [pim_pkg::DevStuckW-1:0] stuck(input logic [IdxW-1:0] i);
    stuck = dev_mem[i][pim_pkg::DevStuckLsb +: pim_pkg::DevStuckW];
  endfunction

  // Write-and-verify programming of cell i to `level`.
  function automatic logic [GW-1:0] programmed(input logic [IdxW-1:0] i, input longint level);
    longint g;
    g = level <<< FracBits;
    if (stuck(i) == pim_pkg::StuckOn || g > g_max(i)) begin
      g = g_max(i);
    end
    if (stuck(i) == pim_pkg::StuckOff || g < g_min(i)) begin
      g = g_min(i);
    end
    programmed = GW'(g);
  endfunction

  // Sum of the four bytes minus NoiseOffset: zero-mean noise of one word.
  function automatic longint noise(input logic [31:0] w);
    noise = longint'(w[7:0]) + longint'(w[15:8]) + longint'(w[23:16]) + longint'(w[31:24])
            - longint'(pim_pkg::NoiseOffset);
  endfunction

  // Seed of the LFSR of cell (or line) `index` of this tile's slice.
  function automatic logic [31:0] seed_hash(input logic [31:0] base, input int index);
    seed_hash = pim_pkg::seed_hash(base, TileIndex, SliceIndex, index);
  endfunction

  // Power-up: device parameters loaded, every cell programmed to level 0, LFSRs seeded.
  initial begin
    if (DevFiles) begin
      $readmemh($sformatf("{{ device_file_format }}", DeviceDir, TileIndex, SliceIndex), dev_mem);
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
      $readmemh($sformatf("{{ reference_file_format }}", DeviceDir, TileIndex, SliceIndex), ref_mem);
    end else begin
      ref_mem[0] = '0;
    end
    for (int i = 0; i < Cells; i++) begin
      g_q[i*GW +: GW] = programmed(IdxW'(i), 0);
      lfsr_q[i*32 +: 32] = seed_hash(Seed, i);
    end
    for (int l = 0; l < Lines; l++) begin
      read_lfsr_q[l*32 +: 32] = seed_hash(Seed ^ pim_pkg::ReadSeed, l);
    end
    clips_q = '0;
    pulses_q = '0;
    held_q = '0;
  end

  function automatic longint reference(input int i);
    reference = HasRef ? longint'($signed(ref_mem[HasRef ? i : 0])) : 0;
  endfunction

  function automatic logic signed [CurW-1:0] level(input int r, input int c);
    level = CurW'((longint'($signed(g_q[(r*Cols + c)*GW +: GW])) - reference(r*Cols + c))
                  >>> FracBits);
  endfunction

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
          lvl = level(r, o);
          sum = sum + drv * lvl;
        end
      end
    end else begin
      if (o < Rows) begin
        for (int c = 0; c < Cols; c++) begin
          drv = CurW'($signed(drive_i[c*DrvW +: DrvW]));
          lvl = level(o, c);
          sum = sum + drv * lvl;
        end
      end
    end
    line_current = sum;
  endfunction

  // A train of n pulses on cell i from conductance g0 and LFSR state l0, one pulse after the
  // other through the device model, each with one LFSR word when there is noise (stuck cells
  // draw too, so the draw count never depends on the state). Returns {clipped, lfsr, g}.
  function automatic logic [96:0] pulse_train(input logic [IdxW-1:0] i, input longint g0,
                                              input logic [31:0] l0, input logic down,
                                              input int n);
    longint g, dg, want;
    logic [31:0] l;
    logic clipped;
    g = g0;
    l = l0;
    clipped = 1'b0;
    for (int k = 0; k < n; k++) begin
      if (C2cQ16 != 0) begin
        l = pim_pkg::lfsr_word(l);
      end
      if (Kind == 1) begin
        dg = down ? (step(i, 1'b1) * (g - g_min(i))) / -g_min(i)
                  : (step(i, 1'b0) * (g_max(i) - g)) / g_max(i);
        dg = (dg < 0) ? 0 : dg;
      end else begin
        dg = step(i, down);
      end
      if (C2cQ16 != 0) begin
        dg = dg + ((dg * noise(l) * longint'(C2cQ16)) >>> 16);
      end
      want = down ? g - dg : g + dg;
      g = (want > g_max(i)) ? g_max(i) : (want < g_min(i)) ? g_min(i) : want;
      if (stuck(i) == pim_pkg::StuckOn) begin
        g = g_max(i);
      end else if (stuck(i) == pim_pkg::StuckOff) begin
        g = g_min(i);
      end else if (g != want) begin
        clipped = 1'b1;
      end
    end
    pulse_train = {clipped, l, g};
  endfunction

  // Every cell of the driven rows receives its column's digit as a train of pulses.
  logic [Rows*RowW-1:0] g_upd;
  logic [Cells*32-1:0]  lfsr_upd;
  logic [ClipW-1:0]     clips_upd;
  logic [PulseW-1:0]    pulses_upd;
  // `always @*`, not always_comb: Icarus 11 builds always_comb's implicit sensitivity from the
  // device-model functions' bodies too and leaves one of their variables unresolved, so the
  // model would not run there. Everything the block reads that changes is read in it directly
  // (the device table is fixed after power-up).
  always @* begin
    logic [96:0] t;
    logic [IdxW-1:0] i;
    int n;
    t = '0;
    i = '0;
    n = 0;
    g_upd = g_q;
    lfsr_upd = lfsr_q;
    clips_upd = '0;
    pulses_upd = '0;
    if (upd_en_i) begin
      for (int r = 0; r < Rows; r++) begin
        for (int c = 0; c < Cols; c++) begin
          n = 32'(upd_digit_i[c*ValueBits +: ValueBits]);
          if (upd_row_i[r] && n != 0) begin
            i = IdxW'(r * Cols + c);
            t = pulse_train(i, longint'($signed(g_q[i*GW +: GW])), lfsr_q[i*32 +: 32],
                            upd_neg_i[c], n);
            g_upd[i*GW +: GW] = GW'(t[63:0]);
            lfsr_upd[i*32 +: 32] = t[95:64];
            clips_upd = clips_upd + ClipW'(t[96]);
            pulses_upd = pulses_upd + PulseW'(n);
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (prog_we_i) begin
      g_q[(32'(prog_row_i)*Cols + 32'(prog_col_i))*GW +: GW] <=
          programmed({prog_row_i, prog_col_i}, longint'($signed(prog_level_i)));
    end else if (upd_en_i) begin
      g_q    <= g_upd;
      lfsr_q <= lfsr_upd;
    end
    clips_q  <= upd_en_i ? clips_upd : '0;
    pulses_q <= upd_en_i ? pulses_upd : '0;
  end

  assign upd_clips_o = clips_q;
  assign upd_pulses_o = pulses_q;
  assign rd_level_o =
      CellW'(longint'($signed(g_q[(32'(rd_row_i)*Cols + 32'(rd_col_i))*GW +: GW])) >>> FracBits);

  // Sample-and-hold: every sensed line's current, plus read noise (one word of the line's LFSR
  // per sample) when ReadQ16 != 0.
  always_ff @(posedge clk_i) begin
    logic [31:0] w;
    if (sample_i) begin
      for (int l = 0; l < Lines; l++) begin
        if (ReadQ16 != 0 && l < (transpose_i ? Rows : Cols)) begin
          w = pim_pkg::lfsr_word(read_lfsr_q[l*32 +: 32]);
          read_lfsr_q[l*32 +: 32] <= w;
          held_q[l*CurW +: CurW] <= line_current(l) +
              CurW'((noise(w) * longint'(ReadQ16) + 64'sd32768) >>> 16);
        end else begin
          held_q[l*CurW +: CurW] <= line_current(l);
        end
      end
    end
  end

  assign held_o = held_q;

endmodule : pim_xbar

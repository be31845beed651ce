{{ header }}
// Cost event counters: one saturating CntW-bit counter per event the cost tables price (status
// words StatEvents + e, in the order of pimforge_golden::events::Event; cleared by CLEAR). The
// datapath events are counted from the strobes of the tile controller as they happen: a plane
// sampled (DAC drives, array reads), a line group converted (ADC conversions) and added (shift
// and add), an OPA bit-step, a CRS cell read, a cell written. The work of the update units
// (accumulator updates, update steps of a mixed-precision transfer, a Tiki-Taka pulse or
// transfer, the low-rank unit's ABSORB) is counted when their command is accepted; the low-rank
// unit's writes of its terms into the buffers count as buffer accesses as they happen.
module pim_events #(
  parameter int Rows     = {{ rows }},
  parameter int Cols     = {{ cols }},
  parameter int Slices   = {{ slices }},
  parameter int NumAdc   = {{ adcs }},
  parameter bit HasMixed = 1'b{{ has_mixed }},
  parameter bit HasTiki  = 1'b{{ has_tiki }},
  parameter bit HasLowRank = 1'b{{ has_lowrank }},
  parameter int Rank     = {{ lowrank.rank }}
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  input  logic                                   clear_i,
  // Products: a plane sampled (stage 1), a line group converted (stage 2) and added (stage 3).
  input  logic                                   sample_i,
  input  logic                                   transpose_i,
  input  logic                                   read_a_i,
  input  logic                                   adc_valid_i,
  input  logic                                   acc_valid_i,
  // Updates and serial accesses.
  input  logic                                   opa_step_i,
  input  logic                                   crs_read_i,
  input  logic [Slices-1:0]                      prog_we_i,
  // The command accepted this cycle, whether it was a buffer access in range, and whether the
  // Tiki-Taka unit took it without an error.
  input  logic                                   accept_i,
  input  logic [pim_pkg::OpW-1:0]                op_i,
  // The command's data (a PULSE's slot count), CntW bits.
  input  logic [pim_pkg::CntW-1:0]               data_i,
  input  logic                                   buffer_i,
  input  logic                                   tiki_ok_i,
  output logic [pim_pkg::EventCount*pim_pkg::CntW-1:0] events_o
);

  localparam int CntW  = pim_pkg::CntW;
  localparam int N     = pim_pkg::EventCount;
  localparam int Codes = Slices * NumAdc;
  // Each event's index (its status word less the first event's).
  localparam int EDac       = pim_pkg::StatDacDrives - pim_pkg::StatEvents;
  localparam int EFwd       = pim_pkg::StatForwardReads - pim_pkg::StatEvents;
  localparam int ETrans     = pim_pkg::StatTransposeReads - pim_pkg::StatEvents;
  localparam int EConv      = pim_pkg::StatConversions - pim_pkg::StatEvents;
  localparam int EShiftAdd  = pim_pkg::StatShiftAdds - pim_pkg::StatEvents;
  localparam int EUpdate    = pim_pkg::StatUpdateSteps - pim_pkg::StatEvents;
  localparam int ECellRead  = pim_pkg::StatCellReads - pim_pkg::StatEvents;
  localparam int ECellWrite = pim_pkg::StatCellWrites - pim_pkg::StatEvents;
  localparam int EAcc       = pim_pkg::StatAccUpdates - pim_pkg::StatEvents;
  localparam int EBuffer    = pim_pkg::StatBufferAccesses - pim_pkg::StatEvents;

  // The increment of every event in this cycle, event e at bits [e*CntW +: CntW].
  logic [N*CntW-1:0] inc;
  logic              mixed_xfer, tiki_xfer, pulse;
  assign mixed_xfer = HasMixed && !HasTiki && accept_i && op_i == pim_pkg::OpTransfer;
  assign tiki_xfer  = HasTiki && accept_i && op_i == pim_pkg::OpTransfer;
  assign pulse      = HasTiki && accept_i && op_i == pim_pkg::OpPulse && tiki_ok_i;

  always_comb begin
    inc = '0;
    if (sample_i) begin
      inc[EDac*CntW +: CntW] = CntW'((transpose_i && !read_a_i) ? Cols : Rows);
      if (transpose_i) begin
        inc[ETrans*CntW +: CntW] = CntW'(Slices);
      end else begin
        inc[EFwd*CntW +: CntW] = read_a_i ? CntW'(1) : CntW'(Slices);
      end
    end
    if (adc_valid_i) begin
      inc[EConv*CntW +: CntW] = CntW'(Codes){% if fault.event_count %} - CntW'(1){% endif %};
    end
    if (acc_valid_i) begin
      inc[EShiftAdd*CntW +: CntW] = CntW'(Codes);
    end
    inc[EUpdate*CntW +: CntW] = (opa_step_i ? CntW'(Slices) : '0)
        + (mixed_xfer ? CntW'(Rows) : '0) + (tiki_xfer ? CntW'(1) : '0)
        + (pulse ? data_i : '0);
    if (crs_read_i) begin
      inc[ECellRead*CntW +: CntW] = CntW'(Slices);
    end
    for (int m = 0; m < Slices; m++) begin
      inc[ECellWrite*CntW +: CntW] = inc[ECellWrite*CntW +: CntW] + CntW'(prog_we_i[m]);
    end
    if ((HasMixed && accept_i && op_i == pim_pkg::OpAccumulate) || mixed_xfer) begin
      inc[EAcc*CntW +: CntW] = CntW'(Rows * Cols);
    end else if (tiki_xfer) begin
      inc[EAcc*CntW +: CntW] = CntW'(Cols);
    end else if (HasLowRank && accept_i && op_i == pim_pkg::OpAbsorb) begin
      inc[EAcc*CntW +: CntW] = CntW'(Rank * (Rows + Cols));
    end
    if (buffer_i) begin
      inc[EBuffer*CntW +: CntW] = CntW'(1);
    end
  end

  pim_counters #(
    .N (N),
    .W (CntW)
  ) u_counters (
    .clk_i,
    .rst_ni,
    .clear_i,
    .inc_i   (inc),
    .count_o (events_o)
  );

endmodule : pim_events

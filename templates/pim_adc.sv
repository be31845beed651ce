{{ header }}
// ADC bank of one slice: NumAdc converters, each shared by Share lines of the sample-and-hold
// (converter j reads line j*Share + sel_i). code = clip(round_half_up(I / 2^StepLog2)) in AdcW
// signed bits; every clipped conversion raises its clip flag. Codes and flags are registered.
module pim_adc #(
  parameter int Lines    = {{ lines }},
  parameter int Share    = {{ share }},
  parameter int NumAdc   = {{ adcs }},
  parameter int SelW     = {{ sel_bits }},
  parameter int CurW     = {{ current_bits }},
  parameter int AdcW     = {{ adc_bits }},
  parameter int StepLog2 = {{ step_log2 }}
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     valid_i,
  input  logic [SelW-1:0]          sel_i,
  input  logic [Lines*CurW-1:0]    held_i,
  output logic [NumAdc*AdcW-1:0]   code_o,
  output logic [NumAdc-1:0]        clip_o
);

  // Wide enough for the rounding add and for both code bounds, so comparisons never truncate.
  localparam int CmpW = ((CurW + 1 > AdcW) ? CurW + 1 : AdcW) + 1;
  localparam logic signed [CmpW-1:0] Half    = (StepLog2 == 0) ? '0 : CmpW'(1) <<< (StepLog2 - 1);
  localparam logic signed [CmpW-1:0] CodeMax = (CmpW'(1) <<< (AdcW - 1)) - CmpW'(1);
  localparam logic signed [CmpW-1:0] CodeMin = -(CmpW'(1) <<< (AdcW - 1));

  logic [NumAdc*AdcW-1:0] code_d, code_q;
  logic [NumAdc-1:0]      clip_d, clip_q;
  // The line of each converter's group that this conversion samples.
  localparam int GroupW = (Share > 1) ? $clog2(Share) : 1;
  logic [GroupW-1:0] sel;
  assign sel = (Share > 1) ? GroupW'(32'(sel_i) % Share) : '0;

  // Converter j owns lines j*Share .. j*Share+Share-1 and converts line j*Share + sel_i. A
  // conversion is computed only when valid_i latches it; in every other cycle the next codes
  // are held at zero.
  // The held currents are copied once: Verilator would otherwise rebuild a port driven by an
  // expression for every select in the loop.
  always_comb begin
    logic signed [CmpW-1:0]  rounded;
    logic [Lines*CurW-1:0]   held;
    logic [Share*CurW-1:0]   group;
    rounded = '0;
    held    = '0;
    group   = '0;
    code_d  = '0;
    clip_d  = '0;
    if (valid_i) begin
      held = held_i;
      for (int j = 0; j < NumAdc; j++) begin
        // Converter j's lines first (a constant select), then the selected one: a narrow select
        // that synthesis folds away when Share is 1.
        group   = held[j*Share*CurW +: Share*CurW];
        rounded = (CmpW'($signed(group[32'(sel)*CurW +: CurW])) + Half) >>> StepLog2;
        clip_d[j] = rounded > CodeMax || rounded < CodeMin;
        code_d[j*AdcW +: AdcW] = rounded > CodeMax ? AdcW'(CodeMax)
                               : rounded < CodeMin ? AdcW'(CodeMin) : AdcW'(rounded);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      code_q <= '0;
      clip_q <= '0;
    end else if (valid_i) begin
      code_q <= code_d;
      clip_q <= clip_d;
    end
  end

  assign code_o = code_q;
  assign clip_o = clip_q;

endmodule : pim_adc

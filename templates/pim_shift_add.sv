{{ header }}
// Shift-and-add unit: one accumulator per line. For every ADC j, the codes of all slices are
// combined as sum_m code_m * 2^(ValueBits*m), shifted by the plane weight 2^(DacW*plane) and the
// ADC step 2^StepLog2, and added to the accumulator of line j*Share + sel_i. AccW is derived by
// the generator from the reachable code ranges, so the sum never overflows.
module pim_shift_add #(
  parameter int Lines     = {{ lines }},
  parameter int Share     = {{ share }},
  parameter int NumAdc    = {{ adcs }},
  parameter int SelW      = {{ sel_bits }},
  parameter int Slices    = {{ slices }},
  parameter int AdcW      = {{ adc_bits }},
  parameter int AccW      = {{ acc_bits }},
  parameter int ValueBits = {{ value_bits }},
  parameter int DacW      = {{ dac_bits }},
  parameter int PlaneW    = {{ plane_bits }},
  parameter int StepLog2  = {{ step_log2 }}
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          clear_i,
  input  logic                          valid_i,
  input  logic [PlaneW-1:0]             plane_i,
  input  logic [SelW-1:0]               sel_i,
  // Code of slice m, converter j at bits ((m*NumAdc)+j)*AdcW.
  input  logic [Slices*NumAdc*AdcW-1:0] code_i,
  // Read port: line rd_line_i's accumulator while rd_i is set, else zero.
  input  logic                          rd_i,
  input  logic [$clog2(Lines)-1:0]      rd_line_i,
  output logic [AccW-1:0]               rd_data_o
);

  // The accumulators as a memory of Share words, one per converter group: word s holds the
  // lines j*Share + s of every converter j. A conversion adds to one word; a clear only drops
  // the words' valid bits (a word not written since reads zero).
  localparam int GroupW = $clog2(Share) > 0 ? $clog2(Share) : 1;
  localparam int WordW  = NumAdc * AccW;

  logic [WordW-1:0]  acc_q [Share];
  logic [WordW-1:0]  acc_sum;
  logic [Share-1:0]  set_q;
  logic [GroupW-1:0] group;

  assign group = GroupW'(sel_i);

  // Word `group` after a conversion: for every converter j, the codes of all slices combined,
  // shifted by the plane weight and the ADC step, added to the line's accumulator (zero when the
  // word is not valid). Computed only when valid_i adds it; in every other cycle it is zero.
  // The codes are copied once: Verilator would otherwise rebuild the port's concatenation of
  // the slices' registers for every select in the loop.
  always_comb begin
    logic signed [AccW-1:0]        partial;
    logic [Slices*NumAdc*AdcW-1:0] codes;
    partial = '0;
    // A zero default of the codes' width (wider than 8k bits on 128 lines: not a mistake).
    /* verilator lint_off WIDTHCONCAT */
    codes   = '0;
    /* verilator lint_on WIDTHCONCAT */
    acc_sum = '0;
    if (valid_i) begin
      codes   = code_i;
      acc_sum = set_q[group] ? acc_q[group] : '0;
      for (int j = 0; j < NumAdc; j++) begin
        partial = '0;
        for (int m = 0; m < Slices; m++) begin
          partial = partial
              + (AccW'($signed(codes[(m*NumAdc + j)*AdcW +: AdcW])) <<< (ValueBits*m));
        end
        acc_sum[j*AccW +: AccW] = acc_sum[j*AccW +: AccW]
            + (partial <<< (DacW*32'(plane_i) + StepLog2));
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      set_q <= '0;
    end else if (clear_i) begin
{%- if fault.acc_valid %}
      // Fault: the clear keeps word 0's valid bit.
      set_q <= set_q & Share'(1);
{%- else %}
      set_q <= '0;
{%- endif %}
    end else if (valid_i) begin
      set_q[group] <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (valid_i && !clear_i) begin
      acc_q[group] <= acc_sum
{%- if let Some(f) = fault.acc_bit %}
          // Fault: one bit of line {{ f.line }}'s sum flips in plane {{ f.plane }}.
          ^ ((32'(sel_i) == {{ f.line }} % Share && 32'(plane_i) == {{ f.plane }})
                 ? WordW'(1) << ({{ f.line }} / Share * AccW + {{ f.bit }}) : '0)
{%- endif %};
    end
  end

  // Line l is word l % Share, converter l / Share. The converter is picked by a loop of constant
  // part-selects, which synthesis builds as one multiplexer of AccW bits (a variable part-select
  // of the word would be a shifter over all of it); the loop runs only in a read.
  localparam int ConvW = $clog2(NumAdc) > 0 ? $clog2(NumAdc) : 1;
  logic [GroupW-1:0] rd_group;
  logic [ConvW-1:0]  rd_conv;
  assign rd_group = GroupW'(32'(rd_line_i) % Share);
  assign rd_conv  = ConvW'(32'(rd_line_i) / Share);
  always_comb begin
    rd_data_o = '0;
    if (rd_i && set_q[rd_group]) begin
      for (int j = 0; j < NumAdc; j++) begin
        if (32'(rd_conv) == j) rd_data_o = acc_q[rd_group][j*AccW +: AccW];
      end
    end
  end

endmodule : pim_shift_add

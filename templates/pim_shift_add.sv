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
  input  logic [$clog2(Lines)-1:0]      rd_line_i,
  output logic [AccW-1:0]               rd_data_o
);

  logic signed [AccW-1:0] acc_q [Lines];
  logic signed [AccW-1:0] term [NumAdc];

  // The terms are used only when valid_i adds them; in every other cycle they are held at zero.
  for (genvar j = 0; j < NumAdc; j++) begin : g_term
    always_comb begin
      logic signed [AccW-1:0] partial;
      partial = '0;
      term[j] = '0;
      if (valid_i) begin
        for (int m = 0; m < Slices; m++) begin
          partial = partial
              + (AccW'($signed(code_i[(m*NumAdc + j)*AdcW +: AdcW])) <<< (ValueBits*m));
        end
        term[j] = partial <<< (DacW*32'(plane_i) + StepLog2);
      end
    end
  end

  // Line l is served by converter l / Share in group l % Share.
  for (genvar l = 0; l < Lines; l++) begin : g_acc
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        acc_q[l] <= '0;
      end else if (clear_i) begin
        acc_q[l] <= '0;
      end else if (valid_i && 32'(sel_i) == l % Share) begin
        acc_q[l] <= acc_q[l] + term[l / Share]
{%- if let Some(f) = fault.acc_bit %}
            ^ ((l == {{ f.line }} && 32'(plane_i) == {{ f.plane }}) ? (AccW'(1) << {{ f.bit }})
                                                                   : '0)
{%- endif %};
      end
    end
  end

  assign rd_data_o = acc_q[rd_line_i];

endmodule : pim_shift_add

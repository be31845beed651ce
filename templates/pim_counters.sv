{{ header }}
// A bank of N saturating W-bit event counters: counter e adds inc_i[e*W +: W] every cycle and
// is zeroed by clear_i (flat vectors: Yosys 0.23 reads no packed 2-D ports). The tile's cost
// events (pim_events) and the solver's (pim_refine) count with it.
module pim_counters #(
  parameter int N = pim_pkg::EventCount,
  parameter int W = pim_pkg::CntW
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  input  logic           clear_i,
  input  logic [N*W-1:0] inc_i,
  output logic [N*W-1:0] count_o
);

  for (genvar e = 0; e < N; e++) begin : g_count
    logic [W-1:0] count_q;
    logic [W:0]   sum;
    assign sum = {1'b0, count_q} + {1'b0, inc_i[e*W +: W]};
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        count_q <= '0;
      end else if (clear_i) begin
        count_q <= '0;
      end else begin
        count_q <= sum[W] ? '1 : sum[W-1:0];
      end
    end
    assign count_o[e*W +: W] = count_q;
  end

endmodule : pim_counters

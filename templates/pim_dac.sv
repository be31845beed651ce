{{ header }}
// DAC interface: drives every line with digit `plane_i` of its input, DacW bits per plane, least
// significant plane first. Lower planes are unsigned; the top plane is the signed digit (for
// 1-bit DACs: the MSB plane drives 0 or -1), so that the planes sum to the two's-complement input.
module pim_dac #(
  parameter int Lines  = {{ lines }},
  parameter int InW    = {{ input_bits }},
  parameter int DacW   = {{ dac_bits }},
  parameter int Planes = {{ planes }},
  parameter int PlaneW = {{ plane_bits }}
) (
  // The drive is read only when a plane is sampled; in every other cycle it is held at zero.
  input  logic                      valid_i,
  input  logic [Lines*InW-1:0]      x_i,
  input  logic [PlaneW-1:0]         plane_i,
  output logic [Lines*(DacW+1)-1:0] drive_o
);

  logic top_plane;
  assign top_plane = ({1'b0, plane_i} == (PlaneW+1)'(Planes - 1));

  // Each line's digit `plane_i` of its input, sign-extended on the top plane. The inputs are
  // copied once (a port driven by an expression would be rebuilt for every select).
  always_comb begin
    logic [Lines*InW-1:0] x;
    logic [InW-1:0]       word;
    logic [DacW-1:0]      digit;
    x       = '0;
    word    = '0;
    digit   = '0;
    drive_o = '0;
    if (valid_i) begin
      x = x_i;
      for (int l = 0; l < Lines; l++) begin
        word  = x[l*InW +: InW];
        digit = word[DacW*32'(plane_i) +: DacW];
        drive_o[l*(DacW+1) +: DacW+1] = {top_plane & digit[DacW-1], digit};
      end
    end
  end

endmodule : pim_dac

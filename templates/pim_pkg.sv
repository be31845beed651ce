{{ header }}
// The hardware contract the RTL shares with the golden model (pimforge_golden::protocol):
// opcodes, error flags, status words, solve status codes, the device-file entry, the noise
// LFSRs' taps, next-word function and seed hash, and fixed widths. Every module uses qualified
// names (pim_pkg::OpMvm); none keeps a copy. A design uses only the constants of the units it
// has (an array without a solver has no status codes): the waiver covers this package only.
/* verilator lint_off UNUSEDPARAM */
package pim_pkg;
{%- for c in package %}
{%- if !c.doc.is_empty() %}
  // {{ c.doc }}
{%- endif %}
  localparam {{ c.ty }} {{ c.name }} = {{ c.value }};
{%- endfor %}

  // The next word of a noise LFSR: 32 steps of the Galois form (golden::lfsr::Lfsr::word) at
  // once, as shifts and XORs derived from the taps (golden::lfsr::WordShifts): `b` becomes the
  // 32 bits the steps shift out, one multiplication by a sparse factor per line, and the word
  // is the XOR of `b` shifted right by 31 minus each tap.
  function automatic logic [31:0] lfsr_word(input logic [31:0] state);
    /* verilator no_inline_task */
    logic [31:0] b;
    b = state;
{%- for stage in lfsr_stages %}
    b = {{ stage }};
{%- endfor %}
    lfsr_word = {{ lfsr_word }};
  endfunction

  // The seed of the LFSR of cell or line `index` of slice `slice` of tile `tile`; zero becomes 1
  // (golden::protocol::seed_hash).
  function automatic logic [31:0] seed_hash(input logic [31:0] base, input int tile,
                                            input int slice, input int index);
    /* verilator no_inline_task */
    logic [31:0] s;
    s = base ^ (((32'(tile) << SeedTileShift) ^ (32'(slice) << SeedSliceShift) ^ 32'(index))
                * SeedMul);
    seed_hash = (s == '0) ? 32'd1 : s;
  endfunction
endpackage : pim_pkg
/* verilator lint_on UNUSEDPARAM */

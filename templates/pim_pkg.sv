{{ header }}
// The hardware contract the RTL shares with the golden model (pimforge_golden::protocol):
// opcodes, error flags, status words, solve status codes, the device-file entry, the noise
// LFSRs' taps and seed hash, and fixed widths. Every module uses qualified names
// (pim_pkg::OpMvm); none keeps a copy. A design uses only the constants of the units it has
// (an array without a solver has no status codes): the waiver covers this package only.
/* verilator lint_off UNUSEDPARAM */
package pim_pkg;
{%- for c in package %}
{%- if !c.doc.is_empty() %}
  // {{ c.doc }}
{%- endif %}
  localparam {{ c.ty }} {{ c.name }} = {{ c.value }};
{%- endfor %}
endpackage : pim_pkg
/* verilator lint_on UNUSEDPARAM */

//! pimforge: a generator of parameterised SystemVerilog for ReRAM processing-in-memory training
//! tiles and arrays of them, with a lock-step Verilator harness (crate `pimforge-tb`) against the
//! golden model (crate `pimforge-golden`) and a Yosys synthesis flow.

pub mod config;
pub mod design;
pub mod emit;
pub mod load;
pub mod output;
pub mod plot;
pub mod presets;
pub mod refine;
pub mod synth;
pub mod tools;
pub mod train;
pub mod verify;

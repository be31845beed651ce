//! The pimforge generator: a config (YAML, presets, validation), the design object built from it
//! once, and the emitter that renders its SystemVerilog from the templates (one typed context per
//! template family) and writes it atomically. Data flows one way: config, design, files.

pub mod config;
pub mod design;
pub mod emit;
pub mod fault;
pub mod load;
pub mod output;
pub mod presets;

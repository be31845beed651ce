//! The pimforge flows on a design: Verilated builds and lock-step verification ([`verify`]),
//! Yosys synthesis ([`synth`]), the external tools they need ([`tools`]) and the commands that
//! replay a failing run ([`replay`]).

pub mod replay;
pub mod synth;
pub mod tools;
pub mod verify;

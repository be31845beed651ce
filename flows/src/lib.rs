//! The pimforge flows on a design: Verilated builds and lock-step verification ([`verify`]),
//! Yosys synthesis ([`synth`]), the external tools they need ([`tools`]) and the commands that
//! replay a failing run ([`replay`]), and the mutation operators of a campaign ([`mutate`]).

pub mod mutate;
pub mod replay;
pub mod synth;
pub mod tools;
pub mod verify;

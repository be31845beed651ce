//! The Verilator side of pimforge: a C ABI shim around the Verilated model ([`verilate`],
//! [`dut`]), stimulus from one seed ([`stimulus`]), and the lock-step run that compares the DUT
//! with the golden model on every cycle and checks every response with a scoreboard
//! ([`lockstep`]); an interactive lock-step [`session`] for host programs.

pub mod dut;
pub mod inv;
pub mod lockstep;
pub mod ports;
pub mod refine;
pub mod session;
pub mod stimulus;
pub mod unit;
pub mod vcd;
pub mod verilate;

pub use lockstep::{run, run_bare, Cause, Design, Mismatch, Options, Summary};
pub use session::Session;
pub use stimulus::{generate, Stimulus};

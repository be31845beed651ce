//! The Verilator side of pimforge: a C ABI shim around the Verilated model ([`verilate`],
//! [`dut`]), the one lock-step engine that steps any unit against its golden cycle model through
//! the unit's port tables ([`bench`]), stimulus from one seed ([`stimulus`]), and the runs built
//! on the engine: the array's random regression with its scoreboard ([`lockstep`]), an
//! interactive [`session`] for host programs, and the INV crossbar's and solver's runs ([`inv`],
//! [`refine`]).

pub mod bench;
pub mod bins;
pub mod coverage;
pub mod dut;
pub mod icarus;
pub mod inv;
pub mod lockstep;
pub mod lowrank;
pub mod mismatch;
pub mod options;
pub mod pipeline;
pub mod program;
pub mod refine;
pub mod session;
pub mod stimulus;
pub mod summary;
pub mod verilate;
pub mod waves;

pub use bench::{ports, Bench};
pub use coverage::{Bin, Coverage};
pub use lockstep::{run, run_bare, run_stream, ArrayBuild, Cause, Mismatch, Options, Summary};
pub use session::Session;
pub use stimulus::{generate, Stimulus, Stream};
pub use waves::{WaveFormat, Waves};

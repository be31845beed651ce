//! The integration tests: one binary whose modules are the files of `tests/` (Cargo's
//! autodiscovery is off), so that the tests are linked once and libtest runs the tests of every
//! file side by side on the machine's cores. One file's tests: `cargo test --release --test
//! integration lockstep::`.

mod common;

mod bad_input;
mod cli;
mod deploy;
mod docs;
mod fusesoc;
mod fuzz;
mod icarus;
mod inv;
mod layout;
mod lockstep;
mod lost_work;
mod lowrank;
mod pipeline;
mod refine;
mod regress;
mod replay;
mod reports;
mod robustness;
mod slurm;
mod snapshots;
mod sweep;
mod train;
mod waves;

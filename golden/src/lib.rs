//! Golden model of the pimforge processing-in-memory tile.
//!
//! This crate is the executable form of the project's SPEC: every rule the hardware implements
//! exists here first as a plain function ([`num`], [`adc`], [`mvm`]), with unit tests that check
//! exact identities against big-integer arithmetic. On top of those functions, [`tile`] and
//! [`array`] are cycle-level models that predict every output of the generated RTL on every
//! cycle; the lock-step harness compares the two.
//!
//! The crate is pure Rust and does not depend on Verilator.

pub mod adc;
pub mod array;
pub mod cells;
pub mod device;
pub mod inv;
pub mod lfsr;
pub mod mixed;
pub mod mvm;
pub mod num;
pub mod opa;
pub mod protocol;
pub mod refine_tile;
pub mod shape;
pub mod tile;

pub use array::{ArrayIn, ArrayModel, ArrayOut};
pub use cells::Cells;
pub use mvm::{mvm, Direction, MvmResult};
pub use shape::{AdcShape, DeviceShape, MixedShape, TileShape};
pub use tile::{Op, TileIn, TileModel, TileOut};

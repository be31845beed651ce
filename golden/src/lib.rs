//! Golden model of the pimforge processing-in-memory tile.
//!
//! This crate is the executable specification of the hardware (`docs/hardware.md` says it in
//! prose): [`protocol`] holds the contract the RTL shares with it (codes, field layouts, fixed
//! widths); every rule the hardware implements exists here first as a plain function ([`num`],
//! [`adc`], [`mvm`], [`opa`], [`mixed`], [`solver`]), with unit tests that check exact identities
//! against big-integer arithmetic. On top of those functions, [`tile`], [`array`] and
//! [`solver::units`] are cycle-level models that predict every output of the generated RTL on
//! every cycle; the lock-step harness compares the two.
//!
//! The crate is pure Rust and does not depend on Verilator.

pub mod adc;
pub mod array;
pub mod cells;
pub mod counts;
pub mod cycle;
pub mod device;
pub mod events;
pub mod lfsr;
pub mod lowrank;
pub mod mixed;
pub mod mvm;
pub mod num;
pub mod opa;
pub mod protocol;
pub mod shape;
pub mod solver;
pub mod tiki;
pub mod tile;

pub use adc::AdcShape;
pub use array::{ArrayGeometry, ArrayIn, ArrayModel, ArrayOut};
pub use cells::Cells;
pub use cycle::{CycleModel, Interface, Signal};
pub use mvm::{mvm, Direction, MvmResult};
pub use shape::{DeviceShape, MixedShape, PortWidths, TikiShape, TileShape, UnitMap};
pub use tile::{Op, TileIn, TileModel, TileOut};

//! Training workloads: the digits data set and the software reference the hardware is compared
//! against. (Training on the simulated tile comes next: see docs/hardware.md.)

pub mod digits;
pub mod reference;

//! Training on the tiles: the digits data set, the float64 reference the hardware is compared
//! against, the backends that run tile operations (golden model, or RTL in lock-step), the
//! 64-32-10 MLP trained in memory (with the host's update management of stochastic pulse
//! updates, [`pulses`]), and its reports.

pub mod algorithm;
pub mod backend;
pub mod digits;
pub mod kfac;
pub mod network;
pub mod pulses;
pub mod reference;
pub mod report;
pub mod rtl;
pub mod run;

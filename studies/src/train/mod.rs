//! Training on the tiles: a user's data set ([`data`], the shipped digits in [`digits`]), a
//! network described in YAML ([`spec`]) and its float64 reference, the placement of its layers
//! on the array's tiles ([`mapping`]), the backends that run tile operations (golden model, or
//! RTL in lock-step), the network trained in memory (with the host's update management of
//! stochastic pulse updates, [`pulses`]), and its reports.

pub mod algorithm;
pub mod backend;
pub mod commands;
pub mod config;
pub mod data;
pub mod deploy;
pub mod digits;
pub mod epochs;
pub mod kfac;
pub mod lowrank;
pub mod mapping;
pub mod network;
pub mod pulses;
pub mod reference;
pub mod report;

pub mod run;
pub mod spec;
pub mod study_run;

//! Tiki-Taka on the golden model's functional layer ([`pimforge_golden::tiki`]): the host's
//! update management that turns `x` and `d` into pulse operands ([`host`]), and the
//! correlation-detection experiment of aihwkit's example 26 ([`correlation`]).

pub mod correlation;
pub mod host;

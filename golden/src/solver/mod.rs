//! High-precision linear solves from a low-precision analog inversion (RePAST): the INV-mode
//! crossbar model and the refinement controller's algorithm, one job per file:
//! [`split`] (A into levels and an exact rest), [`analog`] (the INV crossbar), [`refine`] (the
//! refinement algorithm and its stop rule), [`tile_products`] (its exact products on a tile),
//! [`units`] (the cycle models of `pim_inv` and `pim_solver`), [`events`] (what a solve does, for
//! its cost) and [`workload`] (test systems and accuracy).
//!
//! Numbers (all exact integers except inside the INV model):
//! - `A` is an `n x n` integer matrix of `a_bits` (signed) and `b` an integer vector; the
//!   solution `x` is held as `X = x 2^x_frac` in a wide register.
//! - The INV crossbar holds `A_h`: `A` rounded to `h_bits` (signed levels) with a power-of-two
//!   scale, `A ~= A_h 2^sh`; the rest, `A_l = A - A_h 2^sh`, is exact. With a split diagonal
//!   (the default), the diagonal cells sit in the op-amps' feedback paths with their own gain
//!   `2^dsh`: off-diagonal entries are `A_h 2^sh`, diagonal ones `A_h 2^(sh + dsh)`, so the
//!   (smaller) off-diagonal entries use all of the cells' levels ([`split`]).
//! - **INV model** ([`inv`]): given an input vector of `in_bits` (the DAC range), the analog loop
//!   settles to `z = A_h^-1 r`, computed in f64 by Gaussian elimination without pivoting in a
//!   fixed order ([`solve_f64`]); the output ADC digitises it to `out_bits` (signed) with a
//!   per-vector gain: `code = round_half_up(z 2^-k)` with the smallest `k` that fits. A zero or
//!   non-finite pivot is reported as singular. f64 `+ - * /` are exactly rounded, so the RTL's
//!   behavioral model computes the same bits by doing the same operations in the same order.
//! - **Refinement** ([`refine`]): `X = 0`; each iteration forms the residual `R = b 2^x_frac - A
//!   X` exactly (the bit-sliced VMM path), scales it into the DAC range by `2^-e` (block floating
//!   point, rounded half up), solves with INV, and adds `code 2^(k + e - sh)` to `X`. With
//!   `taylor = T`, the correction is refined `T` times with the Neumann series: `dX_t = -INV(A_l
//!   dX_(t-1))`, summed. It stops converged when the error left, estimated as this update times
//!   the observed contraction (the ratio of the last two updates) with two bits of margin, is
//!   below `2^-target_bits` of `X`; diverged when the residual exceeds 4x the smallest residual
//!   so far; on a singular INV; or after `max_iters`.

pub mod analog;
pub mod events;
pub mod refine;
pub mod split;
pub mod tile_products;
pub mod units;
pub mod workload;

pub use analog::{inv, solve_f64};
pub use events::{SolverEvent, SolverEvents, SOLVER_EVENTS};
pub use refine::{
    converged, refine, refine_with, residual, Exact, Products, Solve, Status, Step,
    DIVERGENCE_FACTOR,
};
pub use split::{shift_round, split, Split, MAX_SHIFT};
pub use tile_products::TileProducts;
pub use units::{
    residual_bits, status_code, InvIn, InvOut, InvUnit, RefineIn, RefineOut, RefineUnit,
};
pub use workload::{accuracy_bits, pad, padded_size, random_system, reference_solution};

/// Parameters of the solver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvShape {
    /// Signed width of the entries of `A` and `b`.
    pub a_bits: u32,
    /// Signed cell precision of `A_h` in the INV crossbar.
    pub h_bits: u32,
    /// Signed width of the INV input (its DAC range; default 16, the tile's bit-serial input
    /// path).
    pub in_bits: u32,
    /// Signed width of the INV output ADC (`inv.bits`).
    pub out_bits: u32,
    /// Fraction bits of the solution register.
    pub x_frac: u32,
    pub target_bits: u32,
    pub max_iters: u32,
    /// Neumann (Taylor) correction terms per iteration.
    pub taylor: u32,
    /// Cycles of one INV solve (settling plus conversion).
    pub latency: u32,
    /// Width of the solution register; an INV answer that could overflow it stops the solve
    /// as diverged.
    pub x_bits: u32,
    /// The diagonal of `A_h` on its own power-of-two scale (see [`split`]).
    pub split_diagonal: bool,
}

impl InvShape {
    /// Cycles of the controller's stop check after each update: the exact products of
    /// [`converged`] in 8-bit digits of operands up to `x_bits + 1` wide.
    pub fn stop_cycles(&self) -> u64 {
        (self.x_bits as u64 + 1).div_ceil(crate::protocol::STOP_DIGIT_BITS as u64)
    }
}

impl Default for InvShape {
    fn default() -> Self {
        InvShape {
            a_bits: 16,
            h_bits: 8,
            in_bits: 16,
            out_bits: 8,
            x_frac: 48,
            target_bits: 16,
            max_iters: 20,
            taylor: 0,
            latency: 4,
            x_bits: 100,
            split_diagonal: true,
        }
    }
}

#[cfg(test)]
mod tests;

//! The refinement algorithm: exact residuals, block-floating-point scaling into the INV
//! crossbar, Taylor (Neumann) terms, and the exact-integer stop rule.

use super::{inv, shift_round, split, InvShape, SolverEvent as Ev, SolverEvents, Split};
use crate::num::{bit_length as width, signed_range};

pub use crate::protocol::Status;

/// One iteration, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Largest residual entry, `|b 2^x_frac - A X|`, before the update.
    pub residual: u128,
    /// Block-floating-point exponent of the residual.
    pub e: i32,
    /// Largest update entry.
    pub update: u128,
    /// The solution after the update (units of `2^-x_frac`).
    pub x: Vec<i128>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solve {
    pub status: Status,
    pub x: Vec<i128>,
    pub steps: Vec<Step>,
    /// INV operations (one per iteration plus one per Taylor term).
    pub inv_ops: u32,
    /// Cycles the refinement controller is busy for this solve.
    pub cycles: u64,
    /// What the controller and its INV crossbar did (its cost events).
    pub events: SolverEvents,
    /// Largest entry of the last residual `|b 2^x_frac - A X|` the controller computed: of the
    /// returned `X` for converged and max-iterations solves (one more product after the last
    /// update), else the one before the failure.
    pub residual: u128,
}

/// `b 2^x_frac - A X`, exactly.
pub fn residual(a: &[i64], n: usize, b: &[i64], x: &[i128], x_frac: u32) -> Vec<i128> {
    (0..n)
        .map(|i| {
            let ax: i128 = (0..n).map(|j| a[i * n + j] as i128 * x[j]).sum();
            ((b[i] as i128) << x_frac) - ax
        })
        .collect()
}

pub(crate) fn max_abs(v: &[i128]) -> u128 {
    v.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0)
}

/// Why a correction could not be formed.
enum Stop {
    Singular,
    /// `code 2^(k + e - sh)` could exceed the solution register.
    Overflow,
}

/// `INV(v)` of an exact vector in `X` units: scale into the DAC range, solve, scale back.
/// Returns the update and the exponent `e`.
fn correction(s: &Split, shape: &InvShape, v: &[i128]) -> Result<(Vec<i128>, i32), Stop> {
    let e = width(max_abs(v)) as i32 - (shape.in_bits as i32 - 1);
    let (lo, hi) = signed_range(shape.in_bits);
    let r: Vec<i64> = v
        .iter()
        .map(|&x| (shift_round(x, e) as i64).clamp(lo, hi))
        .collect();
    let (codes, k) = inv(s, &r, shape.out_bits).ok_or(Stop::Singular)?;
    let up = k + e - s.sh as i32;
    if up > (shape.x_bits - 1 - shape.out_bits) as i32 {
        return Err(Stop::Overflow);
    }
    Ok((
        codes.iter().map(|&c| shift_round(c as i128, -up)).collect(),
        e,
    ))
}

/// The residual may exceed the smallest residual so far by this factor before the solve is
/// declared diverged (the max-norm of a converging residual need not fall every iteration).
pub const DIVERGENCE_FACTOR: u128 = 1 << crate::protocol::DIVERGENCE_LOG2;

/// Where the controller's exact products come from: a tile's bit-sliced VMM path
/// ([`crate::solver::tile_products::TileProducts`], cycle-accurate) or plain integer arithmetic
/// ([`Exact`]).
pub trait Products {
    /// Loads `A`, and `A_l` when Taylor terms need it; returns the cycles the loads take.
    fn load(&mut self, a: &[i64], al: Option<&[i64]>) -> u64;
    /// `A v`, or `A_l v` with `low`, exactly, and the cycles it takes.
    fn product(&mut self, v: &[i128], low: bool) -> (Vec<i128>, u64);
    /// Passes over the tile per product (one per digit of the wide operand).
    fn passes(&self) -> u32;
}

/// Plain integer products: without hardware timing (they take no cycles and one pass), or
/// [`Exact::timed`] with a tile's passes and cycles, without simulating the tile.
#[derive(Clone, Debug)]
pub struct Exact {
    a: Vec<i64>,
    al: Vec<i64>,
    n: usize,
    passes: u32,
    pass_cycles: u64,
    timed: bool,
}

impl Exact {
    pub fn new(a: &[i64], n: usize) -> Self {
        Exact {
            a: a.to_vec(),
            al: vec![0; n * n],
            n,
            passes: 1,
            pass_cycles: 0,
            timed: false,
        }
    }

    /// Products that take a tile's `passes` per product of `pass_cycles` each, and loads of one
    /// cycle per entry, as [`crate::solver::TileProducts`] on that tile (a test checks it).
    pub fn timed(mut self, passes: u32, pass_cycles: u64) -> Self {
        (self.passes, self.pass_cycles, self.timed) = (passes, pass_cycles, true);
        self
    }
}

impl Products for Exact {
    fn load(&mut self, a: &[i64], al: Option<&[i64]>) -> u64 {
        self.a = a.to_vec();
        if let Some(al) = al {
            self.al = al.to_vec();
        }
        let blocks = 1 + al.is_some() as u64;
        if self.timed {
            blocks * (self.n * self.n) as u64
        } else {
            0
        }
    }

    fn product(&mut self, v: &[i128], low: bool) -> (Vec<i128>, u64) {
        let (m, n) = (if low { &self.al } else { &self.a }, self.n);
        let p = (0..n)
            .map(|i| (0..n).map(|j| m[i * n + j] as i128 * v[j]).sum())
            .collect();
        (p, self.passes as u64 * self.pass_cycles)
    }

    fn passes(&self) -> u32 {
        self.passes
    }
}

/// Solves `A x = b` by refinement around the INV crossbar, with exact products.
pub fn refine(a: &[i64], n: usize, b: &[i64], shape: &InvShape) -> Solve {
    refine_with(a, n, b, shape, &mut Exact::new(a, n))
}

/// Solves `A x = b` by refinement around the INV crossbar, with the products of `engine`.
pub fn refine_with(
    a: &[i64],
    n: usize,
    b: &[i64],
    shape: &InvShape,
    engine: &mut dyn Products,
) -> Solve {
    let s = split(a, n, shape);
    let mut x = vec![0i128; n];
    let mut steps: Vec<Step> = Vec::new();
    let mut inv_ops = 0;
    let sq = (n * n) as u64;
    let inv_block = n as u64 + 1 + shape.latency as u64;
    // The controller's cycles (docs/hardware.md): scan A and split, program A_h (and load A into
    // the tile at the same time; A_l after it), then per iteration the residual, the check, INV
    // blocks (write, start, settle, read), the update and the stop check.
    let al = (shape.taylor > 0).then_some(s.al.as_slice());
    let mut cycles = sq + 1 + sq.max(engine.load(a, al));
    let mut events = SolverEvents::default();
    events[Ev::InvWrites] += sq;
    let passes = engine.passes() as u64;
    // One product's passes and partial sums.
    let product = |events: &mut SolverEvents| {
        events[Ev::ProductPasses] += passes;
        events[Ev::PartialSums] += passes * n as u64;
    };
    // An INV block drives and starts the crossbar; its outputs are converted when it succeeds.
    let inv_block_events = |events: &mut SolverEvents, ok: bool| {
        events[Ev::InvDrives] += n as u64;
        events[Ev::InvSolves] += 1;
        if ok {
            events[Ev::InvConversions] += n as u64;
        }
    };
    // The residual product and the cycle after it (the check, or latching the final residual).
    let residual =
        |engine: &mut dyn Products, x: &[i128], cycles: &mut u64, ev: &mut SolverEvents| {
            let (ax, product_cycles) = engine.product(x, false);
            product(ev);
            *cycles += product_cycles + 1;
            (0..n)
                .map(|i| ((b[i] as i128) << shape.x_frac) - ax[i])
                .collect::<Vec<i128>>()
        };
    let mut last = 0u128;
    // A failed INV is seen in the first read cycle.
    let stop = |e: Stop| match e {
        Stop::Singular => Status::Singular,
        Stop::Overflow => Status::Diverged,
    };
    let status = 'solve: {
        for _ in 0..shape.max_iters {
            let r = residual(engine, &x, &mut cycles, &mut events);
            let rmax = max_abs(&r);
            last = rmax;
            let best = steps.iter().map(|p| p.residual).min();
            if best.is_some_and(|b| rmax > b.saturating_mul(DIVERGENCE_FACTOR)) {
                break 'solve Status::Diverged;
            }
            cycles += inv_block;
            let (mut dx, e) = match correction(&s, shape, &r) {
                Ok(c) => c,
                Err(why) => {
                    inv_block_events(&mut events, false);
                    cycles += 1;
                    break 'solve stop(why);
                }
            };
            inv_block_events(&mut events, true);
            cycles += n as u64;
            inv_ops += 1;
            let mut term = dx.clone();
            for _ in 0..shape.taylor {
                let (w, product_cycles) = engine.product(&term, true);
                product(&mut events);
                cycles += product_cycles + 1 + inv_block;
                let t = match correction(&s, shape, &w) {
                    Ok((t, _)) => t,
                    Err(why) => {
                        inv_block_events(&mut events, false);
                        cycles += 1;
                        break 'solve stop(why);
                    }
                };
                inv_block_events(&mut events, true);
                cycles += n as u64;
                inv_ops += 1;
                term = t.iter().map(|v| -v).collect();
                dx.iter_mut().zip(&term).for_each(|(d, t)| *d += t);
            }
            x.iter_mut().zip(&dx).for_each(|(xi, d)| *xi += d);
            cycles += 1 + shape.stop_cycles();
            events[Ev::SolutionUpdates] += n as u64;
            events[Ev::StopSteps] += shape.stop_cycles();
            let update = max_abs(&dx);
            let prev = steps.last().map(|p| p.update);
            steps.push(Step {
                residual: rmax,
                e,
                update,
                x: x.clone(),
            });
            if converged(update, prev, max_abs(&x), shape.target_bits) {
                break 'solve Status::Converged;
            }
        }
        Status::MaxIters
    };
    if matches!(status, Status::Converged | Status::MaxIters) {
        // The residual of the returned solution: one more product, then a cycle to latch it.
        last = max_abs(&residual(engine, &x, &mut cycles, &mut events));
    }
    Solve {
        status,
        x,
        steps,
        inv_ops,
        cycles,
        events,
        residual: last,
    }
}

/// The stop rule, in exact integers: the error left after an update `u` is about the next
/// update, `u` times the observed contraction `u / p` (`p` the previous update, when `u < p`),
/// and with two bits of margin it must be at most `max|X| >> target`: `4 u^2 <= (max|X| >>
/// target) p`, or `4 u <= max|X| >> target` without a contraction estimate.
/// Exact (big integers), as the RTL computes it with double-width products.
pub fn converged(u: u128, prev: Option<u128>, xmax: u128, target: u32) -> bool {
    use crate::protocol::STOP_MARGIN_LOG2;
    use num_bigint::BigUint;
    let (u, t) = (BigUint::from(u), BigUint::from(xmax >> target));
    match prev {
        Some(p) if p > 0 && u < BigUint::from(p) => {
            ((&u * &u) << STOP_MARGIN_LOG2) <= t * BigUint::from(p)
        }
        _ => u << STOP_MARGIN_LOG2 <= t,
    }
}

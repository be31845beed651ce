//! Second-order training (K-FAC, SPEC section 7) of the digits MLP's output layer, with the
//! Kronecker factors inverted by the refinement controller's algorithm (golden model:
//! `golden::inv::refine` around an 8-bit INV crossbar), against first-order SGD.
//!
//! Both run mini-batches of `batch` samples on the float64 MLP of [`super::reference`]. Per
//! step, the output layer's gradient `grad` (33 x 10 with the bias row) is preconditioned as
//! `(A + l_A I)^-1 grad (G + l_G I)^-1`, with `A = E[a a^T]` over the hidden activations plus a
//! constant 1 and `G = E[g g^T]` over the output errors, both running averages (decay 0.95).
//! The damping is relative, `l = damping * trace / n`: it bounds each factor's condition number
//! near `n / damping`, which the 8-bit INV crossbar needs (refinement diverges beyond about
//! 100).
//! Each inverse is applied by solving one system per column with refinement: the factor and the
//! right-hand side are scaled to 16-bit integers, solved to the 16-bit target, and scaled back.
//! The hidden layer takes plain SGD steps in both methods.

use super::digits::{Sample, CLASSES, FEATURES};
use super::reference::{Mlp, HIDDEN};
use pimforge_golden::inv::{reference_solution, refine, InvShape, Solve, Status};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Method {
    Sgd,
    /// K-FAC with the factors' inverses applied by refinement around the INV crossbar.
    KfacRefine,
    /// K-FAC with exact float64 solves (to show what the 16-bit solves cost).
    KfacExact,
}

#[derive(Clone, Debug, Serialize)]
pub struct Setup {
    pub method: Method,
    pub batch: usize,
    pub lr: f64,
    pub damping: f64,
    pub epochs: usize,
    pub seed: u64,
}

/// Test accuracy after each step, and the solver's statistics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Run {
    pub accuracy: Vec<f64>,
    pub solves: u64,
    pub refine_iterations: u64,
    pub failed_solves: u64,
}

impl Run {
    /// Steps until the test accuracy first reaches `target`.
    pub fn steps_to(&self, target: f64) -> Option<usize> {
        self.accuracy
            .iter()
            .position(|&a| a >= target)
            .map(|i| i + 1)
    }
}

fn input(s: &Sample) -> [f64; FEATURES] {
    s.pixels.map(|p| p as f64 / 16.0)
}

/// Solves `m y = rhs` (`m` symmetric positive definite, `n x n`) in float64 terms: by
/// refinement on 16-bit integer scalings, or exactly.
/// Solves integer systems by refinement: the golden model, or the RTL controller.
pub trait Solver {
    fn solve(&mut self, a: &[i64], n: usize, b: &[i64]) -> anyhow::Result<Solve>;
}

/// `golden::inv::refine` with the default solver parameters (8-bit INV, 16-bit target).
pub struct GoldenSolver;

impl Solver for GoldenSolver {
    fn solve(&mut self, a: &[i64], n: usize, b: &[i64]) -> anyhow::Result<Solve> {
        Ok(refine(a, n, b, &InvShape::default()))
    }
}

fn solve(
    m: &[f64],
    n: usize,
    rhs: &[f64],
    solver: &mut dyn Solver,
    exact: bool,
    run: &mut Run,
) -> anyhow::Result<Vec<f64>> {
    let ms = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let rs = rhs.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if rs == 0.0 {
        return Ok(vec![0.0; n]);
    }
    let full = 32767.0;
    let a: Vec<i64> = m.iter().map(|v| (v / ms * full).round() as i64).collect();
    let b: Vec<i64> = rhs.iter().map(|v| (v / rs * full).round() as i64).collect();
    run.solves += 1;
    // A x = b in integers means (m / ms) x = rhs / rs, so y = x rs / ms.
    let back = rs / ms;
    if exact {
        return Ok(reference_solution(&a, n, &b)
            .expect("damped factors are nonsingular")
            .iter()
            .map(|x| x * back)
            .collect());
    }
    let shape = InvShape::default();
    let sol = solver.solve(&a, n, &b)?;
    run.refine_iterations += sol.steps.len() as u64;
    if sol.status != Status::Converged {
        run.failed_solves += 1;
    }
    let scale = 2f64.powi(-(shape.x_frac as i32)) * back;
    Ok(sol.x.iter().map(|&x| x as f64 * scale).collect())
}

fn accuracy(net: &Mlp, test: &[Sample]) -> f64 {
    net.accuracy(test)
}

/// Trains with `setup` (the refined method on the golden model); returns the accuracy after
/// every step.
pub fn train(train: &[Sample], test: &[Sample], setup: &Setup) -> Run {
    train_with(train, test, setup, &mut GoldenSolver, usize::MAX)
        .expect("golden solves do not fail")
        .0
}

/// [`train`] with the refined solves on `solver`, for at most `max_steps` steps; also returns
/// the network.
pub fn train_with(
    train: &[Sample],
    test: &[Sample],
    setup: &Setup,
    solver: &mut dyn Solver,
    max_steps: usize,
) -> anyhow::Result<(Run, Mlp)> {
    let mut rng = ChaCha8Rng::seed_from_u64(setup.seed);
    let mut net = Mlp::new(&mut rng);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let na = HIDDEN + 1;
    let mut fa = vec![0.0; na * na];
    let mut fg = vec![0.0; CLASSES * CLASSES];
    let mut run = Run::default();
    let mut first = true;
    for _ in 0..setup.epochs {
        order.shuffle(&mut rng);
        // Whole mini-batches only: a 3-sample remainder at the learning rates of 64 made each
        // epoch end with a large noisy step.
        for chunk in order.chunks_exact(setup.batch) {
            let m = chunk.len() as f64;
            let mut g2 = vec![0.0; na * CLASSES];
            let mut g1 = vec![0.0; (FEATURES + 1) * HIDDEN];
            let mut ba = vec![0.0; na * na];
            let mut bg = vec![0.0; CLASSES * CLASSES];
            for &i in chunk {
                let s = &train[i];
                let x = input(s);
                let (h, p) = net.forward(&x);
                let mut d2 = p;
                d2[s.label as usize] -= 1.0;
                let mut a: Vec<f64> = h.to_vec();
                a.push(1.0);
                for (r, ar) in a.iter().enumerate() {
                    for c in 0..CLASSES {
                        g2[r * CLASSES + c] += ar * d2[c] / m;
                    }
                    for (c, ac) in a.iter().enumerate() {
                        ba[r * na + c] += ar * ac / m;
                    }
                }
                for r in 0..CLASSES {
                    for c in 0..CLASSES {
                        bg[r * CLASSES + c] += d2[r] * d2[c] / m;
                    }
                }
                for j in 0..HIDDEN {
                    if h[j] > 0.0 {
                        let d: f64 = (0..CLASSES).map(|k| net.w2[j * CLASSES + k] * d2[k]).sum();
                        for (i, xi) in x.iter().enumerate() {
                            g1[i * HIDDEN + j] += xi * d / m;
                        }
                        g1[FEATURES * HIDDEN + j] += d / m;
                    }
                }
            }
            // Output layer: SGD, or the K-FAC step.
            let step2 = if setup.method == Method::Sgd {
                g2
            } else {
                let decay = if first { 0.0 } else { 0.95 };
                first = false;
                fa.iter_mut()
                    .zip(&ba)
                    .for_each(|(f, b)| *f = decay * *f + (1.0 - decay) * b);
                fg.iter_mut()
                    .zip(&bg)
                    .for_each(|(f, b)| *f = decay * *f + (1.0 - decay) * b);
                let exact = setup.method == Method::KfacExact;
                let damped = |f: &[f64], n: usize| {
                    let l = setup.damping * (0..n).map(|i| f[i * n + i]).sum::<f64>() / n as f64;
                    let mut d = f.to_vec();
                    (0..n).for_each(|i| d[i * n + i] += l);
                    d
                };
                let (da, dg) = (damped(&fa, na), damped(&fg, CLASSES));
                // Y = (A + lI)^-1 grad: one solve per output column.
                let mut y = vec![0.0; na * CLASSES];
                for c in 0..CLASSES {
                    let col: Vec<f64> = (0..na).map(|r| g2[r * CLASSES + c]).collect();
                    let sol = solve(&da, na, &col, solver, exact, &mut run)?;
                    for r in 0..na {
                        y[r * CLASSES + c] = sol[r];
                    }
                }
                // Y (G + lI)^-1 = ((G + lI)^-1 Y^T)^T: one solve per row.
                let mut z = vec![0.0; na * CLASSES];
                for r in 0..na {
                    let row = &y[r * CLASSES..(r + 1) * CLASSES];
                    let sol = solve(&dg, CLASSES, row, solver, exact, &mut run)?;
                    z[r * CLASSES..(r + 1) * CLASSES].copy_from_slice(&sol);
                }
                z
            };
            for r in 0..HIDDEN {
                for c in 0..CLASSES {
                    net.w2[r * CLASSES + c] -= setup.lr * step2[r * CLASSES + c];
                }
            }
            for c in 0..CLASSES {
                net.b2[c] -= setup.lr * step2[HIDDEN * CLASSES + c];
            }
            // Hidden layer: SGD in both methods (the SGD learning rate).
            let lr1 = if setup.method == Method::Sgd {
                setup.lr
            } else {
                SGD_LR
            };
            for i in 0..FEATURES {
                for j in 0..HIDDEN {
                    net.w1[i * HIDDEN + j] -= lr1 * g1[i * HIDDEN + j];
                }
            }
            for j in 0..HIDDEN {
                net.b1[j] -= lr1 * g1[FEATURES * HIDDEN + j];
            }
            run.accuracy.push(accuracy(&net, test));
            if run.accuracy.len() >= max_steps {
                return Ok((run, net));
            }
        }
    }
    Ok((run, net))
}

/// Mini-batch SGD learning rate, also used for the hidden layer under K-FAC.
pub const SGD_LR: f64 = 0.5;

//! Second-order training (K-FAC, Martens and Grosse 2015) of the digits MLP, on its output layer or on
//! both layers, with the Kronecker factors inverted by the refinement controller's algorithm
//! (golden model: `golden::solver::refine` around an 8-bit INV crossbar), against first-order SGD.
//!
//! Both run mini-batches of `batch` samples on the float64 MLP of [`super::reference`]. Per
//! step, a layer's gradient `grad` (inputs plus a bias row, by outputs: 33 x 10 for the output
//! layer, 65 x 32 for the hidden one) is preconditioned as `(A + l_A I)^-1 grad (G + l_G I)^-1`,
//! with `A = E[a a^T]` over the layer's inputs plus a constant 1 and `G = E[g g^T]` over the
//! errors at its outputs (pre-activation), both running averages (decay 0.95).
//! The damping is relative, `l = damping * trace / n`: it bounds each factor's condition number
//! near `n / damping`, which the 8-bit INV crossbar needs (refinement diverges beyond about
//! 100).
//! Each inverse is applied by solving one system per column with refinement: the factor and the
//! right-hand side are scaled to 16-bit integers, solved to the 16-bit target, and scaled back.
//! With [`Layers::Output`] the hidden layer takes plain SGD steps (at [`SGD_LR`]).

use super::data::Sample;
use super::digits::{CLASSES, FEATURES};
use super::reference::{Mlp, HIDDEN};
use super::spec::NetworkSpec;
use crate::cost::solve::{solver_tile, Tally};
use pimforge_golden::solver::{
    pad, padded_size, reference_solution, refine_with, Exact, InvShape, Solve, Status, TileProducts,
};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Sgd,
    /// K-FAC with the factors' inverses applied by refinement around the INV crossbar.
    KfacRefine,
    /// K-FAC with exact float64 solves (to show what the 16-bit solves cost).
    KfacExact,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Method::Sgd => "sgd",
            Method::KfacRefine => "kfac-refine",
            Method::KfacExact => "kfac-exact",
        })
    }
}

/// The layers K-FAC preconditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layers {
    Output,
    Both,
}

#[derive(Clone, Debug, Serialize)]
pub struct Setup {
    pub method: Method,
    pub layers: Layers,
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
    /// The refined solves' counted work by system size (for their cost).
    pub solved: BTreeMap<usize, Tally>,
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

/// Solves integer systems by refinement: on the golden model, or on the RTL controller.
pub trait Solver {
    fn solve(&mut self, a: &[i64], n: usize, b: &[i64]) -> anyhow::Result<Solve>;
}

/// `golden::solver::refine` with the default solver parameters (8-bit INV, 16-bit target) as the
/// hardware runs it: padded to the solver size ([`pad`], as [`crate::refine::RtlSolver`] does),
/// its products timed as on the solver's tile ([`solver_tile`]).
#[derive(Default)]
pub struct GoldenSolver {
    timing: BTreeMap<usize, (u32, u64)>,
}

impl Solver for GoldenSolver {
    fn solve(&mut self, a: &[i64], n: usize, b: &[i64]) -> anyhow::Result<Solve> {
        let shape = InvShape::default();
        let size = padded_size(n);
        let &mut (passes, cycles) = self
            .timing
            .entry(size)
            .or_insert_with(|| TileProducts::timing(&solver_tile(size, 0), size, shape.x_bits));
        let (pa, pb) = pad(a, n, b, size);
        let mut products = Exact::new(&pa, size).timed(passes, cycles);
        let mut sol = refine_with(&pa, size, &pb, &shape, &mut products);
        sol.x.truncate(n);
        Ok(sol)
    }
}

/// Solves `m y = rhs` (`m` symmetric positive definite, `n x n`) in float64 terms: by refinement
/// on 16-bit integer scalings, or exactly.
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
            .ok_or_else(|| anyhow::anyhow!("a damped factor is singular: raise --damping"))?
            .iter()
            .map(|x| x * back)
            .collect());
    }
    let shape = InvShape::default();
    let sol = solver.solve(&a, n, &b)?;
    run.refine_iterations += sol.steps.len() as u64;
    run.solved.entry(padded_size(n)).or_default().add(&sol);
    if sol.status != Status::Converged {
        run.failed_solves += 1;
    }
    let scale = 2f64.powi(-(shape.x_frac as i32)) * back;
    Ok(sol.x.iter().map(|&x| x as f64 * scale).collect())
}

fn accuracy(net: &Mlp, test: &[Sample]) -> f64 {
    net.accuracy(test)
}

/// One layer's running Kronecker factors (`A`: `na x na`, `G`: `ng x ng`).
struct Factors {
    na: usize,
    ng: usize,
    a: Vec<f64>,
    g: Vec<f64>,
    first: bool,
}

impl Factors {
    fn new(na: usize, ng: usize) -> Self {
        Factors {
            na,
            ng,
            a: vec![0.0; na * na],
            g: vec![0.0; ng * ng],
            first: true,
        }
    }

    /// Folds in one batch's factors (running averages, decay 0.95; the first batch replaces).
    fn update(&mut self, ba: &[f64], bg: &[f64]) {
        let decay = if self.first { 0.0 } else { 0.95 };
        self.first = false;
        for (f, b) in self.a.iter_mut().zip(ba).chain(self.g.iter_mut().zip(bg)) {
            *f = decay * *f + (1.0 - decay) * b;
        }
    }

    /// `(A + l_A I)^-1 grad (G + l_G I)^-1` for `grad` (`na x ng`, row-major).
    fn precondition(
        &self,
        grad: &[f64],
        setup: &Setup,
        solver: &mut dyn Solver,
        run: &mut Run,
    ) -> anyhow::Result<Vec<f64>> {
        let (na, ng) = (self.na, self.ng);
        let exact = setup.method == Method::KfacExact;
        let damped = |f: &[f64], n: usize| {
            let l = setup.damping * (0..n).map(|i| f[i * n + i]).sum::<f64>() / n as f64;
            let mut d = f.to_vec();
            (0..n).for_each(|i| d[i * n + i] += l);
            d
        };
        let (da, dg) = (damped(&self.a, na), damped(&self.g, ng));
        // Y = (A + lI)^-1 grad: one solve per column.
        let mut y = vec![0.0; na * ng];
        for c in 0..ng {
            let col: Vec<f64> = (0..na).map(|r| grad[r * ng + c]).collect();
            let sol = solve(&da, na, &col, solver, exact, run)?;
            for r in 0..na {
                y[r * ng + c] = sol[r];
            }
        }
        // Y (G + lI)^-1 = ((G + lI)^-1 Y^T)^T: one solve per row.
        let mut z = vec![0.0; na * ng];
        for r in 0..na {
            let row = &y[r * ng..(r + 1) * ng];
            let sol = solve(&dg, ng, row, solver, exact, run)?;
            z[r * ng..(r + 1) * ng].copy_from_slice(&sol);
        }
        Ok(z)
    }
}

/// Adds `u u^T / m` to `f`.
fn add_outer(f: &mut [f64], u: &[f64], m: f64) {
    let n = u.len();
    for (r, ur) in u.iter().enumerate() {
        for (c, uc) in u.iter().enumerate() {
            f[r * n + c] += ur * uc / m;
        }
    }
}

/// Trains with `setup` (the refined method on the golden model); returns the accuracy after
/// every step.
pub fn train(train: &[Sample], test: &[Sample], setup: &Setup) -> anyhow::Result<Run> {
    Ok(train_with(train, test, setup, &mut GoldenSolver::default(), usize::MAX)?.0)
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
    let mut net = Mlp::new(&NetworkSpec::digits(), &mut rng);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let na = HIDDEN + 1;
    let n1 = FEATURES + 1;
    let mut out = Factors::new(na, CLASSES);
    let mut hidden = Factors::new(n1, HIDDEN);
    let both = setup.method != Method::Sgd && setup.layers == Layers::Both;
    let mut run = Run::default();
    for _ in 0..setup.epochs {
        order.shuffle(&mut rng);
        // Whole mini-batches only: a 3-sample remainder at the learning rates of 64 made each
        // epoch end with a large noisy step.
        for chunk in order.chunks_exact(setup.batch) {
            let m = chunk.len() as f64;
            let mut g2 = vec![0.0; na * CLASSES];
            let mut g1 = vec![0.0; n1 * HIDDEN];
            let mut ba = vec![0.0; na * na];
            let mut bg = vec![0.0; CLASSES * CLASSES];
            let mut ba1 = vec![0.0; if both { n1 * n1 } else { 0 }];
            let mut bg1 = vec![0.0; if both { HIDDEN * HIDDEN } else { 0 }];
            for &i in chunk {
                let s = &train[i];
                let acts = net.forward(&s.x);
                let (x, h) = (&acts[0], &acts[1]);
                let mut d2 = acts[2].clone();
                d2[s.label] -= 1.0;
                let mut a: Vec<f64> = h.to_vec();
                a.push(1.0);
                for (r, ar) in a.iter().enumerate() {
                    for c in 0..CLASSES {
                        g2[r * CLASSES + c] += ar * d2[c] / m;
                    }
                }
                add_outer(&mut ba, &a, m);
                add_outer(&mut bg, &d2, m);
                // The error at the hidden layer's pre-activations.
                let d1: Vec<f64> = (0..HIDDEN)
                    .map(|j| {
                        if h[j] > 0.0 {
                            (0..CLASSES)
                                .map(|k| net.layers[1].w[j * CLASSES + k] * d2[k])
                                .sum()
                        } else {
                            0.0
                        }
                    })
                    .collect();
                for (j, d) in d1.iter().enumerate() {
                    for (i, xi) in x.iter().enumerate() {
                        g1[i * HIDDEN + j] += xi * d / m;
                    }
                    g1[FEATURES * HIDDEN + j] += d / m;
                }
                if both {
                    let mut x1 = x.to_vec();
                    x1.push(1.0);
                    add_outer(&mut ba1, &x1, m);
                    add_outer(&mut bg1, &d1, m);
                }
            }
            // Output layer: SGD, or the K-FAC step.
            let step2 = if setup.method == Method::Sgd {
                g2
            } else {
                out.update(&ba, &bg);
                out.precondition(&g2, setup, solver, &mut run)?
            };
            for r in 0..HIDDEN {
                for c in 0..CLASSES {
                    net.layers[1].w[r * CLASSES + c] -= setup.lr * step2[r * CLASSES + c];
                }
            }
            for c in 0..CLASSES {
                net.layers[1].b[c] -= setup.lr * step2[HIDDEN * CLASSES + c];
            }
            // Hidden layer: K-FAC with both layers, else SGD (at the SGD learning rate under
            // output-layer K-FAC).
            let (g1, lr1) = if both {
                hidden.update(&ba1, &bg1);
                (hidden.precondition(&g1, setup, solver, &mut run)?, setup.lr)
            } else if setup.method == Method::Sgd {
                (g1, setup.lr)
            } else {
                (g1, SGD_LR)
            };
            for i in 0..FEATURES {
                for j in 0..HIDDEN {
                    net.layers[0].w[i * HIDDEN + j] -= lr1 * g1[i * HIDDEN + j];
                }
            }
            for j in 0..HIDDEN {
                net.layers[0].b[j] -= lr1 * g1[FEATURES * HIDDEN + j];
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

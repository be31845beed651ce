//! Test systems and accuracy measures: random symmetric systems of a chosen condition number, a
//! float64 reference solution and the bits of accuracy of a solve.

use crate::num::signed_range;

/// A random symmetric positive-definite system with condition number about `cond`: `A = Q
/// diag(lambda) Q^T` (Q orthonormalised from Gaussian columns, eigenvalues log-spaced from 1 down
/// to `1/cond`), scaled so its largest entry is `2^(a_bits-1) - 1` and rounded to integers, and
/// `b` uniform in the `a_bits` range. A negative `cond` flips the sign of every other
/// eigenvalue (an indefinite matrix); `cond = inf` makes the smallest eigenvalue zero.
pub fn random_system(n: usize, cond: f64, a_bits: u32, seed: u64) -> (Vec<i64>, Vec<i64>) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut gauss = || {
        let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(n);
    while q.len() < n {
        let mut v: Vec<f64> = (0..n).map(|_| gauss()).collect();
        for u in &q {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            q.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    let c = cond.abs();
    let lambda: Vec<f64> = (0..n)
        .map(|i| {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let l = if c.is_infinite() {
                if i + 1 == n {
                    0.0
                } else {
                    c.min(1e6).powf(-t)
                }
            } else {
                c.powf(-t)
            };
            if cond < 0.0 && i % 2 == 1 {
                -l
            } else {
                l
            }
        })
        .collect();
    let mut a = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| q[k][i] * lambda[k] * q[k][j]).sum();
        }
    }
    let max = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let hi = signed_range(a_bits).1 as f64;
    let ai: Vec<i64> = a.iter().map(|v| (v / max * hi).round() as i64).collect();
    let (lo, hi) = signed_range(a_bits);
    let b = (0..n).map(|_| rng.random_range(lo..=hi)).collect();
    (ai, b)
}

/// A float64 reference solution (Gaussian elimination with partial pivoting), to measure the
/// accuracy of a solve.
pub fn reference_solution(a: &[i64], n: usize, b: &[i64]) -> Option<Vec<f64>> {
    let mut m: Vec<f64> = a.iter().map(|&v| v as f64).collect();
    let mut y: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))?;
        if m[p * n + k] == 0.0 {
            return None;
        }
        for j in 0..n {
            m.swap(k * n + j, p * n + j);
        }
        y.swap(k, p);
        for i in k + 1..n {
            let f = m[i * n + k] / m[k * n + k];
            for j in k..n {
                m[i * n + j] -= f * m[k * n + j];
            }
            y[i] -= f * y[k];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = y[i] - (i + 1..n).map(|j| m[i * n + j] * x[j]).sum::<f64>();
        x[i] = s / m[i * n + i];
    }
    Some(x)
}

/// Bits of accuracy of `X` (units `2^-x_frac`) against `reference`: `-log2(max|x - x*| /
/// max|x*|)`, at most 52.
pub fn accuracy_bits(x: &[i128], x_frac: u32, reference: &[f64]) -> f64 {
    let scale = 2f64.powi(-(x_frac as i32));
    let err = x
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (&xi, r)| m.max((xi as f64 * scale - r).abs()));
    let norm = reference.iter().fold(0.0f64, |m, r| m.max(r.abs()));
    if err == 0.0 {
        52.0
    } else {
        (-(err / norm).log2()).min(52.0)
    }
}

/// The solver size a system of size `n` runs on: the next power of two, at least 4.
pub fn padded_size(n: usize) -> usize {
    n.next_power_of_two().max(4)
}

/// `(A, b)` of size `n` padded block-diagonally to `size`: `max|A|` on the new diagonal, zeros
/// elsewhere and in `b`. The padded rows never move in a refined solve (their residual is zero and
/// the split's scales are unchanged), so the solve and its `X` are those of the unpadded system.
pub fn pad(a: &[i64], n: usize, b: &[i64], size: usize) -> (Vec<i64>, Vec<i64>) {
    let diag = a.iter().map(|v| v.abs()).max().unwrap_or(1).max(1);
    let mut pa = vec![0i64; size * size];
    let mut pb = vec![0i64; size];
    for i in 0..size {
        for j in 0..size {
            pa[i * size + j] = match (i < n, j < n) {
                (true, true) => a[i * n + j],
                _ if i == j => diag,
                _ => 0,
            };
        }
        pb[i] = if i < n { b[i] } else { 0 };
    }
    (pa, pb)
}

//! The INV-mode crossbar: the analog loop's settled output `A_h^-1 r` (f64 Gaussian elimination
//! in a fixed order, so the RTL's behavioral model computes the same bits) digitised with a
//! per-vector gain.

use super::Split;
use crate::num::signed_range;

/// Gaussian elimination without pivoting, row by row, in f64: the INV loop's settled output.
/// `None` when a pivot is zero or a value is not finite.
pub fn solve_f64(m: &[i64], n: usize, r: &[i64]) -> Option<Vec<f64>> {
    let mut a: Vec<f64> = m.iter().map(|&v| v as f64).collect();
    let mut y: Vec<f64> = r.iter().map(|&v| v as f64).collect();
    for k in 0..n {
        let p = a[k * n + k];
        if p == 0.0 || !p.is_finite() {
            return None;
        }
        for i in k + 1..n {
            let f = a[i * n + k] / p;
            for j in k..n {
                a[i * n + j] -= f * a[k * n + j];
            }
            y[i] -= f * y[k];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for j in i + 1..n {
            s -= a[i * n + j] * x[j];
        }
        x[i] = s / a[i * n + i];
        if !x[i].is_finite() {
            return None;
        }
    }
    Some(x)
}

/// The INV crossbar: `A_h^-1 r` digitised to `out_bits` with a per-vector gain; returns the
/// codes and the exponent `k` (`z ~= code 2^k`).
pub fn inv(split: &Split, r: &[i64], out_bits: u32) -> Option<(Vec<i64>, i32)> {
    let z = solve_f64(&split.matrix(), split.n, r)?;
    let max = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let hi = signed_range(out_bits).1 as f64;
    if max == 0.0 {
        return Some((vec![0; z.len()], 0));
    }
    let code = |v: f64, k: i32| (v * 2f64.powi(-k) + 0.5).floor();
    // Start below the smallest fitting exponent (codes shrink as k grows), so the result is that
    // minimum whatever the rounding of the logarithm.
    let mut k = (max / hi).log2().floor() as i32 - 2;
    while z.iter().any(|&v| code(v, k).abs() > hi) {
        k += 1;
    }
    Some((z.iter().map(|&v| code(v, k) as i64).collect(), k))
}

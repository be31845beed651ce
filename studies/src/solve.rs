//! `pimforge solve`: one's own linear system `A x = b`, read from Matrix Market files, solved by
//! the refinement controller (RePAST: 16-bit-accurate solutions from an 8-bit analog INV
//! crossbar), on the golden model or on `pim_solver` in lock-step.
//!
//! `A` (square, at most `inv.size`) and `b` (a column of `n`; default `A 1`, so that the exact
//! solution is all ones) are scaled by their largest entries into the solver's `a_bits`-bit
//! integers (`A_q = round(A / max|A| (2^(a_bits-1) - 1))`, `b_q` likewise), and a smaller system
//! is padded block-diagonally to the controller's size (the padding rows never move). The
//! solution is scaled back: `x = X 2^-x_frac max|b| / max|A|`. The certificate is the
//! controller's exact integer residual `max |b_q 2^x_frac - A_q X|` beside the float64
//! normwise backward error of `x` on the original system.

use crate::cost::solve::{digital_solve, price_solve, DigitalCost, SolveCost};
use crate::cost::CostTable;
use anyhow::{anyhow, bail, Context, Result};
use nalgebra_sparse::io::{load_coo_from_matrix_market_str, MatrixMarketErrorKind};
use nalgebra_sparse::CooMatrix;
use pimforge_golden::solver::{
    accuracy_bits, pad, reference_solution, refine_with, InvShape, Solve, TileProducts,
};
use pimforge_golden::TileShape;
use serde::Serialize;
use std::path::Path;

/// A dense matrix from a Matrix Market file (real or integer; general, symmetric or
/// skew-symmetric; coordinate or array).
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub rows: usize,
    pub cols: usize,
    /// Row-major.
    pub v: Vec<f64>,
}

fn dense<T: Copy + Into<f64>>(m: &CooMatrix<T>) -> Dense {
    let mut v = vec![0.0; m.nrows() * m.ncols()];
    for (i, j, &x) in m.triplet_iter() {
        v[i * m.ncols() + j] += x.into();
    }
    Dense {
        rows: m.nrows(),
        cols: m.ncols(),
        v,
    }
}

/// Parses Matrix Market text; errors name `origin`.
pub fn parse_matrix(text: &str, origin: &str) -> Result<Dense> {
    match load_coo_from_matrix_market_str::<f64>(text) {
        Ok(m) => Ok(dense(&m)),
        Err(e) if e.kind() == MatrixMarketErrorKind::TypeMismatch => {
            let m = load_coo_from_matrix_market_str::<i32>(text).map_err(|e| {
                anyhow!("{origin}: not a real or integer Matrix Market matrix: {e}")
            })?;
            Ok(dense(&m))
        }
        Err(e) => Err(anyhow!("{origin}: not a Matrix Market matrix: {e}")),
    }
}

fn read_matrix(path: &Path, flag: &str) -> Result<Dense> {
    let origin = format!("{flag} {}", path.display());
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    parse_matrix(&text, &origin)
}

/// A system to solve.
#[derive(Clone, Debug)]
pub struct System {
    pub n: usize,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// Where `b` came from.
    pub rhs: String,
}

/// Reads `A` (and `b`) and checks they fit a controller of size `size`.
pub fn load(matrix: &Path, rhs: Option<&Path>, size: usize) -> Result<System> {
    let a = read_matrix(matrix, "--matrix")?;
    let m = format!("--matrix {}", matrix.display());
    if a.rows != a.cols {
        bail!(
            "{m}: {}x{}; the solver solves square systems",
            a.rows,
            a.cols
        );
    }
    let n = a.rows;
    if n == 0 || n > size {
        bail!("{m}: {n}x{n}; the design's INV crossbar holds systems of 1..={size} (inv.size; e.g. --config with `inv: {{size: {}}}`)", n.next_power_of_two().max(4));
    }
    let (b, from) = match rhs {
        Some(p) => {
            let b = read_matrix(p, "--rhs")?;
            if b.rows != n || b.cols != 1 {
                bail!(
                    "--rhs {}: {}x{}; A is {n}x{n}, so b is {n}x1",
                    p.display(),
                    b.rows,
                    b.cols
                );
            }
            (b.v, p.display().to_string())
        }
        None => {
            let b = (0..n)
                .map(|i| a.v[i * n..(i + 1) * n].iter().sum())
                .collect();
            (b, "A 1 (the exact solution is all ones)".into())
        }
    };
    Ok(System {
        n,
        a: a.v,
        b,
        rhs: from,
    })
}

/// What a solve found.
#[derive(Clone, Debug, Serialize)]
pub struct Solution {
    pub n: usize,
    pub padded_to: usize,
    pub status: String,
    pub iterations: usize,
    pub inv_ops: u32,
    pub cycles: u64,
    /// Bits of `X` that agree with the float64 solution of the integer system (relative to its
    /// largest entry).
    pub bits: f64,
    /// The controller's exact integer residual `max |b_q 2^x_frac - A_q X|`, and its size
    /// against `max |b_q| 2^x_frac` in bits.
    pub integer_residual: String,
    pub residual_bits: f64,
    /// `||A x - b|| / (||A|| ||x|| + ||b||)` (infinity norms) of `x` on the original system.
    pub backward_error: f64,
    /// Energy, latency and area of the refined solve, from its counted events.
    pub cost: SolveCost,
    /// The same integer system solved digitally (Gaussian elimination in 32-bit floats), priced
    /// by the same table.
    pub digital: DigitalCost,
    /// The digital solve's energy and time over the refined one's.
    pub energy_ratio: f64,
    pub time_ratio: f64,
    pub x: Vec<f64>,
}

/// The scaled, padded integer system (`size x size`).
pub fn quantise(s: &System, size: usize, a_bits: u32) -> (Vec<i64>, Vec<i64>, f64) {
    let full = ((1i64 << (a_bits - 1)) - 1) as f64;
    let amax =
        s.a.iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
    let bmax =
        s.b.iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
    let q = |v: f64, max: f64| (v / max * full).round() as i64;
    let a: Vec<i64> = s.a.iter().map(|&v| q(v, amax)).collect();
    let b: Vec<i64> = s.b.iter().map(|&v| q(v, bmax)).collect();
    // The largest entry quantises to `full`, the padding's diagonal.
    let (a, b) = pad(&a, s.n, &b, size);
    (a, b, bmax / amax)
}

/// A lock-step solve of the padded integer system `(A, b)` on `pim_solver`.
pub type RtlSolve<'a> = dyn FnMut(&[i64], &[i64]) -> Result<Solve> + 'a;

/// Solves on the golden model (the controller's algorithm with its residual products on the
/// solver's tile model, so the cycles are the hardware's; `rtl`: `None`) or with `rtl`'s
/// lock-step solve of the padded integer system; returns the solution and its certificate.
pub fn solve(
    s: &System,
    (size, shape, tile): (usize, &InvShape, &TileShape),
    table: &CostTable,
    rtl: Option<&mut RtlSolve>,
) -> Result<Solution> {
    let (qa, qb, back) = quantise(s, size, shape.a_bits);
    let sol = match rtl {
        None => {
            let mut products = TileProducts::new(tile, size, shape.x_bits);
            refine_with(&qa, size, &qb, shape, &mut products)
        }
        Some(f) => f(&qa, &qb)?,
    };
    let scale = 2f64.powi(-(shape.x_frac as i32));
    let x: Vec<f64> = sol.x[..s.n]
        .iter()
        .map(|&v| v as f64 * scale * back)
        .collect();
    let exact = reference_solution(&qa, size, &qb);
    let bits = exact
        .as_ref()
        .map_or(f64::NAN, |r| accuracy_bits(&sol.x, shape.x_frac, r));
    let cost = price_solve(table, tile, shape, size, &sol);
    let digital = digital_solve(table, &qa, size, &qb, exact.as_deref());
    let bq = qb.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as f64
        * 2f64.powi(shape.x_frac as i32);
    let residual_bits = match sol.residual {
        0 => f64::INFINITY,
        r => (bq / r as f64).log2(),
    };
    let n = s.n;
    let norm = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let a_norm = (0..n)
        .map(|i| s.a[i * n..(i + 1) * n].iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let r: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| s.a[i * n + j] * x[j]).sum::<f64>() - s.b[i])
        .collect();
    let backward_error = norm(&r) / (a_norm * norm(&x) + norm(&s.b)).max(f64::MIN_POSITIVE);
    Ok(Solution {
        n,
        padded_to: size,
        status: format!("{:?}", sol.status).to_lowercase(),
        iterations: sol.steps.len(),
        inv_ops: sol.inv_ops,
        cycles: sol.cycles,
        bits,
        integer_residual: sol.residual.to_string(),
        residual_bits,
        backward_error,
        energy_ratio: digital.total.energy_pj / cost.total.energy_pj,
        time_ratio: digital.total.latency_ns / cost.total.latency_ns,
        cost,
        digital,
        x,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYM: &str = "%%MatrixMarket matrix coordinate real symmetric\n% a comment\n3 3 4\n1 1 4.0\n2 1 1.0\n2 2 3.0\n3 3 2.5\n";

    #[test]
    fn matrix_market_files_parse_in_their_forms() {
        let a = parse_matrix(SYM, "a").unwrap();
        assert_eq!((a.rows, a.cols), (3, 3));
        assert_eq!(a.v, vec![4.0, 1.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 2.5]);
        let int = "%%MatrixMarket matrix array integer general\n2 2\n1\n-3\n2\n7\n";
        // Array form is column-major.
        assert_eq!(parse_matrix(int, "i").unwrap().v, vec![1.0, 2.0, -3.0, 7.0]);
        let e = parse_matrix("1 2 3\n", "x.mtx").unwrap_err().to_string();
        assert!(e.starts_with("x.mtx: not a Matrix Market matrix"), "{e}");
    }

    #[test]
    fn a_well_conditioned_system_reaches_the_target_and_recovers_ones() {
        let a = parse_matrix(SYM, "a").unwrap();
        let b: Vec<f64> = (0..3).map(|i| a.v[i * 3..i * 3 + 3].iter().sum()).collect();
        let s = System {
            n: 3,
            a: a.v,
            b,
            rhs: "A 1".into(),
        };
        let design = pimforge_gen::presets::solver(4, 0).validated().unwrap();
        let design = pimforge_gen::design::Design::new(design, None);
        let (size, shape) = design.solver.clone().unwrap();
        let table = CostTable::load("panther").unwrap();
        let sol = solve(&s, (size, &shape, &design.shape), &table, None).unwrap();
        assert_eq!(sol.status, "converged");
        assert!(sol.bits >= 16.0, "{}", sol.bits);
        assert!(sol.residual_bits >= 16.0, "{}", sol.residual_bits);
        // The integer system is A rounded to 16 bits: x is ones to about 2^-15.
        for x in &sol.x {
            assert!((x - 1.0).abs() < 1e-3, "{x}");
        }
        assert!(sol.backward_error < 1e-4, "{}", sol.backward_error);
    }
}

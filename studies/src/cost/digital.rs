//! A digital solve of `A x = b` to compare the refined analog solve against (RePAST's claim):
//! Gaussian elimination without pivoting in 32-bit floats, its operations counted as it runs, so
//! that a cost table's digital ALU and memory entries price it.

/// A counted operation of a digital processor (priced per 32-bit operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DigitalOp {
    Adds,
    Muls,
    Divs,
    MemoryAccesses,
}

impl DigitalOp {
    pub const ALL: [DigitalOp; 4] = [
        DigitalOp::Adds,
        DigitalOp::Muls,
        DigitalOp::Divs,
        DigitalOp::MemoryAccesses,
    ];

    /// The key cost tables price it by (`digital_adds`).
    pub fn key(self) -> String {
        let name = match self {
            DigitalOp::Adds => "adds",
            DigitalOp::Muls => "muls",
            DigitalOp::Divs => "divs",
            DigitalOp::MemoryAccesses => "memory_accesses",
        };
        format!("digital_{name}")
    }
}

pimforge_golden::counts!(
    /// A count per digital operation.
    DigitalOps,
    DigitalOp,
    4
);

/// Solves `A x = b` (`n x n`, row-major) by Gaussian elimination without pivoting and back
/// substitution in `f32`, counting every add (subtractions included), multiply, divide and
/// memory word read or written (operands are read from memory and results written back; the
/// multiplier of a row is kept in a register). Returns `x` and the counts.
pub fn gaussian_elimination(a: &[f64], n: usize, b: &[f64]) -> (Vec<f64>, DigitalOps) {
    use DigitalOp::*;
    let mut m: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    let mut y: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let mut ops = DigitalOps::default();
    for k in 0..n {
        for i in k + 1..n {
            // l = m_ik / m_kk
            let l = m[i * n + k] / m[k * n + k];
            ops[Divs] += 1;
            ops[MemoryAccesses] += 2;
            // row i -= l row k (columns k+1..n) and y_i -= l y_k
            for j in k + 1..n {
                m[i * n + j] -= l * m[k * n + j];
            }
            y[i] -= l * y[k];
            let len = (n - k - 1) as u64 + 1;
            ops[Muls] += len;
            ops[Adds] += len;
            ops[MemoryAccesses] += 3 * len;
        }
    }
    let mut x = vec![0f32; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for j in i + 1..n {
            s -= m[i * n + j] * x[j];
        }
        x[i] = s / m[i * n + i];
        let len = (n - i - 1) as u64;
        ops[Muls] += len;
        ops[Adds] += len;
        ops[Divs] += 1;
        // y_i, the row's entries, the x_j, the pivot; x_i written.
        ops[MemoryAccesses] += 1 + 2 * len + 1 + 1;
    }
    (x.iter().map(|&v| v as f64).collect(), ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elimination_solves_and_counts_the_textbook_operations() {
        let n = 16;
        let a: Vec<f64> = (0..n * n)
            .map(|i| {
                let (r, c) = (i / n, i % n);
                if r == c {
                    8.0
                } else {
                    ((r * 3 + c * 5) % 7) as f64 / 7.0 - 0.4
                }
            })
            .collect();
        let x0: Vec<f64> = (0..n).map(|i| i as f64 / 4.0 - 1.0).collect();
        let b: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[i * n + j] * x0[j]).sum())
            .collect();
        let (x, ops) = gaussian_elimination(&a, n, &b);
        for (xi, wi) in x.iter().zip(&x0) {
            assert!((xi - wi).abs() < 1e-5, "{xi} {wi}");
        }
        // Multiply-adds: sum_k (n-k-1)(n-k) in elimination, n(n-1)/2 in substitution, i.e.
        // n^3/3 + n^2/2 - 5n/6; divisions: n(n-1)/2 multipliers and n pivots.
        let n = n as u64;
        let elim: u64 = (0..n).map(|k| (n - k - 1) * (n - k)).sum();
        assert_eq!(elim, (n * n * n - n) / 3);
        assert_eq!(ops[DigitalOp::Muls], elim + n * (n - 1) / 2);
        assert_eq!(ops[DigitalOp::Adds], ops[DigitalOp::Muls]);
        assert_eq!(ops[DigitalOp::Divs], n * (n - 1) / 2 + n);
    }
}

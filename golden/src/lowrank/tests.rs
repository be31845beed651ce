use super::*;

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

/// `n` samples whose mean gradient is `sum_t u_t v_t^T`: each carries one term (scaled by the
/// term count), with a random positive weight, plus noise on its inputs.
fn batch(
    us: &[Vec<f64>],
    vs: &[Vec<f64>],
    n: usize,
    seed: u64,
    noise: f64,
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let t = rng.random_range(0..us.len());
            let a: f64 = rng.random_range(0.5..1.5);
            let x: Vec<f64> = vs[t]
                .iter()
                .map(|v| a * v + noise * rng.random_range(-1.0..1.0))
                .collect();
            let d: Vec<f64> = us[t].iter().map(|u| u * us.len() as f64 / a).collect();
            (x, d)
        })
        .collect()
}

fn exact(samples: &[(Vec<f64>, Vec<f64>)], no: usize, ni: usize) -> Vec<f64> {
    let n = samples.len() as f64;
    let mut g = vec![0.0; no * ni];
    for (x, d) in samples {
        for o in 0..no {
            for i in 0..ni {
                g[o * ni + i] += d[o] * x[i] / n;
            }
        }
    }
    g
}

/// The error of each batch's estimate, batch after batch.
fn errors(lr: &mut LowRank, batches: &[Vec<(Vec<f64>, Vec<f64>)>]) -> Vec<f64> {
    let (no, ni) = (lr.outputs, lr.inputs);
    batches
        .iter()
        .map(|samples| {
            for (x, d) in samples {
                lr.absorb(x, d);
            }
            rel_err(&outer_sum(&lr.end_batch(), no, ni), &exact(samples, no, ni))
        })
        .collect()
}

#[test]
fn orthonormalised_columns_are_orthonormal() {
    let (n, k) = (6, 3);
    let mut m: Vec<f64> = (0..n * k).map(|i| ((i * 7 % 5) as f64) - 2.0).collect();
    // A dependent column is replaced.
    for i in 0..n {
        m[2 * n + i] = m[i] * 3.0;
    }
    assert_eq!(orthonormalise(&mut m, n, k), 1);
    for r in 0..k {
        for c in 0..k {
            let dot: f64 = (0..n).map(|i| m[r * n + i] * m[c * n + i]).sum();
            assert!(
                (dot - (r == c) as u8 as f64).abs() < 1e-12,
                "{r} {c}: {dot}"
            );
        }
    }
}

#[test]
fn one_sample_moves_a_pair_by_the_rank_1_rule() {
    // From unit X and D, the first sample (w = 1/2): X = (X + x (d.D)) / 2, D = (D + d (x.X)) / 2,
    // computed by hand.
    let mut lr = LowRank::new(2, 2, 1, 0);
    lr.x = vec![1.0, 0.0];
    lr.d = vec![0.0, 1.0];
    lr.absorb(&[3.0, 4.0], &[5.0, -2.0]);
    assert_eq!(lr.x, vec![(1.0 + 3.0 * -2.0) / 2.0, 4.0 * -2.0 / 2.0]);
    assert_eq!(lr.d, vec![5.0 * 3.0 / 2.0, (1.0 - 2.0 * 3.0) / 2.0]);
}

#[test]
fn a_rank_1_gradient_is_recovered_once_the_pair_has_converged() {
    let (ni, no) = (8, 6);
    let us = vec![vec![1.0, -2.0, 0.5, 0.0, 1.0, 0.3]];
    let vs = vec![(0..ni)
        .map(|i| (i as f64 * 0.7).sin() + 0.2)
        .collect::<Vec<_>>()];
    let mut lr = LowRank::new(ni, no, 1, 9);
    let batches: Vec<_> = (0..4).map(|b| batch(&us, &vs, 64, 10 + b, 0.0)).collect();
    let e = errors(&mut lr, &batches);
    // From a random pair, X turns onto v within the first batch; the error then falls by the
    // warm start's weight (1/65) and more each batch.
    assert!(
        e.windows(2).all(|w| w[1] < w[0] / 10.0) && e[3] < 1e-5,
        "{e:?}"
    );
}

#[test]
fn warm_started_pairs_find_the_leading_singular_pairs_of_noisy_batches() {
    // Mean gradient 2 u_0 v_0^T + u_1 v_1^T + 0.5 u_2 v_2^T (orthonormal u's and v's) plus input
    // noise: rank 2 finds the two leading terms.
    let (ni, no) = (20, 10);
    let unit = |n: usize, seed: u64| {
        let mut m = LowRank::new(n, n, 3, seed).x;
        m.truncate(n * 3);
        (0..3)
            .map(|t| m[t * n..(t + 1) * n].to_vec())
            .collect::<Vec<_>>()
    };
    let (v, u) = (unit(ni, 1), unit(no, 2));
    let scale = [2.0, 1.0, 0.5];
    let us: Vec<Vec<f64>> = (0..3)
        .map(|t| u[t].iter().map(|x| x * scale[t]).collect())
        .collect();
    let batches: Vec<_> = (0..12)
        .map(|b| batch(&us, &v, 128, 100 + b, 0.01))
        .collect();
    let mut two = LowRank::new(ni, no, 2, 4);
    let e2 = errors(&mut two, &batches);
    // What rank 2 must leave: the third term, 0.5 / |(2, 1, 0.5)| = 0.22 of the gradient, plus
    // the noise and the batches' sampling of the terms.
    assert!(e2[11] < 0.35, "rank 2: {e2:?}");
    let mut one = LowRank::new(ni, no, 1, 4);
    let e1 = errors(&mut one, &batches);
    assert!(e1[11] > e2[11] + 0.1, "rank 1 {e1:?} against rank 2 {e2:?}");
    // The terms' row vectors are orthonormal.
    for (x, d) in &batches[0] {
        two.absorb(x, d);
    }
    let terms = two.end_batch();
    let dot: f64 = terms[0].1.iter().zip(&terms[1].1).map(|(a, b)| a * b).sum();
    assert!(dot.abs() < 1e-12 && (norm(&terms[0].1) - 1.0).abs() < 1e-12);
}

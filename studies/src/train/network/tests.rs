use super::*;
use crate::train::backend::Golden;
use crate::train::data::Sample;
use crate::train::mapping::{place, Order};
use crate::train::spec::NetworkSpec;
use pimforge_gen::design::Design;
use pimforge_gen::presets::preset;

fn host() -> Network {
    let placement = place(&NetworkSpec::digits(), (64, 32), 2, Order::RowMajor).unwrap();
    Network {
        placement,
        activations: vec![],
        biases: vec![],
        rounding: ChaCha8Rng::seed_from_u64(9),
        clips: HostClips::default(),
        in_frac: 12,
        w_frac: 12,
        hosts: None,
        lowrank: None,
        units_started: false,
    }
}

#[test]
fn stochastic_rounding_is_unbiased_and_clamps_are_counted() {
    let mut n = host();
    for v in [0.3, -0.3, 0.05, 2.75, -7.5] {
        let draws = 20_000;
        let sum: i64 = (0..draws).map(|_| n.stochastic(v, 0, 16)).sum();
        let mean = sum as f64 / draws as f64;
        assert!((mean - v).abs() < 0.02, "{v}: mean {mean}");
    }
    assert_eq!(n.clips.update_operands, 0);
    assert_eq!(n.stochastic(1000.0, 0, 8), 127);
    assert_eq!(n.fixed(-3.0, 6, 8, Clip::Activation), -128);
    assert_eq!((n.clips.update_operands, n.clips.activations), (1, 1));
    // Round half up in the activation format.
    assert_eq!(n.fixed(0.5 / 64.0, 6, 8, Clip::Activation), 1);
    assert_eq!(n.fixed(-0.5 / 64.0, 6, 8, Clip::Activation), 0);
}

/// The digits design with `rows x cols` crossbars and `tiles` tiles.
fn design(rows: usize, cols: usize, tiles: usize) -> Design {
    let mut c = preset("digits").unwrap();
    c.crossbar.rows = rows;
    c.crossbar.cols = cols;
    c.tiles = tiles;
    Design::new(c.validated().unwrap(), None)
}

/// A network cut into many small blocks trains exactly as it does with one block per layer:
/// the same outputs, losses and weights, sample after sample (exact reads, ideal devices).
#[test]
fn blocks_over_many_tiles_train_exactly_as_one_tile_per_layer() {
    let spec = NetworkSpec::parse(
        "name: t\ninputs: 40\nloss: cross-entropy\nlayers:\n  - {outputs: 24, activation: relu}\n  - {outputs: 20, activation: tanh}\n  - {outputs: 3, activation: softmax}\n",
        "t",
    )
    .unwrap();
    let (small, big) = (design(16, 8, 17), design(64, 32, 3));
    let init = Mlp::new(&spec, &mut ChaCha8Rng::seed_from_u64(1));
    let cfg = TrainConfig {
        algorithm: Algorithm::Opa,
        epochs: 1,
        lr: 0.05,
        seed: 1,
        crs_every: 0,
        transfer_every: 1,
        x_frac: 4,
        train_limit: None,
        test_limit: None,
        fast_lr: 0.5,
        bias_lr: None,
        order: Order::ColumnMajor,
        scale_errors: true,
        stochastic_rows: true,
        sbpca: Default::default(),
    };
    let formats = (small.config().input.frac, small.config().weight.frac);
    let run = |d: &Design, tile: (usize, usize)| {
        let p = place(&spec, tile, d.tiles(), cfg.order).unwrap();
        let mut g = Golden::new(&d.shape, d.cells().to_vec(), d.units().to_vec());
        let mut net = Network::new(&mut g, &init, p, formats, 1).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut out = vec![];
        for i in 0..30 {
            let x: Vec<f64> = (0..40).map(|_| rng.random_range(0.0..1.0)).collect();
            let s = Sample { x, label: i % 3 };
            out.push(net.step(&mut g, &s, &cfg).unwrap().to_bits());
        }
        // Every weight of every layer, in the layer's order, read back through its block.
        for lp in &net.placement.layers {
            let mut w = vec![0i64; lp.inputs * lp.outputs];
            for b in &lp.blocks {
                for r in 0..b.rows {
                    for c in 0..b.cols {
                        let v = g.cells(b.tile).weight(d.shape.value_bits, r, c);
                        w[(b.row0 + r) * lp.outputs + b.col0 + c] = v;
                    }
                }
            }
            out.extend(w.into_iter().map(|v| v as u64));
        }
        (out, net.placement.tiles.len(), g.counters(0).opas)
    };
    let (a, tiles_a, opas) = run(&small, (16, 8));
    let (b, tiles_b, _) = run(&big, (64, 32));
    assert_eq!((tiles_a, tiles_b, opas), (3 * 3 + 2 * 3 + 2, 3, 30));
    assert_eq!(a[..30], b[..30], "losses");
    assert_eq!(a[30..], b[30..], "weights");
}

#[test]
fn error_shifts_bring_the_largest_error_into_the_upper_half_of_the_range() {
    // Q4.12 in 16 bits: the range is below 2^3.
    assert_eq!(error_shift(&[0.0, 0.0], 16, 12), 0);
    assert_eq!(error_shift(&[0.001, -0.003], 16, 12), 11); // 0.003 * 2^11 = 6.1
    assert_eq!(error_shift(&[4.0], 16, 12), 0);
    assert_eq!(error_shift(&[3.99], 16, 12), 1);
    assert_eq!(error_shift(&[12.0], 16, 12), -1); // beyond the range: scaled down
    assert_eq!(error_shift(&[1e-300], 16, 12), 46);
    for d in [0.3, 1e-5, 7.9, 12.0] {
        let k = error_shift(&[d], 16, 12);
        let v = d * 2f64.powi(k);
        assert!((4.0..8.0).contains(&v), "{d}: {v}");
    }
}

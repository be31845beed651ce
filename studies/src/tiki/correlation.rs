//! The correlation-detection experiment of aihwkit (`examples/26_correlation_detection.py`) on
//! the golden model's Tiki-Taka unit (`TikiUnit`, with the transfer read through an exact ADC): a 5x5 layer, 5000 updates `W -= lr x d^T` with `x` and
//! an independent `n` standard normal and `d = 0.4 x + 0.6 n`. Only the diagonal weights are
//! correlated with the updates: they should grow (negative: the update lowers them) while the
//! off-diagonal weights stay near 0. A reference offset (A's references programmed away from
//! the symmetry points) drives TTv2's off-diagonal weights away; the choppers of c-TTv2 and
//! AGAD cancel it.

use crate::train::pulses::{transfer_lr_q, PulseHost};
use pimforge_golden::device::{c2c_gain, draw, Kind, Model, Nominal};
use pimforge_golden::tiki::{
    beta_q16, period, symmetry_point, Flavor, Schedule, TikiUnit, TransferShape,
};
use pimforge_golden::{AdcShape, Cells, DeviceShape, TikiShape, TileShape};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What one run does.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub flavor: Flavor,
    /// Mean and spread of A's reference offsets, in device steps (levels).
    pub offset_mean: f64,
    pub offset_std: f64,
    pub updates: usize,
    pub seed: u64,
}

/// What it measured: C's weights in units of the weight (`dw_min` a step).
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub diagonal_mean: f64,
    pub off_diagonal_mean_abs: f64,
    pub a_pulses: u64,
    pub c_pulses: u64,
}

/// The device of the experiment: soft bounds at +-1 of weight in steps of `DW_MIN`, 30%
/// device-to-device spread of steps and bounds (so up and down steps differ and every
/// symmetry point is off 0), 30% cycle-to-cycle noise.
pub const DW_MIN: f64 = 0.01;
const LEVELS: i64 = 100;
const FRAC_BITS: u32 = 8;
const N: usize = 5;

/// A 5x5 one-slice tile of those devices with an exact ADC and a Tiki-Taka unit of `transfer`.
fn tile(transfer: TransferShape, seed: u32) -> TileShape {
    TileShape {
        rows: N,
        cols: N,
        value_bits: 8,
        cell_bits: vec![8],
        weight_bits: 8,
        input_bits: 8,
        dac_bits: 1,
        adc: AdcShape {
            bits: 12,
            step_log2: 0,
            share: 1,
        },
        device: DeviceShape {
            kind: Kind::SoftBounds,
            frac_bits: FRAC_BITS,
            c2c_q16: c2c_gain(0.3),
            read_q16: 0,
            bounds: Some((-LEVELS, LEVELS)),
            seed,
            files: true,
        },
        mixed: None,
        tiki: Some(TikiShape {
            transfer,
            lr_bits: 32,
            slot_bits: 5,
        }),
        lowrank: None,
    }
}

pub fn run(s: &Setup) -> Outcome {
    let model = Model {
        kind: Kind::SoftBounds,
        frac_bits: FRAC_BITS,
        c2c_q16: c2c_gain(0.3),
    };
    let nominal = Nominal {
        g_min_levels: -LEVELS,
        g_max_levels: LEVELS,
        dtod: 0.3,
        p_stuck_on: 0.0,
        p_stuck_off: 0.0,
    };
    let a_dev = draw(&nominal, FRAC_BITS, N * N, s.seed ^ 0xA);
    let c_dev = draw(&nominal, FRAC_BITS, N * N, s.seed ^ 0xC);
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let mut gauss = move || super::gauss(&mut rng);
    let one = (1i64 << FRAC_BITS) as f64;
    let a_ref: Vec<i64> = a_dev
        .iter()
        .map(|d| {
            let off = s.offset_mean + s.offset_std * gauss();
            symmetry_point(&model, d) + (off * one).round() as i64
        })
        .collect();
    let p = 0.1; // chopper flips: every 10 passes (50 updates)
    let transfer = TransferShape {
        flavor: s.flavor,
        schedule: match s.flavor {
            Flavor::Ttv2 => Schedule::Never,
            _ => Schedule::Regular { period: period(p) },
        },
        h_bits: 32,
        h_frac: 16,
        mu_frac: 8,
        beta_q16: beta_q16(5.0, period(p)),
        warmup_passes: period(p),
    };
    let shape = tile(transfer, s.seed as u32);
    let mut unit = TikiUnit::new(&shape, 0, a_dev.clone(), a_ref);
    let mut c = Cells::with_devices(&shape, 0, vec![c_dev]);
    // A starts at its symmetry points, read as 0 without an offset.
    for (i, d) in a_dev.iter().enumerate() {
        unit.a.set_conductance(0, i, symmetry_point(&model, d));
    }
    let lr = 0.1;
    let mut host = PulseHost::new(31, 0.5, DW_MIN, 1);
    unit.lr_q = transfer_lr_q(lr, N, 200.0, transfer.h_frac);
    for _ in 0..s.updates {
        let x: Vec<f64> = (0..N).map(|_| gauss()).collect();
        let d: Vec<f64> = x.iter().map(|&xi| 0.4 * xi + 0.6 * gauss()).collect();
        let op = host.operands(&x, &d);
        unit.set_operands(&op);
        unit.pulse(op.slots as usize, false, &mut c);
        let (v, _) = unit.read(&shape);
        unit.transfer(&shape, &v, &mut c);
    }
    let (mut diag, mut off) = (0.0, 0.0);
    for k in 0..N {
        for j in 0..N {
            let v = c.get(0, k, j) as f64 * DW_MIN;
            if k == j {
                diag += v / N as f64;
            } else {
                off += v.abs() / (N * N - N) as f64;
            }
        }
    }
    Outcome {
        diagonal_mean: diag,
        off_diagonal_mean_abs: off,
        a_pulses: unit.a.pulses,
        c_pulses: c.pulses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choppers_keep_the_uncorrelated_weights_near_zero_under_a_reference_offset() {
        let at = |flavor, offset: f64| {
            let seeds = 0..3u64;
            let outs: Vec<Outcome> = seeds
                .map(|seed| {
                    run(&Setup {
                        flavor,
                        offset_mean: offset,
                        offset_std: offset / 2.0,
                        updates: 5000,
                        seed,
                    })
                })
                .collect();
            let mean = |f: fn(&Outcome) -> f64| outs.iter().map(f).sum::<f64>() / 3.0;
            (mean(|o| o.diagonal_mean), mean(|o| o.off_diagonal_mean_abs))
        };
        let mut table = String::new();
        let mut got = vec![];
        for flavor in [Flavor::Ttv2, Flavor::Chopped, Flavor::Agad] {
            for offset in [0.0, 20.0] {
                let (diag, off) = at(flavor, offset);
                table += &format!(
                    "{flavor:?} offset {offset}: diagonal {diag:+.3}, |off-diagonal| {off:.3}\n"
                );
                got.push((flavor, offset, diag, off));
            }
        }
        println!("{table}");
        for &(flavor, offset, diag, off) in &got {
            if flavor != Flavor::Ttv2 || offset == 0.0 {
                assert!(diag < -0.1, "{table}");
                assert!(off < 0.1, "{table}");
            }
        }
        let ttv2_off = got
            .iter()
            .find(|g| g.0 == Flavor::Ttv2 && g.1 > 0.0)
            .unwrap()
            .3;
        assert!(ttv2_off > 0.2, "TTv2 drifts with the offset:\n{table}");
    }
}

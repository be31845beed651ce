//! What the host computes for a layer trained by stochastic pulse updates (Tiki-Taka's A, or
//! analog SGD into the weights) (aihwkit's C++ rules, `docs/hardware.md`,
//! Tiki-Taka): the pulse-count learning rate with its running averages of `max|x|` and
//! `max|d|`, update management (`BL` and the row and column scales), the firing thresholds of
//! one update, and the transfer rate in H units per read code.

use pimforge_golden::tiki::{threshold, PulseOperands};

/// The host side of one layer's pulse updates.
#[derive(Clone, Debug)]
pub struct PulseHost {
    /// Most slots per update (aihwkit `desired_BL`).
    pub desired_bl: u32,
    /// aihwkit `fast_lr`: the pulse-count learning rate with auto-scaling.
    pub fast_lr: f64,
    /// The weight of one device step (`dw_min`), in the units of `x d`.
    pub dw_min: f64,
    /// Weight of a new maximum in the running averages (`(1 - 0.99) / batch`).
    pub tau: f64,
    /// `Some(lr)`: a fixed pulse-count learning rate (plain analog SGD) instead of `fast_lr`'s
    /// auto-scaling.
    pub fixed_lr: Option<f64>,
    m_x: Option<f64>,
    m_d: Option<f64>,
}

impl PulseHost {
    pub fn new(desired_bl: u32, fast_lr: f64, dw_min: f64, batch: usize) -> Self {
        PulseHost {
            desired_bl,
            fast_lr,
            dw_min,
            tau: (1.0 - 0.99) / batch as f64,
            fixed_lr: None,
            m_x: None,
            m_d: None,
        }
    }

    fn average(m: &mut Option<f64>, new: f64, tau: f64) -> f64 {
        let v = match *m {
            None => new,
            Some(old) => (1.0 - tau) * old + tau * new,
        };
        *m = Some(v);
        v
    }

    /// The operands of the update `A -= count_lr x d^T`: thresholds and signs per line and the
    /// slot count.
    pub fn operands(&mut self, x: &[f64], d: &[f64]) -> PulseOperands {
        let max = |v: &[f64]| v.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let (x_max, d_max) = (max(x), max(d));
        let m_x = Self::average(&mut self.m_x, x_max, self.tau);
        let m_d = Self::average(&mut self.m_d, d_max, self.tau);
        let silent = PulseOperands {
            x_thr: vec![0; x.len()],
            x_neg: x.iter().map(|v| *v < 0.0).collect(),
            d_thr: vec![0; d.len()],
            d_neg: d.iter().map(|v| *v < 0.0).collect(),
            slots: 1,
        };
        if x_max == 0.0 || d_max == 0.0 || m_x == 0.0 || m_d == 0.0 {
            return silent;
        }
        let bl = self.desired_bl as f64;
        let lr = self
            .fixed_lr
            .unwrap_or(self.fast_lr * bl * self.dw_min / (m_x * m_d));
        // Update management: as few slots as the largest product needs, the scales balanced
        // between rows and columns.
        let k = lr * x_max * d_max / self.dw_min;
        let slots = k.ceil().clamp(1.0, bl);
        let mut d_max = d_max;
        if k > slots {
            d_max *= slots / k;
        }
        let base = (lr / (self.dw_min * slots)).sqrt();
        let a = base * (x_max / d_max).sqrt(); // columns (d)
        let b = base * (d_max / x_max).sqrt(); // rows (x)
        PulseOperands {
            x_thr: x.iter().map(|v| threshold(b * v.abs())).collect(),
            d_thr: d.iter().map(|v| threshold(a * v.abs())).collect(),
            slots: slots as u32,
            ..silent
        }
    }
}

/// The transfer rate in H units (`2^-h_frac` of one C pulse) per read code: aihwkit's
/// `lr_scale = transfer_lr / (dw_min * auto_granularity / (in_size * transfer_every))` times one
/// code's weight (`dw_min`), transfers of one line after every update.
pub fn transfer_lr_q(lr: f64, in_size: usize, auto_granularity: f64, h_frac: u32) -> i64 {
    (lr * in_size as f64 / auto_granularity * (1u64 << h_frac) as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_pulses_per_cell_are_count_lr_x_d_over_dw_min() {
        let mut h = PulseHost::new(31, 0.5, 0.01, 1);
        let (x, d) = ([0.8, -0.2, 0.0], [0.5, 0.1]);
        let op = h.operands(&x, &d);
        // First update: the averages are the maxima, count_lr = fast_lr BL dw_min / (0.8 0.5).
        let lr = 0.5 * 31.0 * 0.01 / (0.8 * 0.5);
        for (r, xr) in x.iter().enumerate() {
            for (c, dc) in d.iter().enumerate() {
                let p = op.x_thr[r] as f64 / 65536.0 * op.d_thr[c] as f64 / 65536.0;
                let want = (lr * (xr * dc).abs() / 0.01).min(op.slots as f64);
                assert!(
                    (p * op.slots as f64 - want).abs() < 0.01,
                    "{r},{c}: {p} {want}"
                );
            }
        }
        assert_eq!(
            (op.x_neg.clone(), op.d_neg.clone()),
            (vec![false, true, false], vec![false, false])
        );
        assert_eq!(h.operands(&[0.0], &[1.0]).x_thr, vec![0]);
        assert_eq!(transfer_lr_q(0.1, 5, 200.0, 16), 164);
    }
}

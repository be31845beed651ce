//! One layer trained the Tiki-Taka way, in its functional form (no cycles): the A and C arrays
//! of soft-bounds devices, A's reference levels, the line LFSRs of the pulse update and the
//! transfer unit's state. The host makes the pulse operands and the transfer rate; everything
//! else happens here as the hardware does it.
//!
//! A read of A sees `(g - ref) >> frac_bits` (floor) on every cell of the driven input line:
//! the reference is subtracted as a current, before the conversion. C is read as any weight
//! array: `g >> frac_bits`.

use super::{raises, slot, CPulse, PulseOperands, TransferShape, TransferState};
use crate::device::{pulse, CellDevice, Model};
use crate::lfsr::Lfsr;
use crate::protocol::seed_hash;

/// Which LFSRs a layer seeds from its base seed (`seed_hash(base, 0, SLICE, index)`).
const A_CELLS: usize = 0;
const C_CELLS: usize = 1;
const LINES: usize = 2;
const CHOPPERS: usize = 3;

/// An array of devices with one LFSR per cell for cycle-to-cycle noise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Devices {
    pub dev: Vec<CellDevice>,
    pub g: Vec<i64>,
    pub lfsr: Vec<Lfsr>,
    pub pulses: u64,
    pub clipped: u64,
}

impl Devices {
    fn new(dev: Vec<CellDevice>, seed: u32, slice: usize) -> Self {
        let n = dev.len();
        Devices {
            g: dev.iter().map(|d| 0i64.clamp(d.g_min, d.g_max)).collect(),
            lfsr: (0..n)
                .map(|i| Lfsr::new32(seed_hash(seed, 0, slice, i)))
                .collect(),
            dev,
            pulses: 0,
            clipped: 0,
        }
    }

    fn pulse(&mut self, model: &Model, i: usize, up: bool) {
        let (g, clipped) = pulse(model, &self.dev[i], self.g[i], up, &mut self.lfsr[i]);
        self.g[i] = g;
        self.pulses += 1;
        self.clipped += clipped as u64;
    }
}

/// A layer of `rows` inputs and `cols` outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub rows: usize,
    pub cols: usize,
    pub model: Model,
    pub a: Devices,
    /// A's reference level of each cell, in fine units.
    pub a_ref: Vec<i64>,
    pub c: Devices,
    pub row_lfsr: Vec<Lfsr>,
    pub col_lfsr: Vec<Lfsr>,
    pub transfer: TransferState,
}

impl Layer {
    /// A layer whose cells start at 0 (held inside their bounds).
    pub fn new(
        rows: usize,
        cols: usize,
        model: Model,
        (a_dev, a_ref): (Vec<CellDevice>, Vec<i64>),
        c_dev: Vec<CellDevice>,
        seed: u32,
    ) -> Self {
        assert!(a_dev.len() == rows * cols && a_ref.len() == rows * cols);
        assert_eq!(c_dev.len(), rows * cols);
        let line = |i: usize| Lfsr::new32(seed_hash(seed, 0, LINES, i));
        Layer {
            rows,
            cols,
            model,
            a: Devices::new(a_dev, seed, A_CELLS),
            a_ref,
            c: Devices::new(c_dev, seed, C_CELLS),
            row_lfsr: (0..rows).map(line).collect(),
            col_lfsr: (rows..rows + cols).map(line).collect(),
            transfer: TransferState::new(rows, cols, seed_hash(seed, 0, CHOPPERS, 0)),
        }
    }

    /// The stochastic pulse update of A: in each of `op.slots` slots the lines draw, and every
    /// coincidence is one pulse (its sign from the operands and the choppers).
    pub fn update(&mut self, op: &PulseOperands) {
        self.pulse_update(op, false);
    }

    /// The same pulse update straight into C, without choppers: plain analog SGD.
    pub fn update_c(&mut self, op: &PulseOperands) {
        self.pulse_update(op, true);
    }

    fn pulse_update(&mut self, op: &PulseOperands, into_c: bool) {
        let none = (vec![false; self.rows], vec![false; self.cols]);
        for _ in 0..op.slots {
            let (r, c) = slot(op, &mut self.row_lfsr, &mut self.col_lfsr);
            for k in (0..self.rows).filter(|&k| r[k]) {
                for j in (0..self.cols).filter(|&j| c[j]) {
                    let i = k * self.cols + j;
                    if into_c {
                        let up = raises(op, &none.0, &none.1, k, j);
                        self.c.pulse(&self.model, i, up);
                    } else {
                        let up = raises(op, &self.transfer.c_in, &self.transfer.c_out, k, j);
                        self.a.pulse(&self.model, i, up);
                    }
                }
            }
        }
    }

    /// Input line `k` of A as read: `(g - ref) >> frac_bits` for every output.
    pub fn read_a(&self, k: usize) -> Vec<i64> {
        let f = self.model.frac_bits;
        (0..self.cols)
            .map(|j| {
                let i = k * self.cols + j;
                (self.a.g[i] - self.a_ref[i]) >> f
            })
            .collect()
    }

    /// One transfer: the next input line of A read, H updated, pulses into C on that line.
    pub fn transfer(&mut self, shape: &TransferShape, lr_q: i64) -> Vec<CPulse> {
        let k = self.transfer.next;
        let v = self.read_a(k);
        let pulses = self.transfer.transfer(shape, &v, lr_q);
        for p in &pulses {
            self.c.pulse(&self.model, k * self.cols + p.col, p.up);
        }
        pulses
    }

    /// The weights the network sees: C's levels, `[k * cols + j]`.
    pub fn weights(&self) -> Vec<i64> {
        self.c.g.iter().map(|g| g >> self.model.frac_bits).collect()
    }
}

//! The cells of a tile's crossbar slices: each a programmable device (`docs/hardware.md`, Devices).
//!
//! A cell's state is its conductance `g` in fine units (`2^-frac_bits` of a level); reads see
//! the level `g >> frac_bits` (floor). Programming (`set`) is write-and-verify: `g = level <<
//! frac_bits`, held inside the device's bounds. Updates are trains of programming pulses through
//! the device model ([`crate::device::pulse`], a train at a time), each cell with its own LFSR for cycle-to-cycle
//! noise, so the order in which cells are pulsed never matters. Reads may add noise to every
//! sensed line current, from one LFSR per line.

use crate::device::{pulse_train, CellDevice, Kind, Stuck};
use crate::lfsr::Lfsr;
use crate::num::{recompose, weight_digits};
use crate::shape::TileShape;

/// Seed of the LFSR of cell `cell` of slice `slice` of tile `tile`, from the base seed
/// ([`crate::protocol::seed_hash`]).
pub fn cell_seed(base: u32, tile: usize, slice: usize, cell: usize) -> u32 {
    crate::protocol::seed_hash(base, tile, slice, cell)
}

pub use crate::protocol::READ_SEED;

/// Every cell of every slice: levels (what a read sees), fine state, device parameters and
/// noise sources; index `[m][r * cols + c]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cells {
    pub rows: usize,
    pub cols: usize,
    pub levels: Vec<Vec<i64>>,
    pub g: Vec<Vec<i64>>,
    pub devices: Vec<Vec<CellDevice>>,
    pub lfsr: Vec<Vec<Lfsr>>,
    pub kind: Kind,
    pub frac_bits: u32,
    pub c2c_q16: i64,
    /// Read noise: gain and one LFSR per slice and line.
    pub read_q16: i64,
    pub read_lfsr: Vec<Vec<Lfsr>>,
    /// Reference level of every cell in fine units, subtracted before a read (Tiki-Taka's A);
    /// empty: none.
    pub refs: Vec<Vec<i64>>,
    /// Programming pulses applied so far.
    pub pulses: u64,
}

impl Cells {
    /// The cells of tile 0 with nominal devices (no variation), as after power-up.
    pub fn new(shape: &TileShape) -> Self {
        let devices = (0..shape.slices())
            .map(|m| vec![shape.nominal_device(m); shape.rows * shape.cols])
            .collect();
        Cells::with_devices(shape, 0, devices)
    }

    /// The cells of tile `tile` with the given devices (`[slice][r * cols + c]`). Power-up
    /// state: every cell programmed to level 0 (stuck cells at their bound).
    pub fn with_devices(shape: &TileShape, tile: usize, devices: Vec<Vec<CellDevice>>) -> Self {
        assert_eq!(devices.len(), shape.slices());
        Cells::arrays(shape, tile, 0, devices, Vec::new())
    }

    /// Tiki-Taka's A of tile `tile`: one array of `devices` with reference levels `refs` (fine
    /// units), seeded as slice [`crate::protocol::A_ARRAY`].
    pub fn tiki_a(
        shape: &TileShape,
        tile: usize,
        devices: Vec<CellDevice>,
        refs: Vec<i64>,
    ) -> Self {
        assert_eq!(refs.len(), devices.len(), "one reference per cell");
        let first = crate::protocol::A_ARRAY;
        Cells::arrays(shape, tile, first, vec![devices], vec![refs])
    }

    /// Arrays of `devices`, seeded as slices `first..`, with references `refs` (or none).
    fn arrays(
        shape: &TileShape,
        tile: usize,
        first: usize,
        devices: Vec<Vec<CellDevice>>,
        refs: Vec<Vec<i64>>,
    ) -> Self {
        let n = shape.rows * shape.cols;
        let arrays = devices.len();
        assert!(devices.iter().all(|d| d.len() == n), "one device per cell");
        let dev = &shape.device;
        let mut cells = Cells {
            rows: shape.rows,
            cols: shape.cols,
            levels: vec![vec![0; n]; arrays],
            g: vec![vec![0; n]; arrays],
            lfsr: (first..first + arrays)
                .map(|m| {
                    (0..n)
                        .map(|i| Lfsr::new32(cell_seed(dev.seed, tile, m, i)))
                        .collect()
                })
                .collect(),
            devices,
            kind: dev.kind,
            frac_bits: dev.frac_bits,
            c2c_q16: dev.c2c_q16,
            read_q16: dev.read_q16,
            read_lfsr: (first..first + arrays)
                .map(|m| {
                    (0..shape.lines())
                        .map(|l| Lfsr::new32(cell_seed(dev.seed ^ READ_SEED, tile, m, l)))
                        .collect()
                })
                .collect(),
            refs,
            pulses: 0,
        };
        for m in 0..arrays {
            for i in 0..n {
                cells.program(m, i, 0);
            }
        }
        cells
    }

    /// Read noise added to the current of `line` of slice `m` at one sample: `(noise(word) *
    /// read_q16 + 2^15) >> 16` (rounded, so zero-mean) with one word of the line's LFSR (no draw without read noise).
    pub fn read_noise(&mut self, m: usize, line: usize) -> i64 {
        if self.read_q16 == 0 {
            return 0;
        }
        (crate::lfsr::noise(self.read_lfsr[m][line].word()) * self.read_q16 + (1 << 15)) >> 16
    }

    pub fn get(&self, m: usize, r: usize, c: usize) -> i64 {
        self.levels[m][r * self.cols + c]
    }

    fn program(&mut self, m: usize, i: usize, level: i64) {
        let d = &self.devices[m][i];
        let g = match d.stuck {
            Stuck::On => d.g_max,
            Stuck::Off => d.g_min,
            Stuck::No => (level << self.frac_bits).clamp(d.g_min, d.g_max),
        };
        self.g[m][i] = g;
        self.levels[m][i] = self.level_of(m, i, g);
    }

    /// The level a read sees of cell `i` of array `m` at conductance `g`.
    fn level_of(&self, m: usize, i: usize, g: i64) -> i64 {
        let r = self.refs.get(m).map_or(0, |r| r[i]);
        (g - r) >> self.frac_bits
    }

    /// Sets cell `i` of array `m` to conductance `g` (held inside its bounds): an experiment's
    /// initial state (no command of the tile does this).
    pub fn set_conductance(&mut self, m: usize, i: usize, g: i64) {
        let d = self.devices[m][i];
        self.g[m][i] = g.clamp(d.g_min, d.g_max);
        self.levels[m][i] = self.level_of(m, i, self.g[m][i]);
    }

    /// Programs level `level` into cell `(r, c)` of slice `m` (write and verify).
    pub fn set(&mut self, m: usize, r: usize, c: usize, level: i64) {
        self.program(m, r * self.cols + c, level);
    }

    /// Whether a pulse can clip some device of these crossbars at a bound (see
    /// [`crate::device::can_clip`]).
    pub fn can_clip(&self) -> bool {
        let model = crate::device::Model {
            kind: self.kind,
            frac_bits: self.frac_bits,
            c2c_q16: self.c2c_q16,
        };
        self.devices
            .iter()
            .flatten()
            .any(|d| crate::device::can_clip(&model, d))
    }

    /// Sends `|n|` pulses of sign(n) to cell `(r, c)` of slice `m`, one after the other;
    /// returns whether any of them clipped at a bound.
    pub fn pulse(&mut self, m: usize, r: usize, c: usize, n: i64) -> bool {
        let i = r * self.cols + c;
        let d = self.devices[m][i];
        let (up, count) = (n > 0, n.unsigned_abs());
        self.pulses += count;
        let g0 = self.g[m][i];
        let (g, clipped) = if self.kind == Kind::Ideal && self.c2c_q16 == 0 && d.stuck == Stuck::No
        {
            // Noise-free constant steps: the train is one clipped move.
            let step = if up { d.step_up } else { -d.step_down };
            let want = g0 + step * count as i64;
            let g = want.clamp(d.g_min, d.g_max);
            (g, g != want)
        } else {
            let model = crate::device::Model {
                kind: self.kind,
                frac_bits: self.frac_bits,
                c2c_q16: self.c2c_q16,
            };
            pulse_train(&model, &d, g0, up, count, &mut self.lfsr[m][i])
        };
        self.g[m][i] = g;
        self.levels[m][i] = self.level_of(m, i, g);
        clipped
    }

    /// Programs the canonical digits of weight `w` into cell `(r, c)` of every slice.
    pub fn load_weight(&mut self, shape: &TileShape, r: usize, c: usize, w: i64) {
        for (m, d) in weight_digits(w, shape.value_bits, shape.slices())
            .into_iter()
            .enumerate()
        {
            self.set(m, r, c, d);
        }
    }

    /// The weight the slices of cell `(r, c)` represent, carries included.
    pub fn weight(&self, value_bits: u32, r: usize, c: usize) -> i64 {
        let levels: Vec<i64> = (0..self.levels.len()).map(|m| self.get(m, r, c)).collect();
        recompose(&levels, value_bits)
    }
}

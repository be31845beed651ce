//! The conductance levels of a tile's crossbar slices.

use crate::num::{recompose, weight_digits};
use crate::shape::TileShape;

/// Levels of every cell of every slice; `levels[m][r * cols + c]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cells {
    pub rows: usize,
    pub cols: usize,
    pub levels: Vec<Vec<i64>>,
}

impl Cells {
    /// All cells at level 0, as after power-up.
    pub fn new(shape: &TileShape) -> Self {
        Cells {
            rows: shape.rows,
            cols: shape.cols,
            levels: vec![vec![0; shape.rows * shape.cols]; shape.slices()],
        }
    }

    pub fn get(&self, m: usize, r: usize, c: usize) -> i64 {
        self.levels[m][r * self.cols + c]
    }

    pub fn set(&mut self, m: usize, r: usize, c: usize, level: i64) {
        self.levels[m][r * self.cols + c] = level;
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

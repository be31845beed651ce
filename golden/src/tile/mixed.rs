//! The mixed-precision unit's steps in the tile's cycle model: one row of an ACCUMULATE or a
//! TRANSFER per cycle.

use super::TileModel;

impl TileModel {
    pub(super) fn accumulate_row(&mut self, r: usize) {
        let bits = self.shape.mixed.as_ref().expect("mixed unit").chi_bits;
        let cols = self.shape.cols;
        let sats = crate::mixed::accumulate_row(
            &mut self.chi[r * cols..(r + 1) * cols],
            self.x[r],
            &self.d,
            bits,
        )
        .clamped();
        self.chi_saturations = self
            .chi_saturations
            .saturating_add(sats.min(u32::MAX as u64) as u32);
    }

    pub(super) fn transfer_row(&mut self, r: usize) -> u32 {
        let mixed = self.shape.mixed.as_ref().expect("mixed unit");
        crate::mixed::transfer_row(mixed, &mut self.chi, &mut self.cells, r).clipped as u32
    }
}

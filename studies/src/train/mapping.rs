//! Placement of a network's layers on the array's tiles (as PUMA's and PANTHER's compiler does,
//! `docs/training.md`, Mapping): each layer's `inputs x outputs` matrix is cut into
//! crossbar-sized blocks (rows: inputs, columns: outputs; the last blocks of a layer partial),
//! and every block gets a tile of its own, layer after layer, the blocks of a layer in row-major
//! (or column-major) order.
//!
//! The host then runs, per layer:
//! - forward: one MVM per block on the block's slice of the input; the partial sums of a column
//!   block over its row blocks are added on the host (integer accumulators, so the order of the
//!   additions never changes the result);
//! - backward: one MTVM per block on the block's slice of the error; partial sums over column
//!   blocks added;
//! - update: one outer-product update (OPA, ACCUMULATE or pulse update) per block with the
//!   matching slices of the row operand and the column operand.

use super::spec::NetworkSpec;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// The order in which a layer's blocks take tiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    #[default]
    RowMajor,
    ColumnMajor,
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Order::RowMajor => "row-major",
            Order::ColumnMajor => "column-major",
        })
    }
}

/// One crossbar-sized block of a layer, on one tile: weights `[row0, row0 + rows) x [col0,
/// col0 + cols)` of the layer sit in the tile's rows `0..rows` and columns `0..cols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    pub tile: usize,
    pub row_block: usize,
    pub col_block: usize,
    pub row0: usize,
    pub rows: usize,
    pub col0: usize,
    pub cols: usize,
}

/// The blocks of one layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerPlacement {
    pub inputs: usize,
    pub outputs: usize,
    pub row_blocks: usize,
    pub col_blocks: usize,
    /// In the order they took tiles.
    pub blocks: Vec<Block>,
}

impl LayerPlacement {
    /// The tiles of the layer.
    pub fn tiles(&self) -> impl Iterator<Item = usize> + '_ {
        self.blocks.iter().map(|b| b.tile)
    }
}

/// One tile's use.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TileUse {
    pub tile: usize,
    pub layer: usize,
    pub cells_used: usize,
    pub utilisation: f64,
}

/// Where every layer of a network lives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Placement {
    pub network: String,
    pub shape: String,
    pub tile_rows: usize,
    pub tile_cols: usize,
    pub array_tiles: usize,
    pub order: Order,
    pub layers: Vec<LayerPlacement>,
    pub tiles: Vec<TileUse>,
    /// Weights over the cells of the tiles used.
    pub utilisation: f64,
}

/// How many blocks of `size` cover `n`.
fn blocks(n: usize, size: usize) -> usize {
    n.div_ceil(size)
}

/// Tiles `spec` needs on tiles of `rows x cols`.
pub fn tiles_needed(spec: &NetworkSpec, rows: usize, cols: usize) -> usize {
    spec.sizes()
        .iter()
        .map(|&(i, o)| blocks(i, rows) * blocks(o, cols))
        .sum()
}

/// Places `spec` on an array of `array_tiles` tiles of `rows x cols`; refused, with how many it
/// needs, when the array is too small.
pub fn place(
    spec: &NetworkSpec,
    (rows, cols): (usize, usize),
    array_tiles: usize,
    order: Order,
) -> Result<Placement> {
    let need = tiles_needed(spec, rows, cols);
    if need > array_tiles {
        bail!(
            "network {} ({}) needs {need} tiles of {rows}x{cols} ({}), but the design has {array_tiles} (set --tiles {need} or more, or use larger crossbars)",
            spec.name,
            spec.shape_string(),
            spec.sizes()
                .iter()
                .map(|&(i, o)| format!("{}x{}", blocks(i, rows), blocks(o, cols)))
                .collect::<Vec<_>>()
                .join(" + ")
        );
    }
    let mut next = 0;
    let mut layers = Vec::new();
    let mut tiles = Vec::new();
    for (l, (inputs, outputs)) in spec.sizes().into_iter().enumerate() {
        let (rb, cb) = (blocks(inputs, rows), blocks(outputs, cols));
        let grid: Vec<(usize, usize)> = match order {
            Order::RowMajor => (0..rb).flat_map(|r| (0..cb).map(move |c| (r, c))).collect(),
            Order::ColumnMajor => (0..cb).flat_map(|c| (0..rb).map(move |r| (r, c))).collect(),
        };
        let mut bl = Vec::new();
        for (r, c) in grid {
            let b = Block {
                tile: next,
                row_block: r,
                col_block: c,
                row0: r * rows,
                rows: rows.min(inputs - r * rows),
                col0: c * cols,
                cols: cols.min(outputs - c * cols),
            };
            tiles.push(TileUse {
                tile: next,
                layer: l,
                cells_used: b.rows * b.cols,
                utilisation: (b.rows * b.cols) as f64 / (rows * cols) as f64,
            });
            bl.push(b);
            next += 1;
        }
        layers.push(LayerPlacement {
            inputs,
            outputs,
            row_blocks: rb,
            col_blocks: cb,
            blocks: bl,
        });
    }
    let weights: usize = spec.sizes().iter().map(|&(i, o)| i * o).sum();
    Ok(Placement {
        network: spec.name.clone(),
        shape: spec.shape_string(),
        tile_rows: rows,
        tile_cols: cols,
        array_tiles,
        order,
        layers,
        utilisation: weights as f64 / (need * rows * cols) as f64,
        tiles,
    })
}

impl Placement {
    /// Every tile the network uses, in order.
    pub fn used_tiles(&self) -> Vec<usize> {
        self.tiles.iter().map(|t| t.tile).collect()
    }

    /// Each layer's tiles, as indices into [`Placement::used_tiles`].
    pub fn layer_tiles(&self) -> Vec<Vec<usize>> {
        let used = self.used_tiles();
        self.layers
            .iter()
            .map(|l| {
                l.tiles()
                    .map(|t| used.iter().position(|&u| u == t).expect("a used tile"))
                    .collect()
            })
            .collect()
    }

    /// The placement as a table, one line per block.
    pub fn table(&self) -> String {
        let mut s = format!(
            "network {} ({}) on {} of {} tiles of {}x{}, {} order: {:.1}% of their cells hold weights\n",
            self.network,
            self.shape,
            self.tiles.len(),
            self.array_tiles,
            self.tile_rows,
            self.tile_cols,
            self.order,
            100.0 * self.utilisation
        );
        s += "layer  size        block  rows         cols         tile  utilisation\n";
        for (l, lp) in self.layers.iter().enumerate() {
            for b in &lp.blocks {
                s += &format!(
                    "{:<6} {:<11} {:<6} {:<12} {:<12} {:<5} {:>6.1}%\n",
                    l,
                    format!("{}x{}", lp.inputs, lp.outputs),
                    format!("{},{}", b.row_block, b.col_block),
                    format!("{}..{}", b.row0, b.row0 + b.rows),
                    format!("{}..{}", b.col0, b.col0 + b.cols),
                    b.tile,
                    100.0 * (b.rows * b.cols) as f64 / (self.tile_rows * self.tile_cols) as f64
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_weight_once_and_partial_blocks_come_last() {
        let spec = NetworkSpec::shipped("panther").unwrap();
        let p = place(&spec, (128, 128), 64, Order::RowMajor).unwrap();
        assert_eq!(p.tiles.len(), 8 * 2 + 2 * 4 + 4 * 4 + 4);
        assert_eq!(p.used_tiles(), (0..44).collect::<Vec<_>>());
        for lp in &p.layers {
            let mut seen = vec![0u8; lp.inputs * lp.outputs];
            for b in &lp.blocks {
                for r in b.row0..b.row0 + b.rows {
                    for c in b.col0..b.col0 + b.cols {
                        seen[r * lp.outputs + c] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1));
        }
        // The last layer: 4 row blocks of 128 x 10.
        let last = &p.layers[3];
        assert_eq!(
            (last.row_blocks, last.col_blocks, last.blocks[3].cols),
            (4, 1, 10)
        );
        let weights = 1024 * 256 + 256 * 512 + 512 * 512 + 512 * 10;
        assert!((p.utilisation - weights as f64 / (44.0 * 16384.0)).abs() < 1e-12);
        let cm = place(&spec, (128, 128), 64, Order::ColumnMajor).unwrap();
        assert_eq!(
            (
                cm.layers[0].blocks[1].row_block,
                cm.layers[0].blocks[1].col_block
            ),
            (1, 0)
        );
    }

    #[test]
    fn a_network_too_large_for_the_array_is_refused_with_what_it_needs() {
        let spec = NetworkSpec::shipped("digits-256").unwrap();
        let e = place(&spec, (128, 128), 2, Order::RowMajor)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("needs 8 tiles of 128x128 (1x2 + 2x2 + 2x1), but the design has 2"),
            "{e}"
        );
        let digits = place(&NetworkSpec::digits(), (64, 32), 2, Order::RowMajor).unwrap();
        assert_eq!(digits.used_tiles(), vec![0, 1]);
        assert_eq!(digits.tiles[1].cells_used, 320);
    }
}

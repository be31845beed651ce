//! How a large model's generated C++ is dealt into units compiled side by side.

use std::path::PathBuf;

/// Generated C++ above which a model is compiled as several units side by side (one per core,
/// at most 4): below it one unit is faster (the runtime and headers are compiled once).
pub const SPLIT_BYTES: u64 = 4 << 20;

/// How many units to compile the generated sources in.
pub fn split_units(sources: &[(PathBuf, u64)]) -> usize {
    let total: u64 = sources.iter().map(|(_, n)| n).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if total <= SPLIT_BYTES || sources.len() < 2 {
        1
    } else {
        cores.clamp(1, 4).min(sources.len())
    }
}

/// The sources dealt into `n` groups of about equal size (largest first, each to the smallest
/// group so far); every group keeps the sources in name order.
pub fn balanced(sources: &[(PathBuf, u64)], n: usize) -> Vec<Vec<&PathBuf>> {
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sources[i].1));
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n.max(1)];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|g| g.0)
            .expect("at least one group");
        g.0 += sources[i].1;
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(_, mut g)| {
            g.sort_unstable();
            g.into_iter().map(|i| &sources[i].0).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_models_are_dealt_into_balanced_units_in_name_order() {
        let src: Vec<(PathBuf, u64)> = [("a", 9), ("b", 1), ("c", 5), ("d", 4), ("e", 1)]
            .iter()
            .map(|(n, s)| (PathBuf::from(n), *s))
            .collect();
        let groups = balanced(&src, 2);
        let names: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|p| p.to_str().unwrap()).collect())
            .collect();
        assert_eq!(names, vec![vec!["a", "b"], vec!["c", "d", "e"]]);
        let small = vec![(PathBuf::from("x"), 100)];
        assert_eq!(split_units(&small), 1);
        let big: Vec<_> = (0..8)
            .map(|i| (PathBuf::from(format!("{i}")), SPLIT_BYTES))
            .collect();
        assert!(split_units(&big) >= 1 && split_units(&big) <= 4);
    }
}

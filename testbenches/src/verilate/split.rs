//! How a model's generated C++ is dealt into translation units compiled side by side.
//!
//! Verilator writes the code that runs once (construction, initial blocks, the first settle of
//! the combinational logic) into `*__Slow.cpp` files and the code of every cycle into the rest.
//! As Verilator's own makefiles do (`OPT_SLOW` empty, `OPT_FAST` optimised), the slow files are
//! compiled without optimisation: they hold about half of a tile's C++ (the settle code is
//! written out per instance) and took as long to optimise as the cycle code, for nothing a run
//! can measure. The cycle code is compiled with [`FAST_OPT`].

use std::path::{Path, PathBuf};

/// Generated C++ of one kind above which it is compiled as several units side by side (one
/// per core, at most 4): below it one unit is faster (the headers are parsed once).
pub const SPLIT_BYTES: u64 = 4 << 20;

/// The optimisation of the code that runs every cycle.
pub const FAST_OPT: &str = "-O2";

/// The optimisation of the code that runs once (Verilator's default `OPT_SLOW`).
pub const SLOW_OPT: &str = "-O0";

/// One translation unit: the generated sources it includes and its optimisation level.
#[derive(Debug, PartialEq, Eq)]
pub struct Unit<'a> {
    pub sources: Vec<&'a PathBuf>,
    pub opt: &'static str,
}

/// Whether Verilator wrote `path` for code that runs once.
pub fn is_slow(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.ends_with("__Slow"))
}

/// How many units to compile `bytes` of generated C++ in, from `files` files.
fn units_for(bytes: u64, files: usize, cores: usize) -> usize {
    if bytes <= SPLIT_BYTES || files < 2 {
        1
    } else {
        cores.clamp(1, 4).min(files)
    }
}

/// The units of a model: its cycle code (first, so that the runtime and the shim can join the
/// first unit) and its run-once code, each dealt into balanced units when large.
pub fn plan(sources: &[(PathBuf, u64)], cores: usize) -> Vec<Unit<'_>> {
    let mut units = Vec::new();
    for (slow, opt) in [(false, FAST_OPT), (true, SLOW_OPT)] {
        let kind: Vec<&(PathBuf, u64)> =
            sources.iter().filter(|(p, _)| is_slow(p) == slow).collect();
        if kind.is_empty() && slow {
            continue;
        }
        let sizes: Vec<u64> = kind.iter().map(|s| s.1).collect();
        let n = units_for(sizes.iter().sum(), kind.len(), cores);
        for group in deal(&sizes, n) {
            let sources = group.into_iter().map(|i| &kind[i].0).collect();
            units.push(Unit { sources, opt });
        }
    }
    units
}

/// Items of these sizes dealt into `n` groups of about equal size (largest first, each to the
/// smallest group so far); every group lists its items' indices in order.
fn deal(sizes: &[u64], n: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n.max(1)];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|g| g.0)
            .expect("at least one group");
        g.0 += sizes[i];
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(_, mut g)| {
            g.sort_unstable();
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(list: &[(&str, u64)]) -> Vec<(PathBuf, u64)> {
        list.iter().map(|(n, s)| (PathBuf::from(n), *s)).collect()
    }

    fn names<'a>(paths: &[&'a PathBuf]) -> Vec<&'a str> {
        paths.iter().map(|p| p.to_str().unwrap()).collect()
    }

    #[test]
    fn large_models_are_dealt_into_balanced_units_in_name_order() {
        assert_eq!(deal(&[9, 1, 5, 4, 1], 2), vec![vec![0, 1], vec![2, 3, 4]]);
    }

    #[test]
    fn run_once_code_gets_units_of_its_own_without_optimisation() {
        let small = sources(&[
            ("V.cpp", 100),
            ("V__0.cpp", 100),
            ("V__0__Slow.cpp", 100),
            ("V__Slow.cpp", 10),
        ]);
        let units = plan(&small, 2);
        assert_eq!(units.len(), 2);
        assert_eq!(names(&units[0].sources), ["V.cpp", "V__0.cpp"]);
        assert_eq!(units[0].opt, FAST_OPT);
        assert_eq!(names(&units[1].sources), ["V__0__Slow.cpp", "V__Slow.cpp"]);
        assert_eq!(units[1].opt, SLOW_OPT);
        // Without run-once code, one unit.
        assert_eq!(plan(&small[..2], 2).len(), 1);
        // Large: each kind split over the cores, every source in exactly one unit.
        let big: Vec<(PathBuf, u64)> = (0..8)
            .map(|i| {
                let slow = if i % 2 == 0 { "__Slow" } else { "" };
                (PathBuf::from(format!("V__{i}{slow}.cpp")), SPLIT_BYTES)
            })
            .collect();
        let units = plan(&big, 2);
        assert_eq!(units.len(), 4);
        assert_eq!(
            units.iter().map(|u| u.opt).collect::<Vec<_>>(),
            [FAST_OPT, FAST_OPT, SLOW_OPT, SLOW_OPT]
        );
        let mut all: Vec<&str> = units.iter().flat_map(|u| names(&u.sources)).collect();
        all.sort_unstable();
        assert_eq!(all.len(), 8);
        all.dedup();
        assert_eq!(all.len(), 8);
        assert!(units
            .iter()
            .all(|u| u.sources.iter().all(|p| is_slow(p) == (u.opt == SLOW_OPT))));
    }
}

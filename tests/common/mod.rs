//! What the integration tests share: the work directory `pimforge verify` uses (so `make verify`
//! builds each Verilated model once) and designs from presets and configs.
#![allow(dead_code)] // each test crate uses its own subset

use pimforge_gen::config::Config;
use pimforge_gen::design::Design;
use pimforge_gen::fault::Fault;
use pimforge_gen::presets::preset;
use std::path::{Path, PathBuf};

/// Every file of `dir` (not below it) with its contents, by name.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

/// The work directory of `pimforge verify`, `build/` at the root.
pub fn work() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build")
}

/// The design of `cfg` (which must be valid), with `fault` injected.
pub fn design_of(cfg: Config, fault: Option<Fault>) -> Design {
    Design::new(cfg.validated().expect("a valid test config"), fault)
}

/// The design of preset `name`, with `fault` injected.
pub fn design(name: &str, fault: Option<Fault>) -> Design {
    design_of(preset(name).expect("a known preset"), fault)
}

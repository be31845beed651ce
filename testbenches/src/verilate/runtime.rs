//! The Verilator runtime, compiled once and linked into every model.
//!
//! `verilated.cpp`, its thread pool and (in a traced build) the waveform writer are the same
//! for every design, and at `-O2` they cost more g++ time than a small preset's own code
//! (4.2 s against 1.7 s for `tiny`). They are compiled into one object per Verilator version,
//! compiler flags and trace format, cached beside the models, as Verilator's own makefiles keep
//! `verilated.o` apart from the model's objects.

use super::{run, BUILD_PREFIX};
use crate::waves::WaveFormat;
use anyhow::{Context, Result};
use pimforge_scratch::Scratch;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Threads of one process that need the runtime at once wait for the first to compile it.
static COMPILING: Mutex<()> = Mutex::new(());

/// The runtime's sources (in Verilator's `include/`) for a trace format.
fn sources(trace: Option<WaveFormat>) -> &'static [&'static str] {
    match trace {
        // verilated_fst_c.cpp includes GTKWave's FST writer, which needs zlib.
        Some(WaveFormat::Fst) => &[
            "verilated.cpp",
            "verilated_fst_c.cpp",
            "verilated_threads.cpp",
        ],
        Some(WaveFormat::Vcd) => &[
            "verilated.cpp",
            "verilated_vcd_c.cpp",
            "verilated_threads.cpp",
        ],
        None => &["verilated.cpp", "verilated_threads.cpp"],
    }
}

/// The compiled runtime object for a trace format, from the cache or compiled now.
/// `version` is `verilator --version`'s output; `flags` every compiler flag but the sources.
pub(super) fn object(
    cache: &Path,
    root: &Path,
    version: &[u8],
    flags: &[String],
    trace: Option<WaveFormat>,
) -> Result<PathBuf> {
    let list = sources(trace);
    let mut h = Sha256::new();
    h.update(version);
    h.update(flags.join(" "));
    h.update(list.join(" "));
    let key = pimforge_golden::num::hex(&h.finalize()[..8]);
    let variant = trace.map_or(String::new(), |f| format!("-{}", f.extension()));
    let dir = cache.join(format!("runtime{variant}-{key}"));
    let object = dir.join("verilated.o");
    let _turn = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    if object.is_file() {
        return Ok(object);
    }
    // Compiled in a scratch directory and renamed into the cache, as a model is: another
    // process that compiles it at the same time loses the rename and uses the winner's.
    let work = Scratch::new_in(cache, BUILD_PREFIX)?;
    let unit = work.path().join("verilated.cpp");
    let text: String = list
        .iter()
        .map(|s| format!("#include \"{}\"\n", root.join("include").join(s).display()))
        .collect();
    fs::write(&unit, text)?;
    run(Command::new("g++")
        .args(flags)
        .arg("-c")
        .arg(&unit)
        .arg("-o")
        .arg(work.path().join("verilated.o")))?;
    match work.persist(&dir) {
        Ok(()) => Ok(object),
        Err(_) if object.is_file() => Ok(object),
        Err(e) => Err(e).context("cannot move the Verilator runtime into the cache"),
    }
}

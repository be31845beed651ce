//! External EDA tools: finding them and running them with useful errors.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Output};

/// Fails with an install hint when `tool` is not on PATH.
pub fn require(tool: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        bail!("{tool} is not installed: run `make deps` (Debian: apt-get install verilator yosys iverilog)");
    }
    Ok(())
}

/// Runs a command in `dir`; on failure the error carries its output.
pub fn run(cmd: &mut Command, dir: &Path) -> Result<Output> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if pimforge_scratch::killed_by_interrupt(&out.status) {
        return Err(pimforge_scratch::Interrupted.into());
    }
    if !out.status.success() {
        bail!(
            "{shown} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

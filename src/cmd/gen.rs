//! `pimforge gen`: write the SystemVerilog of a config.

use super::flags::count;
use super::ConfigArgs;
use clap::Args;
use pimforge_gen::fault::Fault;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct GenArgs {
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Output directory (replaced atomically; never written over files pimforge did not make).
    #[arg(long, default_value = "rtl")]
    pub out: PathBuf,
    /// Debug: build the RTL with a deliberate bug, to check that verification catches it:
    /// LINE:PLANE:BIT (a flipped accumulator bit), opa-digit (OPA digits from the wrong bits),
    /// crs-shift (CRS recomposes slice 1 one bit too high) or refine-round (the refinement
    /// controller truncates instead of rounding).
    #[arg(long, value_name = "FAULT", hide = true)]
    pub inject_fault: Option<Fault>,
    /// Go ahead with a design estimated to write more than 1 GiB of files, or to need more
    /// than 8 GiB to build with Verilator.
    #[arg(long)]
    pub allow_large: bool,
}

pub fn run(a: &GenArgs, dry: bool) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let design = a.cfg.design(a.inject_fault)?;
    pimforge_gen::emit::estimate(&design).check(a.allow_large)?;
    if dry {
        pimforge_gen::output::check_out(&a.out, "--out")?;
        say!(
            "pimforge: dry run: would write {} (config {})",
            a.out.display(),
            design.hash
        );
        return Ok(());
    }
    let files = pimforge_gen::emit::write(&design, &a.out, "--out")?;
    let s = &design.shape;
    say!(
        "pimforge: wrote {} files to {} in {:.0} ms (config {}): {} of {}x{} crossbars, {} slices, {}-bit ADC{}, accumulators {} bits, MVM {} cycles",
        files.len(),
        a.out.display(),
        t0.elapsed().as_secs_f64() * 1e3,
        design.hash,
        count(design.tiles(), "tile"),
        s.rows,
        s.cols,
        s.slices(),
        s.adc.bits,
        if s.adc_is_exact() { " (exact)" } else { " (clipping, counted)" },
        s.acc_bits(),
        s.mvm_cycles()
    );
    Ok(())
}

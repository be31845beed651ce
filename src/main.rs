//! The `pimforge` command line.

#[macro_use]
mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "pimforge",
    version,
    about = "Generate, verify and synthesise ReRAM processing-in-memory training tiles"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Check the config, every flag and the output paths, say what would run, and stop before
    /// any work.
    #[arg(long, global = true)]
    dry_run: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the SystemVerilog of a config (default: the 64-tile `puma` array into rtl/).
    Gen(cmd::gen::GenArgs),
    /// Print the resolved config and the widths and latencies derived from it.
    Config(cmd::config::ConfigCmd),
    /// List the named presets.
    Presets(cmd::presets::PresetsArgs),
    /// Run the generated RTL under Verilator in lock-step with the golden model.
    Verify(cmd::verify::VerifyArgs),
    /// Run a regression list (YAML: groups of presets or configs, seeds, options) as `verify`
    /// runs in parallel, with one table, a replay line per failure and a JUnit file.
    Regress(cmd::regress::RegressArgs),
    /// Train every point of a sweep file (config fields x algorithms x seeds) in parallel,
    /// resuming where an interrupted sweep stopped; a table and a Pareto plot of accuracy
    /// against energy per sample and area. `--slurm`: as a Slurm job array.
    Sweep(cmd::sweep::SweepArgs),
    /// Synthesise every digital module with Yosys and report cells, transistors and depth.
    Synth(cmd::synth::SynthArgs),
    /// A mutation campaign over the generated RTL: one-line bugs, each linted and run through
    /// the CI regression, with a report of what caught each.
    Mutate(cmd::mutate::MutateArgs),
    /// Train a network (default: the 64-32-10 digits MLP) in memory on a data set (golden
    /// model, or RTL in lock-step).
    Train(Box<cmd::train::TrainArgs>),
    /// Replay a recorded host program (`train --record`) on the golden model or the RTL in
    /// lock-step, every response and wait compared with the recording.
    Replay(cmd::replay::ReplayArgs),
    /// Place a network's layers on a design's tiles: blocks, tiles and utilisation.
    Map(cmd::map::MapArgs),
    /// Plot the test accuracy of several `train` reports in one PNG.
    Plot(cmd::plot::PlotArgs),
    /// Price finished `train` runs again from their counted events: with any cost table,
    /// against PANTHER's baselines, accuracy against energy per training sample.
    Cost(cmd::cost::CostCmdArgs),
    /// Solve one's own system A x = b (Matrix Market files) on the refinement controller
    /// (golden model, or pim_solver in lock-step).
    Solve(cmd::solve::SolveArgs),
    /// Convergence of high-precision solves from a low-precision INV crossbar (golden model).
    Refine(cmd::refine::RefineArgs),
    /// Second-order (K-FAC) training with refined inverses against SGD (golden model).
    Kfac(cmd::kfac::KfacArgs),
    /// Tiki-Taka against A's reference offsets: TTv2, c-TTv2, AGAD, analog SGD, mixed
    /// precision (golden model).
    Offsets(cmd::offsets::OffsetsArgs),
    /// SBPCA's low-rank batch updates over batch sizes and ranks, against per-sample OPA and
    /// float64 mini-batch SGD (golden model).
    Sbpca(cmd::sbpca::SbpcaArgs),
    /// Training under faults: stuck cells (upper, lower bound) and device-to-device variation,
    /// for every update algorithm (golden model).
    Faults(cmd::faults::FaultsArgs),
    /// Models trained on one chip deployed onto others by write-and-verify, against a
    /// float64-trained model deployed the same way (golden model).
    Deploy(cmd::deploy::DeployArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C, SIGTERM or SIGHUP: remove the scratch directories of unfinished output (finished
    // files, such as the per-epoch reports of `train`, stay) and exit with the shell's code.
    let _ = ctrlc::set_handler(|| {
        interrupted();
    });
    let dry = cli.dry_run;
    let result = match &cli.cmd {
        Cmd::Gen(a) => cmd::gen::run(a, dry),
        Cmd::Config(a) => cmd::config::run(a),
        Cmd::Verify(a) => cmd::verify::run(a, dry),
        Cmd::Regress(a) => cmd::regress::run(a, dry),
        Cmd::Sweep(a) => cmd::sweep::run(a, dry),
        Cmd::Synth(a) => cmd::synth::run(a, dry),
        Cmd::Mutate(a) => cmd::mutate::run(a, dry),
        Cmd::Train(a) => cmd::train::run(a.as_ref(), dry),
        Cmd::Map(a) => cmd::map::run(a, dry),
        Cmd::Replay(a) => cmd::replay::run(a, dry),
        Cmd::Plot(a) => cmd::plot::run(a, dry),
        Cmd::Cost(a) => cmd::cost::run(a, dry),
        Cmd::Refine(a) => cmd::refine::run(a, dry),
        Cmd::Solve(a) => cmd::solve::run(a, dry),
        Cmd::Kfac(a) => cmd::kfac::run(a, dry),
        Cmd::Offsets(a) => cmd::offsets::run(a, dry),
        Cmd::Sbpca(a) => cmd::sbpca::run(a, dry),
        Cmd::Faults(a) => cmd::faults::run(a, dry),
        Cmd::Deploy(a) => cmd::deploy::run(a, dry),
        Cmd::Presets(a) => cmd::presets::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A tool killed by the same Ctrl-C can fail the work before the handler runs.
        Err(e) if e.is::<pimforge_scratch::Interrupted>() || pimforge_scratch::stopped() => {
            interrupted()
        }
        Err(e) => {
            warn!("pimforge: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Removes the scratch directories of unfinished output and exits with the shell's code of an
/// interrupt.
fn interrupted() -> ! {
    pimforge_scratch::remove_all();
    warn!("pimforge: interrupted; unfinished output removed");
    std::process::exit(130);
}

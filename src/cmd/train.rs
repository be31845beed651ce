//! `pimforge train`: a network (the 64-32-10 digits MLP by default) placed on the design's tiles
//! and trained in memory on a data set (the shipped digits by default), on the golden model or
//! on the RTL in lock-step, with a progress bar (and a line per epoch, on a terminal or not).

use super::cost_args::CostArgs;
use super::data::DataArgs;
use super::flags::{count, positive};
use super::ConfigArgs;
use anyhow::{bail, Result};
use clap::builder::RangedU64ValueParser;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use pimforge_gen::design::Design;
use pimforge_studies::train::config::{Algorithm, TrainConfig};
use pimforge_studies::train::epochs::Epoch;
use pimforge_studies::train::lowrank::Arith;
use pimforge_studies::train::mapping::Order;
use pimforge_studies::train::reference;
use pimforge_studies::train::run::{run as train, BackendKind, TrainRun};
use pimforge_studies::train::spec::NetworkSpec;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The design (default preset: `digits` for opa, `digits-mixed` for mixed; also the base of
    /// a `--config` file without a `preset:` key).
    #[command(flatten)]
    pub cfg: ConfigArgs,
    #[arg(long, value_enum, default_value_t = Algorithm::Opa)]
    pub algorithm: Algorithm,
    #[arg(long, value_enum, default_value_t = BackendKind::Golden)]
    pub backend: BackendKind,
    /// Epochs (1..=10000).
    #[arg(long, default_value_t = reference::REFERENCE_EPOCHS,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub epochs: usize,
    /// Learning rate (finite, above 0): of the weights (OPA, mixed, analog SGD's pulse count),
    /// or Tiki-Taka's transfer rate. Default 0.01; ttv2 and agad 0.3, cttv2 0.1.
    #[arg(long, value_parser = positive)]
    pub lr: Option<f64>,
    /// Tiki-Taka and analog SGD: the pulse-count learning rate of the updates into A, with
    /// aihwkit's auto-scaling (finite, above 0).
    #[arg(long, default_value_t = 0.5, value_parser = positive)]
    pub fast_lr: f64,
    /// The biases' learning rate on the host (default: --lr; Tiki-Taka 0.01).
    #[arg(long, value_parser = positive)]
    pub bias_lr: Option<f64>,
    /// Seed of the initial weights, the sample order and the stochastic rounding.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// OPA: carry resolution of every tile after this many samples (0: never).
    #[arg(long, default_value_t = 256)]
    pub crs_every: usize,
    /// Mixed precision: transfer after this many samples (at least 1).
    #[arg(long, default_value_t = 64,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub transfer_every: usize,
    /// Fraction bits of the update's row operand (activations): 0 up to the design's
    /// input.bits - 1.
    #[arg(long, default_value_t = 4)]
    pub x_frac: u32,
    /// Train on the first N samples of each epoch only (at least 1).
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test samples only (at least 1).
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub test_limit: Option<usize>,
    /// The network: a shipped one (digits: 64-32-10; digits-256: 64-256-256-10; blobs, rings; panther:
    /// 1024-256-512-512-10) or a YAML file (docs/training.md, Networks).
    #[arg(long, value_name = "NAME|FILE.yaml", default_value = "digits")]
    pub network: String,
    /// The order in which a layer's blocks take tiles.
    #[arg(long, value_enum, default_value_t = Order::RowMajor)]
    pub order: Order,
    /// Scale each error by a power of two into the input range before its transposed products
    /// (block floating point): deep networks' small errors keep their digits.
    #[arg(long)]
    pub scale_errors: bool,
    /// Round the update's row operand (activations) stochastically instead of to nearest: small
    /// hidden activations below half a step of --x-frac then still update their rows.
    #[arg(long)]
    pub stochastic_rows: bool,
    /// SBPCA: rank of each layer's batch-gradient estimate (1..=64; at most the layer's smaller
    /// dimension).
    #[arg(long, default_value_t = 2,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub rank: usize,
    /// SBPCA: samples per batch, the estimate written into the arrays at its end (1..=100000).
    #[arg(long, default_value_t = 128,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub batch: usize,
    /// SBPCA: the estimate's arithmetic: `fixed` (the hardware's division-free integer form;
    /// --batch a power of two) or `float` (the float64 reference).
    #[arg(long, value_enum, default_value_t = Arith::Fixed)]
    pub sbpca_arith: Arith,
    #[command(flatten)]
    pub data: DataArgs,
    /// After training, program the trained weights (write-and-verify) onto other chips of the
    /// design whose device variation and stuck cells are drawn from these seeds (device.seed,
    /// 0..=4294967295; comma-separated), and test them there beside the float64 reference
    /// deployed the same way (on the run's backend).
    #[arg(long, value_name = "SEED", value_delimiter = ',',
          value_parser = RangedU64ValueParser::<u64>::new().range(0..=u32::MAX as u64))]
    pub deploy_seed: Vec<u64>,
    /// Report directory (report.json, accuracy.png, cost.png), rewritten after every epoch; default
    /// build/train/<design>-<algorithm>-<backend>-s<seed>. A report of another run there is
    /// never replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the host program the run issues (every command, its waits and the responses) to
    /// this file, for `pimforge replay`; with the golden backend the cycle-level model runs it
    /// (slower: short runs). A file there that is not a host program is never replaced.
    #[arg(long, value_name = "PROG.txt")]
    pub record: Option<PathBuf>,
    /// Work directory of RTL builds.
    #[arg(long, default_value = "build")]
    pub work: PathBuf,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub cost: CostArgs,
}

impl TrainArgs {
    /// The flags of the run itself, as a replay command spells them.
    fn run_flags(&self) -> String {
        let mut s = format!(
            "--algorithm {} --seed {} --epochs {} --lr {} --x-frac {} --crs-every {} --transfer-every {}",
            self.algorithm, self.seed, self.epochs, self.lr(), self.x_frac, self.crs_every,
            self.transfer_every
        );
        if self.algorithm.is_pulsed() {
            s += &format!(
                " --fast-lr {} --bias-lr {}",
                self.fast_lr,
                self.bias_lr().unwrap_or(self.lr())
            );
        }
        if self.algorithm == Algorithm::Sbpca {
            s += &format!(
                " --rank {} --batch {} --sbpca-arith {}",
                self.rank,
                self.batch,
                self.sbpca_arith
                    .to_possible_value()
                    .expect("a value")
                    .get_name()
            );
        }
        if let Some(n) = self.train_limit {
            s += &format!(" --train-limit {n}");
        }
        if let Some(n) = self.test_limit {
            s += &format!(" --test-limit {n}");
        }
        if self.network != "digits" {
            s += &format!(" --network {}", self.network);
        }
        if self.scale_errors {
            s += " --scale-errors";
        }
        if self.stochastic_rows {
            s += " --stochastic-rows";
        }
        if self.order != Order::RowMajor {
            s += " --order column-major";
        }
        if !self.deploy_seed.is_empty() {
            let seeds: Vec<String> = self.deploy_seed.iter().map(u64::to_string).collect();
            s += &format!(" --deploy-seed {}", seeds.join(","));
        }
        s + &self.data.flags()
    }
}

impl TrainArgs {
    /// `--lr`, or the algorithm's default.
    fn lr(&self) -> f64 {
        self.lr.unwrap_or(self.algorithm.default_lr())
    }

    /// `--bias-lr`, or the algorithm's default (`None`: `--lr`).
    fn bias_lr(&self) -> Option<f64> {
        match (self.bias_lr, self.algorithm.flavor()) {
            (Some(b), _) => Some(b),
            (None, Some(_)) => Some(reference::REFERENCE_LR),
            (None, None) => None,
        }
    }
}

/// The design with its Tiki-Taka unit set to the algorithm's flavor (when it has a unit of
/// another), and whether it was.
fn with_flavor(
    cfg: pimforge_gen::config::Valid,
    algorithm: Algorithm,
) -> Result<(pimforge_gen::config::Valid, bool)> {
    let mut c = (*cfg).clone();
    if !algorithm.configure(&mut c) {
        return Ok((cfg, false));
    }
    Ok((c.validated()?, true))
}

fn epoch_line(ep: &Epoch) -> String {
    format!(
        "epoch {:>3}: test accuracy {:6.2}%  train loss {:.4}  pulses {} (into A {})  CRS {} ({} saturated)  update clips {}",
        ep.epoch,
        100.0 * ep.test_accuracy,
        ep.train_loss,
        ep.counters.pulses,
        ep.counters.a_pulses,
        ep.counters.crs_passes,
        ep.counters.crs_saturations,
        ep.counters.update_clips
    )
}

/// The design a run trains: its config (a preset, a file, or `inline` YAML text with the name
/// its errors give it) over the algorithm's default preset, the Tiki-Taka unit set to the
/// algorithm's flavor. Also whether that changed the unit.
pub fn design_of(a: &TrainArgs, inline: Option<(&str, &str)>) -> Result<(Design, bool)> {
    // The default design follows the algorithm, for a preset and a config file's base alike.
    let mut src = a.cfg.source();
    src.default_preset = Some(a.algorithm.default_preset());
    let cfg = match inline {
        Some((text, origin)) => pimforge_gen::load::from_yaml(text, origin, &src)?.validated()?,
        None => pimforge_gen::load::resolve(&src)?,
    };
    let (cfg, changed) = with_flavor(cfg, a.algorithm)?;
    Ok((Design::new(cfg, None), changed))
}

pub fn run(a: &TrainArgs, dry: bool) -> Result<()> {
    let default = a.algorithm.default_preset();
    let mut src = a.cfg.source();
    src.default_preset = Some(default);
    let name = match (&a.cfg.preset, &a.cfg.config) {
        (_, Some(f)) => f
            .file_stem()
            .map_or("config".into(), |s| s.to_string_lossy().into_owned()),
        (Some(p), None) => p.clone(),
        (None, None) => default.to_string(),
    };
    let (design, flavored) = design_of(a, None)?;
    if flavored {
        warn!(
            "pimforge: the design's Tiki-Taka unit set to {0} for --algorithm {0}",
            a.algorithm
        );
    }
    let input_bits = design.config().input.bits;
    if a.x_frac >= input_bits {
        bail!(
            "--x-frac {}: allowed 0..={} (the row operand is an input.bits = {input_bits}-bit number)",
            a.x_frac,
            input_bits - 1
        );
    }
    let network = NetworkSpec::load(&a.network)?;
    let data = a.data.load((network.inputs, network.classes()))?;
    let net_part = match a.network.as_str() {
        "digits" => String::new(),
        n => format!(
            "{}-",
            std::path::Path::new(n)
                .file_stem()
                .map_or(n.into(), |s| s.to_string_lossy().into_owned())
        ),
    };
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("build/train").join(format!(
            "{name}-{net_part}{}-{}-s{}",
            a.algorithm, a.backend, a.seed
        ))
    });
    let run = TrainRun {
        design: &design,
        name: name.clone(),
        backend: a.backend,
        train: TrainConfig {
            algorithm: a.algorithm,
            epochs: a.epochs,
            lr: a.lr(),
            seed: a.seed,
            crs_every: a.crs_every,
            transfer_every: a.transfer_every,
            x_frac: a.x_frac,
            train_limit: a.train_limit,
            test_limit: a.test_limit,
            fast_lr: a.fast_lr,
            bias_lr: a.bias_lr(),
            order: a.order,
            scale_errors: a.scale_errors,
            stochastic_rows: a.stochastic_rows,
            sbpca: pimforge_studies::train::config::Sbpca {
                rank: a.rank,
                batch: a.batch,
                arith: a.sbpca_arith,
            },
        },
        network,
        data: &data,
        replay: pimforge_flows::replay::train(&src, &a.run_flags()),
        work: a.work.clone(),
        out: out.clone(),
        record: a.record.clone(),
        cost: a.cost.table()?,
        deploy: a.deploy_seed.clone(),
    };
    if dry {
        // `train` checks the placement and the report directory first thing, before any work.
        let p = pimforge_studies::train::run::placement(&run)?;
        pimforge_studies::train::run::check_out(&run)?;
        if let Some(p) = &a.record {
            pimforge_tb::program::check_target(p, "--record")?;
        }
        say!(
            "pimforge: dry run: would train {} ({}, on {} tiles) with {} on {name} ({} backend) and write {}",
            run.network.name,
            run.network.shape_string(),
            p.tiles.len(),
            a.algorithm,
            a.backend,
            out.display()
        );
        return Ok(());
    }
    if a.backend == BackendKind::Rtl {
        warn!(
            "pimforge: building the RTL model of {name} (cached in {})",
            a.work.display()
        );
    }
    let bar = if a.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} samples ({per_sec}, eta {eta}) {msg}",
        )
        .expect("valid template"),
    );
    let report = train(&run, &mut |done, total, epoch| {
        bar.set_length(total);
        bar.set_position(done);
        if let (Some(ep), false) = (epoch, a.quiet) {
            bar.suspend(|| say!("{}", epoch_line(ep)));
        }
    })?;
    bar.finish_and_clear();
    let c = &report.counters;
    say!(
        "pimforge: {} on {name} ({} backend): test accuracy {:.2}% after {} (float64 reference, same seed and samples: {:.2}%); {} pulses, {} CRS passes ({} saturated weights), {} clipped cell updates, {} chi saturations; host operands clamped: {} activations, {} update operands, {} weights; {:.0} samples/s; report in {}",
        a.algorithm,
        report.backend,
        100.0 * report.final_test_accuracy,
        count(a.epochs, "epoch"),
        100.0 * report.reference.accuracy.last().copied().unwrap_or(0.0),
        c.pulses,
        c.crs_passes,
        c.crs_saturations,
        c.update_clips,
        c.chi_saturations,
        report.host_clips.activations,
        report.host_clips.update_operands,
        report.host_clips.weights,
        report.train_samples_per_second,
        out.display()
    );
    if let Some(l) = &report.lowrank {
        say!(
            "pimforge: low-rank estimates ({} arithmetic): {} block samples absorbed, {} saturated adds, {} vectors replaced in Gram-Schmidt",
            a.sbpca_arith.to_possible_value().expect("a value").get_name(),
            l.samples,
            l.saturations,
            l.replaced
        );
    }
    if let Some(c) = &report.cost {
        say!("pimforge: {}", c.summary());
    }
    if let Some(d) = &report.deployment {
        say!("pimforge: {}", d.summary());
    }
    if let Some(l) = &report.lockstep {
        say!("pimforge: lock-step: {l}");
    }
    if let Some(p) = &a.record {
        say!(
            "pimforge: host program written to {} (replay: pimforge replay {0} --backend rtl)",
            p.display()
        );
    }
    Ok(())
}

//! The machine-readable result of `pimforge verify` (`--json`, `--junit`): the design, the seed,
//! every phase of the run (the array in lock-step, the Icarus replay, the coverage requirement,
//! the solver) with its counters, and a failure with its cycle, signal, values and replay line.
//! The JUnit file is one test suite with a test case per phase, written by [`super::junit`].

use super::json_out::JsonOut;
use super::junit::{Case, Junit, Outcome, Suite};
use pimforge_tb::{Mismatch, Summary};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;

/// One phase's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub name: &'static str,
    pub passed: bool,
    pub seconds: f64,
    /// The one-line result, as printed.
    pub summary: String,
    /// The phase's counters (cycles, commands, products, ...).
    pub counters: Value,
    /// What failed: `kind` (`mismatch`, `coverage` or `error`), `report` (the text printed),
    /// and for a mismatch its cycle, signal, values and replay line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub command: &'static str,
    pub design: String,
    pub config_hash: String,
    pub seed: u64,
    pub products: usize,
    pub replay: String,
    pub passed: bool,
    pub phases: Vec<Phase>,
}

/// The counters of a lock-step run.
pub fn counters(s: &Summary) -> Value {
    json!({
        "cycles": s.cycles,
        "commands": s.commands,
        "responses": s.responses,
        "products": s.forward + s.transpose,
        "mvm": s.forward,
        "mtvm": s.transpose,
        "exact_checked": s.exact_checked,
        "clipped_conversions": s.clipped,
        "opas": s.opas,
        "opa_clips": s.opa_clips,
        "crs_passes": s.crs_passes,
        "crs_saturations": s.crs_saturations,
        "mixed_updates": s.mixed_updates,
        "mixed_events": s.mixed_events,
        "tiki_updates": s.tiki_updates,
        "tiki_clips": s.tiki_clips,
        "lowrank_batches": s.lowrank,
        "device_pulses": s.pulses,
        "weight_loads": s.weight_loads,
        "cell_writes": s.cell_writes,
        "error_probes": s.error_probes,
        "cycles_per_second": s.cycles as f64 / s.seconds.max(1e-9),
    })
}

/// A mismatch as JSON: where, what, and how to replay it.
pub fn mismatch(m: &Mismatch) -> Value {
    json!({
        "kind": "mismatch",
        "cause": format!("{:?}", m.cause),
        "cycle": m.cycle,
        "signal": m.signal,
        // As strings: the values can be wider than a JSON number holds exactly.
        "expected": m.expected.to_string(),
        "actual": m.actual.to_string(),
        "in_flight": m.in_flight,
        "seed": m.seed,
        "replay": m.replay,
        "waves": m.waves.as_ref().map(|(rtl, golden, first, last)| json!({
            "rtl": rtl, "golden": golden, "first_cycle": first, "last_cycle": last,
        })),
        "report": m.to_string(),
    })
}

impl Report {
    pub fn junit(&self) -> String {
        let cases = self
            .phases
            .iter()
            .map(|p| Case {
                name: p.name.to_string(),
                classname: format!("{}.seed{}", self.design, self.seed),
                seconds: p.seconds,
                outcome: match &p.failure {
                    None => Outcome::Passed,
                    Some(f) => {
                        let kind = f["kind"].as_str().unwrap_or("failure");
                        let text = f["report"].as_str().unwrap_or_default().to_string();
                        Outcome::not_passed(kind == "error", kind, text)
                    }
                },
                output: p.summary.clone(),
            })
            .collect();
        let property = |n: &str, v: String| (n.to_string(), v);
        Junit {
            name: "pimforge".into(),
            suites: vec![Suite {
                name: format!("pimforge verify {}", self.design),
                properties: vec![
                    property("config_hash", self.config_hash.clone()),
                    property("seed", self.seed.to_string()),
                    property("products", self.products.to_string()),
                    property("replay", self.replay.clone()),
                ],
                cases,
            }],
        }
        .to_xml()
    }
}

/// The report files a run was asked for, opened before the work (so a bad path fails first).
pub struct Outputs {
    json: Option<JsonOut>,
    junit: Option<JsonOut>,
}

impl Outputs {
    pub fn open(json: Option<&Path>, junit: Option<&Path>) -> anyhow::Result<Outputs> {
        Ok(Outputs {
            json: match json {
                Some(p) => Some(JsonOut::create(
                    p,
                    &["command", "phases"],
                    "pimforge verify",
                )?),
                None => None,
            },
            junit: match junit {
                Some(p) => Some(JsonOut::create_junit(p, "pimforge verify")?),
                None => None,
            },
        })
    }

    pub fn write(self, report: &Report) -> anyhow::Result<()> {
        if let Some(out) = self.json {
            out.finish(&(serde_json::to_string_pretty(report)? + "\n"))?;
        }
        if let Some(out) = self.junit {
            out.finish(&report.junit())?;
        }
        Ok(())
    }
}

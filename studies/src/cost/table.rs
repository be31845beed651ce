//! Cost tables: what one counted event costs in energy and time, and what each component adds
//! in leakage and area (YAML, `assets/cost/`; `docs/cost.md` gives every number's source).

use super::digital::DigitalOp;
use anyhow::{bail, Context, Result};
use pimforge_golden::events::Event;
use pimforge_golden::solver::{InvShape, SolverEvent};
use pimforge_golden::TileShape;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in tables: name and YAML text.
pub const BUILT_IN: [(&str, &str); 5] = [
    ("panther", include_str!("../../../assets/cost/panther.yaml")),
    ("isaac", include_str!("../../../assets/cost/isaac.yaml")),
    (
        "panther-cmos-op",
        include_str!("../../../assets/cost/panther-cmos-op.yaml"),
    ),
    (
        "panther-digital",
        include_str!("../../../assets/cost/panther-digital.yaml"),
    ),
    (
        "panther-pipelayer",
        include_str!("../../../assets/cost/panther-pipelayer.yaml"),
    ),
];

/// A table file: its own entries, or another table with some numbers changed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    name: String,
    /// The table this one changes (a built-in table or a file).
    base: Option<String>,
    /// `ENTRY.FIELD=VALUE` changes of the base, as `--cost-set` spells them.
    #[serde(default)]
    set: Vec<String>,
    clock_ns: Option<f64>,
    node_nm: Option<u32>,
    components: Option<Vec<Entry>>,
}

/// The array size the crossbar entries are quoted for (128 x 128 cells).
pub const REFERENCE_CELLS: f64 = 16384.0;
/// The access width the memory entries are quoted for.
pub const REFERENCE_BITS: f64 = 256.0;
/// Energy of an ADC conversion against the 8-bit one, for 4..=10 bits (the ISAAC ADC table of
/// Accelergy's hwcomponents library, after Saberi et al. 2011: 0.79 .. 2.38 pJ).
pub const ADC_BITS_RATIO: [(u32, f64); 7] = [
    (4, 0.79 / 1.666666667),
    (5, 0.99 / 1.666666667),
    (6, 1.20 / 1.666666667),
    (7, 1.42 / 1.666666667),
    (8, 1.0),
    (9, 1.969078145 / 1.666666667),
    (10, 2.379022742 / 1.666666667),
];

/// The energy of a `bits`-bit conversion against an 8-bit one: [`ADC_BITS_RATIO`] within 4..=10
/// bits, doubling per bit beyond its ends (the library's own resolution scaling, `pow_base(2)`).
pub fn adc_ratio(bits: u32) -> f64 {
    let (lo, hi) = (ADC_BITS_RATIO[0], ADC_BITS_RATIO[ADC_BITS_RATIO.len() - 1]);
    match ADC_BITS_RATIO.iter().find(|(b, _)| *b == bits) {
        Some((_, r)) => *r,
        None if bits > hi.0 => hi.1 * 2f64.powi((bits - hi.0) as i32),
        None => lo.1 / 2f64.powi((lo.0 - bits) as i32),
    }
}

/// How an entry's energy scales with the design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    None,
    /// With the cells of one array, against [`REFERENCE_CELLS`].
    Cells,
    /// With the ADC's bits ([`ADC_BITS_RATIO`]).
    AdcBits,
    /// With the width of a value (the tile's data word), against [`REFERENCE_BITS`].
    DataBits,
    /// With the cells of the INV crossbar (`n x n`), against [`REFERENCE_CELLS`].
    InvCells,
    /// With the INV output ADC's bits ([`ADC_BITS_RATIO`]).
    InvAdcBits,
    /// With the width of the solver's solution register, against [`WORD_BITS`].
    XBits,
}

/// The word the digital entries are quoted for (PUMA's 16-bit ALU).
pub const WORD_BITS: f64 = 16.0;

/// Every key a table prices: the tile's events, the solver's and the digital operations.
pub fn keys() -> Vec<String> {
    Event::ALL
        .iter()
        .map(|e| e.key())
        .chain(SolverEvent::ALL.iter().map(|e| e.key()))
        .chain(DigitalOp::ALL.iter().map(|o| o.key()))
        .collect()
}

/// How many of a component one tile has (for its area and leakage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instances {
    /// One per line (the DACs).
    Lines,
    /// One per ADC of every slice.
    Adcs,
    /// One per array (slice), plus A of a Tiki-Taka tile.
    Arrays,
    /// One per tile.
    Tile,
    /// One per solver (the INV crossbar, its converters, the controller): none on a training
    /// tile.
    Solver,
    /// Not part of the PIM design (the digital baseline's units).
    Digital,
}

/// One priced action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub component: String,
    /// The action it prices: a tile event (`docs/hardware.md`, status words 11..20), a solver
    /// event (`ev_o`) or a digital operation ([`keys`]).
    pub event: String,
    /// Energy per event, pJ (before [`Scale`]).
    pub energy_pj: f64,
    /// Time of one event, ns (the latency model uses it where an operation's analog time
    /// exceeds its cycles).
    pub latency_ns: f64,
    /// Leakage per instance, mW.
    pub leak_mw: f64,
    /// Area per instance, um^2.
    pub area_um2: f64,
    pub instances: Instances,
    pub scale: Scale,
    pub source: String,
}

/// A cost table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostTable {
    pub name: String,
    /// The tile's clock period, ns.
    pub clock_ns: f64,
    /// Technology node, nm (documentation; the numbers are quoted at it).
    pub node_nm: u32,
    pub components: Vec<Entry>,
}

impl CostTable {
    /// A built-in table by name, or a YAML file.
    pub fn load(spec: &str) -> Result<CostTable> {
        let (text, origin) = match BUILT_IN.iter().find(|(n, _)| *n == spec) {
            Some((_, t)) => (t.to_string(), format!("built-in table '{spec}'")),
            None if Path::new(spec).is_file() => (
                std::fs::read_to_string(spec).with_context(|| format!("reading {spec}"))?,
                spec.to_string(),
            ),
            None => bail!(
                "cost table '{spec}': neither a built-in table ({}) nor a file",
                BUILT_IN.map(|(n, _)| n).join(", ")
            ),
        };
        let f: TableFile =
            serde_norway::from_str(&text).with_context(|| format!("cost table {origin}"))?;
        let mut t = match (&f.base, f.components) {
            (Some(base), None) => {
                let mut t = CostTable::load(base).with_context(|| format!("{origin}: base"))?;
                t.name = f.name.clone();
                t
            }
            (None, Some(components)) => CostTable {
                name: f.name.clone(),
                clock_ns: f.clock_ns.unwrap_or(1.0),
                node_nm: f.node_nm.unwrap_or(32),
                components,
            },
            _ => bail!("cost table {origin}: give either `base` or `components`"),
        };
        for a in &f.set {
            t.set(a).with_context(|| format!("cost table {origin}"))?;
        }
        t.validate()
            .with_context(|| format!("cost table {origin}"))?;
        Ok(t)
    }

    /// Every field in range, every event priced exactly once.
    pub fn validate(&self) -> Result<()> {
        if !(self.clock_ns.is_finite() && self.clock_ns > 0.0) {
            bail!(
                "clock_ns: {} must be a positive number of ns",
                self.clock_ns
            );
        }
        for (i, e) in self.components.iter().enumerate() {
            let at = format!("components[{i}] ({})", e.component);
            let keys = keys();
            if !keys.contains(&e.event) {
                bail!(
                    "{at}.event: '{}' is not one of {}",
                    e.event,
                    keys.join(", ")
                );
            }
            for (field, v) in [
                ("energy_pj", e.energy_pj),
                ("latency_ns", e.latency_ns),
                ("leak_mw", e.leak_mw),
                ("area_um2", e.area_um2),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    bail!("{at}.{field}: {v} must be a finite number >= 0");
                }
            }
        }
        for key in keys() {
            let n = self.components.iter().filter(|e| e.event == key).count();
            if n != 1 {
                bail!("event {key}: priced by {n} entries, must be exactly 1");
            }
        }
        Ok(())
    }

    /// The entry that prices `ev`.
    pub fn entry(&self, ev: Event) -> &Entry {
        self.by_key(&ev.key())
    }

    /// The entry that prices the action `key` (one of [`keys`]).
    pub fn by_key(&self, key: &str) -> &Entry {
        self.components
            .iter()
            .find(|e| e.event == key)
            .expect("a validated table prices every event")
    }

    /// Sets `COMPONENT_EVENT.FIELD=VALUE` (`--cost-set adc.energy_pj=1.2`: the entry is named
    /// by its event or, where unique, its component).
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let Some((path, value)) = assignment.split_once('=') else {
            bail!("--cost-set '{assignment}': expected ENTRY.FIELD=VALUE");
        };
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--cost-set '{assignment}': the value must be a number"))?;
        if path == "clock_ns" {
            self.clock_ns = value;
            return self.validate();
        }
        let Some((name, field)) = path.split_once('.') else {
            bail!("--cost-set '{assignment}': expected ENTRY.FIELD=VALUE or clock_ns=VALUE");
        };
        let hits: Vec<usize> = (0..self.components.len())
            .filter(|&i| self.components[i].event == name || self.components[i].component == name)
            .collect();
        let [i] = hits[..] else {
            bail!(
                "--cost-set '{assignment}': '{name}' names {} entries; name one by its event",
                hits.len()
            );
        };
        let e = &mut self.components[i];
        let slot = match field {
            "energy_pj" => &mut e.energy_pj,
            "latency_ns" => &mut e.latency_ns,
            "leak_mw" => &mut e.leak_mw,
            "area_um2" => &mut e.area_um2,
            _ => bail!(
                "--cost-set '{assignment}': field '{field}' is not one of energy_pj, latency_ns, leak_mw, area_um2"
            ),
        };
        *slot = value;
        self.validate()
    }

    /// The energy of one `ev` on a tile of `shape`, pJ.
    pub fn energy_pj(&self, ev: Event, shape: &TileShape) -> f64 {
        Self::scaled(self.entry(ev), shape, None)
    }

    /// The energy of one action priced by `e` on a tile of `shape` and, for the solver's scales,
    /// an `n x n` solver of `inv` (without one they are 1), pJ.
    pub fn scaled(e: &Entry, shape: &TileShape, inv: Option<(&InvShape, usize)>) -> f64 {
        let factor = match (e.scale, inv) {
            (Scale::None, _) => 1.0,
            (Scale::Cells, _) => (shape.rows * shape.cols) as f64 / REFERENCE_CELLS,
            (Scale::DataBits, _) => shape.data_bits() as f64 / REFERENCE_BITS,
            (Scale::AdcBits, _) => adc_ratio(shape.adc.bits),
            (Scale::InvCells, Some((_, n))) => (n * n) as f64 / REFERENCE_CELLS,
            (Scale::InvAdcBits, Some((s, _))) => adc_ratio(s.out_bits),
            (Scale::XBits, Some((s, _))) => s.x_bits as f64 / WORD_BITS,
            (_, None) => 1.0,
        };
        e.energy_pj * factor
    }

    /// How many instances of `e`'s component a tile of `shape` has.
    pub fn instances(e: &Entry, shape: &TileShape) -> usize {
        match e.instances {
            Instances::Lines => shape.lines(),
            Instances::Adcs => shape.adcs() * shape.slices(),
            Instances::Arrays => shape.slices() + shape.tiki.is_some() as usize,
            Instances::Tile => 1,
            Instances::Solver | Instances::Digital => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::phase::{PhaseWork, Work};
    use crate::cost::price::price;
    use crate::cost::Phase;

    /// A 128x128 tile of 8 slices, 8-bit ADCs, one per line: every entry at its quoted size.
    fn reference_shape() -> TileShape {
        let mut s = pimforge_gen::presets::preset("puma").unwrap().shape();
        s.adc.bits = 8;
        s
    }

    #[test]
    fn built_in_tables_load_and_price_every_event() {
        for (name, _) in BUILT_IN {
            let t = CostTable::load(name).unwrap();
            assert_eq!(t.name, name);
            assert!(Event::ALL.iter().all(|&e| t.entry(e).event == e.key()));
        }
    }

    #[test]
    fn each_entry_prices_a_known_count_as_computed_by_hand() {
        let s = reference_shape();
        assert_eq!((s.rows, s.cols, s.data_bits()), (128, 128, 16));
        // PANTHER: pJ per event at 128x128, 8 bits, 16-bit values (docs/cost.md).
        let want = [
            (Event::DacDrives, 0.00350625),
            (Event::ForwardReads, 3.09 * 100.0),
            (Event::TransposeReads, 3.09 * 100.0),
            (Event::Conversions, 1.8),
            (Event::ShiftAdds, 0.045),
            (Event::UpdateSteps, 4.44 * 20.0),
            (Event::CellReads, 6500.0 / 16384.0),
            (Event::CellWrites, 1.37983),
            (Event::AccUpdates, 0.373 * 32.0 / 45.0),
            (Event::BufferAccesses, 17.2 * 16.0 / 256.0),
        ];
        let t = CostTable::load("panther").unwrap();
        for (ev, pj) in want {
            let mut w = Work::default();
            w.events[ev] = 1000;
            let mut pw = PhaseWork::default();
            pw.add(Phase::Forward, w);
            let r = price(&t, &s, &[pw], 0, 0).unwrap();
            let got: f64 = r.phases[Phase::Forward as usize].dynamic_pj.values().sum();
            assert!(
                (got - 1000.0 * pj).abs() < 1e-6 * got.max(1.0),
                "{ev:?}: {got} pJ"
            );
        }
        // The ISAAC ADC: 1.667 pJ at 8 bits, its table at 4 and 10, doubling per bit past 10.
        let isaac = CostTable::load("isaac").unwrap();
        let mut s4 = s.clone();
        for (bits, pj) in [
            (8, 1.666666667),
            (4, 0.79),
            (10, 2.379022742),
            (12, 9.516090968),
        ] {
            s4.adc.bits = bits;
            let got = isaac.energy_pj(Event::Conversions, &s4);
            assert!((got - pj).abs() < 1e-6, "{bits} bits: {got}");
        }
        // Crossbar entries scale with the array's cells.
        let mut small = s.clone();
        (small.rows, small.cols) = (64, 32);
        let got = t.energy_pj(Event::ForwardReads, &small);
        assert!((got - 309.0 / 8.0).abs() < 1e-9);
    }

    #[test]
    fn latency_and_leakage_follow_the_documented_model() {
        let s = reference_shape();
        let t = CostTable::load("panther").unwrap();
        // One OPA of 16-bit inputs: its cycles at 1 ns (128 + 128 operand writes, 4 x 16 + 1
        // steps), and 64 update rounds stretched from 1 to 20 ns.
        let w = crate::cost::work::of(&s, crate::cost::TileOp::Opa);
        assert_eq!((w.cycles, w.update_rounds), (128 + 128 + 65, 64));
        let ns = crate::cost::price::latency_ns(&t, &s, &w);
        assert!((ns - (321.0 + 64.0 * 19.0)).abs() < 1e-9, "{ns}");
        let mut pw = PhaseWork::default();
        pw.add(Phase::Update, w);
        let r = price(&t, &s, &[pw, pw], 2, 1).unwrap();
        let leak_mw: f64 = 128.0 * 0.000390625 + 128.0 * 8.0 * (0.2 + 0.005) + 0.46;
        let p = &r.phases[Phase::Update as usize];
        assert!((p.leakage_pj - 2.0 * leak_mw * 2.0 * ns).abs() < 1e-6 * p.leakage_pj);
        assert!((p.latency_ns - 2.0 * ns).abs() < 1e-9 && (p.overlapped_ns - ns).abs() < 1e-9);
        assert_eq!(r.per_sample.unwrap().energy_pj, p.energy_pj / 2.0);
    }

    #[test]
    fn panthers_baselines_are_its_constants_files_arithmetic() {
        let get = |t: &str, ev: Event| {
            let e = CostTable::load(t).unwrap().entry(ev).clone();
            (e.energy_pj, e.latency_ns)
        };
        let close = |a: (f64, f64), b: (f64, f64)| {
            assert!(
                (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-9,
                "{a:?} {b:?}"
            )
        };
        // constants_cmosOP.py: xbar_op_lat = 20 x 12.8, xbar_op_pow = 4.44 x 3.27 / 12.8.
        let cmos_op = (4.44 * 3.27 / 12.8 * 256.0, 256.0);
        close(get("panther-cmos-op", Event::UpdateSteps), cmos_op);
        close(
            get("panther-cmos-op", Event::ForwardReads),
            (2.74 * 100.0, 1.0),
        );
        // constants_digital.py: xbar_ip_lat = 100 x 8.97, xbar_ip_pow = 2.74 x 4.17 / 8.97.
        close(get("panther-digital", Event::UpdateSteps), cmos_op);
        let mvm = (2.74 * 4.17 / 8.97 * 897.0, 897.0);
        close(get("panther-digital", Event::ForwardReads), mvm);
        close(get("panther-digital", Event::TransposeReads), mvm);
        // constants_pipelayer.py: xbar_op_lat = 100 + 100 (96000 / 1600) / 16,
        // xbar_op_pow = 2.74 + 4.44 x 53.
        let lat = 100.0 + 100.0 * (96000.0 / 1600.0) / 16.0;
        close(
            get("panther-pipelayer", Event::UpdateSteps),
            ((2.74 + 4.44 * 53.0) * lat, lat),
        );
        // Everything else is PANTHER's.
        let (p, d) = (
            CostTable::load("panther").unwrap(),
            CostTable::load("panther-digital").unwrap(),
        );
        assert_eq!(p.entry(Event::Conversions), d.entry(Event::Conversions));
        assert_eq!(d.name, "panther-digital");
    }

    #[test]
    fn bad_tables_and_overrides_name_the_field() {
        let mut t = CostTable::load("panther").unwrap();
        t.set("adc.energy_pj=2.5").unwrap();
        assert_eq!(t.entry(Event::Conversions).energy_pj, 2.5);
        t.set("transpose_reads.latency_ns=3").unwrap();
        let err = |t: &mut CostTable, s: &str| t.set(s).unwrap_err().to_string();
        assert!(err(&mut t, "crossbar.energy_pj=1").contains("names 2 entries"));
        assert!(err(&mut t, "adc.power=1").contains("energy_pj, latency_ns"));
        assert!(err(&mut t, "adc.energy_pj=-1").contains("components[3] (adc).energy_pj"));
        assert!(err(&mut t, "clock_ns=0").contains("clock_ns"));
        let mut bad = CostTable::load("isaac").unwrap();
        bad.components[0].event = "dac_drive".into();
        assert!(format!("{:#}", bad.validate().unwrap_err()).contains("is not one of dac_drives"));
        assert!(CostTable::load("nope")
            .unwrap_err()
            .to_string()
            .contains("panther, isaac"));
    }
}

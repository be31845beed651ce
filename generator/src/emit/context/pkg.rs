//! The context of the package `pim_pkg`: the hardware contract's constants and the noise
//! LFSR's word as shifts and XORs.

use super::header;
use crate::design::Design;
use askama::Template;
use pimforge_golden::protocol::constants;

/// One constant of the hardware contract as `pim_pkg` declares it.
pub struct PkgConst {
    pub ty: String,
    pub name: String,
    pub value: String,
    pub doc: &'static str,
}

/// The package `pim_pkg`: the hardware contract ([`pimforge_golden::protocol::constants`]).
#[derive(Template)]
#[template(path = "pim_pkg.sv", escape = "none")]
pub struct PkgCtx {
    pub header: String,
    pub package: Vec<PkgConst>,
    /// The noise LFSR's word as shifts and XORs (golden::lfsr::WordShifts): one assignment to
    /// `b` per stage, then the word from `b`.
    pub lfsr_stages: Vec<String>,
    pub lfsr_word: String,
}

impl PkgCtx {
    pub fn new(d: &Design) -> PkgCtx {
        let package = constants()
            .into_iter()
            .map(|c| {
                let (ty, value) = match c.bits {
                    0 => ("int".to_string(), c.value.to_string()),
                    32 => {
                        let h = format!("{:08X}", c.value);
                        (
                            "logic [31:0]".to_string(),
                            format!("32'h{}_{}", &h[..4], &h[4..]),
                        )
                    }
                    b => (format!("logic [{}:0]", b - 1), format!("{b}'d{}", c.value)),
                };
                PkgConst {
                    ty,
                    name: c.name,
                    value,
                    doc: c.doc,
                }
            })
            .collect();
        let shifts = pimforge_golden::lfsr::word_shifts();
        let lfsr_stages = shifts
            .stages
            .iter()
            .map(|stage| {
                stage
                    .iter()
                    .fold("b".to_string(), |e, s| format!("{e} ^ (b << {s})"))
            })
            .collect();
        let lfsr_word = shifts
            .outputs
            .iter()
            .map(|&r| match r {
                0 => "b".to_string(),
                r => format!("(b >> {r})"),
            })
            .collect::<Vec<_>>()
            .join(" ^ ");
        PkgCtx {
            header: header(d),
            package,
            lfsr_stages,
            lfsr_word,
        }
    }
}

//! The contract as the SystemVerilog package `pim_pkg` declares it: every constant of
//! [`super`], named in UpperCamelCase, in package order.

use super::*;

/// One named constant as the package `pim_pkg` declares it: `bits == 0` is an `int`, else a
/// `logic [bits-1:0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constant {
    /// UpperCamelCase name (the SystemVerilog localparam style).
    pub name: String,
    pub bits: u32,
    pub value: u64,
    pub doc: &'static str,
}

/// `WRITE_X` -> `WriteX`.
pub fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

/// Every constant of the contract, in package order.
pub fn constants() -> Vec<Constant> {
    let int = |name: &str, value: u64, doc| Constant {
        name: name.into(),
        bits: 0,
        value,
        doc,
    };
    let mut v = vec![int("OpW", OP_BITS as u64, "Width of the command opcode.")];
    for (op, name) in Op::TABLE {
        v.push(Constant {
            name: format!("Op{}", camel(name)),
            bits: OP_BITS,
            value: op.code() as u64,
            doc: "",
        });
    }
    v.push(int(
        "ErrW",
        err::BITS as u64,
        "Width of the error word (sticky flags).",
    ));
    for (bit, name) in err::TABLE {
        v.push(Constant {
            name: format!("Err{}", camel(name)),
            bits: err::BITS,
            value: bit as u64,
            doc: "",
        });
    }
    v.push(int(
        "StatCount",
        stat::COUNT,
        "Status words: READ_STAT addresses below it.",
    ));
    for (addr, name) in stat::TABLE {
        v.push(int(&format!("Stat{}", camel(name)), addr, ""));
    }
    v.push(int(
        "StatEvents",
        stat::EVENTS,
        "The first cost event's status word (pim_events).",
    ));
    v.push(int(
        "EventCount",
        stat::COUNT - stat::EVENTS,
        "Cost events counted (pim_events).",
    ));
    for (idx, name) in solver_event::TABLE {
        v.push(int(&format!("SolverEv{}", camel(name)), idx, ""));
    }
    v.push(int(
        "SolverEventCount",
        solver_event::COUNT,
        "Cost events of a solve (pim_refine, ev_o).",
    ));
    v.push(int(
        "CntW",
        COUNTER_BITS as u64,
        "Width of the saturating status counters.",
    ));
    v.push(int(
        "StatusW",
        SOLVE_STATUS_BITS as u64,
        "Width of a solve's status code.",
    ));
    for (s, name) in Status::TABLE {
        v.push(Constant {
            name: format!("Status{}", camel(name)),
            bits: SOLVE_STATUS_BITS,
            value: s.code(),
            doc: "",
        });
    }
    v.extend([
        int(
            "ItersW",
            ITERS_BITS as u64,
            "Width of a solve's iteration count.",
        ),
        int(
            "ExpW",
            EXP_BITS as u64,
            "Width of exponents and shift amounts.",
        ),
        int(
            "DiagShiftW",
            DIAG_SHIFT_BITS as u64,
            "Width of the diagonal's gain.",
        ),
        int("MaxShift", MAX_SHIFT as u64, "Shifts beyond it saturate."),
        int(
            "DivergenceLog2",
            DIVERGENCE_LOG2 as u64,
            "A residual may grow 2^DivergenceLog2 over the smallest.",
        ),
        int(
            "StopMarginLog2",
            STOP_MARGIN_LOG2 as u64,
            "Margin of the stop rule, log2.",
        ),
        int(
            "StopDigitW",
            STOP_DIGIT_BITS as u64,
            "Digit width of the stop rule's serial products.",
        ),
        int(
            "DevEntryW",
            entry::BITS as u64,
            "Device-file entry: width, then each field's LSB and width.",
        ),
    ]);
    for f in entry::FIELDS {
        v.push(int(&format!("Dev{}Lsb", camel(f.name)), f.lsb as u64, ""));
        v.push(int(&format!("Dev{}W", camel(f.name)), f.bits as u64, ""));
    }
    for (name, code) in [("No", stuck::NO), ("On", stuck::ON), ("Off", stuck::OFF)] {
        v.push(Constant {
            name: format!("Stuck{name}"),
            bits: entry::STUCK.bits,
            value: code,
            doc: "",
        });
    }
    let word = |name: &str, value: u32, doc| Constant {
        name: name.into(),
        bits: 32,
        value: value as u64,
        doc,
    };
    v.extend([
        word("LfsrTaps", LFSR_TAPS, "Toggle mask of the noise LFSRs."),
        word(
            "SeedMul",
            SEED_MUL,
            "Seed hash: base ^ (((tile << 24) ^ (slice << 20) ^ index) * SeedMul).",
        ),
        int("SeedTileShift", SEED_TILE_SHIFT as u64, ""),
        int(
            "TileIdW",
            TILE_ID_BITS as u64,
            "Width of a tile's index (tile_i): the seed hash's tile field.",
        ),
        int("SeedSliceShift", SEED_SLICE_SHIFT as u64, ""),
        word(
            "ReadSeed",
            READ_SEED,
            "Read-noise LFSRs: the base seed XOR this.",
        ),
        int(
            "NoiseOffset",
            NOISE_OFFSET as u64,
            "Noise of an LFSR word: the sum of its bytes minus this.",
        ),
        int(
            "AArray",
            A_ARRAY as u64,
            "Tiki-Taka: the slice index of A in seeds and device files.",
        ),
        word(
            "PulseSeed",
            PULSE_SEED,
            "Tiki-Taka: the pulse update's line LFSRs: the base seed XOR this.",
        ),
        word(
            "ChopSeed",
            CHOP_SEED,
            "Tiki-Taka: the chopper LFSR: the base seed XOR this.",
        ),
        int(
            "ProbBits",
            PROB_BITS as u64,
            "Fraction bits of a firing threshold.",
        ),
        word(
            "RoundSeed",
            ROUND_SEED,
            "SBPCA: the low-rank unit's rounding LFSR: the base seed XOR this.",
        ),
        int(
            "DrawBits",
            DRAW_BITS as u64,
            "SBPCA: bits of a stochastic-rounding draw.",
        ),
        int(
            "ScaleMantW",
            SCALE_MANT_BITS as u64,
            "SBPCA: the scale word {row_frac, shift, mantissa}: their widths.",
        ),
        int("ScaleShiftW", SCALE_SHIFT_BITS as u64, ""),
        int("ScaleFracW", SCALE_FRAC_BITS as u64, ""),
    ]);
    v
}

//! Deliberate RTL bugs, to prove that the lock-step harness catches one. A fault reaches the
//! templates as typed flags ([`Flags`]); the templates decide what the bug looks like, so no
//! SystemVerilog is spelled here.

/// A deliberate RTL bug (`--inject-fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The shift-and-add unit flips bit `bit` of line `line`'s accumulator when it adds plane
    /// `plane` (`LINE:PLANE:BIT`).
    AccBit { line: usize, plane: usize, bit: u32 },
    /// The OPA sequencer takes each slice's column digit one bit too high (`opa-digit`).
    OpaDigit,
    /// Carry resolution recomposes slice 1 one bit too high (`crs-shift`).
    CrsShift,
    /// The refinement controller truncates where it should round half up (`refine-round`).
    RefineRound,
    /// The Tiki-Taka transfer ignores the choppers' sign (`chopper`).
    Chopper,
    /// The event counters count one ADC conversion too few per line group (`event-count`).
    EventCount,
    /// The solver's event counters miss the first INV output converted of every block
    /// (`solver-event-count`).
    SolverEventCount,
    /// The low-rank unit's inverse square roots start from the seed of the next quarter
    /// (`lowrank-seed`).
    LowRankSeed,
    /// The low-rank unit rounds its terms' columns with a draw one bit too high in its LFSR's
    /// word (`lowrank-draw`).
    LowRankDraw,
    /// The mixed-precision unit never marks row 0 of its accumulator memory written, so that row
    /// reads as zero after every step (`chi-valid`).
    ChiValid,
    /// The shift-and-add unit's clear keeps the valid bit of accumulator word 0, so that the
    /// next product adds to the last one's sums in that word (`acc-valid`).
    AccValid,
}

/// Every fault's name on the command line, for help and errors.
pub const NAMES: &str =
    "LINE:PLANE:BIT (acc-bit), opa-digit, crs-shift, refine-round, chopper, event-count, solver-event-count, lowrank-seed, lowrank-draw, chi-valid or acc-valid";

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::AccBit { line, plane, bit } => write!(f, "{line}:{plane}:{bit}"),
            Fault::OpaDigit => write!(f, "opa-digit"),
            Fault::CrsShift => write!(f, "crs-shift"),
            Fault::RefineRound => write!(f, "refine-round"),
            Fault::Chopper => write!(f, "chopper"),
            Fault::EventCount => write!(f, "event-count"),
            Fault::SolverEventCount => write!(f, "solver-event-count"),
            Fault::LowRankSeed => write!(f, "lowrank-seed"),
            Fault::LowRankDraw => write!(f, "lowrank-draw"),
            Fault::ChiValid => write!(f, "chi-valid"),
            Fault::AccValid => write!(f, "acc-valid"),
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "opa-digit" => return Ok(Fault::OpaDigit),
            "crs-shift" => return Ok(Fault::CrsShift),
            "refine-round" => return Ok(Fault::RefineRound),
            "chopper" => return Ok(Fault::Chopper),
            "event-count" => return Ok(Fault::EventCount),
            "solver-event-count" => return Ok(Fault::SolverEventCount),
            "lowrank-seed" => return Ok(Fault::LowRankSeed),
            "lowrank-draw" => return Ok(Fault::LowRankDraw),
            "chi-valid" => return Ok(Fault::ChiValid),
            "acc-valid" => return Ok(Fault::AccValid),
            _ => {}
        }
        let p: Vec<&str> = s.split(':').collect();
        if p.len() != 3 {
            return Err(format!("'{s}': expected {NAMES}"));
        }
        let n = |i: usize| p[i].parse::<u64>().map_err(|e| format!("'{s}': {e}"));
        Ok(Fault::AccBit {
            line: n(0)? as usize,
            plane: n(1)? as usize,
            bit: n(2)? as u32,
        })
    }
}

/// The accumulator bit flip of [`Fault::AccBit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccBit {
    pub line: usize,
    pub plane: usize,
    pub bit: u32,
}

/// A fault as the templates test it: at most one flag is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub acc_bit: Option<AccBit>,
    pub opa_digit: bool,
    pub crs_shift: bool,
    pub refine_round: bool,
    pub chopper: bool,
    pub event_count: bool,
    pub solver_event_count: bool,
    pub lowrank_seed: bool,
    pub lowrank_draw: bool,
    pub chi_valid: bool,
    pub acc_valid: bool,
}

impl Flags {
    pub fn of(fault: Option<Fault>) -> Flags {
        let mut f = Flags::default();
        match fault {
            Some(Fault::AccBit { line, plane, bit }) => {
                f.acc_bit = Some(AccBit { line, plane, bit })
            }
            Some(Fault::OpaDigit) => f.opa_digit = true,
            Some(Fault::CrsShift) => f.crs_shift = true,
            Some(Fault::RefineRound) => f.refine_round = true,
            Some(Fault::Chopper) => f.chopper = true,
            Some(Fault::EventCount) => f.event_count = true,
            Some(Fault::SolverEventCount) => f.solver_event_count = true,
            Some(Fault::LowRankSeed) => f.lowrank_seed = true,
            Some(Fault::LowRankDraw) => f.lowrank_draw = true,
            Some(Fault::ChiValid) => f.chi_valid = true,
            Some(Fault::AccValid) => f.acc_valid = true,
            None => {}
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_their_names() {
        for f in [
            Fault::AccBit {
                line: 1,
                plane: 2,
                bit: 3,
            },
            Fault::OpaDigit,
            Fault::CrsShift,
            Fault::RefineRound,
            Fault::Chopper,
            Fault::EventCount,
            Fault::SolverEventCount,
            Fault::LowRankSeed,
            Fault::LowRankDraw,
            Fault::ChiValid,
            Fault::AccValid,
        ] {
            assert_eq!(f.to_string().parse::<Fault>(), Ok(f));
        }
        assert!("acc".parse::<Fault>().unwrap_err().contains("refine-round"));
        assert!(Flags::of(Some(Fault::CrsShift)).crs_shift);
        assert_eq!(Flags::of(None), Flags::default());
    }
}

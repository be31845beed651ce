//! The coverage bins of a lock-step run, by name (what each means, and how it prints); which
//! of them a design must hit, and how they are counted, is [`crate::coverage`].

use pimforge_golden::tile::{err, stat};
use pimforge_golden::Op;
use std::fmt;

/// One coverage bin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bin {
    /// Tile `tile` accepted `op` with every other tile idle, or beside a busy one.
    Command {
        op: Op,
        tile: u32,
        beside_busy: bool,
    },
    /// A status word read back with a value other than the one last read from it (0 after reset).
    StatusChanged(u64),
    /// Error flag `flag` raised by one command alone (`None`: an opcode no command has), then read.
    ErrorAlone { flag: u8, cause: Option<Op> },
    /// The last valid address of a command.
    LastAddress(Op),
    /// The first invalid address of a command.
    FirstBadAddress(Op),
    /// A command accepted in the cycle after another, to the same tile or to another one.
    BackToBack { same_tile: bool },
    /// CLEAR accepted while another tile is busy.
    ClearBesideBusy,
    /// CLEAR accepted in the first cycle its tile is ready after an operation.
    ClearAfterOperation,
    /// CLEAR presented to a busy tile (so held) while `bad_tile_o` is set.
    ClearHeldWithBadTile,
    /// A command to a tile id the array does not have.
    AbsentTile,
    /// Product conversions clipped at the top code, or at the bottom one.
    AdcClip { high: bool },
    /// OPA cell updates clipped at a device bound.
    OpaClip,
    /// CRS saturated a weight above its range, or below.
    CrsSaturation { high: bool },
    /// An accumulate saturated chi above its range, or below.
    ChiSaturation { high: bool },
    /// An accumulate's sum landed exactly on chi's maximum, or its minimum, unsaturated.
    ChiExact { max: bool },
    /// A transfer's pulse count clamped at `+max_pulses`, or at `-max_pulses`.
    TransferClamp { high: bool },
    /// A product with read noise on a tile with rows != cols.
    ReadNoiseNonSquare,
    /// Programming pulses with cycle-to-cycle noise on a tile with rows != cols.
    C2cNoiseNonSquare,
}

fn flag_name(flag: u8) -> &'static str {
    err::TABLE
        .iter()
        .find(|(f, _)| *f == flag)
        .map_or("flag", |(_, n)| n)
}

fn stat_name(word: u64) -> &'static str {
    stat::TABLE
        .iter()
        .find(|(w, _)| *w == word)
        .map_or("word", |(_, n)| n)
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |high: bool| if high { "above" } else { "below" };
        match *self {
            Bin::Command {
                op,
                tile,
                beside_busy,
            } => {
                let when = if beside_busy {
                    "beside a busy tile"
                } else {
                    "all others idle"
                };
                write!(f, "{} on tile {tile}, {when}", op.name())
            }
            Bin::StatusChanged(w) => write!(f, "status {} read after it changed", stat_name(w)),
            Bin::ErrorAlone { flag, cause } => match cause {
                Some(op) => write!(f, "{} raised alone by {}", flag_name(flag), op.name()),
                None => write!(f, "{} raised alone by an unused opcode", flag_name(flag)),
            },
            Bin::LastAddress(op) => write!(f, "{} at its last valid address", op.name()),
            Bin::FirstBadAddress(op) => write!(f, "{} at its first invalid address", op.name()),
            Bin::BackToBack { same_tile: true } => write!(f, "back-to-back commands, same tile"),
            Bin::BackToBack { same_tile: false } => {
                write!(f, "back-to-back commands, another tile")
            }
            Bin::ClearBesideBusy => write!(f, "CLEAR beside a busy tile"),
            Bin::ClearAfterOperation => {
                write!(f, "CLEAR in the first ready cycle after an operation")
            }
            Bin::ClearHeldWithBadTile => write!(f, "CLEAR held by a busy tile with bad_tile_o set"),
            Bin::AbsentTile => write!(f, "command to an absent tile"),
            Bin::AdcClip { high } => write!(f, "ADC clipped {} its range", side(high)),
            Bin::OpaClip => write!(f, "OPA update clipped at a device bound"),
            Bin::CrsSaturation { high } => {
                write!(f, "CRS saturated a weight {} its range", side(high))
            }
            Bin::ChiSaturation { high } => write!(f, "chi saturated {} its range", side(high)),
            Bin::ChiExact { max: true } => write!(f, "chi exactly at its maximum"),
            Bin::ChiExact { max: false } => write!(f, "chi exactly at its minimum"),
            Bin::TransferClamp { high } => {
                write!(f, "transfer clamped {} +-max_pulses", side(high))
            }
            Bin::ReadNoiseNonSquare => write!(f, "read noise on a non-square tile"),
            Bin::C2cNoiseNonSquare => write!(f, "cycle-to-cycle noise on a non-square tile"),
        }
    }
}

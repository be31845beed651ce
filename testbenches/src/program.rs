//! Host programs: the command stream a host issued to the array, with the cycles each command
//! waited for `cmd_ready`, every read's response and every wait for idle tiles, in a text format
//! (docs/verification.md, Host programs). [`crate::Session::replay`] runs them again, on the
//! cycle-level golden model or on the RTL in lock-step, every response and every wait compared
//! with the recording.
//!
//! ```text
//! pimforge-program 1
//! meta design tiny
//! meta config {"tiles":6,...}
//! cmd 0 WRITE_X 0x0 0x10 wait 0
//! cmd 0 MVM 0x0 0x0 wait 0
//! cmd 0 READ_Y 0x3 0x0 wait 37 rsp 0xfffe
//! idle 12
//! ```
//!
//! `cmd TILE OP ADDR DATA wait N [rsp R]`: a command (opcode by name, address and data in hex)
//! accepted after `N` cycles of waiting, and a read's response; `idle N`: `N` cycles until every
//! tile was idle. `meta KEY VALUE` lines describe the run (the config as one line of JSON).

use anyhow::{anyhow, bail, Result};
use pimforge_golden::Op;
use std::fmt::Write;

/// The first line of every program.
pub const MAGIC: &str = "pimforge-program 1";

/// A command as the host presents it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub tile: usize,
    pub op: Op,
    pub addr: u64,
    pub data: u64,
}

impl std::fmt::Display for Command {
    /// `TILE OP ADDR DATA`, as a program line spells it.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let Command {
            tile,
            op,
            addr,
            data,
        } = self;
        write!(f, "{tile} {} {addr:#x} {data:#x}", op.name())
    }
}

/// One step of a host program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Command {
        cmd: Command,
        /// Cycles the command waited before it was accepted.
        wait: u64,
        response: Option<u128>,
    },
    /// Cycles until every tile was idle.
    Idle { cycles: u64 },
}

/// A recorded program: what describes the run, and its steps with their line numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub meta: Vec<(String, String)>,
    pub entries: Vec<(usize, Entry)>,
}

impl Program {
    pub fn new(meta: Vec<(String, String)>, entries: Vec<Entry>) -> Self {
        Program {
            meta,
            entries: entries.into_iter().map(|e| (0, e)).collect(),
        }
    }

    /// A `meta` value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The program as text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{MAGIC}\n");
        for (k, v) in &self.meta {
            let _ = writeln!(s, "meta {k} {v}");
        }
        for (_, e) in &self.entries {
            match e {
                Entry::Command {
                    cmd,
                    wait,
                    response,
                } => {
                    let _ = write!(s, "cmd {cmd} wait {wait}");
                    if let Some(r) = response {
                        let _ = write!(s, " rsp {r:#x}");
                    }
                    s.push('\n');
                }
                Entry::Idle { cycles } => {
                    let _ = writeln!(s, "idle {cycles}");
                }
            }
        }
        s
    }

    /// Parses a program; errors name `origin` and the line.
    pub fn parse(text: &str, origin: &str) -> Result<Program> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, l)) if l.trim() == MAGIC => {}
            _ => bail!("{origin} line 1: not a host program (expected '{MAGIC}')"),
        }
        let mut p = Program::default();
        for (i, line) in lines {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |what: String| anyhow!("{origin} line {n}: {what}");
            let f: Vec<&str> = line.split_whitespace().collect();
            match f[0] {
                "meta" if f.len() >= 3 => {
                    let value = line.splitn(3, ' ').nth(2).unwrap_or("").trim();
                    p.meta.push((f[1].to_string(), value.to_string()));
                }
                "idle" if f.len() == 2 => {
                    let cycles = f[1].parse().map_err(|_| at(format!("'{}' is not a cycle count", f[1])))?;
                    p.entries.push((n, Entry::Idle { cycles }));
                }
                "cmd" if f.len() == 7 || (f.len() == 9 && f[7] == "rsp") => {
                    let num = |s: &str, what: &str| -> Result<u64> {
                        let v = s.strip_prefix("0x").map_or_else(|| s.parse(), |h| u64::from_str_radix(h, 16));
                        v.map_err(|_| at(format!("{what} '{s}' is not a number")))
                    };
                    let op = Op::all().find(|o| o.name() == f[2]).ok_or_else(|| {
                        let names: Vec<&str> = Op::all().map(Op::name).collect();
                        at(format!("opcode '{}' is not one of {}", f[2], names.join(", ")))
                    })?;
                    if f[5] != "wait" {
                        return Err(at("expected 'wait N' after the data".into()));
                    }
                    let response = match f.get(8) {
                        Some(r) => Some(
                            u128::from_str_radix(r.trim_start_matches("0x"), 16)
                                .map_err(|_| at(format!("response '{r}' is not a hex number")))?,
                        ),
                        None => None,
                    };
                    p.entries.push((
                        n,
                        Entry::Command {
                            cmd: Command {
                                tile: num(f[1], "tile")? as usize,
                                op,
                                addr: num(f[3], "address")?,
                                data: num(f[4], "data")?,
                            },
                            wait: num(f[6], "wait")?,
                            response,
                        },
                    ));
                }
                _ => bail!("{origin} line {n}: expected 'cmd TILE OP ADDR DATA wait N [rsp R]', 'idle N' or 'meta KEY VALUE'"),
            }
        }
        Ok(p)
    }
}

/// Checks, before any work, that a program can be written to `path`: a file there already is
/// replaced only when it is a host program.
pub fn check_target(path: &std::path::Path, flag: &str) -> Result<()> {
    if let Ok(old) = std::fs::read_to_string(path) {
        if old.lines().next().map(str::trim) != Some(MAGIC) {
            bail!(
                "{flag} {}: the file exists and is not a host program; choose another path",
                path.display()
            );
        }
    } else if path.exists() {
        bail!(
            "{flag} {}: exists and is not a readable file",
            path.display()
        );
    }
    Ok(())
}

/// Writes `program` to `path` atomically (a temporary file beside it, renamed over it).
pub fn write(path: &std::path::Path, program: &Program, flag: &str) -> Result<()> {
    use anyhow::Context;
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pimforge-program-")
        .tempfile_in(dir)
        .with_context(|| format!("{flag} {}: cannot write there", path.display()))?;
    tmp.write_all(program.to_text().as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("{flag} {}: cannot write", path.display()))?;
    Ok(())
}

/// What a replay matched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub commands: u64,
    pub responses: u64,
    pub idles: u64,
    pub cycles: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_round_trip_and_bad_lines_are_named() {
        let p = Program::new(
            vec![
                ("design".into(), "tiny".into()),
                ("config".into(), "{\"a\": 1}".into()),
            ],
            vec![
                Entry::Command {
                    cmd: Command {
                        tile: 1,
                        op: Op::WriteX,
                        addr: 3,
                        data: 0xff,
                    },
                    wait: 0,
                    response: None,
                },
                Entry::Command {
                    cmd: Command {
                        tile: 0,
                        op: Op::ReadY,
                        addr: 2,
                        data: 0,
                    },
                    wait: 5,
                    response: Some(0x1_0000_0000_0000_0000),
                },
                Entry::Idle { cycles: 40 },
            ],
        );
        let text = p.to_text();
        let back = Program::parse(&text, "p").unwrap();
        assert_eq!(back.meta, p.meta);
        assert_eq!(back.meta("config"), Some("{\"a\": 1}"));
        let entries: Vec<&Entry> = back.entries.iter().map(|(_, e)| e).collect();
        assert_eq!(
            entries,
            p.entries.iter().map(|(_, e)| e).collect::<Vec<_>>()
        );
        assert_eq!(back.entries[2].0, 6);
        let e = |t: &str| {
            Program::parse(&format!("{MAGIC}\n{t}\n"), "p")
                .unwrap_err()
                .to_string()
        };
        assert!(e("cmd 0 FROB 0x0 0x0 wait 0")
            .contains("p line 2: opcode 'FROB' is not one of WRITE_X"));
        assert!(e("cmd 0 MVM 0x0 zz wait 0").contains("data 'zz' is not a number"));
        assert!(e("idle x").contains("'x' is not a cycle count"));
        assert!(e("jump 3").contains("p line 2: expected 'cmd"));
        assert!(Program::parse("hello", "p")
            .unwrap_err()
            .to_string()
            .contains("not a host program"));
    }
}

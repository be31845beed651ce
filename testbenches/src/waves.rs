//! Waveform files. The RTL's waveform is written by Verilator itself (`--trace-fst` or
//! `--trace`); beside it the golden model's expected outputs are written by [`GoldenWriter`]
//! with a format crate (`fst-writer`, `vcd`), so both open in GTKWave or Surfer side by side.
//! A file is written under a `.partial` name and renamed when complete.

use anyhow::{bail, Context, Result};
use fst_writer::{
    FstBodyWriter, FstFileType, FstInfo, FstScopeType, FstSignalId, FstSignalType, FstVarDirection,
    FstVarType,
};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

/// A waveform format, chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaveFormat {
    /// GTKWave's compressed format (the default: a tenth of VCD's size or less).
    Fst,
    /// Value Change Dump (IEEE 1364), plain text.
    Vcd,
}

impl WaveFormat {
    /// The format of `path`, by its extension (`.fst` or `.vcd`).
    pub fn of(path: &Path) -> Result<WaveFormat> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("fst") => Ok(WaveFormat::Fst),
            Some("vcd") => Ok(WaveFormat::Vcd),
            _ => bail!(
                "waveform file '{}': the name must end in .fst or .vcd (the format)",
                path.display()
            ),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            WaveFormat::Fst => "fst",
            WaveFormat::Vcd => "vcd",
        }
    }
}

/// Waveforms of the cycles `first..=last` of a run: the RTL's (every signal of the design,
/// written by Verilator) at `rtl` and the golden model's expected outputs at `golden`. Time is
/// 2 * cycle with the clock low (inputs driven, outputs compared) and 2 * cycle + 1 after the
/// rising edge.
#[derive(Clone, Debug)]
pub struct Waves {
    pub rtl: PathBuf,
    pub golden: PathBuf,
    pub first: u64,
    pub last: u64,
    /// The run ends after the window (a mismatch's replay); otherwise it runs to its end.
    pub end_run: bool,
}

impl Waves {
    /// Waves of cycles `first..=last` at `rtl`, the golden values beside it
    /// (`NAME-golden.EXT`); the run goes on after the window.
    pub fn at(rtl: &Path, first: u64, last: u64) -> Waves {
        Waves {
            rtl: rtl.to_path_buf(),
            golden: golden_beside(rtl),
            first,
            last,
            end_run: false,
        }
    }

    pub fn format(&self) -> Result<WaveFormat> {
        WaveFormat::of(&self.rtl)
    }
}

/// A model built with waveform support, and the format its waveforms are written in.
#[derive(Clone, Debug)]
pub struct TracedBuild {
    pub library: PathBuf,
    pub format: WaveFormat,
}

/// `dir/x.fst` -> `dir/x-golden.fst`.
pub fn golden_beside(rtl: &Path) -> PathBuf {
    let stem = rtl.file_stem().unwrap_or_default().to_string_lossy();
    let ext = rtl.extension().unwrap_or_default().to_string_lossy();
    rtl.with_file_name(format!("{stem}-golden.{ext}"))
}

/// Where a file is written until it is complete.
pub fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Refuses to replace a file at `path` that is not a waveform (an earlier run's may be
/// replaced: its first bytes are an FST header block or VCD's `$` keywords).
pub fn check_replaceable(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let mut head = [0u8; 1];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    // FST files start with the header block's type, 0; VCD with a `$` keyword.
    let is_wave = n == 1 && (head[0] == 0 || head[0] == b'$');
    if !is_wave {
        bail!(
            "{} exists and is not a waveform: not overwritten (choose another file)",
            path.display()
        );
    }
    Ok(())
}

/// The golden model's expected outputs, written as a run goes: one variable `NAME_expected` per
/// output in scope `golden`, a value change only when a value changes.
pub struct GoldenWriter {
    path: PathBuf,
    out: Out,
    last: Vec<Option<u128>>,
    widths: Vec<u32>,
}

enum Out {
    Fst(Box<FstBodyWriter<BufWriter<File>>>, Vec<FstSignalId>),
    Vcd(vcd::Writer<BufWriter<File>>, Vec<vcd::IdCode>),
}

/// Buffered FST value changes written out as a section past this size.
const FST_FLUSH_BYTES: usize = 32 << 20;

impl GoldenWriter {
    /// A writer of `signals` (`(name, width)`) to `path`, in the format of its extension. An FST
    /// file begins at time 0 with every value unknown (`x`) until the first sample.
    pub fn create(path: &Path, signals: &[(&str, u32)]) -> Result<Self> {
        let tmp = partial(path);
        let names = signals.iter().map(|(n, w)| (format!("{n}_expected"), *w));
        let out = match WaveFormat::of(path)? {
            WaveFormat::Fst => {
                let info = FstInfo {
                    start_time: 0,
                    timescale_exponent: -9,
                    version: format!("pimforge {}", env!("CARGO_PKG_VERSION")),
                    date: String::new(),
                    file_type: FstFileType::Verilog,
                };
                let mut h = fst_writer::open_fst(&tmp, &info)
                    .with_context(|| format!("cannot create {}", tmp.display()))?;
                h.scope("golden", "golden", FstScopeType::Module)?;
                let mut ids = Vec::new();
                for (name, w) in names {
                    ids.push(h.var(
                        name,
                        FstSignalType::bit_vec(w),
                        FstVarType::Wire,
                        FstVarDirection::Implicit,
                        None,
                    )?);
                }
                h.up_scope()?;
                Out::Fst(Box::new(h.finish()?), ids)
            }
            WaveFormat::Vcd => {
                let f = File::create(&tmp)
                    .with_context(|| format!("cannot create {}", tmp.display()))?;
                let mut w = vcd::Writer::new(BufWriter::new(f));
                w.timescale(1, vcd::TimescaleUnit::NS)?;
                w.add_module("golden")?;
                let mut ids = Vec::new();
                for (name, width) in names {
                    ids.push(w.add_wire(width, &name)?);
                }
                w.upscope()?;
                w.enddefinitions()?;
                Out::Vcd(w, ids)
            }
        };
        Ok(GoldenWriter {
            path: path.to_path_buf(),
            out,
            last: vec![None; signals.len()],
            widths: signals.iter().map(|(_, w)| *w).collect(),
        })
    }

    /// Values at `time`, in the order of the signals.
    pub fn sample(&mut self, time: u64, values: &[u128]) -> Result<()> {
        let changed: Vec<usize> = (0..values.len())
            .filter(|&i| self.last[i] != Some(values[i]))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        match &mut self.out {
            Out::Fst(w, ids) => {
                w.time_change(time)?;
                for &i in &changed {
                    w.signal_change(ids[i], &bits(values[i], self.widths[i]))?;
                }
                if w.size() > FST_FLUSH_BYTES {
                    w.flush()?;
                }
            }
            Out::Vcd(w, ids) => {
                w.timestamp(time)?;
                for &i in &changed {
                    let b = bits(values[i], self.widths[i]);
                    w.change_vector(
                        ids[i],
                        b.iter().map(|&c| {
                            if c == b'1' {
                                vcd::Value::V1
                            } else {
                                vcd::Value::V0
                            }
                        }),
                    )?;
                }
            }
        }
        for i in changed {
            self.last[i] = Some(values[i]);
        }
        Ok(())
    }

    /// Completes the file and moves it to its name.
    pub fn finish(self) -> Result<PathBuf> {
        match self.out {
            Out::Fst(w, _) => {
                w.finish()?;
            }
            Out::Vcd(mut w, _) => {
                use std::io::Write;
                w.writer().flush()?;
            }
        }
        std::fs::rename(partial(&self.path), &self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(self.path)
    }
}

/// `v`'s low `width` bits as ASCII `0`/`1`, most significant first.
fn bits(v: u128, width: u32) -> Vec<u8> {
    (0..width)
        .rev()
        .map(|b| {
            if b < 128 && (v >> b) & 1 == 1 {
                b'1'
            } else {
                b'0'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_the_extension() {
        assert_eq!(
            WaveFormat::of(Path::new("a/b.fst")).unwrap(),
            WaveFormat::Fst
        );
        assert_eq!(WaveFormat::of(Path::new("b.vcd")).unwrap(), WaveFormat::Vcd);
        let e = WaveFormat::of(Path::new("b.txt")).unwrap_err().to_string();
        assert!(e.contains(".fst or .vcd"), "{e}");
        assert_eq!(
            golden_beside(Path::new("w/run.fst")),
            Path::new("w/run-golden.fst")
        );
        assert_eq!(
            partial(Path::new("w/run.fst")),
            Path::new("w/run.fst.partial")
        );
    }

    #[test]
    fn bits_are_msb_first_and_padded() {
        assert_eq!(bits(5, 4), b"0101");
        assert_eq!(bits(1, 1), b"1");
        assert_eq!(bits(u128::MAX, 130).len(), 130);
    }

    #[test]
    fn a_file_that_is_not_a_waveform_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.fst");
        std::fs::write(&notes, "my notes").unwrap();
        assert!(check_replaceable(&notes)
            .unwrap_err()
            .to_string()
            .contains("not overwritten"));
        let vcd = dir.path().join("old.vcd");
        std::fs::write(&vcd, "$timescale 1ns $end\n").unwrap();
        check_replaceable(&vcd).unwrap();
        check_replaceable(&dir.path().join("new.fst")).unwrap();
    }

    #[test]
    fn golden_values_read_back_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        for ext in ["fst", "vcd"] {
            let path = dir.path().join(format!("g.{ext}"));
            let mut w = GoldenWriter::create(&path, &[("a", 1), ("b", 70)]).unwrap();
            w.sample(0, &[1, 5]).unwrap();
            w.sample(1, &[1, 5]).unwrap();
            w.sample(2, &[0, 1 << 69]).unwrap();
            assert_eq!(w.finish().unwrap(), path);
            assert!(!partial(&path).exists());
            let mut wave = wellen::simple::read(&path).unwrap();
            let h = wave.hierarchy();
            let vars: Vec<_> = h
                .all_vars()
                .map(|r| {
                    let v = &h[r];
                    (v.full_name(h), v.length(h), v.signal_ref())
                })
                .collect();
            assert_eq!(vars[0].0, "golden.a_expected", "{ext}");
            assert_eq!(vars[1].1, Some(70));
            let refs: Vec<_> = vars.iter().map(|v| v.2).collect();
            wave.load_signals(&refs);
            assert_eq!(wave.time_table(), [0, 2], "{ext}: only changes are written");
            let b = wave.get_signal(refs[1]).unwrap();
            let last = b.iter_changes().last().unwrap().1.to_bit_string().unwrap();
            assert_eq!(last, format!("1{}", "0".repeat(69)), "{ext}");
        }
    }
}

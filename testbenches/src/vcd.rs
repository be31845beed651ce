//! A minimal VCD writer, for the golden model's expected outputs beside the RTL's waveform.

use std::fmt::Write as _;

pub struct VcdWriter {
    text: String,
    signals: Vec<(String, u32, String)>,
    last: Vec<Option<u128>>,
}

impl VcdWriter {
    /// Signals as `(name, width)`; all live in scope `golden`.
    pub fn new(signals: &[(&str, u32)]) -> Self {
        let mut text = String::from("$timescale 1ns $end\n$scope module golden $end\n");
        let signals: Vec<(String, u32, String)> = signals
            .iter()
            .enumerate()
            .map(|(i, (n, w))| (n.to_string(), *w, format!("g{i}")))
            .collect();
        for (n, w, id) in &signals {
            writeln!(text, "$var wire {w} {id} {n}_expected $end").unwrap();
        }
        text.push_str("$upscope $end\n$enddefinitions $end\n");
        let last = vec![None; signals.len()];
        VcdWriter {
            text,
            signals,
            last,
        }
    }

    /// Values at `time`, in the order of the signals.
    pub fn sample(&mut self, time: u64, values: &[u128]) {
        let mut changes = String::new();
        for (i, &v) in values.iter().enumerate() {
            if self.last[i] != Some(v) {
                let (_, w, id) = &self.signals[i];
                if *w == 1 {
                    writeln!(changes, "{v}{id}").unwrap();
                } else {
                    writeln!(changes, "b{v:b} {id}").unwrap();
                }
                self.last[i] = Some(v);
            }
        }
        if !changes.is_empty() {
            writeln!(self.text, "#{time}").unwrap();
            self.text.push_str(&changes);
        }
    }

    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_changes() {
        let mut v = VcdWriter::new(&[("a", 1), ("b", 4)]);
        v.sample(0, &[1, 5]);
        v.sample(1, &[1, 5]);
        v.sample(2, &[0, 5]);
        let t = v.finish();
        assert!(t.contains("$var wire 4 g1 b_expected $end"));
        assert!(t.contains("#0\n1g0\nb101 g1\n#2\n0g0\n"), "{t}");
        assert!(!t.contains("#1"));
    }
}

//! Waveforms read back with `wellen` (the reader behind the Surfer viewer), FST or VCD alike.

use std::path::Path;
use wellen::simple::Waveform;

pub struct Wave {
    wave: Waveform,
}

impl Wave {
    pub fn read(path: &Path) -> Wave {
        let wave = wellen::simple::read(path)
            .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
        Wave { wave }
    }

    /// The variables directly in scope `scope` (e.g. `TOP`), as (name, width).
    pub fn vars(&self, scope: &str) -> Vec<(String, u32)> {
        let h = self.wave.hierarchy();
        let s = h.lookup_scope(&[scope]).expect("the scope exists");
        h[s].vars(h)
            .map(|r| (h[r].name(h).to_string(), h[r].length(h).unwrap_or(0)))
            .collect()
    }

    /// Every time at which something changed.
    pub fn times(&self) -> Vec<u64> {
        self.wave.time_table().to_vec()
    }

    /// Variable `scope.name`'s value at each time of the file's table (none before its first
    /// value, and none while unknown: x or z bits). Values are read as up to 128 bits.
    pub fn values(&mut self, scope: &str, name: &str) -> Vec<(u64, Option<u128>)> {
        let h = self.wave.hierarchy();
        let var = h
            .lookup_var(&[scope], name)
            .unwrap_or_else(|| panic!("{scope}.{name} is in the waveform"));
        let sig = h[var].signal_ref();
        self.wave.load_signals(&[sig]);
        let signal = self.wave.get_signal(sig).unwrap();
        let table = self.wave.time_table();
        (0..table.len())
            .map(|i| {
                let v = signal.get_offset(i as u32).and_then(|off| {
                    let bits = signal.get_value_at(&off, 0).to_bit_string().unwrap();
                    u128::from_str_radix(&bits, 2).ok()
                });
                (table[i], v)
            })
            .collect()
    }

    /// Variable `scope.name`'s value at time `t` (the last change at or before it).
    pub fn at(&mut self, scope: &str, name: &str, t: u64) -> Option<u128> {
        self.values(scope, name)
            .into_iter()
            .take_while(|(time, _)| *time <= t)
            .last()
            .and_then(|(_, v)| v)
    }
}

//! `pimforge presets`: the named presets, one line each.

use pimforge_gen::presets::PRESETS;

pub fn run() {
    for (name, what) in PRESETS {
        say!("{name:<12} {what}");
    }
}

//! Printing that never panics: when the reader of stdout or stderr has gone (`pimforge presets |
//! head -1`), further output is dropped quietly and the command finishes its work, so that a
//! closed pipe neither kills a running `verify` nor loses what it writes to disk.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

fn write(gone: &AtomicBool, w: &mut dyn Write, args: std::fmt::Arguments) {
    if gone.load(Ordering::Relaxed) {
        return;
    }
    if w.write_fmt(args).and_then(|()| w.flush()).is_err() {
        gone.store(true, Ordering::Relaxed);
    }
}

pub fn stdout(args: std::fmt::Arguments) {
    write(&STDOUT_GONE, &mut std::io::stdout().lock(), args);
}

pub fn stderr(args: std::fmt::Arguments) {
    write(&STDERR_GONE, &mut std::io::stderr().lock(), args);
}

/// `println!` that survives a closed stdout.
macro_rules! say {
    ($($t:tt)*) => { $crate::cmd::say::stdout(format_args!("{}\n", format_args!($($t)*))) };
}

/// `print!` that survives a closed stdout.
macro_rules! say_raw {
    ($($t:tt)*) => { $crate::cmd::say::stdout(format_args!($($t)*)) };
}

/// `eprintln!` that survives a closed stderr.
macro_rules! warn {
    ($($t:tt)*) => { $crate::cmd::say::stderr(format_args!("{}\n", format_args!($($t)*))) };
}

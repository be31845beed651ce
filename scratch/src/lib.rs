//! Scratch directories: where pimforge stages output (a generated tree, a Verilator build)
//! before renaming it into place.
//!
//! A [`Scratch`] is removed when it is dropped, unless it was [`Scratch::keep`]t. Every live
//! scratch directory is also listed in a process-wide registry, so that an interrupt handler can
//! remove them all ([`remove_all`]) before the process exits. Each one holds an advisory lock on
//! its own directory for its whole life; a directory with the right prefix whose lock nobody
//! holds belongs to a process that died (SIGKILL, power loss) and [`sweep`] removes it.

use anyhow::{Context, Result};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Names of this process's scratch directories count up from here.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Set by [`remove_all`]: no scratch directory is made after it.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// The scratch directories of this process that still exist.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The prefix of a scratch directory in the moment between its creation and its lock.
const PENDING: &str = ".pending-";

/// A fresh directory `<parent>/<prefix><random>`, locked and registered.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
    /// Held open (and locked) while the directory is in use.
    _lock: File,
}

impl Scratch {
    pub fn new_in(parent: &Path, prefix: &str) -> Result<Scratch> {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create directory {}", parent.display()))?;
        // Registered before it exists, so that an interrupt at any moment finds it.
        let mut live = live();
        if STOPPED.load(Ordering::Relaxed) {
            anyhow::bail!("interrupted");
        }
        // Made under a name `sweep` does not look at, locked, then renamed to its own name: a
        // sweep by another process (another writer in the same parent) never sees it unlocked.
        let (pending, path) = loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("{prefix}{}-{n}", std::process::id());
            let pending = parent.join(format!("{PENDING}{name}"));
            let path = parent.join(&name);
            if path.exists() {
                // A leftover of a dead process with this process id: take the next name.
                continue;
            }
            match fs::create_dir(&pending) {
                Ok(()) => break (pending, path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot write to {}", parent.display()))
                }
            }
        };
        live.push(pending.clone());
        drop(live);
        let lock = File::open(&pending)?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", pending.display()))?;
        let mut live = self::live();
        fs::rename(&pending, &path)
            .with_context(|| format!("cannot write to {}", parent.display()))?;
        live.retain(|p| p != &pending);
        live.push(path.clone());
        drop(live);
        Ok(Scratch { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the directory to `to` (which must not exist, or be an empty directory).
    pub fn persist(self, to: &Path) -> std::io::Result<()> {
        fs::rename(&self.path, to)?;
        self.forget();
        Ok(())
    }

    fn forget(&self) {
        live().retain(|p| p != &self.path);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if live().contains(&self.path) {
            let _ = fs::remove_dir_all(&self.path);
            self.forget();
        }
    }
}

/// Removes every scratch directory of this process (from an interrupt handler, before exiting).
/// Another thread may still be writing into one: each is removed again until it is gone, and no
/// new one is made after (the process is about to exit).
pub fn remove_all() {
    let mut live = live();
    STOPPED.store(true, Ordering::Relaxed);
    for p in live.drain(..) {
        for _ in 0..1000 {
            if fs::remove_dir_all(&p).is_ok() || !p.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

/// The error of work stopped by an interrupt: the caller cleans up and exits with status 130.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Whether a child process ended on SIGINT, SIGTERM or SIGHUP (an interrupt of its job).
pub fn killed_by_interrupt(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    matches!(status.signal(), Some(1 | 2 | 15))
}

/// Whether [`remove_all`] ran: the process is being interrupted.
pub fn stopped() -> bool {
    STOPPED.load(Ordering::Relaxed)
}

/// Removes the directories `<parent>/<prefix>*` that no live process holds: leftovers of runs that
/// died before they could clean up. Returns how many it removed.
pub fn sweep(parent: &Path, prefix: &str) -> usize {
    let Ok(entries) = fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(prefix) || !e.path().is_dir() {
            continue;
        }
        let Ok(f) = File::open(e.path()) else {
            continue;
        };
        if f.try_lock().is_ok() && fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Holds an exclusive advisory lock on directory `dir` (created if missing) until dropped:
/// writers of the same output take turns.
pub fn lock_dir(dir: &Path) -> Result<File> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    let f = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock {}", dir.display()))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `remove_all` removes the scratch of every thread: the tests take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn dropped_scratch_is_removed_and_persisted_scratch_stays() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = tempfile::tempdir().unwrap();
        {
            let s = Scratch::new_in(tmp.path(), ".s-").unwrap();
            fs::write(s.path().join("f"), "x").unwrap();
        }
        assert!(names(tmp.path()).is_empty());
        let s = Scratch::new_in(tmp.path(), ".s-").unwrap();
        fs::write(s.path().join("f"), "x").unwrap();
        s.persist(&tmp.path().join("out")).unwrap();
        assert_eq!(names(tmp.path()), ["out"]);
        assert!(!live().iter().any(|p| p.starts_with(tmp.path())));
    }

    #[test]
    fn sweep_keeps_live_scratch_and_remove_all_clears_it() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = tempfile::tempdir().unwrap();
        let held = Scratch::new_in(tmp.path(), ".s-").unwrap();
        // A leftover of a process that died: same prefix, nobody holds its lock.
        fs::create_dir(tmp.path().join(".s-dead")).unwrap();
        fs::write(tmp.path().join(".s-dead/f"), "x").unwrap();
        fs::create_dir(tmp.path().join("other")).unwrap();
        assert_eq!(sweep(tmp.path(), ".s-"), 1);
        let held_name = held
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(names(tmp.path()), [held_name, "other".to_string()]);
        let other = Scratch::new_in(&tmp.path().join("other"), ".r-").unwrap();
        remove_all();
        assert!(!held.path().exists() && !other.path().exists());
        assert!(
            Scratch::new_in(tmp.path(), ".s-").is_err(),
            "none after remove_all"
        );
        STOPPED.store(false, Ordering::Relaxed);
    }

    #[test]
    fn a_concurrent_sweep_never_takes_a_new_scratch() {
        // Another writer's sweep runs while scratch directories are made: each must survive
        // until it is dropped (it was once swept between its creation and its lock).
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = tempfile::tempdir().unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    sweep(tmp.path(), ".s-");
                }
            });
            let made: Vec<bool> = (0..2000)
                .map(|_| {
                    Scratch::new_in(tmp.path(), ".s-")
                        .is_ok_and(|m| fs::write(m.path().join("f"), "x").is_ok())
                })
                .collect();
            done.store(true, Ordering::Relaxed);
            let lost = made.iter().filter(|ok| !**ok).count();
            assert_eq!(
                lost, 0,
                "{lost} of 2000 scratch directories swept while in use"
            );
        });
    }

    #[test]
    fn a_child_ended_by_an_interrupt_is_told_from_one_that_failed() {
        let run = |script: &str| {
            std::process::Command::new("sh")
                .args(["-c", script])
                .status()
                .unwrap()
        };
        assert!(killed_by_interrupt(&run("kill -INT $$")));
        assert!(killed_by_interrupt(&run("kill -TERM $$")));
        assert!(!killed_by_interrupt(&run("exit 1")));
        assert!(!killed_by_interrupt(&run("kill -KILL $$")));
    }
}

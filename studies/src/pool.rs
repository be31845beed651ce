//! Independent runs of a study on a few threads, each finished run handed over at once (the
//! study rewrites its report after every run, so an interrupted study keeps what it finished).

use anyhow::Result;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `one` on every item of `work` on `jobs` threads. After each run, `done` gets the runs
/// finished so far (in the order they finished) and whether they are all of them; it runs under
/// a lock, one call at a time. The first error stops the remaining runs and is returned.
pub fn run_all<W: Sync, P: Send>(
    work: &[W],
    jobs: usize,
    one: impl Fn(&W) -> Result<P> + Sync,
    done: impl Fn(&[P], bool) -> Result<()> + Sync,
) -> Result<Vec<P>> {
    let next = AtomicUsize::new(0);
    let finished: Mutex<Vec<P>> = Mutex::new(Vec::new());
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= work.len() || failed.lock().unwrap().is_some() {
                    return;
                }
                let outcome = one(&work[i]).and_then(|p| {
                    let mut d = finished.lock().unwrap();
                    d.push(p);
                    done(&d, d.len() == work.len())
                });
                if let Err(e) = outcome {
                    *failed.lock().unwrap() = Some(e);
                }
            });
        }
    });
    match failed.into_inner().unwrap() {
        Some(e) => Err(e),
        None => Ok(finished.into_inner().unwrap()),
    }
}

/// [`run_all`] for a study: `write(finished, complete)` rewrites its report after every run
/// (so an interrupted study keeps what it finished), `progress(done, total, run)` reports each
/// run, and the report is written once more at the end.
pub fn run_study<W: Sync, P: Send>(
    work: &[W],
    jobs: usize,
    one: impl Fn(&W) -> Result<P> + Sync,
    write: impl Fn(&[P], bool) -> Result<()> + Sync,
    progress: impl Fn(usize, usize, &P) + Sync,
) -> Result<Vec<P>> {
    let total = work.len();
    let points = run_all(work, jobs, one, |done, all| {
        write(done, all)?;
        progress(done.len(), total, done.last().expect("a finished run"));
        Ok(())
    })?;
    write(&points, true)?;
    Ok(points)
}

//! `pimforge sweep FILE --slurm`: a Slurm batch script of a job array, one array task per point,
//! each running `pimforge sweep FILE --point K` into the same directory as a local sweep, so that
//! `pimforge sweep FILE --collect` makes the same table and plot. The script is written into
//! the sweep's directory and submitted with `sbatch`; with `--dry-run` it is printed instead.

use super::json_out::write_atomic;
use super::sweep_file::Sweep;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// An absolute form of `p` (relative to the current directory), for the tasks, which may start
/// elsewhere.
fn absolute(p: &Path) -> Result<PathBuf> {
    Ok(std::path::absolute(p)?)
}

/// Single quotes for the shell.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The batch script: array indices 0..points-1, a log per task in OUT/slurm/.
pub fn script(exe: &Path, file: &Path, out: &Path, work: &Path, points: usize) -> String {
    let name = file.file_stem().unwrap_or_default().to_string_lossy();
    format!(
        "#!/bin/bash\n\
         # pimforge sweep {file}: one array task per point; collect with\n\
         #   pimforge sweep {file} --out {out} --collect\n\
         #SBATCH --job-name=pimforge-sweep-{name}\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --output={log}/%A_%a.log\n\
         set -euo pipefail\n\
         exec {exe} sweep {qfile} --out {qout} --work {qwork} --point \"$SLURM_ARRAY_TASK_ID\"\n",
        file = file.display(),
        out = out.display(),
        last = points - 1,
        log = out.join("slurm").display(),
        exe = quote(exe),
        qfile = quote(file),
        qout = quote(out),
        qwork = quote(work),
    )
}

/// Writes the script of `sweep` (into `out`, builds in `work`) and submits it, or prints it.
pub fn submit(sweep: &Sweep, out: &Path, work: &Path, dry: bool) -> Result<()> {
    let (file, out, work) = (absolute(&sweep.path)?, absolute(out)?, absolute(work)?);
    let exe = std::env::current_exe()?;
    let text = script(&exe, &file, &out, &work, sweep.points.len());
    if dry {
        say!("{}", text.trim_end());
        return Ok(());
    }
    std::fs::create_dir_all(out.join("slurm"))
        .with_context(|| format!("--out {}", out.display()))?;
    let path = out.join("sweep.sbatch");
    write_atomic(&path, text.as_bytes())?;
    let run = std::process::Command::new("sbatch")
        .arg("--parsable")
        .arg(&path)
        .output()
        .context("cannot run sbatch (is Slurm installed and this a submit host?)")?;
    if !run.status.success() {
        bail!(
            "sbatch {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        );
    }
    let job = String::from_utf8_lossy(&run.stdout).trim().to_string();
    say!(
        "pimforge sweep: submitted Slurm job {job} ({} array tasks, script {}); when it is done: pimforge sweep {} --out {} --collect",
        sweep.points.len(),
        path.display(),
        sweep.path.display(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_one_array_task_per_point_running_that_point() {
        let s = script(
            Path::new("/opt/pf/pimforge"),
            Path::new("/home/a/s w.yaml"),
            Path::new("/home/a/out"),
            Path::new("/home/a/build"),
            24,
        );
        assert!(s.starts_with("#!/bin/bash\n"));
        assert!(s.contains("#SBATCH --array=0-23\n"), "{s}");
        assert!(s.contains("#SBATCH --output=/home/a/out/slurm/%A_%a.log\n"));
        assert!(
            s.contains("exec '/opt/pf/pimforge' sweep '/home/a/s w.yaml' --out '/home/a/out' --work '/home/a/build' --point \"$SLURM_ARRAY_TASK_ID\"\n"),
            "{s}"
        );
        assert_eq!(quote(Path::new("it's")), r"'it'\''s'");
    }
}

//! Writing a generated tree safely: all or nothing, and never over files pimforge did not write.
//!
//! Files are written into a fresh directory beside the target and swapped in by renames, so a
//! crash or an error leaves either the old tree or the new one. A manifest records the hash of
//! every generated file; a target directory holding anything else (or a generated file edited
//! since) is refused. A lock on the parent directory makes concurrent writers take turns, and
//! staging directories are [`Scratch`] directories: removed on error, on an interrupt, and by the
//! next writer when a run died.

use anyhow::{bail, Context, Result};
use pimforge_scratch::Scratch;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = ".pimforge-manifest.json";

fn digest(bytes: &[u8]) -> String {
    pimforge_golden::num::hex(&Sha256::digest(bytes))
}

/// Prefix of the staging directories of a tree (beside it, or inside it when written in place).
const NEW: &str = ".pimforge-new-";
/// Prefix of the old tree while it is swapped out.
const OLD: &str = ".pimforge-old-";

/// Files in `dir` that pimforge may not replace: not in its manifest, or edited since.
fn foreign_files(dir: &Path) -> Result<Vec<String>> {
    let manifest = read_manifest(dir)?;
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MANIFEST || name.starts_with(NEW) {
            continue;
        }
        let ours = entry.file_type()?.is_file()
            && manifest
                .get(&name)
                .is_some_and(|h| fs::read(entry.path()).is_ok_and(|b| &digest(&b) == h));
        if !ours {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

fn read_manifest(dir: &Path) -> Result<BTreeMap<String, String>> {
    match fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is corrupt", dir.join(MANIFEST).display())),
        Err(_) => Ok(BTreeMap::new()),
    }
}

/// Where a tree written at `out` really goes: absolute, `.` and `..` resolved, and through a
/// symbolic link to the directory it points to (the link itself stays).
pub fn target(out: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(out)
        .with_context(|| format!("{} is not a usable path", out.display()))?;
    if fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink()) && !abs.exists() {
        bail!(
            "{} is a symbolic link to {}, which does not exist: create it or remove the link",
            out.display(),
            fs::read_link(&abs).unwrap_or_default().display()
        );
    }
    // The longest existing prefix, resolved, with the rest of the path after it.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => bail!("{} is not a usable path", out.display()),
        }
    }
    let mut t = fs::canonicalize(&existing)
        .with_context(|| format!("cannot resolve {}", existing.display()))?;
    for name in rest.iter().rev() {
        t.push(name);
    }
    if t.parent().is_none() {
        bail!(
            "{} is the root directory: choose a directory below it",
            out.display()
        );
    }
    Ok(t)
}

/// Checks, before any work, that a tree can later be written at `out`: `out` is a directory
/// holding only files pimforge wrote (or does not exist yet), and the directory it goes in is
/// writable. `flag` names the option the path came from, for the message.
pub fn check_out(out: &Path, flag: &str) -> Result<PathBuf> {
    let t = target(out).with_context(|| format!("{flag} {}", out.display()))?;
    if t.exists() {
        refuse_foreign(&t, flag)?;
        return Ok(t);
    }
    let mut ancestor = t.parent().expect("not the root").to_path_buf();
    while !ancestor.exists() {
        ancestor = ancestor.parent().expect("the root exists").to_path_buf();
    }
    if !ancestor.is_dir() {
        bail!(
            "{flag} {}: {} is not a directory",
            out.display(),
            ancestor.display()
        );
    }
    Scratch::new_in(&ancestor, NEW)
        .with_context(|| format!("{flag} {}: cannot write there", out.display()))?;
    Ok(t)
}

fn refuse_foreign(dir: &Path, flag: &str) -> Result<()> {
    if !dir.is_dir() {
        bail!("{flag} {} exists and is not a directory", dir.display());
    }
    let foreign = foreign_files(dir)?;
    if !foreign.is_empty() {
        let shown = foreign.len().min(8);
        let more = match foreign.len() - shown {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        bail!(
            "refusing to write into {}: it holds files pimforge did not generate or that were edited since: {}{more}; \
             move them away, or choose another {flag}",
            dir.display(),
            foreign[..shown].join(", ")
        );
    }
    Ok(())
}

/// Replaces directory `out` with exactly `files`, atomically. `out` may be a symbolic link (the
/// tree replaces its target) or the current directory (then each file is replaced atomically,
/// in place, since the directory itself cannot move). Writers of the same parent directory take
/// turns under a lock; staging directories of runs that died are swept first.
pub fn write_tree<C: AsRef<[u8]>>(out: &Path, files: &[(String, C)], flag: &str) -> Result<()> {
    let out = target(out).with_context(|| format!("{flag} {}", out.display()))?;
    let parent = out.parent().expect("target() is never the root");
    fs::create_dir_all(parent)
        .with_context(|| format!("cannot create output directory {}", parent.display()))?;
    let _turn = pimforge_scratch::lock_dir(parent)?;
    let name = out
        .file_name()
        .expect("a target has a name")
        .to_string_lossy();
    let (new, old) = (format!(".{name}{NEW}"), format!(".{name}{OLD}"));
    pimforge_scratch::sweep(parent, &new);
    pimforge_scratch::sweep(parent, &old);
    let exists = out.exists();
    if exists {
        refuse_foreign(&out, flag)?;
    }
    let in_place = exists && std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(&out));
    if in_place {
        pimforge_scratch::sweep(&out, NEW);
    }
    let staging = match in_place {
        true => Scratch::new_in(&out, NEW)?,
        false => Scratch::new_in(parent, &new)?,
    };
    let mut manifest = BTreeMap::new();
    for (name, text) in files {
        let path = staging.path().join(name);
        let mut f =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(text.as_ref())
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.sync_all()?;
        manifest.insert(name.clone(), digest(text.as_ref()));
    }
    let manifest_text = serde_json::to_string_pretty(&manifest)? + "\n";
    fs::write(staging.path().join(MANIFEST), &manifest_text)?;
    if in_place {
        let stale: Vec<String> = read_manifest(&out)?
            .into_keys()
            .filter(|n| !manifest.contains_key(n))
            .collect();
        for name in manifest.keys() {
            fs::rename(staging.path().join(name), out.join(name))
                .with_context(|| format!("cannot replace {}", out.join(name).display()))?;
        }
        for name in stale {
            let _ = fs::remove_file(out.join(name));
        }
        fs::rename(staging.path().join(MANIFEST), out.join(MANIFEST))?;
    } else if exists {
        let aside = Scratch::new_in(parent, &old)?;
        fs::remove_dir(aside.path())?;
        fs::rename(&out, aside.path())
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        if let Err(e) = staging.persist(&out) {
            let _ = fs::rename(aside.path(), &out);
            return Err(e)
                .with_context(|| format!("cannot move the new tree to {}", out.display()));
        }
    } else {
        staging
            .persist(&out)
            .with_context(|| format!("cannot create {}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(v: &str) -> Vec<(String, String)> {
        vec![("a.sv".into(), v.into()), ("b.f".into(), "a.sv\n".into())]
    }

    #[test]
    fn replaces_its_own_tree_and_refuses_foreign_or_edited_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("rtl");
        write_tree(&out, &files("one"), "--out").unwrap();
        write_tree(&out, &files("two"), "--out").unwrap();
        assert_eq!(fs::read_to_string(out.join("a.sv")).unwrap(), "two");

        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = write_tree(&out, &files("three"), "--out")
            .unwrap_err()
            .to_string();
        assert!(e.contains("notes.txt"), "{e}");
        assert_eq!(fs::read_to_string(out.join("a.sv")).unwrap(), "two");
        fs::remove_file(out.join("notes.txt")).unwrap();

        fs::write(out.join("a.sv"), "hand edit").unwrap();
        let e = write_tree(&out, &files("three"), "--out")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.sv"), "{e}");
        assert_eq!(fs::read_to_string(out.join("a.sv")).unwrap(), "hand edit");
        // Nothing left behind beside the target.
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("rtl")]);
    }
}

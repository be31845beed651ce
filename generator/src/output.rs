//! Writing a generated tree safely: all or nothing, and never over files pimforge did not write.
//!
//! Files are written into a fresh directory beside the target and swapped in by renames, so a
//! crash or an error leaves either the old tree or the new one. A manifest records the hash of
//! every generated file; a target directory holding anything else (or a generated file edited
//! since) is refused.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = ".pimforge-manifest.json";

fn digest(bytes: &[u8]) -> String {
    pimforge_golden::num::hex(&Sha256::digest(bytes))
}

/// Files in `dir` that pimforge may not replace: not in its manifest, or edited since.
fn foreign_files(dir: &Path) -> Result<Vec<String>> {
    let manifest: BTreeMap<String, String> = match fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is corrupt", dir.join(MANIFEST).display()))?,
        Err(_) => BTreeMap::new(),
    };
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MANIFEST {
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

/// Replaces directory `out` with exactly `files`, atomically.
pub fn write_tree<C: AsRef<[u8]>>(out: &Path, files: &[(String, C)]) -> Result<()> {
    let exists = out.exists();
    if exists {
        if !out.is_dir() {
            bail!("--out {} exists and is not a directory", out.display());
        }
        let foreign = foreign_files(out)?;
        if !foreign.is_empty() {
            bail!(
                "refusing to write into {}: it holds files pimforge did not generate or that were edited since: {}; \
                 move them away or choose another --out",
                out.display(),
                foreign.join(", ")
            );
        }
    }
    let parent: PathBuf = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create output directory {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".pimforge-new-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot write to {}", parent.display()))?;
    let mut manifest = BTreeMap::new();
    for (name, text) in files {
        let path = staging.path().join(name);
        let mut f =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(text.as_ref())?;
        f.sync_all()?;
        manifest.insert(name.clone(), digest(text.as_ref()));
    }
    fs::write(
        staging.path().join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    let staging = staging.keep();
    if exists {
        let old = tempfile::Builder::new()
            .prefix(".pimforge-old-")
            .tempdir_in(&parent)?
            .keep();
        fs::remove_dir(&old)?;
        fs::rename(out, &old)
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        if let Err(e) = fs::rename(&staging, out) {
            let _ = fs::rename(&old, out);
            let _ = fs::remove_dir_all(&staging);
            return Err(e)
                .with_context(|| format!("cannot move the new tree to {}", out.display()));
        }
        fs::remove_dir_all(&old)?;
    } else if let Err(e) = fs::rename(&staging, out) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e).with_context(|| format!("cannot create {}", out.display()));
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
        write_tree(&out, &files("one")).unwrap();
        write_tree(&out, &files("two")).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.sv")).unwrap(), "two");

        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = write_tree(&out, &files("three")).unwrap_err().to_string();
        assert!(e.contains("notes.txt"), "{e}");
        assert_eq!(fs::read_to_string(out.join("a.sv")).unwrap(), "two");
        fs::remove_file(out.join("notes.txt")).unwrap();

        fs::write(out.join("a.sv"), "hand edit").unwrap();
        let e = write_tree(&out, &files("three")).unwrap_err().to_string();
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

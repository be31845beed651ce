//! A report file (JSON, or JUnit XML) written atomically: a temporary file beside it from the start (so an
//! unwritable path fails before the work), renamed over it when the report is done. A file
//! already there is replaced only when it is an earlier report of the same command.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct JsonOut {
    path: PathBuf,
    flag: String,
    tmp: tempfile::NamedTempFile,
}

impl JsonOut {
    /// `keys`: the top-level keys every report of `command` has (how an earlier one is known).
    pub fn create(path: &Path, keys: &[&str], command: &str) -> anyhow::Result<JsonOut> {
        let earlier = |old: &str| {
            let v: serde_json::Value = serde_json::from_str(old).unwrap_or_default();
            keys.iter().all(|k| v.get(k).is_some())
        };
        Self::create_as(path, "--json", &earlier, command)
    }

    /// A JUnit file given by `--junit`: a file already at `path` is replaced only when it is a
    /// JUnit report of `command` (its `<testsuites>` names the command).
    pub fn create_junit(path: &Path, command: &str) -> anyhow::Result<JsonOut> {
        let earlier = |old: &str| old.contains("<testsuites") && old.contains(command);
        Self::create_as(path, "--junit", &earlier, command)
    }

    /// A report file of any format given by option `flag`: a file already at `path` is replaced
    /// only when `earlier` says its text is an earlier report of `command`.
    pub fn create_as(
        path: &Path,
        flag: &str,
        earlier: &dyn Fn(&str) -> bool,
        command: &str,
    ) -> anyhow::Result<JsonOut> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if path.exists() && !std::fs::read_to_string(path).is_ok_and(|old| earlier(&old)) {
            anyhow::bail!(
                "{flag} {}: the file exists and is not a report of {command}; choose another path",
                path.display()
            );
        }
        let tmp = tempfile::Builder::new()
            .prefix(".pimforge-report-")
            .tempfile_in(dir)
            .with_context(|| format!("{flag} {}: cannot write there", path.display()))?;
        Ok(JsonOut {
            path: path.to_path_buf(),
            flag: flag.to_string(),
            tmp,
        })
    }

    pub fn finish(mut self, text: &str) -> anyhow::Result<()> {
        self.tmp.write_all(text.as_bytes())?;
        self.tmp
            .persist(&self.path)
            .with_context(|| format!("{} {}: cannot write", self.flag, self.path.display()))?;
        Ok(())
    }
}

/// Writes `path` whole or not at all: a temporary file beside it, renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

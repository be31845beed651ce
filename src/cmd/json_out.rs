//! A JSON report file written atomically: a temporary file beside it from the start (so an
//! unwritable path fails before the work), renamed over it when the report is done. A file
//! already there is replaced only when it is an earlier report of the same command.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct JsonOut {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl JsonOut {
    /// `keys`: the top-level keys every report of `command` has (how an earlier one is known).
    pub fn create(path: &Path, keys: &[&str], command: &str) -> anyhow::Result<JsonOut> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(old) = std::fs::read_to_string(path) {
            let v: serde_json::Value = serde_json::from_str(&old).unwrap_or_default();
            if keys.iter().any(|k| v.get(k).is_none()) {
                anyhow::bail!(
                    "--json {}: the file exists and is not a report of {command}; choose another path",
                    path.display()
                );
            }
        }
        let tmp = tempfile::Builder::new()
            .prefix(".pimforge-json-")
            .tempfile_in(dir)
            .with_context(|| format!("--json {}: cannot write there", path.display()))?;
        Ok(JsonOut {
            path: path.to_path_buf(),
            tmp,
        })
    }

    pub fn finish(mut self, text: &str) -> anyhow::Result<()> {
        self.tmp.write_all(text.as_bytes())?;
        self.tmp
            .persist(&self.path)
            .with_context(|| format!("--json {}: cannot write", self.path.display()))?;
        Ok(())
    }
}

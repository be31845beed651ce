//! Resolving a config from a preset, a YAML file and command-line overrides.

use crate::config::{locate, truncated, truncated_to, Config, Valid};
use crate::presets::{names, preset};
use anyhow::{anyhow, bail, Context, Result};
use serde_norway::Value;
use std::path::Path;

/// Where a config comes from, in order of precedence (later wins).
#[derive(Clone, Debug, Default)]
pub struct Source<'a> {
    /// `--preset`: the base preset (a file's `preset:` key must agree with it).
    pub preset: Option<&'a str>,
    pub file: Option<&'a Path>,
    pub tiles: Option<usize>,
    /// The base when neither `--preset` nor the file names one (`puma`, or `digits` for `train`).
    pub default_preset: Option<&'a str>,
}

/// The base preset when nothing names one.
pub const DEFAULT_PRESET: &str = "puma";
/// Largest config file read (a config is a few hundred bytes).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Deepest nesting of `[` and `{` in a config file (a config nests three deep).
pub const MAX_NESTING: usize = 32;

fn named(name: &str) -> Result<Config> {
    preset(name).ok_or_else(|| {
        anyhow!(
            "unknown preset '{name}': allowed presets are {}",
            names().join(", ")
        )
    })
}

/// Deep-merges `over` into `base` (mappings merge key by key; anything else replaces).
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Refuses texts no config can be before parsing them: too long, or nested too deep (the YAML
/// parser would take seconds to reach its own recursion limit).
fn check_size(text: &str, origin: &str) -> Result<()> {
    if text.len() > MAX_FILE_BYTES {
        bail!(
            "{origin}: {} bytes; a config file is at most {MAX_FILE_BYTES} bytes",
            text.len()
        );
    }
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, '\n') => quote = None,
            _ => {}
        }
    }
    if deepest > MAX_NESTING {
        bail!("{origin}: brackets nest {deepest} deep; a config nests at most {MAX_NESTING} deep");
    }
    Ok(())
}

/// A deserialisation error in the words of the config: the field, what was expected, and where
/// the user's file has the value.
fn typed_error(text: &str, origin: &str, merged: Value) -> anyhow::Error {
    let e = match serde_path_to_error::deserialize::<_, Config>(merged) {
        Err(e) => e,
        Ok(_) => return anyhow!("{origin}: not a valid config"),
    };
    let steps = locate::steps(e.path());
    let at = locate::locate(text, &steps)
        .map_or(String::new(), |(l, c)| format!(", at line {l} column {c}"));
    let what = e
        .inner()
        .to_string()
        .replace("expected usize", "expected an integer")
        .replace("expected u64", "expected an integer")
        .replace("expected u32", "expected an integer")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace(
            "data did not match any variant of untagged enum CellBits",
            "expected a width or a list of widths (one per slice)",
        );
    let field = e.path().to_string();
    let field = if field == "." {
        String::new()
    } else {
        format!("{field}: ")
    };
    anyhow!("{origin}: {field}{}{at}", truncated_to(what, 200))
}

/// Parses a YAML overlay: an optional `preset:` key picks the base, other keys override it.
/// `src.preset` (the `--preset` flag) must agree with the key; without either the base is
/// `src.default_preset`, else [`DEFAULT_PRESET`].
pub fn from_yaml(text: &str, origin: &str, src: &Source) -> Result<Config> {
    check_size(text, origin)?;
    let mut over: Value =
        serde_norway::from_str(text).with_context(|| format!("{origin}: not valid YAML"))?;
    if over.is_null() {
        over = Value::Mapping(Default::default());
    }
    let Value::Mapping(map) = &mut over else {
        bail!("{origin}: the config must be a YAML mapping of fields");
    };
    let file_preset = match map.remove("preset") {
        Some(Value::String(s)) => Some(s),
        Some(other) => bail!(
            "{origin}: preset: expected a preset name ({}), not {}",
            names().join(", "),
            truncated(serde_json::to_string(&other)?)
        ),
        None => None,
    };
    if let (Some(flag), Some(key)) = (src.preset, &file_preset) {
        if flag != key {
            bail!("--preset {flag} and `preset: {key}` in {origin} disagree: give the base preset once");
        }
    }
    let base_name = file_preset
        .as_deref()
        .or(src.preset)
        .or(src.default_preset)
        .unwrap_or(DEFAULT_PRESET);
    let mut base = serde_norway::to_value(named(base_name)?)?;
    merge(&mut base, over);
    serde_norway::from_value(base.clone()).map_err(|_| typed_error(text, origin, base))
}

/// Resolves and validates a config.
pub fn resolve(src: &Source) -> Result<Valid> {
    let mut cfg = match src.file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("--config {}: cannot read the config file", path.display())
            })?;
            from_yaml(&text, &path.display().to_string(), src)?
        }
        None => named(src.preset.or(src.default_preset).unwrap_or(DEFAULT_PRESET))?,
    };
    if let Some(t) = src.tiles {
        cfg.tiles = t;
    }
    Ok(cfg.validated()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_overrides_a_preset_field_by_field() {
        let c = from_yaml(
            "preset: tiny\nadc: { share: 2 }\ntiles: 3\n",
            "t",
            &Source::default(),
        )
        .unwrap();
        assert_eq!(c.tiles, 3);
        assert_eq!(c.adc.share, 2);
        assert_eq!(c.adc.bits, preset("tiny").unwrap().adc.bits);
    }

    #[test]
    fn unknown_fields_and_presets_are_named() {
        let e = from_yaml("crossbar: { rowz: 4 }", "f.yaml", &Source::default()).unwrap_err();
        assert!(format!("{e:#}").contains("rowz"), "{e:#}");
        let e = from_yaml("preset: huge", "f.yaml", &Source::default()).unwrap_err();
        assert!(format!("{e:#}").contains("unknown preset 'huge'"));
    }

    #[test]
    fn invalid_values_name_field_value_and_range() {
        let e = resolve(&Source {
            preset: Some("tiny"),
            tiles: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            format!("{e}").lines().nth(1).unwrap(),
            "  - tiles = 0: allowed 1..=128"
        );
        let c = from_yaml(
            "crossbar: { rows: 256, cols: 256 }",
            "f",
            &Source::default(),
        )
        .unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("crossbar.rows = 256"), "{e}");
        assert!(e.contains("at most 128 lines"), "{e}");
    }

    #[test]
    fn type_errors_name_the_field_and_the_line_of_the_users_file() {
        let src = Source::default();
        let e = from_yaml("tiles: \"two\"\n", "f.yaml", &src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.yaml: tiles: invalid type: string \"two\", expected an integer, at line 1 column 8"
        );
        let e = from_yaml("preset: tiny\ncrossbar:\n  rows: x\n", "f", &src).unwrap_err();
        assert!(
            e.to_string().starts_with("f: crossbar.rows: invalid type"),
            "{e}"
        );
        assert!(e.to_string().ends_with("at line 3 column 9"), "{e}");
        let e = from_yaml("device: { bounds: [1, 2, 3] }", "f", &src).unwrap_err();
        assert!(
            e.to_string().contains("device.bounds: invalid length 3"),
            "{e}"
        );
        let e = from_yaml("preset: [tiny]", "f", &src).unwrap_err();
        assert!(e.to_string().contains(r#"not ["tiny"]"#), "{e}");
    }

    #[test]
    fn huge_or_deeply_nested_files_are_refused_before_parsing() {
        let src = Source::default();
        let deep = format!("tiles: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let t0 = std::time::Instant::now();
        let e = from_yaml(&deep, "f", &src).unwrap_err().to_string();
        assert!(e.contains("nest 100000 deep"), "{e}");
        assert!(t0.elapsed().as_secs() < 2);
        let long = format!("crossbar: {{ cell_bits: [{}] }}", "4, ".repeat(400_000));
        let e = from_yaml(&long, "f", &src).unwrap_err().to_string();
        assert!(e.contains("a config file is at most 1048576 bytes"), "{e}");
    }

    #[test]
    fn a_preset_flag_and_a_preset_key_must_agree() {
        let src = Source {
            preset: Some("tiny"),
            ..Default::default()
        };
        let e = from_yaml("preset: mixed", "f.yaml", &src).unwrap_err();
        assert!(e.to_string().contains("disagree"), "{e}");
        assert!(from_yaml("preset: tiny", "f.yaml", &src).is_ok());
        let digits = Source {
            default_preset: Some("digits"),
            ..Default::default()
        };
        let c = from_yaml("tiles: 2", "f", &digits).unwrap();
        assert_eq!(c.crossbar, preset("digits").unwrap().crossbar);
    }
}

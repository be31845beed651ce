//! Resolving a config from a preset, a YAML file and command-line overrides.

use crate::config::{Config, Valid};
use crate::presets::{names, preset};
use anyhow::{anyhow, bail, Context, Result};
use serde_norway::Value;
use std::path::Path;

/// Where a config comes from, in order of precedence (later wins).
#[derive(Clone, Debug, Default)]
pub struct Source<'a> {
    pub preset: Option<&'a str>,
    pub file: Option<&'a Path>,
    pub tiles: Option<usize>,
}

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

/// Parses a YAML overlay: an optional `preset:` key picks the base, other keys override it.
pub fn from_yaml(text: &str, origin: &str, base_preset: Option<&str>) -> Result<Config> {
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
        Some(other) => bail!("{origin}: preset must be a preset name, not {other:?}"),
        None => None,
    };
    let base_name = file_preset.as_deref().or(base_preset).unwrap_or("puma");
    let mut base = serde_norway::to_value(named(base_name)?)?;
    merge(&mut base, over);
    serde_norway::from_value(base).map_err(|e| anyhow!("{origin}: {e}"))
}

/// Resolves and validates a config.
pub fn resolve(src: &Source) -> Result<Valid> {
    let mut cfg = match src.file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            from_yaml(&text, &path.display().to_string(), src.preset)?
        }
        None => named(src.preset.unwrap_or("puma"))?,
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
        let c = from_yaml("preset: tiny\nadc: { share: 2 }\ntiles: 3\n", "t", None).unwrap();
        assert_eq!(c.tiles, 3);
        assert_eq!(c.adc.share, 2);
        assert_eq!(c.adc.bits, preset("tiny").unwrap().adc.bits);
    }

    #[test]
    fn unknown_fields_and_presets_are_named() {
        let e = from_yaml("crossbar: { rowz: 4 }", "f.yaml", None).unwrap_err();
        assert!(format!("{e:#}").contains("rowz"), "{e:#}");
        let e = from_yaml("preset: huge", "f.yaml", None).unwrap_err();
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
        let c = from_yaml("crossbar: { rows: 256, cols: 256 }", "f", Some("puma")).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("crossbar.rows = 256"), "{e}");
        assert!(e.contains("at most 128 lines"), "{e}");
    }
}

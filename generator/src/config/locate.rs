//! Where a field sits in a YAML file: the line and column of the value at a field path, found by
//! deserialising the file once more with a visitor that walks the path and stops at the value
//! with an error, whose location the YAML parser records.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The path of the field `serde_path_to_error` names (`crossbar.cell_bits[2]`).
pub fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            _ => None,
        })
        .collect()
}

const HERE: &str = "pimforge: the value is here";

struct Walk<'a>(&'a [Step]);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0.first() {
            // The error is raised on the value's own event, which carries its position.
            None => d.deserialize_any(Here),
            Some(_) => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping or a sequence")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            match &self.0[0] {
                Step::Key(want) if *want == k => return map.next_value_seed(Walk(&self.0[1..])),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let found = match &self.0[0] {
                Step::Index(want) if *want == i => seq.next_element_seed(Walk(&self.0[1..]))?,
                _ => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if found.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    // Scalars on the way: the path does not continue here.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Fails on any value, at its position.
struct Here;

impl<'de> Visitor<'de> for Here {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(HERE))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(HERE))
    }
}

/// Line and column (1-based) of the value at `path` in the YAML `text`, if it is there.
pub fn locate(text: &str, path: &[Step]) -> Option<(usize, usize)> {
    if path.is_empty() {
        return None;
    }
    let d = serde_norway::Deserializer::from_str(text);
    match Walk(path).deserialize(d) {
        Err(e) if e.to_string().contains(HERE) => e.location().map(|l| (l.line(), l.column())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[test]
    fn finds_the_value_of_a_nested_key_and_list_entry() {
        let text = "tiles: 2\ncrossbar:\n  rows: x\n  cell_bits: [4, 5, \"six\"]\n";
        assert_eq!(locate(text, &[key("tiles")]), Some((1, 8)));
        assert_eq!(locate(text, &[key("crossbar"), key("rows")]), Some((3, 9)));
        let third = [key("crossbar"), key("cell_bits"), Step::Index(2)];
        assert_eq!(locate(text, &third), Some((4, 21)));
        assert_eq!(locate(text, &[key("adc"), key("bits")]), None);
    }
}

//! Field deserializers that accept what Go's yaml.v3 accepts when ddns-go reads its file, so a
//! hand-edited config that ddns-go loads also loads here: a null (`~`, `null`, empty) list or
//! bool is empty/false, and a bool may be written the YAML 1.1 way (`yes`, `on`, `N`, …).

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A list that may be null.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A bool that may be null or a YAML 1.1 word.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<GoBool>::deserialize(d)?.is_some_and(|b| b.0))
}

struct GoBool(bool);

impl<'de> Deserialize<'de> for GoBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(GoBoolVisitor)
    }
}

struct GoBoolVisitor;

impl Visitor<'_> for GoBoolVisitor {
    type Value = GoBool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("true or false")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoBool, E> {
        Ok(GoBool(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<GoBool, E> {
        match v {
            "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
                Ok(GoBool(true))
            }
            "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off"
            | "OFF" => Ok(GoBool(false)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

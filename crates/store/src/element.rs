//! Where one instance of a step sits inside nested `for` fan-outs.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// The index at each `for` level, outermost first; empty outside any `for`.
///
/// One type for the three spellings: stored (and serialised in records) as `"1.0"` (`""`
/// outside a `for`), shown to people as `fit[1,0]`, and written by them as `fit[1, 0]` or
/// `fit[1.0]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Element(Vec<u32>);

impl Element {
    /// The instance of a step outside any `for`.
    pub const NONE: Element = Element(Vec::new());

    pub fn new(indices: Vec<u32>) -> Element {
        Element(indices)
    }

    pub fn indices(&self) -> &[u32] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored form (`"1.0"`) read back; a part that is not a number is passed over, as
    /// the store never writes one.
    pub fn from_stored(text: &str) -> Element {
        Element(
            text.split('.')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.parse().ok())
                .collect(),
        )
    }

    /// What people write between the brackets: `1, 0` or `1.0`; `None` unless every part
    /// is a number.
    pub fn parse_indices(inner: &str) -> Option<Element> {
        inner
            .split([',', '.'])
            .map(|p| p.trim().parse::<u32>().ok())
            .collect::<Option<Vec<u32>>>()
            .map(Element)
    }

    /// `fit`, `fit[2]`, `fit[1,0]`: how people see the instance.
    pub fn instance_name(&self, step: &str) -> String {
        if self.0.is_empty() {
            return step.to_string();
        }
        let indices: Vec<String> = self.0.iter().map(u32::to_string).collect();
        format!("{step}[{}]", indices.join(","))
    }
}

impl From<&[u32]> for Element {
    fn from(indices: &[u32]) -> Element {
        Element(indices.to_vec())
    }
}

/// The stored form: `1.0`, empty outside a `for`.
impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, index) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{index}")?;
        }
        Ok(())
    }
}

impl PartialEq<&str> for Element {
    fn eq(&self, other: &&str) -> bool {
        *self == Element::from_stored(other)
    }
}

impl Serialize for Element {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Element, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Element::from_stored(&text))
    }
}

impl ToSql for Element {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_string()))
    }
}

impl FromSql for Element {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Element> {
        value.as_str().map(Element::from_stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_spellings_agree() {
        let e = Element::new(vec![1, 0]);
        assert_eq!(e.to_string(), "1.0");
        assert_eq!(Element::from_stored("1.0"), e);
        assert_eq!(Element::parse_indices("1, 0"), Some(e.clone()));
        assert_eq!(Element::parse_indices("1.0"), Some(e.clone()));
        assert_eq!(e.instance_name("fit"), "fit[1,0]");
        assert_eq!(Element::NONE.instance_name("fit"), "fit");
        assert_eq!(Element::NONE.to_string(), "");
        assert_eq!(Element::from_stored(""), Element::NONE);
        assert_eq!(serde_json::to_value(&e).unwrap(), "1.0");
    }

    #[test]
    fn indices_must_be_numbers() {
        assert_eq!(Element::parse_indices("x"), None);
        assert_eq!(Element::parse_indices("1,"), None);
        assert_eq!(Element::parse_indices("-1"), None);
    }
}

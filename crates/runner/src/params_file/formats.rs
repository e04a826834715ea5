//! The three formats of a params file, each read into names, values and the line and
//! column where each is written.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use super::{line_column, FileParam, Problem, NOT_A_MAPPING};

pub(super) fn yaml(text: &str) -> Result<Vec<FileParam>, Problem> {
    let documents = MarkedYaml::load_from_str(text).map_err(|e| {
        let mark = e.marker();
        (
            mark.line(),
            mark.col() + 1,
            format!("not valid YAML: {}", e.info()),
        )
    })?;
    let Some(document) = documents.first() else {
        return Ok(Vec::new());
    };
    if documents.len() > 1 {
        let start = documents[1].span.start;
        return Err((
            start.line(),
            start.col() + 1,
            "a params file holds one YAML document; remove the second".into(),
        ));
    }
    let mapping = match &document.data {
        YamlData::Mapping(mapping) => mapping,
        YamlData::Value(Scalar::Null) => return Ok(Vec::new()),
        _ => {
            let start = document.span.start;
            return Err((start.line(), start.col() + 1, NOT_A_MAPPING.into()));
        }
    };
    let mut params = Vec::new();
    for (key, value) in mapping {
        let name = match &key.data {
            YamlData::Value(Scalar::String(name)) => name.to_string(),
            _ => {
                let start = key.span.start;
                return Err((
                    start.line(),
                    start.col() + 1,
                    "a param's name is a word, like `epochs`".into(),
                ));
            }
        };
        let start = value.span.start;
        params.push(FileParam {
            name,
            value: yaml_value(value)?,
            line: start.line(),
            column: start.col() + 1,
            name_at: (key.span.start.line(), key.span.start.col() + 1),
        });
    }
    Ok(params)
}

fn yaml_value(node: &MarkedYaml<'_>) -> Result<Value, Problem> {
    let start = node.span.start;
    let problem = |message: &str| (start.line(), start.col() + 1, message.to_string());
    Ok(match &node.data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(n) => Value::from(*n),
            Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.into_inner().to_string())),
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .map(yaml_value)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        YamlData::Mapping(mapping) => {
            let mut object = serde_json::Map::new();
            for (key, value) in mapping {
                let YamlData::Value(Scalar::String(name)) = &key.data else {
                    let start = key.span.start;
                    return Err((
                        start.line(),
                        start.col() + 1,
                        "keys of a nested mapping are words or quoted text".into(),
                    ));
                };
                object.insert(name.to_string(), yaml_value(value)?);
            }
            Value::Object(object)
        }
        YamlData::Tagged(_, inner) => yaml_value(inner)?,
        YamlData::Alias(_) => {
            return Err(problem(
                "YAML aliases (`*name`) are not read in params files; write the value out",
            ))
        }
        YamlData::Representation(..) | YamlData::BadValue => {
            return Err(problem("this value cannot be read"))
        }
    })
}

pub(super) fn json(text: &str) -> Result<Vec<FileParam>, Problem> {
    let entries: Vec<(String, &serde_json::value::RawValue)> =
        match serde_json::from_str::<serde_json::Map<String, Value>>(text) {
            Ok(_) => {
                // Valid: read it again keeping each value's text, for positions.
                let raw: RawEntries<'_> = serde_json::from_str(text)
                    .map_err(|e| (e.line(), e.column(), e.to_string()))?;
                raw.0
            }
            Err(e) if e.is_data() => {
                return Err((e.line(), e.column().max(1), NOT_A_MAPPING.into()));
            }
            Err(e) => {
                return Err((
                    e.line(),
                    e.column().max(1),
                    format!("not valid JSON: {}", strip_position(&e.to_string())),
                ))
            }
        };
    let base = text.as_ptr() as usize;
    entries
        .into_iter()
        .map(|(name, raw)| {
            let offset = raw.get().as_ptr() as usize - base;
            let (line, column) = line_column(text, offset);
            let value = serde_json::from_str(raw.get())
                .map_err(|e| (line, column, format!("not valid JSON: {e}")))?;
            // The name is the last quoted text before the value (escapes aside).
            let quoted = format!("\"{name}\"");
            let name_at = text[..offset]
                .rfind(&quoted)
                .map_or((line, column), |at| line_column(text, at));
            Ok(FileParam {
                name,
                value,
                line,
                column,
                name_at,
            })
        })
        .collect()
}

/// A JSON object's entries in order, each value as its text in the file.
struct RawEntries<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawEntries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = RawEntries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(RawEntries(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// serde_json's message without its trailing "at line L column C" (the place is said first).
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

pub(super) fn toml_params(text: &str) -> Result<Vec<FileParam>, Problem> {
    type Entries = std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>;
    let table: toml::Spanned<Entries> = toml::from_str(text).map_err(|e| {
        let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
        (
            line,
            column,
            format!("not valid TOML: {}", e.message().trim_end_matches('.')),
        )
    })?;
    let mut params: Vec<FileParam> = table
        .into_inner()
        .into_iter()
        .map(|(name, value)| {
            let (line, column) = line_column(text, value.span().start);
            FileParam {
                name_at: line_column(text, name.span().start),
                name: name.into_inner(),
                value: toml_value(value.into_inner()),
                line,
                column,
            }
        })
        .collect();
    // The order written (TOML tables are read sorted by name).
    params.sort_by_key(|p| (p.line, p.column));
    Ok(params)
}

fn toml_value(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(n) => Value::from(n),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_value).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.into_iter().map(|(k, v)| (k, toml_value(v))).collect())
        }
    }
}

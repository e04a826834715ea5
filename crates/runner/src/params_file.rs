//! Params files (`--params params.yaml`, or `params` in `mlforge.toml`): a mapping of param
//! names to values, in YAML, JSON or TOML (by the file's extension). Each value keeps the
//! line and column it was written at, so that a wrong name or type is reported where it is.

use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use crate::RunError;

/// One `name: value` of a params file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileParam {
    pub name: String,
    pub value: Value,
    /// 1-based line and column of the value.
    pub line: usize,
    pub column: usize,
    /// 1-based line and column of the name.
    pub name_at: (usize, usize),
}

/// A params file as read.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsFile {
    /// The file, as given (messages name it so).
    pub path: PathBuf,
    pub params: Vec<FileParam>,
}

impl ParamsFile {
    /// Reads and parses `path`; its extension says the format.
    pub fn read(path: &Path) -> Result<ParamsFile, RunError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            RunError::Param(format!(
                "cannot read the params file `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            ))
        })?;
        ParamsFile::parse(path, &text)
    }

    /// Parses the text of a params file named `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ParamsFile, RunError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let at = |line: usize, column: usize, message: String| {
            RunError::Param(format!("{}:{line}:{column}: {message}", path.display()))
        };
        let params = match extension.as_str() {
            "yaml" | "yml" => yaml(text).map_err(|(l, c, m)| at(l, c, m))?,
            "json" => json(text).map_err(|(l, c, m)| at(l, c, m))?,
            "toml" => toml_params(text).map_err(|(l, c, m)| at(l, c, m))?,
            _ => {
                return Err(RunError::Param(format!(
                    "`{}`: a params file is YAML (.yaml, .yml), JSON (.json) or TOML (.toml), told apart by its extension",
                    path.display()
                )))
            }
        };
        let mut seen = std::collections::HashMap::new();
        for param in &params {
            if let Some(line) = seen.insert(param.name.clone(), param.line) {
                return Err(at(
                    param.line,
                    param.column,
                    format!(
                        "param `{}` is given twice (first on line {line})",
                        param.name
                    ),
                ));
            }
        }
        Ok(ParamsFile {
            path: path.to_path_buf(),
            params,
        })
    }

    /// Where `param`'s value is written, for messages: `params.yaml:3:9`.
    pub fn place(&self, param: &FileParam) -> String {
        format!("{}:{}:{}", self.path.display(), param.line, param.column)
    }

    /// Where `param`'s name is written.
    pub fn name_place(&self, param: &FileParam) -> String {
        let (line, column) = param.name_at;
        format!("{}:{line}:{column}", self.path.display())
    }
}

/// (line, column, message) of a problem in the text.
type Problem = (usize, usize, String);

const NOT_A_MAPPING: &str =
    "a params file holds a mapping of param names to values, like `epochs: 10`";

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

fn yaml(text: &str) -> Result<Vec<FileParam>, Problem> {
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

fn json(text: &str) -> Result<Vec<FileParam>, Problem> {
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

fn toml_params(text: &str) -> Result<Vec<FileParam>, Problem> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<ParamsFile, String> {
        ParamsFile::parse(Path::new(name), text).map_err(|e| e.to_string())
    }

    fn entries(file: &ParamsFile) -> Vec<(String, Value, usize, usize)> {
        file.params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone(), p.line, p.column))
            .collect()
    }

    #[test]
    fn the_three_formats_give_the_same_values_with_their_places() {
        let want = |line_of_b: usize, column_of_b: usize| {
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 4),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    line_of_b,
                    column_of_b,
                ),
            ]
        };
        let yaml = parse("p.yaml", "a: 3\nb:\n  rate: 0.5\n  tags: [x, y]\n").unwrap();
        assert_eq!(entries(&yaml), want(3, 3));
        let json = parse(
            "p.json",
            "{\"a\": 3,\n \"b\": {\"rate\": 0.5, \"tags\": [\"x\", \"y\"]}}",
        )
        .unwrap();
        assert_eq!(
            entries(&json),
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 7),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    2,
                    7
                ),
            ]
        );
        let toml = parse(
            "p.toml",
            "a = 3\nb = { rate = 0.5, tags = [\"x\", \"y\"] }\n",
        )
        .unwrap();
        assert_eq!(
            entries(&toml),
            vec![
                ("a".to_string(), serde_json::json!(3), 1, 5),
                (
                    "b".to_string(),
                    serde_json::json!({"rate": 0.5, "tags": ["x", "y"]}),
                    2,
                    5
                ),
            ]
        );
    }

    #[test]
    fn broken_files_are_reported_at_their_place() {
        let e = parse("p.yaml", "a: 3\nb: [1, 2\n").unwrap_err();
        assert!(e.starts_with("p.yaml:"), "{e}");
        assert!(e.contains("not valid YAML"), "{e}");
        let e = parse("p.json", "{\"a\": 3,\n \"b\" 4}").unwrap_err();
        assert!(e.starts_with("p.json:2:"), "{e}");
        assert!(e.contains("not valid JSON"), "{e}");
        let e = parse("p.toml", "a = 3\nb = \n").unwrap_err();
        assert!(e.starts_with("p.toml:2:"), "{e}");
        let e = parse("p.json", "[1, 2]").unwrap_err();
        assert!(e.contains("mapping of param names"), "{e}");
        let e = parse("p.yaml", "- 1\n- 2\n").unwrap_err();
        assert!(
            e.starts_with("p.yaml:1:1: a params file holds a mapping"),
            "{e}"
        );
        let e = parse("p.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(e.starts_with("p.yaml:"), "{e}");
        let e = parse("p.json", "{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        let e = parse("p.ini", "a=1").unwrap_err();
        assert!(
            e.contains("YAML (.yaml, .yml), JSON (.json) or TOML (.toml)"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_yaml_file_gives_no_params() {
        assert!(parse("p.yaml", "").unwrap().params.is_empty());
        assert!(parse("p.yaml", "# nothing yet\n")
            .unwrap()
            .params
            .is_empty());
    }

    proptest::proptest! {
        /// Any text gives params or a message, never a panic.
        #[test]
        fn any_text_is_answered(text in "\\PC{0,120}") {
            for name in ["p.yaml", "p.json", "p.toml"] {
                let _ = parse(name, &text);
            }
        }
    }
}

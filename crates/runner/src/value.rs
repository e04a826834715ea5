//! Run-time values: what params, step outputs and expressions evaluate to.

use std::collections::BTreeMap;
use std::fmt;

use mlforge_ir::{Type, Value};
use mlforge_store::ArtifactKind;
use serde_json::json;

/// An artifact in the store.
#[derive(Clone, Debug)]
pub struct ArtifactRef {
    /// sha256, hex.
    pub hash: String,
    pub kind: ArtifactKind,
    /// A file name hint (an output's name, or an imported file's name): staged inputs
    /// keep its extension.
    pub name: Option<String>,
    /// The attempt of this run and the output that produced it (`None` for a param file):
    /// what the lineage records as the input's provenance.
    pub from: Option<Origin>,
}

/// Where an artifact value came from: an attempt record of the run, and its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub attempt: i64,
    pub output: String,
}

/// Equal values are the same bytes; where they came from is provenance, not value.
impl PartialEq for ArtifactRef {
    fn eq(&self, other: &ArtifactRef) -> bool {
        (&self.hash, self.kind, &self.name) == (&other.hash, other.kind, &other.name)
    }
}

impl Eq for ArtifactRef {}

/// A value at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum RValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<RValue>),
    /// A record (every field) or a dict.
    Map(BTreeMap<String, RValue>),
    Artifact(ArtifactRef),
    /// An optional with no value (a skipped step's output, an absent input).
    Absent,
    /// Not known before running (only while planning).
    Unknown,
}

impl RValue {
    /// Whether an `Unknown` is anywhere inside.
    pub fn is_unknown(&self) -> bool {
        match self {
            RValue::Unknown => true,
            RValue::List(items) => items.iter().any(RValue::is_unknown),
            RValue::Map(entries) => entries.values().any(RValue::is_unknown),
            _ => false,
        }
    }

    /// The JSON form used in records, events and cache keys. Artifacts are
    /// `{"artifact": hash, "kind": "file"|"dir", "name": hint}`; absent is `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            RValue::Bool(b) => json!(b),
            RValue::Int(n) => json!(n),
            RValue::Float(f) => float_json(*f),
            RValue::Str(s) => json!(s),
            RValue::List(items) => {
                serde_json::Value::Array(items.iter().map(RValue::to_json).collect())
            }
            RValue::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            RValue::Artifact(a) => {
                let mut object = serde_json::Map::new();
                object.insert("artifact".into(), json!(a.hash));
                object.insert("kind".into(), json!(a.kind.as_str()));
                if let Some(name) = &a.name {
                    object.insert("name".into(), json!(name));
                }
                serde_json::Value::Object(object)
            }
            RValue::Absent => serde_json::Value::Null,
            RValue::Unknown => json!({"unknown": true}),
        }
    }

    /// Reads back [`RValue::to_json`]'s form, guided by the declared type.
    pub fn from_json(value: &serde_json::Value, ty: &Type) -> Result<RValue, String> {
        match (ty, value) {
            (Type::Optional { .. }, serde_json::Value::Null) => Ok(RValue::Absent),
            (Type::Optional { of }, value) => RValue::from_json(value, of),
            (Type::Int, serde_json::Value::Number(n)) => n
                .as_i64()
                .map(RValue::Int)
                .ok_or_else(|| format!("`{n}` is not an int")),
            (Type::Float, serde_json::Value::Number(n)) => n
                .as_f64()
                .map(RValue::Float)
                .ok_or_else(|| format!("`{n}` is not a float")),
            // Non-finite floats are written as strings (JSON has no literal for them).
            (Type::Float, serde_json::Value::String(s)) => match s.as_str() {
                "inf" => Ok(RValue::Float(f64::INFINITY)),
                "-inf" => Ok(RValue::Float(f64::NEG_INFINITY)),
                "nan" => Ok(RValue::Float(f64::NAN)),
                _ => Err(format!("`{s}` is not a float")),
            },
            (Type::Bool, serde_json::Value::Bool(b)) => Ok(RValue::Bool(*b)),
            (Type::String, serde_json::Value::String(s)) => Ok(RValue::Str(s.clone())),
            (Type::List { of }, serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| RValue::from_json(item, of))
                .collect::<Result<_, _>>()
                .map(RValue::List),
            (Type::Record { .. } | Type::Dict { .. }, serde_json::Value::Object(object)) => {
                map_from_json(object, ty, &RValue::from_json)
            }
            (Type::Artifact { .. }, serde_json::Value::Object(object)) => {
                let hash = object
                    .get("artifact")
                    .and_then(|h| h.as_str())
                    .ok_or("an artifact record without its hash")?;
                let kind = object
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .and_then(ArtifactKind::parse)
                    .unwrap_or(kind_of(ty));
                Ok(RValue::Artifact(ArtifactRef {
                    hash: hash.to_string(),
                    kind,
                    name: object
                        .get("name")
                        .and_then(|n| n.as_str())
                        .map(str::to_string),
                    from: None,
                }))
            }
            (ty, value) => Err(format!("`{value}` is not {}", a_type(ty))),
        }
    }

    /// A constant from the IR, as the declared type (an int where a float is declared
    /// becomes a float).
    pub fn from_ir(value: &Value, ty: &Type) -> RValue {
        match (value, ty) {
            (Value::Int(n), Type::Float) => RValue::Float(*n as f64),
            (Value::Int(n), Type::Optional { of }) if **of == Type::Float => {
                RValue::Float(*n as f64)
            }
            (Value::Bool(b), _) => RValue::Bool(*b),
            (Value::Int(n), _) => RValue::Int(*n),
            (Value::Float(f), _) => RValue::Float(*f),
            (Value::String(s), _) => RValue::Str(s.clone()),
            (Value::Null(()), _) => RValue::Absent,
            (Value::Map(entries), ty) => {
                let ty = match ty {
                    Type::Optional { of } => &**of,
                    other => other,
                };
                RValue::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), RValue::from_ir(v, &entry_type(ty, k))))
                        .collect(),
                )
            }
            (Value::List(items), ty) => {
                let elem = match ty {
                    Type::List { of } => (**of).clone(),
                    Type::Optional { of } => match &**of {
                        Type::List { of } => (**of).clone(),
                        other => other.clone(),
                    },
                    other => other.clone(),
                };
                RValue::List(items.iter().map(|i| RValue::from_ir(i, &elem)).collect())
            }
        }
    }

    /// Converts to the declared type where the language widens (`int` to `float`).
    pub fn coerce(self, ty: &Type) -> RValue {
        match (self, ty) {
            (RValue::Int(n), Type::Float) => RValue::Float(n as f64),
            (RValue::List(items), Type::List { of }) => {
                RValue::List(items.into_iter().map(|i| i.coerce(of)).collect())
            }
            (value, Type::Optional { of }) => value.coerce(of),
            (RValue::Map(entries), ty @ (Type::Record { .. } | Type::Dict { .. })) => RValue::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let t = entry_type(ty, &k);
                        (k, v.coerce(&t))
                    })
                    .collect(),
            ),
            (value, _) => value,
        }
    }

    /// The value with every artifact inside marked as output `output` of `attempt`.
    pub fn from_output(self, attempt: i64, output: &str) -> RValue {
        match self {
            RValue::Artifact(a) => RValue::Artifact(ArtifactRef {
                from: Some(Origin {
                    attempt,
                    output: output.to_string(),
                }),
                ..a
            }),
            RValue::List(items) => RValue::List(
                items
                    .into_iter()
                    .map(|i| i.from_output(attempt, output))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Every artifact inside, with its index path (`""`, `"0"`, `"1.2"`).
    pub fn artifacts(&self) -> Vec<(String, &ArtifactRef)> {
        fn walk<'a>(value: &'a RValue, path: String, out: &mut Vec<(String, &'a ArtifactRef)>) {
            match value {
                RValue::Artifact(a) => out.push((path, a)),
                RValue::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let child = if path.is_empty() {
                            i.to_string()
                        } else {
                            format!("{path}.{i}")
                        };
                        walk(item, child, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, String::new(), &mut out);
        out
    }
}

/// The type of entry `key` of a record or dict type (`string` when unknown).
fn entry_type(ty: &Type, key: &str) -> Type {
    match ty {
        Type::Record { fields, .. } => fields
            .iter()
            .find(|f| f.name == key)
            .map_or(Type::String, |f| f.ty.clone()),
        Type::Dict { of } => (**of).clone(),
        _ => Type::String,
    }
}

/// A record or dict from a JSON object, each value read by `read`. A record must have
/// every field without a default and no other; fields left out take their defaults.
pub(crate) fn map_from_json(
    object: &serde_json::Map<String, serde_json::Value>,
    ty: &Type,
    read: &dyn Fn(&serde_json::Value, &Type) -> Result<RValue, String>,
) -> Result<RValue, String> {
    let mut out = BTreeMap::new();
    match ty {
        Type::Record { name, fields } => {
            if let Some(extra) = object
                .keys()
                .find(|k| !fields.iter().any(|f| &f.name == *k))
            {
                let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name)).collect();
                return Err(format!(
                    "the record `{name}` has no field `{extra}` (its fields are {})",
                    names.join(", ")
                ));
            }
            for field in fields {
                let value = match (object.get(&field.name), &field.default) {
                    (Some(v), _) => {
                        read(v, &field.ty).map_err(|e| format!("field `{}`: {e}", field.name))?
                    }
                    (None, Some(default)) => RValue::from_ir(default, &field.ty),
                    (None, None) => {
                        return Err(format!("the field `{}` of `{name}` is missing", field.name))
                    }
                };
                out.insert(field.name.clone(), value);
            }
        }
        Type::Dict { of } => {
            for (k, v) in object {
                out.insert(
                    k.clone(),
                    read(v, of).map_err(|e| format!("key {k:?}: {e}"))?,
                );
            }
        }
        _ => return Err(format!("an object is not {}", a_type(ty))),
    }
    Ok(RValue::Map(out))
}

/// A float as JSON: non-finite values as the strings `inf`, `-inf`, `nan`.
pub fn float_json(f: f64) -> serde_json::Value {
    if f.is_finite() {
        json!(f)
    } else if f.is_nan() {
        json!("nan")
    } else if f > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// Whether the type is (or holds) an artifact.
pub fn holds_artifact(ty: &Type) -> bool {
    match ty {
        Type::Artifact { .. } => true,
        Type::List { of } | Type::Optional { of } => holds_artifact(of),
        _ => false,
    }
}

/// A file or a folder, for an artifact type.
pub fn kind_of(ty: &Type) -> ArtifactKind {
    match ty {
        Type::Artifact { kinds } if kinds.last().is_some_and(|k| k == "Dir") => ArtifactKind::Dir,
        Type::List { of } | Type::Optional { of } => kind_of(of),
        _ => ArtifactKind::File,
    }
}

/// Whether an artifact type is (a kind of) `Metrics`.
pub fn is_metrics(ty: &Type) -> bool {
    matches!(ty, Type::Artifact { kinds } if kinds.iter().any(|k| k == "Metrics"))
}

/// The type's name with its article: `an int`, `a list<float>`.
pub fn a_type(ty: &Type) -> String {
    let name = ty.to_string();
    let article = match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    };
    format!("{article} {name}")
}

/// Parses a scalar output file's text by its declared type (surrounding white space
/// ignored). The error names the text and the type.
pub fn parse_scalar_output(text: &str, ty: &Type) -> Result<RValue, String> {
    let trimmed = text.trim();
    let fail = || {
        let shown: String = trimmed.chars().take(80).collect();
        let more = if trimmed.chars().count() > 80 {
            "…"
        } else {
            ""
        };
        format!("holds `{shown}{more}`, which is not {}", a_type(ty))
    };
    match ty {
        Type::Int => trimmed.parse::<i64>().map(RValue::Int).map_err(|_| fail()),
        Type::Float => parse_float(trimmed).map(RValue::Float).ok_or_else(fail),
        Type::Bool => match trimmed {
            "true" | "True" => Ok(RValue::Bool(true)),
            "false" | "False" => Ok(RValue::Bool(false)),
            _ => Err(fail()),
        },
        Type::String => Ok(RValue::Str(trimmed.to_string())),
        Type::List { .. } => {
            let json: serde_json::Value = serde_json::from_str(trimmed).map_err(|_| fail())?;
            RValue::from_json(&json, ty).map_err(|_| fail())
        }
        // A record or dict output is a JSON object; what is wrong with it is said.
        Type::Record { .. } | Type::Dict { .. } => {
            let json: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| {
                format!(
                    "{} ({e}): write it as JSON, like `json.dump(value, f)`",
                    fail()
                )
            })?;
            RValue::from_json(&json, ty).map_err(|e| format!("{}: {e}", fail()))
        }
        Type::Optional { of } => parse_scalar_output(text, of),
        Type::Artifact { .. } => Err(fail()),
    }
}

/// A float as Python or Rust writes it (`0.5`, `1e-05`, `inf`, `nan`, `-3`).
fn parse_float(text: &str) -> Option<f64> {
    match text {
        "inf" | "+inf" | "Infinity" => return Some(f64::INFINITY),
        "-inf" | "-Infinity" => return Some(f64::NEG_INFINITY),
        "nan" | "NaN" => return Some(f64::NAN),
        _ => {}
    }
    // Rust also accepts "infinity" and the like; keep to plain numbers.
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'))
    {
        return None;
    }
    text.replace('_', "").parse::<f64>().ok()
}

/// A `--param` value parsed by the param's type; lists are JSON. Artifacts are paths,
/// returned as `Str` for the caller to import.
pub fn parse_param_text(text: &str, ty: &Type) -> Result<RValue, String> {
    match ty {
        Type::Int => text
            .trim()
            .parse::<i64>()
            .map(RValue::Int)
            .map_err(|_| format!("`{text}` is not an int")),
        Type::Float => parse_float(text.trim())
            .map(RValue::Float)
            .ok_or_else(|| format!("`{text}` is not a float")),
        Type::Bool => match text.trim() {
            "true" => Ok(RValue::Bool(true)),
            "false" => Ok(RValue::Bool(false)),
            _ => Err(format!("`{text}` is not a bool (write true or false)")),
        },
        Type::String => Ok(RValue::Str(text.to_string())),
        Type::Artifact { .. } => Ok(RValue::Str(text.to_string())),
        Type::Optional { of } => parse_param_text(text, of),
        Type::Record { .. } | Type::Dict { .. } => {
            let json: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| format!("`{text}` is not {} written as JSON ({e})", a_type(ty)))?;
            param_json(&json, ty)
        }
        Type::List { of } => {
            let json: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| format!("`{text}` is not {} written as JSON ({e})", a_type(ty)))?;
            let serde_json::Value::Array(items) = json else {
                return Err(format!(
                    "`{text}` is not {} (write a JSON list, like [1, 2])",
                    a_type(ty)
                ));
            };
            items
                .iter()
                .map(|item| param_json(item, of))
                .collect::<Result<_, _>>()
                .map(RValue::List)
        }
    }
}

/// A param's value given as JSON (inside a `--param` list, or in a params file), read by
/// the param's type. Artifacts are paths, returned as `Str` for the caller to import.
pub(crate) fn param_json(item: &serde_json::Value, ty: &Type) -> Result<RValue, String> {
    match (ty, item) {
        (Type::Float, serde_json::Value::Number(n)) => Ok(RValue::Float(n.as_f64().unwrap_or(0.0))),
        (Type::Int, serde_json::Value::Number(n)) => n
            .as_i64()
            .map(RValue::Int)
            .ok_or_else(|| format!("`{n}` is not an int")),
        (Type::Bool, serde_json::Value::Bool(b)) => Ok(RValue::Bool(*b)),
        (Type::String | Type::Artifact { .. }, serde_json::Value::String(s)) => {
            Ok(RValue::Str(s.clone()))
        }
        (Type::Optional { .. }, serde_json::Value::Null) => Ok(RValue::Absent),
        (Type::Optional { of }, item) => param_json(item, of),
        (Type::String, serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
            Err(format!("`{item}` is not a string (quote it: \"{item}\")"))
        }
        (Type::List { of }, serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| param_json(i, of))
            .collect::<Result<_, _>>()
            .map(RValue::List),
        (Type::Record { .. } | Type::Dict { .. }, serde_json::Value::Object(object)) => {
            map_from_json(object, ty, &param_json)
        }
        (ty, item) => Err(format!("`{item}` is not {}", a_type(ty))),
    }
}

impl fmt::Display for RValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RValue::Bool(b) => write!(f, "{b}"),
            RValue::Int(n) => write!(f, "{n}"),
            RValue::Float(x) => write!(f, "{}", crate::quote::float_text(*x)),
            RValue::Str(s) => write!(f, "{s:?}"),
            RValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            RValue::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v}")?;
                }
                f.write_str("}")
            }
            RValue::Artifact(a) => write!(f, "{}", &a.hash[..a.hash.len().min(12)]),
            RValue::Absent => f.write_str("none"),
            RValue::Unknown => f.write_str("?"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(of: Type) -> Type {
        Type::List { of: Box::new(of) }
    }

    #[test]
    fn scalar_outputs_parse_by_type_with_clear_errors() {
        assert_eq!(
            parse_scalar_output(" 42\n", &Type::Int),
            Ok(RValue::Int(42))
        );
        assert_eq!(
            parse_scalar_output("0.25\n", &Type::Float),
            Ok(RValue::Float(0.25))
        );
        assert_eq!(
            parse_scalar_output("3", &Type::Float),
            Ok(RValue::Float(3.0))
        );
        assert_eq!(
            parse_scalar_output("True", &Type::Bool),
            Ok(RValue::Bool(true))
        );
        assert_eq!(
            parse_scalar_output("  hi there \n", &Type::String),
            Ok(RValue::Str("hi there".into()))
        );
        assert_eq!(
            parse_scalar_output("[1, 2.5]", &list(Type::Float)),
            Ok(RValue::List(vec![RValue::Float(1.0), RValue::Float(2.5)]))
        );
        assert_eq!(
            parse_scalar_output("abc", &Type::Float).unwrap_err(),
            "holds `abc`, which is not a float"
        );
        assert_eq!(
            parse_scalar_output("1.5", &Type::Int).unwrap_err(),
            "holds `1.5`, which is not an int"
        );
        assert!(parse_scalar_output("[1, \"x\"]", &list(Type::Int)).is_err());
        assert!(parse_scalar_output("infinity", &Type::Float).is_err());
    }

    #[test]
    fn params_parse_by_type_and_lists_as_json() {
        assert_eq!(parse_param_text("3", &Type::Int), Ok(RValue::Int(3)));
        assert!(parse_param_text("3.5", &Type::Int).is_err());
        assert_eq!(
            parse_param_text("[0.1, 1]", &list(Type::Float)),
            Ok(RValue::List(vec![RValue::Float(0.1), RValue::Float(1.0)]))
        );
        assert_eq!(
            parse_param_text("it's", &Type::String),
            Ok(RValue::Str("it's".into()))
        );
        assert!(parse_param_text("[1,", &list(Type::Int)).is_err());
        assert!(parse_param_text("yes", &Type::Bool).is_err());
    }

    #[test]
    fn json_round_trips_by_type() {
        let ty = list(Type::Artifact {
            kinds: vec!["Model".into(), "File".into()].into(),
        });
        let value = RValue::List(vec![RValue::Artifact(ArtifactRef {
            hash: "ab".into(),
            kind: ArtifactKind::File,
            name: Some("model".into()),
            from: None,
        })]);
        assert_eq!(RValue::from_json(&value.to_json(), &ty), Ok(value));
        let f = RValue::Float(f64::INFINITY);
        assert_eq!(RValue::from_json(&f.to_json(), &Type::Float), Ok(f));
    }
}

//! Python source text for values written into a generated DAG file. Every string goes
//! through `python_str` (Python's own `repr` form), so no name, default or body can end
//! its literal early.

use mlforge_body::quote::{python_float, python_str};
use mlforge_ir::Value;

/// A Python literal for an IR constant.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => python_float(*f),
        Value::String(s) => python_str(s),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", python_str(k), literal(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Null(()) => "None".into(),
    }
}

/// A Python string literal.
pub fn string(text: &str) -> String {
    python_str(text)
}

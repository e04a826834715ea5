//! `python def """…"""` bodies (LANGUAGE.md §6.3): the body is a Python function whose
//! parameters are the op's inputs and artifact outputs, and whose `return` gives the other
//! outputs.
//!
//! The body is written as it is to `body.py`, and `run.py` parses it, makes its statements
//! the body of a function with the right parameters (an AST edit, so the code is not
//! re-indented: a multi-line string keeps its text, and tracebacks name `body.py` and its
//! own line numbers), calls it with the values as Python literals (artifacts as
//! `pathlib.Path`), and writes what it returned as JSON to `return.json`. The runner then
//! reads that file and checks each value against its output's declared type.

use std::collections::BTreeMap;

use mlforge_ir::{Op, Type};

use crate::body::python_literal;
use crate::quote::python_str;
use crate::value::RValue;
use crate::value::{a_type, holds_artifact};

/// The file the wrapper writes the function's result to, in the attempt folder.
pub const RETURN_FILE: &str = "return.json";

/// The wrapper program: `values` holds every input and output by name (artifacts as
/// staged path strings); `op` says which are artifacts.
pub fn wrapper(op: &Op, values: &BTreeMap<String, RValue>) -> String {
    let mut params = Vec::new();
    let mut args = Vec::new();
    let typed = op.inputs.iter().map(|i| (&i.name, &i.ty)).chain(
        op.outputs
            .iter()
            .filter(|o| holds_artifact(&o.ty))
            .map(|o| (&o.name, &o.ty)),
    );
    for (name, ty) in typed {
        let value = values.get(name).cloned().unwrap_or(RValue::Absent);
        params.push(name.clone());
        args.push(format!("{name}={}", argument(&value, ty)));
    }
    format!(
        "import ast as _ast, json as _json, math as _math, pathlib as _pathlib\n\
         _BODY = _pathlib.Path(__file__).with_name(\"body.py\")\n\
         _RETURN = _pathlib.Path(__file__).with_name({ret})\n\
         _tree = _ast.parse(_BODY.read_text(encoding=\"utf-8\"), filename=str(_BODY))\n\
         _fn = _ast.parse(\"def __mlforge_body({params}):\\n    pass\\n\").body[0]\n\
         _fn.body = _tree.body or [_ast.Pass()]\n\
         _module = _ast.Module(body=[_fn], type_ignores=[])\n\
         _ast.fix_missing_locations(_module)\n\
         _scope = {{\"__name__\": \"__main__\", \"__file__\": str(_BODY)}}\n\
         exec(compile(_module, str(_BODY), \"exec\"), _scope)\n\
         _result = _scope[\"__mlforge_body\"]({args})\n\
         {tail}",
        tail = mlforge_body::FUNCTION_RESULT_PY,
        ret = python_str(RETURN_FILE),
        params = params.join(", "),
        args = args.join(", "),
    )
}

/// A value as a Python argument: artifacts (staged path strings) as `pathlib.Path`.
fn argument(value: &RValue, ty: &Type) -> String {
    match (value, ty) {
        (RValue::Absent, _) => "None".into(),
        // An artifact, or the folder of a list-of-artifacts output.
        (RValue::Str(path), ty) if holds_artifact(ty) => {
            format!("_pathlib.Path({})", python_str(path))
        }
        (RValue::List(items), Type::List { of }) => {
            let inner: Vec<String> = items.iter().map(|i| argument(i, of)).collect();
            format!("[{}]", inner.join(", "))
        }
        (value, Type::Optional { of }) => argument(value, of),
        (value, _) => python_literal(value),
    }
}

/// The outputs a `return` gives: every output that is not (a list of) artifacts.
pub fn returned_outputs(op: &Op) -> Vec<&mlforge_ir::OpOutput> {
    op.outputs
        .iter()
        .filter(|o| !holds_artifact(&o.ty))
        .collect()
}

/// Reads what the function returned (`return.json`'s text) into the values of the op's
/// returned outputs, by name. The error names the output and both types.
pub fn read_return(op: &Op, text: &str) -> Result<BTreeMap<String, RValue>, String> {
    let written: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("the function's result could not be read back ({e})"))?;
    let outputs = returned_outputs(op);
    if let Some(what) = written.get("unencodable").and_then(|w| w.as_str()) {
        let names: Vec<String> = outputs.iter().map(|o| format!("`{}`", o.name)).collect();
        return Err(format!(
            "the function returned {what}, which is not a value an output can hold ({}); return numbers, strings, bools, lists and dicts",
            names.join(", ")
        ));
    }
    let value = written.get("value").unwrap_or(&serde_json::Value::Null);
    let mut out = BTreeMap::new();
    match outputs.as_slice() {
        [] if value.is_null() => {}
        [] => {
            return Err(format!(
                "the function returned {}, but `{}` has no outputs a `return` gives (artifact outputs are written to their paths)",
                describe(value),
                op.name
            ))
        }
        [only] => {
            out.insert(only.name.clone(), typed(value, &only.name, &only.ty)?);
        }
        several => {
            let names: Vec<&str> = several.iter().map(|o| o.name.as_str()).collect();
            let serde_json::Value::Object(by_name) = value else {
                return Err(format!(
                    "the function returned {}, but `{}` has several returned outputs: return a dict by name, like {{{}}}",
                    describe(value),
                    op.name,
                    names
                        .iter()
                        .map(|n| format!("\"{n}\": …"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if let Some(extra) = by_name.keys().find(|k| !names.contains(&k.as_str())) {
                return Err(format!(
                    "the function returned a dict with `{extra}`, which is not an output of `{}` (its returned outputs are {})",
                    op.name,
                    quoted(&names)
                ));
            }
            for output in several {
                let value = by_name.get(&output.name);
                match (value, &output.ty) {
                    (None, Type::Optional { .. }) => {
                        out.insert(output.name.clone(), RValue::Absent);
                    }
                    (None, ty) => {
                        return Err(format!(
                            "output `{}` ({ty}) is missing from the dict the function returned (it has {})",
                            output.name,
                            quoted(&by_name.keys().map(String::as_str).collect::<Vec<_>>())
                        ))
                    }
                    (Some(value), ty) => {
                        out.insert(output.name.clone(), typed(value, &output.name, ty)?);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn quoted(names: &[&str]) -> String {
    if names.is_empty() {
        return "nothing".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn typed(value: &serde_json::Value, name: &str, ty: &Type) -> Result<RValue, String> {
    from_returned(value, ty).ok_or_else(|| {
        format!(
            "output `{name}` is declared `{ty}`, but the function returned {}",
            describe(value)
        )
    })
}

/// A returned JSON value as the declared type (`int` widens to `float`), or `None`.
fn from_returned(value: &serde_json::Value, ty: &Type) -> Option<RValue> {
    use serde_json::Value as J;
    match (ty, value) {
        (Type::Optional { .. }, J::Null) => Some(RValue::Absent),
        (Type::Optional { of }, value) => from_returned(value, of),
        (Type::Int, J::Number(n)) if n.is_i64() => n.as_i64().map(RValue::Int),
        (Type::Float, J::Number(n)) => n.as_f64().map(RValue::Float),
        (Type::Float, J::Object(tagged)) => match tagged.get("__mlforge_float__")?.as_str()? {
            "inf" => Some(RValue::Float(f64::INFINITY)),
            "-inf" => Some(RValue::Float(f64::NEG_INFINITY)),
            _ => Some(RValue::Float(f64::NAN)),
        },
        (Type::Bool, J::Bool(b)) => Some(RValue::Bool(*b)),
        (Type::String, J::String(s)) => Some(RValue::Str(s.clone())),
        (Type::List { of }, J::Array(items)) => items
            .iter()
            .map(|i| from_returned(i, of))
            .collect::<Option<_>>()
            .map(RValue::List),
        // A Python dict: a record (fields left out take their defaults) or a `dict<T>`.
        (Type::Record { .. } | Type::Dict { .. }, J::Object(object))
            if !object.contains_key("__mlforge_float__") =>
        {
            let read = |v: &serde_json::Value, t: &Type| {
                from_returned(v, t).ok_or_else(|| format!("{} is not {}", describe(v), a_type(t)))
            };
            crate::value::map_from_json(object, ty, &read).ok()
        }
        _ => None,
    }
}

/// A returned value for a message: its Python kind and (shortened) value.
fn describe(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    let shown = |text: String| -> String {
        if text.chars().count() > 60 {
            format!("{}…", text.chars().take(60).collect::<String>())
        } else {
            text
        }
    };
    match value {
        J::Null => "None".into(),
        J::Bool(b) => format!("a bool ({})", if *b { "True" } else { "False" }),
        J::Number(n) if n.is_i64() || n.is_u64() => format!("an int ({n})"),
        J::Number(n) => format!("a float ({n})"),
        J::String(s) => format!("a str ({})", shown(python_str(s))),
        J::Array(_) => format!("a list ({})", shown(value.to_string())),
        J::Object(o) if o.contains_key("__mlforge_float__") => format!(
            "a float ({})",
            o["__mlforge_float__"].as_str().unwrap_or("nan")
        ),
        J::Object(_) => format!("a dict ({})", shown(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlforge_ir::{Body, Interpreter, OpOutput, Resources};

    fn op(outputs: &[(&str, Type)]) -> Op {
        Op {
            name: "f".into(),
            doc: None,
            inputs: Vec::new(),
            outputs: outputs
                .iter()
                .map(|(n, t)| OpOutput {
                    name: n.to_string(),
                    ty: t.clone(),
                })
                .collect(),
            interpreter: Interpreter::Python,
            body: Body {
                text: String::new(),
                path: None,
                interpolations: Vec::new(),
                function: true,
            },
            image: None,
            retries: 0,
            timeout_seconds: None,
            cache: true,
            resources: Resources::default(),
            env: BTreeMap::new(),
            uses: Vec::new(),
            requires: Vec::new(),
            python: None,
            hash: String::new(),
            source: mlforge_ir::Source {
                file: "".into(),
                start: 0,
                end: 0,
                line: 1,
                column: 1,
            },
        }
    }

    fn list(of: Type) -> Type {
        Type::List { of: Box::new(of) }
    }

    #[test]
    fn one_output_takes_the_value_several_take_a_dict() {
        let one = op(&[("n", Type::Float)]);
        assert_eq!(
            read_return(&one, r#"{"value": 3}"#).unwrap()["n"],
            RValue::Float(3.0)
        );
        let two = op(&[("n", Type::Int), ("names", list(Type::String))]);
        let got = read_return(&two, r#"{"value": {"n": 2, "names": ["a"]}}"#).unwrap();
        assert_eq!(got["n"], RValue::Int(2));
        assert_eq!(got["names"], RValue::List(vec![RValue::Str("a".into())]));
    }

    #[test]
    fn wrong_and_missing_returns_name_the_output_and_both_types() {
        let one = op(&[("n", Type::Int)]);
        assert_eq!(
            read_return(&one, r#"{"value": "abc"}"#).unwrap_err(),
            "output `n` is declared `int`, but the function returned a str ('abc')"
        );
        assert_eq!(
            read_return(&one, r#"{"value": null}"#).unwrap_err(),
            "output `n` is declared `int`, but the function returned None"
        );
        assert_eq!(
            read_return(&one, r#"{"value": 1.5}"#).unwrap_err(),
            "output `n` is declared `int`, but the function returned a float (1.5)"
        );
        let two = op(&[("n", Type::Int), ("ok", Type::Bool)]);
        let missing = read_return(&two, r#"{"value": {"n": 1}}"#).unwrap_err();
        assert!(
            missing.starts_with("output `ok` (bool) is missing"),
            "{missing}"
        );
        let unknown = read_return(&two, r#"{"value": {"n": 1, "ok": true, "x": 0}}"#).unwrap_err();
        assert!(unknown.contains("`x`, which is not an output"), "{unknown}");
        let not_dict = read_return(&two, r#"{"value": 3}"#).unwrap_err();
        assert!(not_dict.contains("return a dict by name"), "{not_dict}");
    }

    #[test]
    fn records_and_dicts_come_back_from_python_dicts() {
        let record = Type::Record {
            name: "Opts".into(),
            fields: vec![
                mlforge_ir::Field {
                    name: "size".into(),
                    ty: Type::Float,
                    default: None,
                },
                mlforge_ir::Field {
                    name: "tags".into(),
                    ty: list(Type::String),
                    default: Some(mlforge_ir::Value::List(Vec::new())),
                },
            ],
        };
        let one = op(&[("opts", record)]);
        let got = read_return(&one, r#"{"value": {"size": 0.5}}"#).unwrap();
        let RValue::Map(fields) = &got["opts"] else {
            panic!("a record: {got:?}")
        };
        assert_eq!(fields["size"], RValue::Float(0.5));
        assert_eq!(fields["tags"], RValue::List(Vec::new()));
        assert_eq!(
            read_return(&one, r#"{"value": {"size": 0.5, "colour": 1}}"#).unwrap_err(),
            "output `opts` is declared `Opts`, but the function returned a dict ({\"colour\":1,\"size\":0.5})"
        );
        let dict = op(&[(
            "counts",
            Type::Dict {
                of: Box::new(Type::Int),
            },
        )]);
        let got = read_return(&dict, r#"{"value": {"a": 1, "b": 2}}"#).unwrap();
        let RValue::Map(counts) = &got["counts"] else {
            panic!("a dict: {got:?}")
        };
        assert_eq!(counts["b"], RValue::Int(2));
        assert!(read_return(&dict, r#"{"value": {"a": "x"}}"#).is_err());
    }

    #[test]
    fn non_finite_floats_and_unencodable_values() {
        let one = op(&[("x", Type::Float)]);
        let got = read_return(&one, r#"{"value": {"__mlforge_float__": "-inf"}}"#).unwrap();
        assert_eq!(got["x"], RValue::Float(f64::NEG_INFINITY));
        let bad = read_return(&one, r#"{"unencodable": "a builtins.set"}"#).unwrap_err();
        assert!(
            bad.starts_with("the function returned a builtins.set"),
            "{bad}"
        );
    }

    #[test]
    fn artifacts_arrive_as_paths() {
        let art = Type::Artifact {
            kinds: vec!["File".into()].into(),
        };
        assert_eq!(
            argument(&RValue::Str("/in/a.csv".into()), &art),
            "_pathlib.Path('/in/a.csv')"
        );
        assert_eq!(
            argument(
                &RValue::List(vec![RValue::Str("/x".into())]),
                &list(art.clone())
            ),
            "[_pathlib.Path('/x')]"
        );
        assert_eq!(argument(&RValue::Absent, &art), "None");
        assert_eq!(argument(&RValue::Int(-2), &Type::Int), "(-2)");
    }
}

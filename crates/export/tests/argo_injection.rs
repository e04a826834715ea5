//! Hostile text in a program (quotes, triple quotes, backslashes, `{{ }}`, `${ }`, `$( )`,
//! newlines in bodies, defaults, literals, env values and docs) stays inert in the Argo
//! export: the file reads back as valid YAML that Argo's schema and submit-time rules
//! accept; every `{{…}}` in it is one the exporter wrote, standing alone in a field the
//! exporter owns; the scripts parse as Python; and the user's text comes back unchanged
//! from the JSON the pods decode.

mod argo_check;
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use argo_check::checked;
use mlforge_export::runtime::task_spec;
use mlforge_export::{export, ExportError, ExportOptions, Target};
use serde_json::Value;

const HOSTILE: &str = r#"
/// Doc {{workflow.name}} $(id) ''' "
op echo(msg: string, extra: string = "{{inputs.parameters.run-key}} $(id) ${HOME} '''\"\\") -> (out: string) {
  image = "python:3.12-slim"
  env { MODE = "{{workflow.uid}} $(PATH) ${HOME} '''" }
  python """
    # {{workflow.name}} $(rm -rf /) '''
    s = "{{item}}" + '$${HOME}' + "\\" + '''}}{{'''
    open(${out}, "w").write(repr(${msg}) + repr(${extra}) + s)
  """
}

/// A param {{workflow.name}}
pipeline evil(text: string = "{{workflow.parameters.text}}\n''' \" \\ $(whoami) ${HOME} {{=sprig.env('X')}}") {
  step first = echo(msg: text)
  for word in ["{{item}}", "$(id)", "'''"] {
    step each = echo(msg: word)
  }
  if first.out == "{{tasks.first.outputs.result}}" {
    step maybe = echo(msg: "}}{{")
  }
}
"#;

/// Every string in a document with the path of the field holding it.
fn strings<'v>(value: &'v Value, path: &mut Vec<String>, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((path.join("."), s)),
        Value::Array(items) => {
            for item in items {
                path.push("[]".into());
                strings(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                strings(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The `{{…}}` tags the exporter writes, and where: anything else is user text that
/// Argo would read.
fn exporter_tag(tag: &str) -> bool {
    let parts: Vec<&str> = tag.split('.').collect();
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    match parts.as_slice() {
        ["workflow", "name"] | ["item"] => true,
        ["workflow", "parameters", p] => word(p),
        ["inputs", "parameters", p] => {
            ["run-key", "step", "indices", "out", "memo"].contains(p)
                || p.strip_prefix("i-")
                    .is_some_and(|n| n.parse::<u32>().is_ok())
        }
        ["tasks", t, "outputs", "result"] => word(t),
        ["tasks", t, "outputs", "parameters" | "artifacts", p] => word(t) && word(p),
        _ => false,
    }
}

fn tags(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        out.push(&after[..end]);
        rest = &after[(end + 2).min(after.len())..];
    }
    out
}

/// The JSON a script hands the adapter (between `r'''` and `'''`), decoded.
fn script_json(source: &str) -> Vec<Value> {
    source
        .split("r'''")
        .skip(1)
        .map(|rest| {
            let end = rest.find("'''").expect("closed");
            serde_json::from_str(&rest[..end]).expect("the embedded JSON parses")
        })
        .collect()
}

fn python_parses(source: &str) -> Result<(), String> {
    let child = Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return Ok(()); // reported by `support::python3_is_there`
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn hostile_text_stays_inert_and_round_trips() {
    let program = support::compile(HOSTILE);
    let (_, doc) = checked(&program);
    let mut all = Vec::new();
    strings(&doc, &mut Vec::new(), &mut all);

    for (path, s) in &all {
        let annotation = path.starts_with("metadata.annotations.");
        // Kubernetes expands `$(…)` in env values, commands and arguments.
        assert!(annotation || !s.contains("$("), "`$(` at {path}: {s}");
        for tag in tags(s) {
            assert!(
                exporter_tag(tag),
                "a tag the exporter does not write, `{{{{{tag}}}}}`, at {path}"
            );
        }
        if path.ends_with(".source") {
            assert!(!s.contains("{{"), "a `{{{{` in a script, at {path}");
        }
        if !tags(s).is_empty() && !path.ends_with(".when") {
            // Around the exporter's tags stands only the exporter's own text (keys, indices).
            let mut rest = s.to_string();
            for tag in tags(s) {
                rest = rest.replacen(&format!("{{{{{tag}}}}}"), "", 1);
            }
            assert!(
                rest.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "./-".contains(c)),
                "{path}: {s}"
            );
        }
    }

    // The user's text comes back unchanged from what the pods decode: each step's task
    // spec is the runtime's, value for value, and so are the literals and defaults.
    let plan = mlforge_export::Plan::new(&program).unwrap();
    let mut ops = Vec::new();
    let mut values = Vec::new();
    let mut decoded: Vec<Value> = Vec::new();
    let check_python = support::python3_is_there("the scripts' syntax is not checked");
    for (path, s) in &all {
        if !path.ends_with("script.source") {
            continue;
        }
        if check_python {
            python_parses(s).unwrap_or_else(|e| panic!("{path} is not Python: {e}\n{s}"));
        }
        for json in script_json(s) {
            if let Some(task) = json.get("task") {
                // Every step of the program runs `echo`, so the op's spec is `first`'s.
                assert_eq!(task, &task_spec(plan.task("first").unwrap()));
                ops.push(task["op"].as_str().unwrap().to_string());
            }
            decoded.push(json);
        }
    }
    // What each step binds travels in its DAG task's `step` argument, inert JSON too.
    for (path, s) in &all {
        if path.ends_with("arguments.parameters.[].value") && s.starts_with("{\"") {
            decoded.push(serde_json::from_str(s).expect("a step's spec parses"));
        }
    }
    for json in &decoded {
        for binding in json["bindings"].as_array().into_iter().flatten() {
            values.extend(binding.pointer("/expr/value").cloned());
            values.extend(binding.get("value").cloned());
        }
        for e in json["exprs"].as_array().into_iter().flatten() {
            values.extend(e.pointer("/rhs/value").cloned());
        }
        let loops = json.pointer("/sources/loops").and_then(Value::as_object);
        for l in loops.into_iter().flat_map(|l| l.values()) {
            values.extend(l.get("items").cloned());
        }
    }
    assert_eq!(
        ops,
        ["echo"],
        "one script for the op, holding the op's spec"
    );
    let spec = task_spec(plan.task("first").unwrap());
    let text: String = spec["body"]["template"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let expected = r#"# {{workflow.name}} $(rm -rf /) '''
s = "{{item}}" + '${HOME}' + "\\" + '''}}{{'''
open("#;
    assert!(text.starts_with(expected), "{text}");
    assert_eq!(
        spec["env"]["MODE"]["text"],
        "{{workflow.uid}} $(PATH) ${HOME} '''"
    );
    for expected in [
        serde_json::json!("}}{{"),
        serde_json::json!("{{tasks.first.outputs.result}}"),
        serde_json::json!(["{{item}}", "$(id)", "'''"]),
        serde_json::json!("{{inputs.parameters.run-key}} $(id) ${HOME} '''\"\\"),
    ] {
        assert!(
            values.contains(&expected),
            "{expected} is not among {values:?}"
        );
    }
    let default = doc["spec"]["arguments"]["parameters"][0]["value"]
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(default).unwrap(),
        "{{workflow.parameters.text}}\n''' \" \\ $(whoami) ${HOME} {{=sprig.env('X')}}"
    );
}

#[test]
fn step_names_that_meet_as_kubernetes_names_are_an_error_naming_both() {
    let program = support::compile(
        r#"
op hello() -> (out: string) {
  python """
    open(${out}, "w").write("1")
  """
}
pipeline clash() {
  step fit_a = hello()
  step fit__a = hello()
}
"#,
    );
    let err = export(&program, Target::Argo, &ExportOptions::default()).unwrap_err();
    assert!(matches!(err, ExportError::NameCollision { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("`fit__a` and `fit_a` both become `fit-a`"),
        "{text}"
    );
}

//! Reading an Argo export back the way Argo would: the YAML parsed, the document
//! validated against Argo's published JSON Schema (v4.1.2, `schemas/`) with unknown fields
//! rejected, and the submit-time rules checked (`argo::submit_problems`).

#![allow(dead_code)]

use std::sync::OnceLock;

use mlforge_export::{argo, export, ExportOptions, Exported, Target};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::Value;

/// Argo's schema with `additionalProperties: false` on every object definition that has
/// fixed properties: the published one has none, so a misspelt field would pass.
pub fn strict_schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/argo-workflows.schema.json"
    );
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("the Argo schema at {path}: {e}"));
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    fn close(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let has_fixed_fields = map.get("properties").is_some_and(Value::is_object)
                    && map.get("type").and_then(Value::as_str) == Some("object");
                let keeps_unknown = map.contains_key("x-kubernetes-preserve-unknown-fields");
                if has_fixed_fields && !keeps_unknown && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                for v in map.values_mut() {
                    close(v);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema["definitions"]);
    schema
}

/// A validator for one definition of the strict schema.
pub fn validator(definition: &str) -> jsonschema::Validator {
    let mut schema = strict_schema();
    let root = schema.as_object_mut().unwrap();
    root.remove("oneOf");
    root.insert(
        "$ref".into(),
        Value::String(format!(
            "#/definitions/io.argoproj.workflow.v1alpha1.{definition}"
        )),
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the Argo schema compiles")
}

fn validators() -> &'static (jsonschema::Validator, jsonschema::Validator) {
    static V: OnceLock<(jsonschema::Validator, jsonschema::Validator)> = OnceLock::new();
    V.get_or_init(|| (validator("Workflow"), validator("CronWorkflow")))
}

/// Schema errors of a document, by its kind.
pub fn schema_errors(doc: &Value) -> Vec<String> {
    let (workflow, cron) = validators();
    let v = match doc["kind"].as_str() {
        Some("CronWorkflow") => cron,
        _ => workflow,
    };
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// A YAML document read as JSON, as Kubernetes reads it (keys are strings).
pub fn read_yaml(text: &str) -> Value {
    let docs =
        Yaml::load_from_str(text).unwrap_or_else(|e| panic!("the export is not YAML: {e}\n{text}"));
    assert_eq!(docs.len(), 1, "one document");
    fn convert(node: &Yaml) -> Value {
        match node {
            Yaml::Value(scalar) => match scalar {
                Scalar::Null => Value::Null,
                Scalar::Boolean(b) => Value::Bool(*b),
                Scalar::Integer(n) => Value::from(*n),
                Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
                    .map(Value::Number)
                    .expect("finite"),
                Scalar::String(s) => Value::String(s.to_string()),
            },
            Yaml::Sequence(items) => Value::Array(items.iter().map(convert).collect()),
            Yaml::Mapping(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| match k {
                        Yaml::Value(Scalar::String(k)) => (k.to_string(), convert(v)),
                        other => panic!("a key that is not a string: {other:?}"),
                    })
                    .collect(),
            ),
            other => panic!("a YAML node Kubernetes would not read as JSON: {other:?}"),
        }
    }
    convert(&docs[0])
}

/// Exports, reads the file back and checks it every way; returns the document.
pub fn checked(program: &mlforge_ir::Program) -> (Exported, Value) {
    let exported =
        export(program, Target::Argo, &ExportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exported.files.len(), 1);
    let text = &exported.files[0].text;
    let doc = read_yaml(text);
    let (built, _) = argo::document(
        &mlforge_export::Plan::new(program).unwrap(),
        &ExportOptions::default(),
    )
    .unwrap();
    assert_eq!(doc, built, "the YAML reads back as the document built");
    let errors = schema_errors(&doc);
    assert!(
        errors.is_empty(),
        "schema errors:\n{}\n{text}",
        errors.join("\n")
    );
    let problems = argo::submit_problems(&doc);
    assert!(
        problems.is_empty(),
        "submit-time problems:\n{}\n{text}",
        problems.join("\n")
    );
    (exported, doc)
}

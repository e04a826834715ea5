//! The Argo export, checked the way Argo would: every export is read back from its YAML,
//! validated against Argo's published JSON Schema (v4.1.2, `schemas/`) with unknown fields
//! rejected, and run through the submit-time rules (`argo::submit_problems`).

mod argo_check;
mod support;

use argo_check::{checked, schema_errors};
use mlforge_export::{export, ExportOptions, Target};
use serde_json::Value;

#[test]
fn every_example_validates_and_matches_its_snapshot() {
    for (name, program) in support::examples() {
        let (exported, _) = checked(&program);
        let again = export(&program, Target::Argo, &ExportOptions::default()).unwrap();
        assert_eq!(
            exported.files, again.files,
            "{name}: the same program exports the same bytes"
        );
        insta::assert_snapshot!(format!("argo_{name}"), exported.files[0].text);
        let warnings: Vec<String> = exported.warnings.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(format!("argo_{name}_warnings"), warnings.join("\n"));
    }
}

#[test]
fn the_strict_schema_rejects_unknown_and_misspelt_fields() {
    let program = support::example("quickstart.mlf");
    let (_, doc) = checked(&program);
    let mut bad = doc.clone();
    bad["spec"]["templates"][0]["dag"]["tasks"][0]["dependz"] = Value::String("x".into());
    assert!(
        !schema_errors(&bad).is_empty(),
        "an unknown task field passes"
    );
    let mut bad = doc.clone();
    bad["spec"]["entrypointt"] = Value::String("x".into());
    assert!(
        !schema_errors(&bad).is_empty(),
        "an unknown spec field passes"
    );
    let mut bad = doc;
    bad["spec"]["templates"][2]["retryStrategy"] = serde_json::json!({"limit": 2});
    assert!(
        !schema_errors(&bad).is_empty(),
        "a number where Argo's schema wants a string passes"
    );
}

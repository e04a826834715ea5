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

/// A random pipeline shape: nested `for`s (over a literal, a param, a `range`, a step's
/// list) and `if`/`else`s, steps reading params, loop variables and the steps they see.
fn shape_source(seed: &[u8]) -> String {
    let mut bytes = seed.iter().copied().cycle();
    let mut next = move |n: u8| bytes.next().unwrap_or(0) % n;
    let mut body = String::new();
    // Per open block, the steps in it: what a later step may read while they are in scope.
    let mut visible: Vec<Vec<String>> = vec![vec!["m".to_string()]];
    let mut loop_vars: Vec<String> = Vec::new();
    let mut counter = 0;
    fn arg(
        next: &mut impl FnMut(u8) -> u8,
        visible: &[Vec<String>],
        loop_vars: &[String],
    ) -> String {
        let steps: Vec<&String> = visible.iter().flatten().filter(|s| *s != "m").collect();
        let vars: Vec<&String> = loop_vars.iter().filter(|v| !v.is_empty()).collect();
        match next(4) {
            0 => format!("{}", next(9)),
            1 => "n".to_string(),
            2 if !vars.is_empty() => vars[usize::from(next(vars.len() as u8))].clone(),
            _ if !steps.is_empty() => {
                format!("{}.sum", steps[usize::from(next(steps.len() as u8))])
            }
            _ => "n + 1".to_string(),
        }
    }
    let mut open = 0;
    for _ in 0..12 {
        let indent = "  ".repeat(open + 1);
        match next(6) {
            0..=2 => {
                counter += 1;
                let name = format!("s{counter}");
                let a = arg(&mut next, &visible, &loop_vars);
                let b = arg(&mut next, &visible, &loop_vars);
                body.push_str(&format!("{indent}step {name} = add(a: {a}, b: {b})\n"));
                visible.last_mut().unwrap().push(name);
            }
            3 if open < 3 => {
                counter += 1;
                let var = format!("v{counter}");
                let over = match next(4) {
                    0 => "[1, 2]".to_string(),
                    1 => "ys".to_string(),
                    2 => "range(n)".to_string(),
                    _ => "m.xs".to_string(),
                };
                body.push_str(&format!("{indent}for {var} in {over} {{\n"));
                loop_vars.push(var);
                visible.push(Vec::new());
                open += 1;
            }
            4 if open < 3 => {
                let cond = arg(&mut next, &visible, &loop_vars);
                body.push_str(&format!("{indent}if {cond} > 3 {{\n"));
                loop_vars.push(String::new());
                visible.push(Vec::new());
                open += 1;
            }
            _ if open > 0 => {
                open -= 1;
                visible.pop();
                let was_if = loop_vars.pop().is_some_and(|v| v.is_empty());
                let indent = "  ".repeat(open + 1);
                if was_if && next(2) == 0 {
                    counter += 1;
                    body.push_str(&format!(
                        "{indent}}} else {{\n{indent}  step s{counter} = add(a: n, b: 1)\n"
                    ));
                }
                body.push_str(&format!("{indent}}}\n"));
            }
            _ => {}
        }
    }
    while open > 0 {
        open -= 1;
        body.push_str(&format!("{}}}\n", "  ".repeat(open + 1)));
    }
    format!(
        r#"
op make(n: int) -> (xs: list<int>) {{
  python """
    open(${{xs}}, "w").write(str(list(range(${{n}}))))
  """
}}
op add(a: int, b: int) -> (sum: int) {{
  python """
    open(${{sum}}, "w").write(str(${{a}} + ${{b}}))
  """
}}
pipeline shape(n: int = 2, ys: list<int> = [1, 2, 3]) {{
  step m = make(n: n)
{body}}}
"#
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
    /// Every shape exports to a document the schema and the submit-time rules accept.
    #[test]
    fn any_block_structure_exports_to_a_valid_workflow(seed in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64)) {
        let source = shape_source(&seed);
        checked(&support::compile(&source));
    }
}

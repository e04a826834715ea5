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

#[test]
fn op_attributes_and_scheduler_settings_map_or_are_reported() {
    let program = support::compile(
        r#"
op train(rate: float) -> (model: Model) {
  image = "ghcr.io/acme/train:1.2"
  retries = 2
  timeout = 30m
  resources { cpu = 0.5  memory = "4Gi"  gpu = 1 }
  env { TOKEN = secret("API_TOKEN")  MODE = "fast" }
  python """
    open(${model}, "w").write(str(${rate}))
  """
}
pipeline nightly(rate: float = 0.1) {
  schedule = "@daily"
  start_date = "2024-01-01"
  catchup = true
  tags = ["ml", "nightly"]
  owner = "ml-team"
  step fit = train(rate: rate)
}
"#,
    );
    let (exported, doc) = checked(&program);
    assert_eq!(doc["kind"], "CronWorkflow");
    assert_eq!(doc["spec"]["schedules"], serde_json::json!(["@daily"]));
    let annotations = &doc["metadata"]["annotations"];
    assert_eq!(annotations["mlforge.dev/owner"], "ml-team");
    assert_eq!(annotations["mlforge.dev/tags"], r#"["ml","nightly"]"#);
    let codes: Vec<&str> = exported.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        ["ARGO003", "ARGO004"],
        "start_date and catchup are reported"
    );

    let templates = doc["spec"]["workflowSpec"]["templates"].as_array().unwrap();
    let op = templates
        .iter()
        .find(|t| t["name"] == "train--memo")
        .expect("the op's template");
    assert_eq!(op["retryStrategy"]["limit"], "2");
    assert_eq!(op["activeDeadlineSeconds"], "1800");
    assert_eq!(op["script"]["image"], "ghcr.io/acme/train:1.2");
    let resources = &op["script"]["resources"];
    assert_eq!(
        resources["requests"],
        serde_json::json!({"cpu": "500m", "memory": "4Gi"})
    );
    assert_eq!(resources["limits"]["nvidia.com/gpu"], "1");
    let env = op["script"]["env"].as_array().unwrap();
    let secret = env
        .iter()
        .find(|e| e["name"] == "API_TOKEN")
        .expect("the secret's variable");
    assert_eq!(
        secret["valueFrom"],
        serde_json::json!({"secretKeyRef": {"name": "mlforge-secrets", "key": "API_TOKEN"}})
    );
    // A literal env value stays in the task spec, where neither Argo nor Kubernetes reads it.
    assert!(env.iter().all(|e| e["name"] != "MODE"), "{env:?}");
    // Deadlines stand on leaf templates only.
    for t in templates.iter().filter(|t| t.get("dag").is_some()) {
        assert!(t.get("activeDeadlineSeconds").is_none() && t.get("retryStrategy").is_none());
    }
}

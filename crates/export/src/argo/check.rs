//! The rules Argo's controller enforces when a workflow is submitted, which its JSON
//! Schema cannot express: one kind per template, no deadline on DAG templates, every
//! reference resolves (entrypoint, templates, `depends`, `{{…}}` variables, arguments),
//! and each DAG is acyclic. The exporter's tests run this on every export; it reads any
//! workflow document, so it can be shown to fail on broken ones.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The fields that make a template a kind; exactly one must be set.
const TEMPLATE_KINDS: &[&str] = &[
    "container",
    "containerSet",
    "dag",
    "data",
    "http",
    "plugin",
    "resource",
    "script",
    "steps",
    "suspend",
];

/// Names Argo accepts for templates and DAG tasks: `[a-zA-Z0-9][-a-zA-Z0-9]*`, 128 at most.
fn valid_name(name: &str) -> bool {
    name.len() <= 128
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Parameter and artifact names: `[-a-zA-Z0-9_]+`.
fn valid_io_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Every rule `doc` (a `Workflow`, `WorkflowTemplate` or `CronWorkflow`) breaks, each a
/// sentence starting with where; empty when it would be accepted.
pub fn submit_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let spec = match doc.get("kind").and_then(Value::as_str) {
        Some("CronWorkflow") => doc.pointer("/spec/workflowSpec"),
        _ => doc.get("spec"),
    };
    let Some(spec) = spec else {
        problems.push("the document has no workflow spec".to_string());
        return problems;
    };
    let templates: Vec<&Value> = spec
        .get("templates")
        .and_then(Value::as_array)
        .map(|t| t.iter().collect())
        .unwrap_or_default();
    let mut by_name: BTreeMap<&str, &Value> = BTreeMap::new();
    for (i, template) in templates.iter().enumerate() {
        let name = template.get("name").and_then(Value::as_str).unwrap_or("");
        if !valid_name(name) {
            problems.push(format!(
                "templates[{i}]: the name `{name}` is not a valid template name"
            ));
        }
        if by_name.insert(name, template).is_some() {
            problems.push(format!("templates[{i}]: the name `{name}` is used twice"));
        }
    }
    match spec.get("entrypoint").and_then(Value::as_str) {
        Some(entry) if by_name.contains_key(entry) => {}
        Some(entry) => problems.push(format!("spec.entrypoint: there is no template `{entry}`")),
        None => problems.push("spec.entrypoint is missing".to_string()),
    }
    let globals: BTreeSet<&str> = spec
        .pointer("/arguments/parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    for name in &globals {
        if !valid_io_name(name) {
            problems.push(format!(
                "spec.arguments: `{name}` is not a valid parameter name"
            ));
        }
    }
    for template in &templates {
        check_template(template, &by_name, &globals, &mut problems);
    }
    problems
}

fn names<'v>(io: Option<&'v Value>, kind: &str) -> Vec<&'v Value> {
    io.and_then(|io| io.get(kind))
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

fn check_template(
    template: &Value,
    by_name: &BTreeMap<&str, &Value>,
    globals: &BTreeSet<&str>,
    problems: &mut Vec<String>,
) {
    let name = name_of(template);
    let at = format!("template `{name}`");
    let kinds: Vec<&str> = TEMPLATE_KINDS
        .iter()
        .copied()
        .filter(|k| template.get(*k).is_some())
        .collect();
    if kinds.len() != 1 {
        problems.push(format!(
            "{at}: a template must be exactly one kind, but it sets {}",
            if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds.join(" and ")
            }
        ));
    }
    let is_dag = template.get("dag").is_some() || template.get("steps").is_some();
    for deadline in ["timeout", "activeDeadlineSeconds"] {
        if is_dag && template.get(deadline).is_some() {
            problems.push(format!(
                "{at}: `{deadline}` is only allowed on leaf templates, not on a DAG"
            ));
        }
    }
    let inputs = template.get("inputs");
    let outputs = template.get("outputs");
    let in_params: BTreeSet<&str> = names(inputs, "parameters")
        .into_iter()
        .map(name_of)
        .collect();
    let in_artifacts: BTreeSet<&str> = names(inputs, "artifacts")
        .into_iter()
        .map(name_of)
        .collect();
    for io in [inputs, outputs] {
        for kind in ["parameters", "artifacts"] {
            let mut seen = BTreeSet::new();
            for item in names(io, kind) {
                let n = name_of(item);
                if !valid_io_name(n) {
                    problems.push(format!("{at}: `{n}` is not a valid {kind} name"));
                }
                if !seen.insert(n) {
                    problems.push(format!("{at}: two {kind} are named `{n}`"));
                }
            }
        }
    }
    for artifact in names(outputs, "artifacts")
        .into_iter()
        .chain(names(inputs, "artifacts"))
    {
        if artifact.get("path").is_none() && artifact.get("from").is_none() && !is_dag {
            problems.push(format!(
                "{at}: artifact `{}` has no `path`",
                name_of(artifact)
            ));
        }
    }
    let scope = Scope {
        globals,
        in_params: &in_params,
        in_artifacts: &in_artifacts,
        tasks: None,
        item: false,
    };
    // Everything outside the DAG's tasks sees the template's inputs and the globals; a
    // DAG's outputs also see every one of its tasks.
    let mut own = template.clone();
    if let Some(obj) = own.as_object_mut() {
        obj.remove("dag");
        if is_dag {
            obj.remove("outputs");
        }
    }
    check_variables(&own, &scope, &at, problems);
    if let Some(tasks) = template.pointer("/dag/tasks").and_then(Value::as_array) {
        let all: BTreeSet<&str> = tasks.iter().map(name_of).collect();
        if let Some(outputs) = outputs {
            let scope = Scope {
                tasks: Some(&all),
                ..scope
            };
            check_variables(outputs, &scope, &format!("{at}, outputs"), problems);
        }
        check_dag(tasks, &scope, by_name, &at, problems);
    }
}

/// What `{{…}}` may name at one place.
struct Scope<'a> {
    globals: &'a BTreeSet<&'a str>,
    in_params: &'a BTreeSet<&'a str>,
    in_artifacts: &'a BTreeSet<&'a str>,
    /// Within a DAG task: the tasks it depends on, directly or not.
    tasks: Option<&'a BTreeSet<&'a str>>,
    /// Within a task with `withItems` / `withParam`.
    item: bool,
}

fn check_dag(
    tasks: &[Value],
    scope: &Scope,
    by_name: &BTreeMap<&str, &Value>,
    at: &str,
    problems: &mut Vec<String>,
) {
    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for task in tasks {
        let name = name_of(task);
        if !valid_name(name) {
            problems.push(format!("{at}: `{name}` is not a valid task name"));
        }
        let mut list: Vec<&str> = task
            .get("dependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(depends) = task.get("depends").and_then(Value::as_str) {
            match depends_names(depends) {
                Some(names) => list.extend(names),
                None => problems.push(format!(
                    "{at}: task `{name}` has a `depends` expression that cannot be read: `{depends}`"
                )),
            }
        }
        if deps.insert(name, list).is_some() {
            problems.push(format!("{at}: two tasks are named `{name}`"));
        }
    }
    for (task, list) in &deps {
        for dep in list {
            if !deps.contains_key(dep) {
                problems.push(format!(
                    "{at}: task `{task}` depends on `{dep}`, which is not a task of this DAG"
                ));
            }
        }
    }
    if let Some(cycle) = find_cycle(&deps) {
        problems.push(format!(
            "{at}: the tasks depend on each other in a cycle: {}",
            cycle.join(" → ")
        ));
        return;
    }
    for task in tasks {
        let name = name_of(task);
        let ancestors = ancestors(name, &deps);
        let scope = Scope {
            tasks: Some(&ancestors),
            item: task.get("withItems").is_some() || task.get("withParam").is_some(),
            ..*scope
        };
        let task_at = format!("{at}, task `{name}`");
        check_variables(task, &scope, &task_at, problems);
        match task.get("template").and_then(Value::as_str) {
            Some(callee) => match by_name.get(callee) {
                Some(callee) => check_arguments(task, callee, &task_at, problems),
                None => problems.push(format!("{task_at}: there is no template `{callee}`")),
            },
            None => problems.push(format!("{task_at}: it names no template")),
        }
    }
}

/// The task names of a `depends` expression of the forms the exporter writes
/// (`a && b.Succeeded && (c || d)`); `None` when it holds anything else.
fn depends_names(depends: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for word in depends.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if word.is_empty() || word == "&&" || word == "||" {
            continue;
        }
        let word = word.strip_prefix('!').unwrap_or(word);
        let name = match word.split_once('.') {
            Some((name, result)) => {
                let known = [
                    "Succeeded",
                    "Failed",
                    "Errored",
                    "Skipped",
                    "Omitted",
                    "Daemoned",
                    "AnySucceeded",
                    "AllFailed",
                ];
                if !known.contains(&result) {
                    return None;
                }
                name
            }
            None => word,
        };
        if !valid_name(name) {
            return None;
        }
        out.push(name);
    }
    (!out.is_empty()).then_some(out)
}

fn find_cycle<'a>(deps: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    // Depth-first search with colours; the path on the stack gives the cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: BTreeMap<&str, Colour> = deps.keys().map(|k| (*k, Colour::White)).collect();
    for &start in deps.keys() {
        if colour[start] != Colour::White {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, Colour::Grey);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let list = &deps[node];
            if *next < list.len() {
                let dep = list[*next];
                *next += 1;
                match colour.get(dep) {
                    Some(Colour::White) => {
                        colour.insert(dep, Colour::Grey);
                        stack.push((dep, 0));
                    }
                    Some(Colour::Grey) => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                colour.insert(node, Colour::Black);
                stack.pop();
            }
        }
    }
    None
}

fn ancestors<'a>(task: &str, deps: &BTreeMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = deps.get(task).cloned().unwrap_or_default();
    while let Some(t) = todo.pop() {
        if seen.insert(t) {
            todo.extend(deps.get(t).into_iter().flatten());
        }
    }
    seen
}

/// A task passes what its template declares: every input without a value is given, and
/// nothing undeclared is.
fn check_arguments(task: &Value, callee: &Value, at: &str, problems: &mut Vec<String>) {
    for kind in ["parameters", "artifacts"] {
        let declared = names(callee.get("inputs"), kind);
        let given = names(task.get("arguments"), kind);
        let given_names: BTreeSet<&str> = given.iter().map(|v| name_of(v)).collect();
        for d in &declared {
            let has_own = d.get("value").is_some()
                || d.get("default").is_some()
                || d.get("valueFrom").is_some()
                || d.get("optional").and_then(Value::as_bool) == Some(true)
                || TEMPLATE_ARTIFACT_SOURCES
                    .iter()
                    .any(|s| d.get(*s).is_some());
            if !has_own && !given_names.contains(name_of(d)) {
                problems.push(format!(
                    "{at}: input {kind} `{}` of its template is not given",
                    name_of(d)
                ));
            }
        }
        let declared: BTreeSet<&str> = declared.iter().map(|v| name_of(v)).collect();
        for g in &given_names {
            if !declared.contains(g) {
                problems.push(format!(
                    "{at}: it passes {kind} `{g}`, which its template does not declare"
                ));
            }
        }
    }
}

/// Where an input artifact can come from without the caller.
const TEMPLATE_ARTIFACT_SOURCES: &[&str] = &[
    "s3",
    "gcs",
    "http",
    "git",
    "raw",
    "hdfs",
    "oss",
    "azure",
    "artifactory",
    "from",
    "fromExpression",
];

/// Checks every `{{…}}` in the strings of `value` against `scope`.
fn check_variables(value: &Value, scope: &Scope, at: &str, problems: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            for tag in tags(s) {
                if let Err(why) = resolve(tag, scope) {
                    problems.push(format!("{at}: `{{{{{tag}}}}}` {why}"));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                check_variables(item, scope, at, problems);
            }
        }
        Value::Object(map) => {
            for item in map.values() {
                check_variables(item, scope, at, problems);
            }
        }
        _ => {}
    }
}

/// The text between each `{{` and the next `}}`, trimmed.
fn tags(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(after[..end].trim());
                rest = &after[end + 2..];
            }
            None => {
                out.push(after.trim());
                break;
            }
        }
    }
    out
}

/// Whether a variable resolves where it stands (the subset of Argo's variables the exporter
/// uses; anything else is reported, so user text that became a tag is caught).
fn resolve(tag: &str, scope: &Scope) -> Result<(), String> {
    let parts: Vec<&str> = tag.split('.').collect();
    match parts.as_slice() {
        ["workflow", "name" | "uid" | "namespace"] => Ok(()),
        ["workflow", "parameters", p] if scope.globals.contains(p) => Ok(()),
        ["workflow", "parameters", p] => Err(format!("names no workflow parameter `{p}`")),
        ["inputs", "parameters", p] if scope.in_params.contains(p) => Ok(()),
        ["inputs", "artifacts", a] if scope.in_artifacts.contains(a) => Ok(()),
        ["inputs", kind, name] => Err(format!("names no input {kind} `{name}` of the template")),
        ["item"] if scope.item => Ok(()),
        ["item"] => Err("is used by a task without withItems or withParam".to_string()),
        ["tasks", task, "outputs", ..] => match scope.tasks {
            Some(tasks) if tasks.contains(task) => Ok(()),
            Some(_) => Err(format!(
                "reads task `{task}`, which the task does not depend on"
            )),
            None => Err("reads a task outside a DAG task".to_string()),
        },
        _ => Err("is not a variable Argo resolves here".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {"generateName": "p-"},
            "spec": {
                "entrypoint": "main",
                "arguments": {"parameters": [{"name": "n", "value": "1"}]},
                "templates": [
                    {"name": "main", "dag": {"tasks": [
                        {"name": "a", "template": "leaf", "arguments": {"parameters": [{"name": "x", "value": "{{workflow.parameters.n}}"}]}},
                        {"name": "b", "template": "leaf", "depends": "a", "withItems": [0, 1],
                         "when": "{{tasks.a.outputs.result}} == true",
                         "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]}}
                    ]}},
                    {"name": "leaf", "inputs": {"parameters": [{"name": "x"}]},
                     "activeDeadlineSeconds": "5",
                     "script": {"image": "python", "command": ["python3"], "source": "print(1)",
                                "env": [{"name": "X", "value": "{{inputs.parameters.x}}"}]}}
                ]
            }
        })
    }

    fn problems_after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut doc = good();
        edit(&mut doc);
        submit_problems(&doc)
    }

    #[test]
    fn a_good_workflow_passes() {
        assert_eq!(submit_problems(&good()), Vec::<String>::new());
    }

    #[test]
    fn two_kinds_in_one_template_fail() {
        let p = problems_after(|d| d["spec"]["templates"][1]["container"] = json!({"image": "x"}));
        assert!(p.iter().any(|p| p.contains("exactly one kind")), "{p:?}");
    }

    #[test]
    fn a_deadline_on_a_dag_fails() {
        let p = problems_after(|d| d["spec"]["templates"][0]["activeDeadlineSeconds"] = json!("3"));
        assert!(
            p.iter()
                .any(|p| p.contains("only allowed on leaf templates")),
            "{p:?}"
        );
        let p = problems_after(|d| d["spec"]["templates"][0]["timeout"] = json!("3s"));
        assert!(p.iter().any(|p| p.contains("`timeout`")), "{p:?}");
    }

    #[test]
    fn dangling_references_fail() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][1]["depends"] = json!("a && zz")
        });
        assert!(p.iter().any(|p| p.contains("depends on `zz`")), "{p:?}");
        let p = problems_after(|d| d["spec"]["entrypoint"] = json!("nope"));
        assert!(p.iter().any(|p| p.contains("no template `nope`")), "{p:?}");
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][0]["template"] = json!("gone")
        });
        assert!(p.iter().any(|p| p.contains("no template `gone`")), "{p:?}");
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][0]["arguments"]["parameters"][0]["value"] =
                json!("{{workflow.parameters.m}}")
        });
        assert!(
            p.iter().any(|p| p.contains("no workflow parameter `m`")),
            "{p:?}"
        );
        let p = problems_after(|d| {
            d["spec"]["templates"][1]["script"]["source"] = json!("{{inputs.parameters.y}}")
        });
        assert!(
            p.iter().any(|p| p.contains("no input parameters `y`")),
            "{p:?}"
        );
    }

    #[test]
    fn reading_a_task_not_depended_on_fails() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][1]
                .as_object_mut()
                .unwrap()
                .remove("depends");
        });
        assert!(p.iter().any(|p| p.contains("does not depend on")), "{p:?}");
    }

    #[test]
    fn item_outside_a_loop_fails() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][1]
                .as_object_mut()
                .unwrap()
                .remove("withItems");
        });
        assert!(p.iter().any(|p| p.contains("without withItems")), "{p:?}");
    }

    #[test]
    fn cycles_fail() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][0]["depends"] = json!("b")
        });
        assert!(
            p.iter()
                .any(|p| p.contains("cycle: a → b → a") || p.contains("cycle: b → a → b")),
            "{p:?}"
        );
    }

    #[test]
    fn arguments_must_match_inputs() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][0]
                .as_object_mut()
                .unwrap()
                .remove("arguments");
        });
        assert!(
            p.iter()
                .any(|p| p.contains("input parameters `x` of its template is not given")),
            "{p:?}"
        );
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["dag"]["tasks"][0]["arguments"]["parameters"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "extra", "value": "1"}))
        });
        assert!(
            p.iter().any(|p| p.contains("passes parameters `extra`")),
            "{p:?}"
        );
    }

    #[test]
    fn unknown_tags_and_bad_names_fail() {
        let p = problems_after(|d| {
            d["spec"]["templates"][1]["script"]["source"] = json!("x = '{{ user text }}'")
        });
        assert!(
            p.iter().any(|p| p.contains("not a variable Argo resolves")),
            "{p:?}"
        );
        let p = problems_after(|d| d["spec"]["templates"][1]["name"] = json!("Bad_Name"));
        assert!(
            p.iter().any(|p| p.contains("not a valid template name")),
            "{p:?}"
        );
    }

    #[test]
    fn dag_outputs_read_the_dags_tasks() {
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["outputs"] =
                json!({"artifacts": [{"name": "o", "from": "{{tasks.a.outputs.artifacts.o}}"}]})
        });
        assert_eq!(p, Vec::<String>::new());
        let p = problems_after(|d| {
            d["spec"]["templates"][0]["outputs"] =
                json!({"artifacts": [{"name": "o", "from": "{{tasks.zz.outputs.artifacts.o}}"}]})
        });
        assert!(p.iter().any(|p| p.contains("reads task `zz`")), "{p:?}");
    }

    #[test]
    fn cron_workflows_are_checked_through_their_workflow_spec() {
        let workflow = good();
        let cron = json!({"kind": "CronWorkflow", "spec": {"schedules": ["0 3 * * *"], "workflowSpec": workflow["spec"].clone()}});
        assert_eq!(submit_problems(&cron), Vec::<String>::new());
        let mut broken = cron.clone();
        broken["spec"]["workflowSpec"]["entrypoint"] = json!("x");
        assert!(!submit_problems(&broken).is_empty());
    }
}

//! The exporter's own checks of a PipelineSpec, on the written document alone: what KFP's
//! protobuf parse does not catch and its backend only finds at run time. Every component
//! and executor referenced exists and is used; every task input names an input of its
//! component and takes a value of the right type from something that exists (a component
//! input of its DAG, an output of a task it waits for, a constant of the declared type);
//! every required component input is wired; executors' placeholders name the component's
//! inputs and outputs and cover them all; DAG outputs select existing task outputs;
//! `dependentTasks` name tasks of the same DAG and form no cycle; conditions read only
//! the task's inputs; the platform document names existing executors.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::types::KfpType;

type Problems = Vec<String>;

/// The map at `v`, or an empty one: borrowed, since specs of 5,000 tasks are checked.
fn object(v: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    v.and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn definitions<'a>(component: &'a Value, side: &str, kind: &str) -> &'a Map<String, Value> {
    object(component.get(side).and_then(|d| d.get(kind)))
}

/// Every problem found, as sentences; empty when the spec is consistent.
pub fn check(spec: &Value, platform: Option<&Value>) -> Problems {
    let mut problems = Vec::new();
    let components = object(spec.get("components"));
    let executors = object(get_in(spec, &["deploymentSpec", "executors"]));
    let Some(root) = spec.get("root") else {
        return vec!["the spec has no root".into()];
    };

    // References between components, executors and DAGs.
    let mut used_components = BTreeSet::new();
    let mut used_executors = BTreeSet::new();
    let mut dags: Vec<(String, &Value)> = vec![("root".into(), root)];
    dags.extend(components.iter().map(|(k, v)| (k.clone(), v)));
    for (name, comp) in &dags {
        if let Some(label) = comp.get("executorLabel").and_then(Value::as_str) {
            used_executors.insert(label.to_string());
            match executors.get(label) {
                Some(exec) => check_executor(name, comp, exec, &mut problems),
                None => problems.push(format!(
                    "component `{name}` names a missing executor `{label}`"
                )),
            }
        }
        if let Some(dag) = comp.get("dag") {
            for task in object(dag.get("tasks")).values() {
                if let Some(r) = get_in(task, &["componentRef", "name"]).and_then(Value::as_str) {
                    used_components.insert(r.to_string());
                }
            }
            check_dag(name, comp, dag, components, &mut problems);
        }
    }
    for name in components.keys() {
        if !used_components.contains(name) {
            problems.push(format!("component `{name}` is not used by any task"));
        }
    }
    for name in executors.keys() {
        if !used_executors.contains(name) {
            problems.push(format!("executor `{name}` is not used by any component"));
        }
    }
    if let Some(platform) = platform {
        for (pname, p) in object(platform.get("platforms")) {
            for name in object(get_in(p, &["deploymentSpec", "executors"])).keys() {
                if !executors.contains_key(name) {
                    problems.push(format!(
                        "the {pname} platform document names a missing executor `{name}`"
                    ));
                }
            }
        }
    }
    problems
}

fn check_dag(
    name: &str,
    comp: &Value,
    dag: &Value,
    components: &Map<String, Value>,
    problems: &mut Problems,
) {
    let tasks = object(dag.get("tasks"));
    let own_params = definitions(comp, "inputDefinitions", "parameters");
    let own_artifacts = definitions(comp, "inputDefinitions", "artifacts");
    // The type each task output has, by (task, key).
    let output_type = |task: &str, key: &str, artifact: bool| -> Option<KfpType> {
        let r = get_in(tasks.get(task)?, &["componentRef", "name"])?.as_str()?;
        let kind = if artifact { "artifacts" } else { "parameters" };
        KfpType::from_definition(
            definitions(components.get(r)?, "outputDefinitions", kind).get(key)?,
        )
    };

    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (tname, task) in tasks {
        let at = format!("task `{tname}` of `{name}`");
        let Some(cname) = get_in(task, &["componentRef", "name"]).and_then(Value::as_str) else {
            problems.push(format!("{at} names no component"));
            continue;
        };
        let Some(target) = components.get(cname) else {
            problems.push(format!("{at} names a missing component `{cname}`"));
            continue;
        };
        let deps: BTreeSet<&str> = task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for d in &deps {
            if !tasks.contains_key(*d) {
                problems.push(format!("{at} waits for a missing task `{d}`"));
            }
        }
        edges.insert(tname, deps.iter().copied().collect());

        // The item input of an iterator is given by the iterator, not wired.
        let item = get_in(task, &["parameterIterator", "itemInput"])
            .or_else(|| get_in(task, &["artifactIterator", "itemInput"]))
            .and_then(Value::as_str);
        for (kind, artifact) in [("parameters", false), ("artifacts", true)] {
            let declared = definitions(target, "inputDefinitions", kind);
            let given = object(get_in(task, &["inputs", kind]));
            for (key, source) in given {
                let Some(def) = declared.get(key) else {
                    problems.push(format!(
                        "{at} gives `{key}`, which component `{cname}` does not take as {kind}"
                    ));
                    continue;
                };
                let wanted = KfpType::from_definition(def);
                let selected = source.get("parameterExpressionSelector").is_some();
                let got = if let Some(c) = source
                    .get("componentInputParameter")
                    .or_else(|| source.get("componentInputArtifact"))
                    .and_then(Value::as_str)
                {
                    let own = if artifact {
                        &own_artifacts
                    } else {
                        &own_params
                    };
                    match own.get(c) {
                        Some(d) => KfpType::from_definition(d),
                        None => {
                            problems
                                .push(format!("{at} reads `{c}`, which `{name}` does not take"));
                            continue;
                        }
                    }
                } else if let Some(o) = source
                    .get("taskOutputParameter")
                    .or_else(|| source.get("taskOutputArtifact"))
                {
                    let producer = o.get("producerTask").and_then(Value::as_str).unwrap_or("");
                    let okey = o
                        .get("outputParameterKey")
                        .or_else(|| o.get("outputArtifactKey"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !deps.contains(producer) {
                        problems.push(format!(
                            "{at} reads `{producer}.{okey}` without waiting for `{producer}`"
                        ));
                    }
                    match output_type(producer, okey, artifact) {
                        Some(t) => Some(t),
                        None => {
                            problems.push(format!("{at} reads `{producer}.{okey}`, which is not an output of a task of `{name}`"));
                            continue;
                        }
                    }
                } else if let Some(constant) = get_in(source, &["runtimeValue", "constant"]) {
                    if !artifact && !constant_fits(constant, wanted.as_ref(), def) {
                        problems.push(format!(
                            "{at} gives `{key}` the constant {constant}, which is not a {}",
                            def.get("parameterType")
                                .and_then(Value::as_str)
                                .unwrap_or("?")
                        ));
                    }
                    continue;
                } else {
                    problems.push(format!("{at} gives `{key}` no source"));
                    continue;
                };
                if let (Some(got), Some(wanted)) = (&got, &wanted) {
                    if !selected && !fits(got, wanted) {
                        problems.push(format!(
                            "{at} gives `{key}` a {got:?} where `{cname}` takes a {wanted:?}"
                        ));
                    }
                }
            }
            for (key, def) in declared {
                let optional = def.get("isOptional").and_then(Value::as_bool) == Some(true);
                if !given.contains_key(key) && !optional && Some(key.as_str()) != item {
                    problems.push(format!(
                        "{at} does not wire `{key}`, which component `{cname}` needs"
                    ));
                }
            }
        }
        if let Some(items) =
            get_in(task, &["parameterIterator", "items", "inputParameter"]).and_then(Value::as_str)
        {
            if get_in(task, &["inputs", "parameters", items]).is_none() {
                problems.push(format!(
                    "{at} iterates over `{items}`, which it is not given"
                ));
            }
        }
        if let Some(items) =
            get_in(task, &["artifactIterator", "items", "inputArtifact"]).and_then(Value::as_str)
        {
            if get_in(task, &["inputs", "artifacts", items]).is_none() {
                problems.push(format!(
                    "{at} iterates over `{items}`, which it is not given"
                ));
            }
        }
        if let Some(item) = item {
            if !definitions(target, "inputDefinitions", "parameters").contains_key(item)
                && !definitions(target, "inputDefinitions", "artifacts").contains_key(item)
            {
                problems.push(format!(
                    "{at} hands each element as `{item}`, which `{cname}` does not take"
                ));
            }
        }
        if let Some(cond) = get_in(task, &["triggerPolicy", "condition"]).and_then(Value::as_str) {
            for key in condition_keys(cond) {
                if get_in(task, &["inputs", "parameters", &key]).is_none() {
                    problems.push(format!(
                        "{at}'s condition reads `{key}`, which the task is not given"
                    ));
                }
            }
        }
    }

    // Outputs of the DAG select outputs of its tasks.
    for (kind, artifact) in [("parameters", false), ("artifacts", true)] {
        let declared = definitions(comp, "outputDefinitions", kind);
        let outputs = object(get_in(dag, &["outputs", kind]));
        for (key, out) in outputs {
            let selectors: Vec<&Value> = if artifact {
                out.get("artifactSelectors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default()
            } else {
                out.get("valueFromParameter").into_iter().collect()
            };
            if selectors.is_empty() {
                problems.push(format!("output `{key}` of `{name}` selects nothing"));
            }
            for s in selectors {
                let producer = s
                    .get("producerSubtask")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let okey = s
                    .get("outputParameterKey")
                    .or_else(|| s.get("outputArtifactKey"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let Some(got) = output_type(producer, okey, artifact) else {
                    problems.push(format!("output `{key}` of `{name}` selects `{producer}.{okey}`, which is not an output of a task of it"));
                    continue;
                };
                match declared.get(key).and_then(KfpType::from_definition) {
                    // Out of a loop the value is gathered into a list.
                    Some(want) if fits(&got, &want) || got.gathered() == want => {}
                    Some(want) => problems.push(format!(
                        "output `{key}` of `{name}` is declared {want:?} but selects a {got:?}"
                    )),
                    None => problems.push(format!("output `{key}` of `{name}` is not declared")),
                }
            }
        }
        for key in declared.keys() {
            if !outputs.contains_key(key) {
                problems.push(format!(
                    "output `{key}` of `{name}` is declared but never set"
                ));
            }
        }
    }

    if let Some(task) = cycle(&edges) {
        problems.push(format!(
            "the tasks of `{name}` wait for each other in a cycle through `{task}`"
        ));
    }
}

/// Whether a value of type `got` may be given where `wanted` is declared; an integer may go
/// where a double is declared (the runtime widens it, as the runner does).
fn fits(got: &KfpType, wanted: &KfpType) -> bool {
    got.fits(wanted)
        || (*got == KfpType::Parameter("NUMBER_INTEGER")
            && *wanted == KfpType::Parameter("NUMBER_DOUBLE"))
}

fn constant_fits(constant: &Value, wanted: Option<&KfpType>, def: &Value) -> bool {
    let optional = def.get("isOptional").and_then(Value::as_bool) == Some(true);
    match (constant, wanted) {
        (Value::Null, _) => optional,
        (Value::Number(n), Some(KfpType::Parameter("NUMBER_INTEGER"))) => n.is_i64() || n.is_u64(),
        (Value::Number(_), Some(KfpType::Parameter("NUMBER_DOUBLE"))) => true,
        (Value::String(_), Some(KfpType::Parameter("STRING"))) => true,
        (Value::Bool(_), Some(KfpType::Parameter("BOOLEAN"))) => true,
        (Value::Array(_), Some(KfpType::Parameter("LIST"))) => true,
        (Value::Object(_), Some(KfpType::Parameter("STRUCT"))) => true,
        _ => false,
    }
}

/// The executor's placeholders name exactly the component's inputs and outputs.
fn check_executor(name: &str, comp: &Value, exec: &Value, problems: &mut Problems) {
    let Some(container) = exec.get("container") else {
        return; // importers take their URI from the `uri` input, not from placeholders
    };
    let text: String = ["command", "args"]
        .iter()
        .filter_map(|k| container.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    let mut seen = BTreeSet::new();
    for (side, prefix) in [
        ("inputDefinitions", "inputs"),
        ("outputDefinitions", "outputs"),
    ] {
        for (kind, suffix) in [("parameters", ""), ("artifacts", ".path")] {
            for (key, def) in definitions(comp, side, kind) {
                let list = def.get("isArtifactList").and_then(Value::as_bool) == Some(true);
                let placeholder = match (prefix, kind) {
                    // A list of artifacts reaches the executor in its whole input.
                    ("inputs", "artifacts") if list => "{{$}}".to_string(),
                    ("outputs", "parameters") => {
                        format!("{{{{$.outputs.parameters['{key}'].output_file}}}}")
                    }
                    _ => format!("{{{{$.{prefix}.{kind}['{key}']{suffix}}}}}"),
                };
                if !text.contains(&placeholder) {
                    problems.push(format!("the executor of `{name}` never receives `{key}`"));
                }
                seen.insert(placeholder);
            }
        }
    }
    // Every placeholder in the container is one of those.
    let mut rest = text.as_str();
    while let Some(at) = rest.find("{{$") {
        let tail = &rest[at..];
        let end = tail.find("}}").map_or(tail.len(), |e| e + 2);
        let placeholder = &tail[..end];
        if !seen.contains(placeholder) {
            problems.push(format!("the executor of `{name}` holds `{placeholder}`, which names nothing `{name}` declares"));
        }
        rest = &tail[end..];
    }
}

/// The input keys a CEL condition reads (`inputs.parameter_values['key']`).
fn condition_keys(cond: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = cond;
    while let Some(at) = rest.find("inputs.parameter_values['") {
        let tail = &rest[at + "inputs.parameter_values['".len()..];
        let end = tail.find('\'').unwrap_or(tail.len());
        keys.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    keys
}

/// The value at `path` (keys of nested maps) under `value`. `Value::pointer` would do, but
/// it parses and unescapes its text on every call, which checking every task of a big
/// spec pays for many times over.
pub(super) fn get_in<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |at, key| at.get(key))
}

/// A task on a cycle of `dependentTasks`, if any.
fn cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<&'a str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for start in edges.keys() {
        if marks.contains_key(start) {
            continue;
        }
        // Iterative depth-first walk: (node, next edge index).
        let mut stack = vec![(*start, 0usize)];
        marks.insert(start, Mark::Open);
        while let Some((node, i)) = stack.pop() {
            let next = edges.get(node).and_then(|e| e.get(i)).copied();
            match next {
                Some(n) => {
                    stack.push((node, i + 1));
                    match marks.get(n) {
                        Some(Mark::Open) => return Some(n),
                        Some(Mark::Done) => {}
                        None => {
                            marks.insert(n, Mark::Open);
                            stack.push((n, 0));
                        }
                    }
                }
                None => {
                    marks.insert(node, Mark::Done);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "root": {"dag": {"tasks": {
                "a": {"componentRef": {"name": "comp-a"}, "inputs": {"parameters": {"n": {"runtimeValue": {"constant": 3}}}}},
                "b": {"componentRef": {"name": "comp-b"}, "dependentTasks": ["a"],
                      "inputs": {"artifacts": {"d": {"taskOutputArtifact": {"producerTask": "a", "outputArtifactKey": "out"}}}}}
            }}},
            "components": {
                "comp-a": {"executorLabel": "exec-a",
                    "inputDefinitions": {"parameters": {"n": {"parameterType": "NUMBER_INTEGER"}}},
                    "outputDefinitions": {"artifacts": {"out": {"artifactType": {"schemaTitle": "system.Dataset"}}}}},
                "comp-b": {"executorLabel": "exec-b",
                    "inputDefinitions": {"artifacts": {"d": {"artifactType": {"schemaTitle": "system.Dataset"}}}}}
            },
            "deploymentSpec": {"executors": {
                "exec-a": {"container": {"args": ["{{$.inputs.parameters['n']}}", "{{$.outputs.artifacts['out'].path}}"]}},
                "exec-b": {"container": {"args": ["{{$.inputs.artifacts['d'].path}}"]}}
            }}
        })
    }

    #[test]
    fn a_consistent_spec_passes() {
        assert_eq!(check(&spec(), None), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_break_is_found() {
        type Break = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Break, &str)> = vec![
            (
                "dangling component",
                Box::new(|s| {
                    s["root"]["dag"]["tasks"]["b"]["componentRef"]["name"] = json!("comp-x")
                }),
                "missing component `comp-x`",
            ),
            (
                "wrong type",
                Box::new(|s| {
                    s["components"]["comp-b"]["inputDefinitions"]["artifacts"]["d"]
                        ["artifactType"]["schemaTitle"] = json!("system.Model")
                }),
                "takes a",
            ),
            (
                "unwired",
                Box::new(|s| {
                    s["root"]["dag"]["tasks"]["a"]["inputs"] = json!({});
                }),
                "does not wire `n`",
            ),
            (
                "bad constant",
                Box::new(|s| {
                    s["root"]["dag"]["tasks"]["a"]["inputs"]["parameters"]["n"]["runtimeValue"]
                        ["constant"] = json!("x")
                }),
                "not a NUMBER_INTEGER",
            ),
            (
                "no wait",
                Box::new(|s| {
                    s["root"]["dag"]["tasks"]["b"]
                        .as_object_mut()
                        .unwrap()
                        .remove("dependentTasks");
                }),
                "without waiting",
            ),
            (
                "dangling output",
                Box::new(|s| {
                    s["root"]["dag"]["tasks"]["b"]["inputs"]["artifacts"]["d"]
                        ["taskOutputArtifact"]["outputArtifactKey"] = json!("nope")
                }),
                "not an output",
            ),
            (
                "unused executor",
                Box::new(|s| s["deploymentSpec"]["executors"]["exec-z"] = json!({"container": {}})),
                "`exec-z` is not used",
            ),
            (
                "placeholder",
                Box::new(|s| {
                    s["deploymentSpec"]["executors"]["exec-b"]["container"]["args"] =
                        json!(["{{$.inputs.parameters['q']}}"])
                }),
                "never receives `d`",
            ),
            (
                "cycle",
                Box::new(|s| s["root"]["dag"]["tasks"]["a"]["dependentTasks"] = json!(["b"])),
                "cycle",
            ),
        ];
        for (what, break_it, expected) in cases {
            let mut s = spec();
            break_it(&mut s);
            let problems = check(&s, None);
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{what}: {problems:?}"
            );
        }
    }
}

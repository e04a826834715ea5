//! Runs an exported workflow on this machine the way Argo's controller would, for the
//! parts the export uses: DAG tasks in `depends` order, `withItems` / `withParam` fan-out,
//! `when`, `{{…}}` substitution of parameters, items and task results, key-only artifacts
//! in a repository folder (prefix keys ending in `/` as folders, an absent `optional` one
//! left as an empty folder, as Argo leaves it), script templates run with `python3`, output parameters read from files,
//! and memoization by key. Each pod gets its own root folder standing for `/`, so the paths
//! the workflow names (`/mlforge/...`) are redirected into it.
//!
//! There is no Kubernetes or Argo here; this checks the export's wiring and the pod-side
//! adapter with the real task runtime, not Argo itself (its schema and submit rules are
//! checked separately).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

pub struct Sim {
    pub dir: PathBuf,
    pub repo: PathBuf,
    /// Memoization caches, by ConfigMap and key: the outputs saved.
    pub memo: HashMap<String, Outputs>,
    /// `task name (item)` of every pod run, and of every memoized hit (`… cached`).
    pub log: Vec<String>,
    pods: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub result: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// Replaces each `{{tag}}` found in `vars`; an unknown tag is an error (Argo fails too).
fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("an unclosed tag in {text:?}"))?;
        let tag = after[..end].trim();
        out.push_str(
            vars.get(tag)
                .ok_or_else(|| format!("`{{{{{tag}}}}}` does not resolve"))?,
        );
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_all(value: &Value, vars: &BTreeMap<String, String>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_all(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_all(v, vars)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Every string's `/mlforge/` moved under `root`.
fn chroot(value: &Value, root: &Path) -> Value {
    match value {
        Value::String(s) => {
            Value::String(s.replace("/mlforge/", &format!("{}/mlforge/", root.display())))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| chroot(v, root)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), chroot(v, root)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn item_text(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Sim {
    pub fn new(dir: &Path) -> Sim {
        let repo = dir.join("repository");
        std::fs::create_dir_all(&repo).unwrap();
        Sim {
            dir: dir.to_path_buf(),
            repo,
            memo: HashMap::new(),
            log: Vec::new(),
            pods: 0,
        }
    }

    /// Runs `doc` (a Workflow, or a CronWorkflow's workflow) as `name` with `params`
    /// overriding the defaults.
    pub fn run(
        &mut self,
        doc: &Value,
        name: &str,
        params: &[(&str, &str)],
    ) -> Result<Outputs, String> {
        let spec = match doc["kind"].as_str() {
            Some("CronWorkflow") => &doc["spec"]["workflowSpec"],
            _ => &doc["spec"],
        };
        let mut globals = BTreeMap::from([("workflow.name".to_string(), name.to_string())]);
        for p in spec
            .pointer("/arguments/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pname = p["name"].as_str().unwrap();
            let value = params
                .iter()
                .find(|(n, _)| *n == pname)
                .map(|(_, v)| v.to_string())
                .or_else(|| p["value"].as_str().map(str::to_string))
                .ok_or_else(|| format!("param {pname} has no value"))?;
            globals.insert(format!("workflow.parameters.{pname}"), value);
        }
        let templates: BTreeMap<&str, &Value> = spec["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t))
            .collect();
        let entry = spec["entrypoint"].as_str().unwrap();
        self.template(
            &templates,
            entry,
            &globals,
            &BTreeMap::new(),
            &BTreeMap::new(),
            "",
        )
    }

    fn template(
        &mut self,
        templates: &BTreeMap<&str, &Value>,
        name: &str,
        globals: &BTreeMap<String, String>,
        args: &BTreeMap<String, String>,
        artifacts: &BTreeMap<String, Value>,
        label: &str,
    ) -> Result<Outputs, String> {
        let template = templates
            .get(name)
            .ok_or_else(|| format!("no template {name}"))?;
        let mut vars = globals.clone();
        for p in template
            .pointer("/inputs/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pname = p["name"].as_str().unwrap();
            let value = args
                .get(pname)
                .ok_or_else(|| format!("{name}: input {pname} not given"))?;
            vars.insert(format!("inputs.parameters.{pname}"), value.clone());
        }
        if let Some(tasks) = template.pointer("/dag/tasks").and_then(Value::as_array) {
            return self.dag(templates, tasks, globals, &vars, label);
        }
        if template.get("script").is_none() {
            return Err(format!(
                "{name}: only DAG and script templates are run here"
            ));
        }
        // A leaf: everything but the DAG is substituted now; the caller's artifacts give
        // the declared inputs their source.
        let mut template = substitute_all(template, &vars)?;
        for a in template
            .pointer_mut("/inputs/artifacts")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(given) = artifacts.get(a["name"].as_str().unwrap()) {
                a["s3"] = given["s3"].clone();
            }
        }
        if let Some(key) = template.pointer("/memoize/key").and_then(Value::as_str) {
            let cache = format!(
                "{}#{key}",
                template["memoize"]["cache"]["configMap"]["name"]
                    .as_str()
                    .unwrap()
            );
            if let Some(outputs) = self.memo.get(&cache) {
                self.log.push(format!("{label} cached"));
                return Ok(outputs.clone());
            }
            let outputs = self.pod(&template, label)?;
            self.memo.insert(cache, outputs.clone());
            return Ok(outputs);
        }
        self.pod(&template, label)
    }

    fn pod(&mut self, template: &Value, label: &str) -> Result<Outputs, String> {
        self.pods += 1;
        let root = self.dir.join(format!("pod{}", self.pods));
        std::fs::create_dir_all(&root).unwrap();
        let template = chroot(template, &root);
        self.log.push(label.to_string());
        for a in template
            .pointer("/inputs/artifacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(key) = a["s3"]["key"].as_str() else {
                if a["optional"] == Value::Bool(true) {
                    continue;
                }
                return Err(format!("{label}: artifact {} has no source", a["name"]));
            };
            let from = self.repo.join(key.trim_end_matches('/'));
            let to = PathBuf::from(a["path"].as_str().unwrap());
            if from.exists() {
                copy(&from, &to);
            } else if a["optional"] == Value::Bool(true) {
                // As Argo does (argoproj/argo-workflows#5934): an empty folder in its place.
                std::fs::create_dir_all(&to).unwrap();
            } else {
                return Err(format!("{label}: artifact {key} is not in the repository"));
            }
        }
        let script = &template["script"];
        let source = root.join("script.py");
        std::fs::write(&source, script["source"].as_str().unwrap()).unwrap();
        let mut command = Command::new("python3");
        command.arg(&source).current_dir(&root).env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        for e in script["env"].as_array().into_iter().flatten() {
            if let Some(v) = e["value"].as_str() {
                command.env(e["name"].as_str().unwrap(), v);
            }
        }
        let out = command.output().map_err(|e| format!("python3: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{label} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut outputs = Outputs {
            result: Some(String::from_utf8_lossy(&out.stdout).trim().to_string()),
            ..Outputs::default()
        };
        for p in template
            .pointer("/outputs/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = p["valueFrom"]["path"].as_str().unwrap();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{label}: output {path}: {e}"))?;
            outputs.parameters.insert(
                p["name"].as_str().unwrap().to_string(),
                text.trim().to_string(),
            );
        }
        for a in template
            .pointer("/outputs/artifacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = PathBuf::from(a["path"].as_str().unwrap());
            let key = a["s3"]["key"].as_str().unwrap();
            if !path.exists() {
                return Err(format!(
                    "{label}: output artifact {} was not written",
                    path.display()
                ));
            }
            copy(&path, &self.repo.join(key));
        }
        Ok(outputs)
    }

    fn dag(
        &mut self,
        templates: &BTreeMap<&str, &Value>,
        tasks: &[Value],
        globals: &BTreeMap<String, String>,
        vars: &BTreeMap<String, String>,
        prefix: &str,
    ) -> Result<Outputs, String> {
        let mut done: BTreeMap<String, Option<Outputs>> = BTreeMap::new();
        while done.len() < tasks.len() {
            let ready = tasks.iter().find(|t| {
                let name = t["name"].as_str().unwrap();
                !done.contains_key(name)
                    && t["depends"]
                        .as_str()
                        .is_none_or(|d| d.split(" && ").all(|dep| done.contains_key(dep)))
            });
            let task = ready.ok_or("the DAG has a cycle or a dangling dependency")?;
            let name = task["name"].as_str().unwrap().to_string();
            let label = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let mut scope = vars.clone();
            for (task_name, outputs) in &done {
                if let Some(outputs) = outputs {
                    if let Some(result) = &outputs.result {
                        scope.insert(format!("tasks.{task_name}.outputs.result"), result.clone());
                    }
                    for (p, v) in &outputs.parameters {
                        scope.insert(
                            format!("tasks.{task_name}.outputs.parameters.{p}"),
                            v.clone(),
                        );
                    }
                }
            }
            if let Some(when) = task["when"].as_str() {
                let when = substitute(when, &scope)?;
                let (lhs, rhs) = when
                    .split_once(" == ")
                    .ok_or_else(|| format!("cannot read when: {when}"))?;
                if lhs.trim() != rhs.trim() {
                    self.log.push(format!("{label} skipped"));
                    done.insert(name, None);
                    continue;
                }
            }
            let items: Option<Vec<Value>> =
                match (task.get("withItems"), task["withParam"].as_str()) {
                    (Some(items), _) => Some(items.as_array().unwrap().clone()),
                    (None, Some(param)) => Some(
                        serde_json::from_str(&substitute(param, &scope)?)
                            .map_err(|e| format!("withParam is not JSON: {e}"))?,
                    ),
                    (None, None) => None,
                };
            let template = task["template"].as_str().unwrap();
            let call = |sim: &mut Sim,
                        scope: &BTreeMap<String, String>,
                        label: &str|
             -> Result<Outputs, String> {
                let mut args = BTreeMap::new();
                for p in task
                    .pointer("/arguments/parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    args.insert(
                        p["name"].as_str().unwrap().to_string(),
                        substitute(p["value"].as_str().unwrap(), scope)?,
                    );
                }
                let mut artifacts = BTreeMap::new();
                for a in task
                    .pointer("/arguments/artifacts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    artifacts.insert(
                        a["name"].as_str().unwrap().to_string(),
                        substitute_all(a, scope)?,
                    );
                }
                sim.template(templates, template, globals, &args, &artifacts, label)
            };
            let outputs = match items {
                None => call(self, &scope, &label)?,
                Some(items) => {
                    for item in &items {
                        let mut scope = scope.clone();
                        scope.insert("item".into(), item_text(item));
                        call(self, &scope, &format!("{label}({})", item_text(item)))?;
                    }
                    Outputs::default()
                }
            };
            done.insert(name, Some(outputs));
        }
        Ok(Outputs::default())
    }
}

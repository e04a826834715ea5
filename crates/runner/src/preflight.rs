//! What is checked before any step runs (LANGUAGE.md §6.4, §6.5): every secret an op
//! reads is set, every `uses` path exists (and what it holds, hashed for the cache key),
//! and every op's `requires` is met by the Python that will run it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_ir::{EnvFrom, EnvValue, Op, Program};
use mlforge_store::sha256_hex;

use crate::error::{MissingRequirement, RunError};

/// What the checks found that the run needs.
pub(crate) struct Checked {
    /// The secrets' values, by name.
    pub secrets: Arc<BTreeMap<String, String>>,
    /// The hash of what each op's `uses` paths hold, by op id (ops with `uses` only).
    pub uses: HashMap<String, String>,
}

/// The Python that runs an op: its own `interpreter`, else the run's. A path is made
/// absolute (steps run in their own folders).
pub fn op_python(op: &Op, default: &str) -> String {
    match &op.python {
        Some(p) if p.contains('/') => {
            std::path::absolute(p).map_or_else(|_| p.clone(), |a| a.display().to_string())
        }
        Some(p) => p.clone(),
        None => default.to_string(),
    }
}

pub(crate) fn check(
    program: &Program,
    python: &str,
    requirements: bool,
) -> Result<Checked, RunError> {
    let secrets = secrets(program)?;
    let mut uses = HashMap::new();
    for (id, op) in &program.ops {
        if !op.uses.is_empty() {
            uses.insert(id.clone(), uses_hash(op)?);
        }
    }
    if requirements {
        check_requirements(program, python)?;
    }
    Ok(Checked {
        secrets: Arc::new(secrets),
        uses,
    })
}

fn secrets(program: &Program) -> Result<BTreeMap<String, String>, RunError> {
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for op in program.ops.values() {
        for value in op.env.values() {
            if let EnvValue::From(EnvFrom::Secret { secret }) = value {
                wanted.entry(secret).or_default().insert(&op.name);
            }
        }
    }
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, ops) in wanted {
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => {
                found.insert(name.to_string(), value);
            }
            _ => missing.push((
                name.to_string(),
                ops.into_iter().map(String::from).collect(),
            )),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(RunError::SecretsNotSet(missing))
    }
}

/// sha256 over what every `uses` path holds: a file's bytes, a folder's files (by their
/// path inside it, in name order; caches like `__pycache__` and hidden entries left out).
/// Where the project lives does not enter it.
fn uses_hash(op: &Op) -> Result<String, RunError> {
    let mut parts = Vec::new();
    for written in &op.uses {
        let path = Path::new(written);
        let meta = std::fs::metadata(path).map_err(|_| RunError::UsesMissing {
            op: op.name.clone(),
            path: written.clone(),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, PathBuf::new(), &mut files);
        } else if meta.is_file() {
            files.push((PathBuf::new(), path.to_path_buf()));
        } else {
            // A device or a FIFO could be read forever.
            return Err(RunError::UsesMissing {
                op: op.name.clone(),
                path: written.clone(),
            });
        }
        let mut entry = Vec::new();
        for (relative, full) in files {
            let bytes = std::fs::read(&full).map_err(|_| RunError::UsesMissing {
                op: op.name.clone(),
                path: full.display().to_string(),
            })?;
            entry.push((relative.display().to_string(), sha256_hex(&bytes)));
        }
        parts.push(entry);
    }
    Ok(sha256_hex(
        serde_json::to_string(&parts)
            .expect("strings serialize")
            .as_bytes(),
    ))
}

fn walk(folder: &Path, relative: PathBuf, out: &mut Vec<(PathBuf, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.') || text == "__pycache__" {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), relative.join(&name), out);
        } else if kind.is_file() {
            out.push((relative.join(&name), entry.path()));
        }
    }
}

/// Asks each interpreter whether the requirements of the ops it runs are met: one Python
/// process per interpreter, reading the installed versions with `importlib.metadata`
/// (and `packaging` for version specifiers and markers when it is there).
const CHECK_SCRIPT: &str = r#"
import json, re, sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except Exception:
    Requirement = None

def release(v):
    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:4])

def simple_ok(found, clause):
    m = re.match(r"\s*(===|==|!=|<=|>=|~=|<|>)\s*(\S+)", clause)
    if not m:
        return True
    op, want = m.groups()
    if want.endswith(".*"):
        prefix = release(want[:-2])
        same = release(found)[: len(prefix)] == prefix
        return same if op == "==" else not same
    f, w = release(found), release(want)
    n = max(len(f), len(w))
    f, w = f + (0,) * (n - len(f)), w + (0,) * (n - len(w))
    if op == "~=":
        return f >= w and f[: max(len(release(want)) - 1, 1)] == w[: max(len(release(want)) - 1, 1)]
    return {"==": f == w, "===": f == w, "!=": f != w, "<=": f <= w, ">=": f >= w, "<": f < w, ">": f > w}[op]

missing = []
for text in json.loads(sys.argv[1]):
    if Requirement is not None:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate():
            continue
        name, spec = req.name, req.specifier
    else:
        head = text.split(";")[0]
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", head).group(1)
        spec = re.sub(r"\[[^\]]*\]", "", head)[len(name):].strip()
    try:
        found = metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append([text, None])
        continue
    if Requirement is not None:
        ok = spec.contains(found, prereleases=True)
    else:
        ok = all(simple_ok(found, c) for c in spec.split(",") if c.strip())
    if not ok:
        missing.append([text, found])
print(json.dumps(missing))
"#;

fn check_requirements(program: &Program, default: &str) -> Result<(), RunError> {
    // Per interpreter, each requirement and the ops (their names, sorted) that state it.
    let mut by_python: BTreeMap<String, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
    for op in program.ops.values() {
        if op.requires.is_empty() {
            continue;
        }
        let python = op_python(op, default);
        let wanted = by_python.entry(python).or_default();
        for requirement in &op.requires {
            wanted
                .entry(requirement.as_str())
                .or_default()
                .insert(op_label(op));
        }
    }
    // Every interpreter is asked before anything is said, so that one message names all
    // that is missing.
    let mut lacking = Vec::new();
    for (python, wanted) in by_python {
        let texts: Vec<&str> = wanted.keys().copied().collect();
        let output = std::process::Command::new(&python)
            .arg("-c")
            .arg(CHECK_SCRIPT)
            .arg(serde_json::to_string(&texts).expect("strings serialize"))
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| RunError::RequirementsUnchecked {
                python: python.clone(),
                why: e.to_string(),
            })?;
        let found: Option<Vec<(String, Option<String>)>> = output
            .status
            .success()
            .then(|| serde_json::from_slice(&output.stdout).ok())
            .flatten();
        let Some(found) = found else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(RunError::RequirementsUnchecked {
                python,
                why: stderr.lines().last().unwrap_or("it failed").to_string(),
            });
        };
        if !found.is_empty() {
            let missing = found
                .into_iter()
                .map(|(requirement, found)| MissingRequirement {
                    ops: wanted
                        .get(requirement.as_str())
                        .map(|ops| ops.iter().cloned().collect())
                        .unwrap_or_default(),
                    requirement,
                    found,
                })
                .collect();
            lacking.push((python, missing));
        }
    }
    if lacking.is_empty() {
        Ok(())
    } else {
        Err(RunError::MissingRequirements(lacking))
    }
}

/// An op as a requirement's message names it: `` `fit` ``, or for an op of the standard
/// library the module it comes from, as imported: `` `classifier` of `std/xgboost` ``.
fn op_label(op: &Op) -> String {
    match op
        .source
        .file
        .strip_prefix("std/")
        .and_then(|f| f.strip_suffix(".mlf"))
    {
        Some(module) => format!("`{}` of `std/{module}`", op.name),
        None => format!("`{}`", op.name),
    }
}

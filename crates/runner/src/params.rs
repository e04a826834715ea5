//! Pipeline params: `--param NAME=VALUE` parsed by each param's type, defaults applied,
//! artifacts given by path imported into the store.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use mlforge_ir::{Program, Type};
use mlforge_store::{hash_file, hash_tree, ArtifactKind, ArtifactStore, Lineage, Stored};

use crate::value::{holds_artifact, kind_of, parse_param_text, ArtifactRef, RValue};
use crate::RunError;

/// How artifact params are read.
pub(crate) enum Import<'a> {
    /// Copied into the store (a run).
    Store(&'a ArtifactStore),
    /// Only hashed (a plan).
    HashOnly,
}

/// An artifact given as a param.
pub(crate) struct ImportRecord {
    pub param: String,
    pub position: String,
    pub stored: Stored,
    pub type_name: String,
    pub name: Option<String>,
    pub source: String,
}

pub(crate) struct Params {
    pub values: HashMap<String, RValue>,
    /// name → value as recorded (artifacts also carry the `path` they came from).
    pub json: serde_json::Value,
    pub imports: Vec<ImportRecord>,
}

fn usage(message: String) -> RunError {
    RunError::Param(message)
}

fn param_list(program: &Program) -> String {
    if program.params.is_empty() {
        return format!("pipeline `{}` takes no params", program.pipeline);
    }
    let names: Vec<String> = program
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, p.ty))
        .collect();
    format!("pipeline `{}` takes {}", program.pipeline, names.join(", "))
}

/// Resolves the params of a run from `--param` pairs.
pub(crate) fn resolve(
    program: &Program,
    given: &[(String, String)],
    import: Import<'_>,
) -> Result<Params, RunError> {
    let mut texts: HashMap<&str, &str> = HashMap::new();
    for (name, text) in given {
        if !program.params.iter().any(|p| &p.name == name) {
            return Err(usage(format!(
                "unknown param `{name}`; {}",
                param_list(program)
            )));
        }
        if texts.insert(name, text).is_some() {
            return Err(RunError::ParamTwice(name.clone()));
        }
    }
    let mut values = HashMap::new();
    let mut json = serde_json::Map::new();
    let mut imports = Vec::new();
    for param in &program.params {
        let value = match texts.get(param.name.as_str()) {
            Some(text) => {
                let parsed = parse_param_text(text, &param.ty).map_err(|e| {
                    usage(format!(
                        "bad value for param `{}` ({}): {e}",
                        param.name, param.ty
                    ))
                })?;
                if holds_artifact(&param.ty) {
                    let mut records = Vec::new();
                    let value = import_paths(
                        &param.name,
                        &param.ty,
                        parsed,
                        String::new(),
                        &import,
                        &mut records,
                    )?;
                    imports.extend(records);
                    value
                } else {
                    parsed.coerce(&param.ty)
                }
            }
            None => match (&param.default, &param.ty) {
                (Some(default), ty) => RValue::from_ir(default, ty),
                (None, Type::Optional { .. }) => RValue::Absent,
                (None, ty) => {
                    return Err(RunError::ParamMissing {
                        name: param.name.clone(),
                        ty: ty.to_string(),
                        artifact: holds_artifact(ty),
                    });
                }
            },
        };
        let mut recorded = value.to_json();
        for import in imports.iter().filter(|i| i.param == param.name) {
            set_path(&mut recorded, &import.position, &import.source);
        }
        json.insert(param.name.clone(), recorded);
        values.insert(param.name.clone(), value);
    }
    Ok(Params {
        values,
        json: serde_json::Value::Object(json),
        imports,
    })
}

/// Adds `"path": source` to the artifact object at `position` (`""`, `"0"`, `"1.2"`).
fn set_path(value: &mut serde_json::Value, position: &str, source: &str) {
    let mut target = value;
    if !position.is_empty() {
        for index in position.split('.') {
            let Ok(i) = index.parse::<usize>() else {
                return;
            };
            match target.get_mut(i) {
                Some(next) => target = next,
                None => return,
            }
        }
    }
    if let serde_json::Value::Object(object) = target {
        object.insert("path".into(), serde_json::Value::String(source.into()));
    }
}

fn import_paths(
    param: &str,
    ty: &Type,
    value: RValue,
    position: String,
    import: &Import<'_>,
    records: &mut Vec<ImportRecord>,
) -> Result<RValue, RunError> {
    match (ty, value) {
        (Type::List { of }, RValue::List(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let child = if position.is_empty() {
                    i.to_string()
                } else {
                    format!("{position}.{i}")
                };
                out.push(import_paths(param, of, item, child, import, records)?);
            }
            Ok(RValue::List(out))
        }
        (Type::Optional { of }, value) => import_paths(param, of, value, position, import, records),
        (Type::Artifact { .. }, RValue::Str(path_text)) => {
            let path = Path::new(&path_text);
            let kind = kind_of(ty);
            let meta = std::fs::metadata(path).map_err(|e| {
                usage(format!(
                    "param `{param}`: cannot read `{path_text}`: {}",
                    e.to_string().to_lowercase()
                ))
            })?;
            let wanted = match kind {
                ArtifactKind::Dir => "a folder",
                ArtifactKind::File => "a file",
            };
            let found = what_it_is(&meta);
            if found != wanted {
                return Err(usage(format!(
                    "param `{param}` is {} ({wanted}), but `{path_text}` is {found}",
                    crate::value::a_type(ty)
                )));
            }
            let stored = match import {
                Import::Store(store) => store.import(path, kind),
                Import::HashOnly => match kind {
                    ArtifactKind::File => hash_file(path),
                    ArtifactKind::Dir => hash_tree(path),
                }
                .map(|(hash, size)| Stored { hash, kind, size }),
            }
            .map_err(|e| usage(format!("param `{param}`: cannot read `{path_text}`: {e}")))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            records.push(ImportRecord {
                param: param.to_string(),
                position,
                stored: stored.clone(),
                type_name: ty.to_string(),
                name: name.clone(),
                source: path_text.clone(),
            });
            Ok(RValue::Artifact(ArtifactRef {
                hash: stored.hash,
                kind,
                name,
                from: None,
            }))
        }
        (_, value) => Ok(value),
    }
}

/// The params of an earlier run, as recorded (for `--resume`).
pub(crate) fn from_record(
    program: &Program,
    recorded: &serde_json::Value,
    artifacts: &ArtifactStore,
    lineage: &Lineage,
) -> Result<Params, RunError> {
    let mut values = HashMap::new();
    let mut imports = Vec::new();
    let mut seen = HashSet::new();
    for param in &program.params {
        let json = recorded
            .get(&param.name)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let value = RValue::from_json(&json, &param.ty).map_err(|e| {
            usage(format!(
                "the recorded value of param `{}` no longer fits its type: {e}",
                param.name
            ))
        })?;
        for (position, artifact) in value.artifacts() {
            if !artifacts.contains(&artifact.hash, artifact.kind) {
                return Err(usage(format!(
                    "param `{}`: its artifact {} is no longer in the store",
                    param.name, artifact.hash
                )));
            }
            let record = lineage
                .artifact(&artifact.hash)
                .map_err(RunError::store("read a recorded param's artifact"))?;
            let mut at = &json;
            for i in position.split('.').filter(|p| !p.is_empty()) {
                at = at.get(i.parse::<usize>().unwrap_or(0)).unwrap_or(at);
            }
            let source = at
                .get("path")
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            if seen.insert((param.name.clone(), position.clone())) {
                imports.push(ImportRecord {
                    param: param.name.clone(),
                    position: position.clone(),
                    stored: Stored {
                        hash: artifact.hash.clone(),
                        kind: artifact.kind,
                        size: record.as_ref().map_or(0, |r| r.size),
                    },
                    type_name: param.ty.to_string(),
                    name: artifact.name.clone(),
                    source,
                });
            }
        }
        values.insert(param.name.clone(), value);
    }
    Ok(Params {
        values,
        json: recorded.clone(),
        imports,
    })
}

/// What a path is, as the messages about params say it.
fn what_it_is(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a folder"
    } else if kind.is_file() {
        "a file"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device, not a regular file"
    } else if kind.is_fifo() {
        "a named pipe (FIFO), not a regular file"
    } else if kind.is_socket() {
        "a socket, not a regular file"
    } else {
        "not a regular file"
    }
}

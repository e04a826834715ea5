//! Pipeline params: `--param NAME=VALUE` and params files parsed by each param's type,
//! defaults applied, artifacts given by path (or by `RUN/STEP.OUTPUT`, an earlier run's
//! output) imported into the store.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use mlforge_ir::{Expr, Program, Type};
use mlforge_store::{
    hash_file, hash_tree, ArtifactKind, ArtifactStore, Lineage, OutputAddress, OutputLookup,
    RunRef, Stored,
};

use crate::params_file::ParamsFile;
use crate::value::{holds_artifact, kind_of, param_json, parse_param_text, ArtifactRef, RValue};
use crate::RunError;

/// How artifact params are read.
pub(crate) struct Import<'a> {
    pub artifacts: &'a ArtifactStore,
    /// Where `RUN/STEP.OUTPUT` values are looked up.
    pub lineage: &'a Lineage,
    /// Copied into the store (a run), or only hashed (a plan).
    pub copy: bool,
}

/// Where the values of a run's params come from, besides the defaults.
pub(crate) struct Given<'a> {
    /// `--param NAME=VALUE`, as given.
    pub texts: &'a [(String, String)],
    pub file: Option<&'a ParamsFile>,
    /// The `.mlf` file's folder: artifact defaults are paths relative to it.
    pub program_dir: &'a Path,
    /// Whether a param without a value stops the run; those only steps that are not run
    /// read (`--only`) are left unknown instead.
    pub demanded: &'a dyn Fn(&str) -> bool,
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

/// Where a param's value was written: relative artifact paths are relative to `base`,
/// and messages name it as `label` (`params.yaml:3:6: param `raw``).
struct Origin {
    base: PathBuf,
    label: String,
}

/// Resolves the params of a run.
pub(crate) fn resolve(
    program: &Program,
    given: &Given<'_>,
    import: &Import<'_>,
) -> Result<Params, RunError> {
    let mut texts: HashMap<&str, &str> = HashMap::new();
    for (name, text) in given.texts {
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
    if let Some(file) = given.file {
        for entry in &file.params {
            if !program.params.iter().any(|p| p.name == entry.name) {
                return Err(usage(format!(
                    "{}: unknown param `{}`; {}",
                    file.name_place(entry),
                    entry.name,
                    param_list(program)
                )));
            }
        }
    }
    let file_dir = given
        .file
        .map(|f| f.path.parent().unwrap_or(Path::new("")).to_path_buf());
    let mut values = HashMap::new();
    let mut json = serde_json::Map::new();
    let mut imports = Vec::new();
    for param in &program.params {
        let what = format!("param `{}` ({})", param.name, param.ty);
        let from_file = given.file.and_then(|f| {
            f.params
                .iter()
                .find(|e| e.name == param.name)
                .map(|e| (f, e))
        });
        let (parsed, origin) = if let Some(text) = texts.get(param.name.as_str()) {
            let parsed = parse_param_text(text, &param.ty)
                .map_err(|e| usage(format!("bad value for {what}: {e}")))?;
            let origin = Origin {
                base: PathBuf::new(),
                label: format!("param `{}`", param.name),
            };
            (parsed, origin)
        } else if let Some((file, entry)) = from_file {
            let place = file.place(entry);
            let parsed = param_json(&entry.value, &param.ty)
                .map_err(|e| usage(format!("{place}: bad value for {what}: {e}")))?;
            let origin = Origin {
                base: file_dir.clone().unwrap_or_default(),
                label: format!("{place}: param `{}`", param.name),
            };
            (parsed, origin)
        } else {
            match (&param.default, &param.ty) {
                (Some(default), ty) => {
                    let origin = Origin {
                        base: given.program_dir.to_path_buf(),
                        label: format!("the default of param `{}`", param.name),
                    };
                    (RValue::from_ir(default, ty), origin)
                }
                (None, Type::Optional { .. }) => (
                    RValue::Absent,
                    Origin {
                        base: PathBuf::new(),
                        label: String::new(),
                    },
                ),
                (None, _) if !(given.demanded)(&param.name) => {
                    // Read only by steps whose results are reused: recorded as unknown.
                    json.insert(param.name.clone(), serde_json::Value::Null);
                    values.insert(param.name.clone(), RValue::Unknown);
                    continue;
                }
                (None, ty) => {
                    return Err(RunError::ParamMissing {
                        name: param.name.clone(),
                        ty: ty.to_string(),
                        artifact: holds_artifact(ty),
                    });
                }
            }
        };
        let value = if holds_artifact(&param.ty) {
            let mut records = Vec::new();
            let value = import_paths(
                &param.name,
                &param.ty,
                parsed,
                String::new(),
                &origin,
                import,
                &mut records,
            )?;
            imports.extend(records);
            value
        } else {
            parsed.coerce(&param.ty)
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

/// The key under which an artifact path written in the program (a sub-pipeline's default,
/// inlined) is kept among the params: no param name holds a NUL.
pub(crate) fn literal_key(value: &mlforge_ir::Value) -> String {
    format!("\0{}", serde_json::to_string(value).unwrap_or_default())
}

/// Imports the artifact paths written in the program's steps (the defaults of sub-pipeline
/// params, relative to the program's file) and adds them to `params`.
pub(crate) fn import_literals(
    program: &Program,
    program_dir: &Path,
    import: &Import<'_>,
    params: &mut Params,
) -> Result<(), RunError> {
    fn literals<'p>(expr: &'p Expr, out: &mut Vec<(&'p mlforge_ir::Value, &'p Type)>) {
        match expr {
            Expr::Literal { value, ty } if holds_artifact(ty) => out.push((value, ty)),
            Expr::List { items } => items.iter().for_each(|i| literals(i, out)),
            Expr::Unary { operand, .. } => literals(operand, out),
            Expr::Binary { lhs, rhs, .. } => {
                literals(lhs, out);
                literals(rhs, out);
            }
            _ => {}
        }
    }
    for step in &program.steps {
        for binding in &step.bindings {
            let mlforge_ir::BindingValue::Given { expr } = &binding.value else {
                continue;
            };
            let mut found = Vec::new();
            literals(expr, &mut found);
            for (value, ty) in found {
                let key = literal_key(value);
                if params.values.contains_key(&key) {
                    continue;
                }
                let name = format!("{}.{}", step.id, binding.input);
                let origin = Origin {
                    base: program_dir.to_path_buf(),
                    label: format!(
                        "the default of input `{}` of step `{}`",
                        binding.input, step.id
                    ),
                };
                let mut records = Vec::new();
                let parsed = RValue::from_ir(value, ty);
                let imported = import_paths(
                    &name,
                    ty,
                    parsed,
                    String::new(),
                    &origin,
                    import,
                    &mut records,
                )?;
                params.imports.extend(records);
                params.values.insert(key, imported);
            }
        }
    }
    Ok(())
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
    origin: &Origin,
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
                out.push(import_paths(
                    param, of, item, child, origin, import, records,
                )?);
            }
            Ok(RValue::List(out))
        }
        (Type::Optional { of }, value) => {
            import_paths(param, of, value, position, origin, import, records)
        }
        (Type::Artifact { .. }, RValue::Str(text)) => {
            let path = origin.base.join(&text);
            let kind = kind_of(ty);
            let (stored, name, source) = match earlier_output(&text, &path) {
                Some(address) => {
                    let stored = from_earlier_run(&address, ty, origin, import)?;
                    let name = Some(address.output.clone());
                    (stored, name, text.clone())
                }
                None => {
                    let stored = import_file(&path, ty, origin, import)?;
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    (stored, name, path.display().to_string())
                }
            };
            records.push(ImportRecord {
                param: param.to_string(),
                position,
                stored: stored.clone(),
                type_name: ty.to_string(),
                name: name.clone(),
                source,
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

/// `latest/fit.model` names an earlier run's output, unless a file of that name exists.
fn earlier_output(text: &str, path: &Path) -> Option<OutputAddress> {
    let address = OutputAddress::parse(text)?;
    RunRef::parse(&address.run)?;
    (!path.exists()).then_some(address)
}

fn import_file(
    path: &Path,
    ty: &Type,
    origin: &Origin,
    import: &Import<'_>,
) -> Result<Stored, RunError> {
    let label = &origin.label;
    let shown = path.display();
    let kind = kind_of(ty);
    let meta = std::fs::metadata(path).map_err(|e| {
        usage(format!(
            "{label}: cannot read `{shown}`: {}",
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
            "{label} is {} ({wanted}), but `{shown}` is {found}",
            crate::value::a_type(ty)
        )));
    }
    if import.copy {
        import.artifacts.import(path, kind)
    } else {
        match kind {
            ArtifactKind::File => hash_file(path),
            ArtifactKind::Dir => hash_tree(path),
        }
        .map(|(hash, size)| Stored { hash, kind, size })
    }
    .map_err(|e| usage(format!("{label}: cannot read `{shown}`: {e}")))
}

/// The artifact `RUN/STEP.OUTPUT` names, from the store.
fn from_earlier_run(
    address: &OutputAddress,
    ty: &Type,
    origin: &Origin,
    import: &Import<'_>,
) -> Result<Stored, RunError> {
    let label = &origin.label;
    let fail = |why: String| usage(format!("{label}: {why}"));
    let run_ref = RunRef::parse(&address.run).expect("checked by earlier_output");
    let run = import
        .lineage
        .find_run(&run_ref)
        .map_err(RunError::store("read the run a param names"))?
        .ok_or_else(|| {
            fail(match run_ref {
                RunRef::Latest => "no run is recorded yet, so `latest` names none".into(),
                RunRef::Id(id) => format!("there is no run {id} in the store"),
            })
        })?;
    let instance = address.instance_name();
    let hash = match import
        .lineage
        .find_output(run.id, &address.step, &address.element, &address.output)
        .map_err(RunError::store("read the run a param names"))?
    {
        OutputLookup::Artifact { hash, .. } => hash,
        OutputLookup::Value(value) => {
            return Err(fail(format!(
                "output `{}` of `{instance}` in run {} is a value ({value}), not a file or folder",
                address.output, run.id
            )))
        }
        OutputLookup::NoOutputs => {
            return Err(fail(format!(
                "`{instance}` did not succeed in run {}, so it has no outputs",
                run.id
            )))
        }
        OutputLookup::NoStep { steps } => {
            return Err(fail(format!(
                "run {} (pipeline `{}`) has no step `{instance}`; its steps are {}",
                run.id,
                run.pipeline,
                steps.join(", ")
            )))
        }
        OutputLookup::NoOutput { outputs } => {
            return Err(fail(format!(
                "`{instance}` in run {} has no output `{}`; its outputs are {}",
                run.id,
                address.output,
                outputs.join(", ")
            )))
        }
    };
    let record = import
        .lineage
        .artifact(&hash)
        .map_err(RunError::store("read the run a param names"))?;
    let kind = kind_of(ty);
    let stored_kind = record.as_ref().map_or(kind, |r| r.kind);
    if stored_kind != kind {
        let (want, found) = match kind {
            ArtifactKind::File => ("a file", "a folder"),
            ArtifactKind::Dir => ("a folder", "a file"),
        };
        return Err(fail(format!(
            "it is {} ({want}), but `{}` is {found}",
            crate::value::a_type(ty),
            address_text(address)
        )));
    }
    if !import.artifacts.contains(&hash, kind) {
        return Err(fail(format!(
            "the artifact of `{}` ({hash}) is no longer in the store",
            address_text(address)
        )));
    }
    Ok(Stored {
        hash,
        kind,
        size: record.map_or(0, |r| r.size),
    })
}

fn address_text(address: &OutputAddress) -> String {
    format!(
        "{}/{}.{}",
        address.run,
        address.instance_name(),
        address.output
    )
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
        if json.is_null() && !matches!(param.ty, Type::Optional { .. }) {
            // A run of some steps only records no value for params only the others read.
            return Err(usage(format!(
                "the run to resume has no value recorded for param `{}` (the steps that read it were reused, not run); run the pipeline again with its params instead",
                param.name
            )));
        }
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

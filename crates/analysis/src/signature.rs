//! Types named in source, and the signatures of ops and pipelines as callers see them.
//!
//! An op is analysed from its own text, re-parsed with spans relative to its start, so that
//! an edit elsewhere in the file (which moves the op) leaves its queries' results equal and
//! salsa does not re-run what depends on them.

use mlforge_syntax::ast::{self, Item, TypeRef};

use crate::codes::Code;
use crate::db::{Db, SourceFile};
use crate::diagnostic::{suggest, Sink};
use crate::items::{
    find_item, find_pipeline, imports, namespace_target, parse, CalleeKind, CalleeRef, ItemKey,
};
use crate::types::{FieldTy, Kind, KindId, RecordTy, Ty, BUILTIN_KINDS, SCALARS};

/// The text of the op `key` names, from `op` to its closing brace.
#[salsa::tracked(returns(ref))]
pub fn op_text(db: &dyn Db, key: ItemKey<'_>) -> Option<String> {
    let file = key.file(db);
    let Some(Item::Op(op)) = find_item(db, file, key.name(db)) else {
        return None;
    };
    let text = file.text(db).as_deref()?;
    text.get(op.span.range()).map(str::to_string)
}

/// The op `key` names, with spans relative to the op's first character.
#[salsa::tracked(returns(ref))]
pub fn op_syntax(db: &dyn Db, key: ItemKey<'_>) -> Option<ast::Op> {
    let text = op_text(db, key).as_deref()?;
    match mlforge_syntax::parse(text).file.items.into_iter().next()? {
        Item::Op(op) => Some(op),
        _ => None,
    }
}

/// An input of an op or a pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InputSig {
    pub name: String,
    pub ty: Ty,
    pub has_default: bool,
}

impl InputSig {
    /// Whether a step must pass it: no default, and not optional.
    pub fn is_required(&self) -> bool {
        !self.has_default && !matches!(self.ty, Ty::Optional(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputSig {
    pub name: String,
    pub ty: Ty,
}

/// What a step calling an op or pipeline needs to know. Holds no spans, so that it stays
/// equal while the text around it moves.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    pub inputs: Vec<InputSig>,
    pub outputs: Vec<OutputSig>,
}

impl Signature {
    pub fn input(&self, name: &str) -> Option<&InputSig> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn output(&self, name: &str) -> Option<&OutputSig> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

#[salsa::tracked(returns(ref))]
pub fn op_signature(db: &dyn Db, key: ItemKey<'_>) -> Option<Signature> {
    let op = op_syntax(db, key).as_ref()?;
    let file = key.file(db);
    Some(Signature {
        inputs: input_sigs(db, file, &op.params),
        outputs: output_sigs(db, file, &op.outputs),
    })
}

fn input_sigs(db: &dyn Db, file: SourceFile, params: &[ast::Param]) -> Vec<InputSig> {
    params
        .iter()
        .map(|p| InputSig {
            name: p.name.text.to_string(),
            ty: resolve_type(db, file, &p.ty, None),
            has_default: p.default.is_some(),
        })
        .collect()
}

fn output_sigs(db: &dyn Db, file: SourceFile, outputs: &[ast::OutputDecl]) -> Vec<OutputSig> {
    outputs
        .iter()
        .map(|o| OutputSig {
            name: o.name.text.to_string(),
            ty: resolve_type(db, file, &o.ty, None),
        })
        .collect()
}

/// A pipeline's signature. Outputs are those of `-> (…)`; a pipeline without it exposes its
/// `output` statements with unchecked types (checking them would need the pipeline's own
/// analysis, and a callee's signature must not depend on its callers').
#[salsa::tracked(returns(ref))]
pub fn pipeline_signature(db: &dyn Db, key: ItemKey<'_>) -> Option<Signature> {
    let file = key.file(db);
    let pipeline = find_pipeline(db, file, key.name(db))?;
    let outputs = match &pipeline.outputs {
        Some(decls) => output_sigs(db, file, decls),
        None => pipeline
            .body
            .iter()
            .filter_map(|s| match s {
                ast::Stmt::Output(o) => Some(OutputSig {
                    name: o.name.text.to_string(),
                    ty: Ty::Unknown,
                }),
                _ => None,
            })
            .collect(),
    };
    Some(Signature {
        inputs: input_sigs(db, file, &pipeline.params),
        outputs,
    })
}

pub fn callee_signature<'db>(db: &'db dyn Db, callee: &CalleeRef) -> Option<&'db Signature> {
    let key = ItemKey::new(db, callee.file, callee.name.clone());
    match callee.kind {
        CalleeKind::Op => op_signature(db, key).as_ref(),
        CalleeKind::Pipeline => pipeline_signature(db, key).as_ref(),
    }
}

/// The type a type expression of `file` names. Problems are reported to `sink` when one is
/// given; the type is then `Unknown`.
pub(crate) fn resolve_type(
    db: &dyn Db,
    file: SourceFile,
    ty: &TypeRef,
    sink: Option<&mut Sink>,
) -> Ty {
    match ty {
        TypeRef::Error(_) => Ty::Unknown,
        TypeRef::List { elem, .. } => Ty::list(resolve_type(db, file, elem, sink)),
        TypeRef::Dict { value, .. } => Ty::Dict(Box::new(resolve_type(db, file, value, sink))),
        TypeRef::Optional { inner, .. } => Ty::optional(resolve_type(db, file, inner, sink)),
        TypeRef::Named {
            namespace,
            name,
            span,
        } => {
            let result = match namespace {
                None => resolve_local_type(db, file, &name.text),
                Some(ns) => match namespace_target(db, file, &ns.text) {
                    Some(Some(target)) if is_record(db, target, &name.text) => {
                        record_named(db, ItemKey::new(db, target, name.text.to_string()))
                            .clone()
                            .map(Ty::Record)
                    }
                    Some(Some(target)) => declared_kind(db, target, &name.text)
                        .map(Ty::Artifact)
                        .map_err(|e| match e {
                            TypeProblem::Unknown(_) => TypeProblem::Unknown(format!(
                                "`{}` has no artifact kind `{}`",
                                ns.text, name.text
                            )),
                            other => other,
                        }),
                    Some(None) => Ok(Ty::Unknown),
                    None => Err(TypeProblem::Unknown(format!(
                        "there is no import named `{}`, so `{}.{}` is not a known type",
                        ns.text, ns.text, name.text
                    ))),
                },
            };
            match result {
                Ok(ty) => ty,
                Err(problem) => {
                    if let Some(sink) = sink {
                        let (message, help) = match problem {
                            TypeProblem::Unknown(message) => {
                                let types = type_names(db, file);
                                let namespaces =
                                    imports(db, file).iter().map(|i| i.namespace.as_str());
                                let help = suggest(
                                    &name.text,
                                    types.iter().map(String::as_str).chain(namespaces),
                                )
                                .or_else(|| Some(the_types_there_are(&types)));
                                (message, help)
                            }
                            TypeProblem::Invalid(message) => (message, None),
                        };
                        let mut d = sink.at(Code::UnresolvedType, *span, message);
                        if let Some(help) = help {
                            d = d.with_help(help);
                        }
                        sink.push(d);
                    }
                    Ty::Unknown
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeProblem {
    Unknown(String),
    Invalid(String),
}

fn resolve_local_type(db: &dyn Db, file: SourceFile, name: &str) -> Result<Ty, TypeProblem> {
    if let Some(ty) = Ty::scalar(name) {
        return Ok(ty);
    }
    if name == "list" || name == "dict" {
        return Err(TypeProblem::Invalid(format!(
            "`{name}` needs the type of its {}, as in `{name}<float>`",
            if name == "list" { "elements" } else { "values" }
        )));
    }
    if is_record(db, file, name) {
        return record_named(db, ItemKey::new(db, file, name.to_string()))
            .clone()
            .map(Ty::Record);
    }
    declared_kind(db, file, name).map(Ty::Artifact)
}

/// Whether `file` declares a record `name`. Read from the item index, which stays equal
/// while an edit changes only the insides of items, so that resolving a type does not
/// depend on the whole file's tree (an op body edit must not re-check every pipeline).
fn is_record(db: &dyn Db, file: SourceFile, name: &str) -> bool {
    matches!(
        crate::items::item_index(db, file).get(name),
        Some((_, crate::items::ItemKind::Record))
    )
}

/// The record type `key` names, its fields resolved. A record that contains itself (through
/// its own fields or other records') is a problem, found before any field is resolved so
/// that the query never depends on itself.
#[salsa::tracked(returns(ref))]
pub fn record_named(
    db: &dyn Db,
    key: ItemKey<'_>,
) -> Result<std::sync::Arc<RecordTy>, TypeProblem> {
    let (file, name) = (key.file(db), key.name(db).as_str());
    let Some(Item::Record(record)) = find_item(db, file, name) else {
        return Err(TypeProblem::Unknown(format!(
            "there is no type named `{name}`"
        )));
    };
    if let Some(path) = record_cycle(db, file, name) {
        return Err(TypeProblem::Invalid(format!(
            "the record `{name}` contains itself ({}); a record cannot hold itself, hold a list of it or split it",
            path.join(" → ")
        )));
    }
    let fields = record
        .fields
        .iter()
        .map(|f| FieldTy {
            name: f.name.text.to_string(),
            ty: resolve_type(db, file, &f.ty, None),
            has_default: f.default.is_some() || matches!(f.ty, TypeRef::Optional { .. }),
        })
        .collect();
    Ok(std::sync::Arc::new(RecordTy {
        file,
        name: name.to_string(),
        fields,
    }))
}

/// The path of field types from record `name` back to itself, if there is one. A list or
/// dict of a record breaks no cycle: values are finite trees.
fn record_cycle(db: &dyn Db, file: SourceFile, name: &str) -> Option<Vec<String>> {
    fn named<'a>(ty: &'a TypeRef, out: &mut Vec<(Option<&'a str>, &'a str)>) {
        match ty {
            TypeRef::Named {
                namespace, name, ..
            } => out.push((namespace.as_ref().map(|n| n.text.as_str()), &name.text)),
            TypeRef::List { elem: inner, .. }
            | TypeRef::Dict { value: inner, .. }
            | TypeRef::Optional { inner, .. } => named(inner, out),
            TypeRef::Error(_) => {}
        }
    }
    let start = (file, name.to_string());
    let mut stack = vec![(start.clone(), vec![name.to_string()])];
    let mut seen = std::collections::HashSet::new();
    while let Some(((file, name), path)) = stack.pop() {
        let Some(Item::Record(record)) = find_item(db, file, &name) else {
            continue;
        };
        if !seen.insert((file, name.clone())) {
            continue;
        }
        let mut refs = Vec::new();
        for field in &record.fields {
            named(&field.ty, &mut refs);
        }
        for (ns, next) in refs {
            let target = match ns {
                None => file,
                Some(ns) => match namespace_target(db, file, ns) {
                    Some(Some(target)) => target,
                    _ => continue,
                },
            };
            let mut next_path = path.clone();
            next_path.push(next.to_string());
            if (target, next.to_string()) == start {
                return Some(next_path);
            }
            stack.push(((target, next.to_string()), next_path));
        }
    }
    None
}

/// "the types there are: …", for a type name that is nothing.
fn the_types_there_are(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().map(String::as_str).collect();
    shown.extend(["list<T>", "dict<T>", "T?"]);
    format!(
        "the types there are: {}",
        crate::types::name_list(shown.iter().copied())
    )
}

/// The artifact kind `name` as seen from `file`: a built-in kind, or one declared in `file`.
pub fn declared_kind(db: &dyn Db, file: SourceFile, name: &str) -> Result<Kind, TypeProblem> {
    kind_named(db, ItemKey::new(db, file, name.to_string())).clone()
}

/// The kind behind a type name, as a query: its result holds no spans, so the many users
/// of a kind do not re-run when the file declaring it is edited elsewhere.
#[salsa::tracked(returns(ref))]
fn kind_named(db: &dyn Db, key: ItemKey<'_>) -> Result<Kind, TypeProblem> {
    let (file, name) = (key.file(db), key.name(db).as_str());
    let mut chain = Vec::new();
    let (mut file, mut name) = (file, name.to_string());
    loop {
        match find_item(db, file, &name) {
            Some(Item::Artifact(artifact)) => {
                let id = KindId::Declared {
                    file,
                    name: name.clone(),
                };
                if chain.contains(&id) {
                    return Err(TypeProblem::Invalid(format!(
                        "artifact kind `{name}` derives from itself; give it a base like `Dataset`"
                    )));
                }
                chain.push(id);
                let Some(TypeRef::Named { namespace, name: base, .. }) = &artifact.base else {
                    if artifact.base.is_none() {
                        chain.extend(Kind::builtin("File").unwrap().chain.iter().cloned());
                        return Ok(Kind { chain: chain.into() });
                    }
                    return Err(TypeProblem::Invalid(format!(
                        "artifact kind `{name}` must derive from an artifact kind like `File` or `Dataset`"
                    )));
                };
                if let Some(ns) = namespace {
                    match namespace_target(db, file, &ns.text) {
                        Some(Some(target)) => file = target,
                        _ => return Err(TypeProblem::Unknown(format!("there is no import named `{}`", ns.text))),
                    }
                }
                name = base.text.to_string();
            }
            Some(Item::Record(_)) => {
                return Err(TypeProblem::Invalid(format!(
                    "an artifact kind must derive from an artifact kind like `File` or `Dataset`, not the record `{name}`"
                )))
            }
            Some(_) => {
                return Err(TypeProblem::Invalid(format!(
                    "`{name}` is an op or a pipeline, not a type"
                )))
            }
            None => match Kind::builtin(&name) {
                Some(kind) => {
                    chain.extend(kind.chain.iter().cloned());
                    return Ok(Kind { chain: chain.into() });
                }
                None if Ty::scalar(&name).is_some() && !chain.is_empty() => {
                    return Err(TypeProblem::Invalid(format!(
                        "an artifact kind must derive from an artifact kind like `File` or `Dataset`, not `{name}`"
                    )))
                }
                None => return Err(TypeProblem::Unknown(format!("there is no type named `{name}`"))),
            },
        }
    }
}

/// Every type name usable in `file`, as written there, for suggestions and lists.
fn type_names(db: &dyn Db, file: SourceFile) -> Vec<String> {
    let mut names: Vec<String> = SCALARS.iter().map(|s| s.to_string()).collect();
    names.extend(BUILTIN_KINDS.iter().map(|(k, _)| k.to_string()));
    names.extend(parse(db, file).file.items.iter().filter_map(|i| match i {
        Item::Artifact(a) => Some(a.name.text.to_string()),
        Item::Record(r) => Some(r.name.text.to_string()),
        _ => None,
    }));
    // Kinds and records of imported files, as they are written here.
    for import in imports(db, file).iter() {
        let Some(target) = import.target else {
            continue;
        };
        names.extend(parse(db, target).file.items.iter().filter_map(|i| match i {
            Item::Artifact(a) => Some(format!("{}.{}", import.namespace, a.name.text)),
            Item::Record(r) => Some(format!("{}.{}", import.namespace, r.name.text)),
            _ => None,
        }));
    }
    names
}

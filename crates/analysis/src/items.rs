//! Per-file queries: the parse, the imports, and finding items by name.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use mlforge_syntax::ast::{self, Item};
use mlforge_syntax::{Parse, Span};

use crate::db::{Db, SourceFile};

/// A file's syntax tree. After an edit, only the statements the edit touched are parsed
/// again (`mlforge_syntax::reparse`), from the file's previous tree.
///
/// `no_eq`: two parses of different texts are (almost) never equal, since spans or comments
/// differ, so comparing a new tree with the old one to keep the old revision would only
/// cost time.
#[salsa::tracked(returns(ref), no_eq)]
pub fn parse(db: &dyn Db, file: SourceFile) -> ParsedFile {
    let text: Arc<str> = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
    let parse = match db.previous().parses.get(&file) {
        Some((old_text, old)) => mlforge_syntax::reparse(&old, &old_text, &text),
        None => mlforge_syntax::parse(&text),
    };
    let parse = Arc::new(parse);
    db.previous().parses.set(file, text, parse.clone());
    ParsedFile(parse)
}

/// A file's [`Parse`], freed off the edit path when an edit replaces it (see
/// `drop_later`). It dereferences to the [`Parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParsedFile(Arc<Parse>);

impl std::ops::Deref for ParsedFile {
    type Target = Parse;
    fn deref(&self) -> &Parse {
        &self.0
    }
}

impl Drop for ParsedFile {
    fn drop(&mut self) {
        static EMPTY: LazyLock<Arc<Parse>> = LazyLock::new(Arc::default);
        mlforge_syntax::drop_later::drop_later(std::mem::replace(&mut self.0, EMPTY.clone()));
    }
}

/// An item of a file, named: the key of per-item queries.
#[salsa::interned(debug)]
pub struct ItemKey<'db> {
    #[returns(copy)]
    pub file: SourceFile,
    #[returns(ref)]
    pub name: String,
}

/// What kind of item a name defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Op,
    Pipeline,
    Artifact,
    Record,
}

/// For each name a file defines, the index of its first definition in the file's item list
/// and its kind. It stays equal while edits change only the insides of items, so queries
/// that only resolve names in another file do not re-run when that file is edited.
#[salsa::tracked(returns(ref))]
pub fn item_index(db: &dyn Db, file: SourceFile) -> BTreeMap<String, (usize, ItemKind)> {
    let mut index = BTreeMap::new();
    for (i, item) in parse(db, file).file.items.iter().enumerate() {
        let kind = match item {
            Item::Op(_) => ItemKind::Op,
            Item::Pipeline(_) => ItemKind::Pipeline,
            Item::Artifact(_) => ItemKind::Artifact,
            Item::Record(_) => ItemKind::Record,
            Item::Import(_) | Item::Error(_) => continue,
        };
        if let Some(name) = item.name() {
            index.entry(name.text.to_string()).or_insert((i, kind));
        }
    }
    index
}

/// The item a file defines under `name` (the first, if it is defined twice).
pub fn find_item<'db>(db: &'db dyn Db, file: SourceFile, name: &str) -> Option<&'db Item> {
    let (i, _) = *item_index(db, file).get(name)?;
    parse(db, file).file.items.get(i)
}

pub fn find_op<'db>(db: &'db dyn Db, file: SourceFile, name: &str) -> Option<&'db ast::Op> {
    match find_item(db, file, name)? {
        Item::Op(op) => Some(op),
        _ => None,
    }
}

pub fn find_pipeline<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    name: &str,
) -> Option<&'db ast::Pipeline> {
    match find_item(db, file, name)? {
        Item::Pipeline(p) => Some(p),
        _ => None,
    }
}

/// One `import` of a file, resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedImport {
    /// The alias, or the imported file's stem.
    pub namespace: String,
    /// The alias, or the path literal when there is none.
    pub namespace_span: Span,
    pub path_span: Span,
    pub span: Span,
    /// `None` when the file does not exist or cannot be read.
    pub target: Option<SourceFile>,
    pub problem: Option<ImportProblem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImportProblem {
    /// The file cannot be read, and why.
    Unreadable(crate::disk::LoadError),
    /// `std/NAME` where the library has no module `NAME` (the name as written, without
    /// `std/` and `.mlf`).
    UnknownStdModule(String),
    /// The file's stem is not an identifier, so it needs `as NAME`.
    BadNamespace,
}

#[salsa::tracked(returns(ref))]
pub fn imports(db: &dyn Db, file: SourceFile) -> Vec<ResolvedImport> {
    let dir = file
        .path(db)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let mut resolved = Vec::new();
    for item in &parse(db, file).file.items {
        let Item::Import(import) = item else { continue };
        let path_text = &import.path.value;
        let stem = Path::new(path_text)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let (namespace, namespace_span) = match &import.alias {
            Some(alias) => (alias.text.to_string(), alias.span),
            None => (stem.clone(), import.path.span),
        };
        let mut problem = None;
        let target = if let Some(name) = std_import(db, file, &dir, path_text) {
            // The standard library: the texts mlforge embeds, never the disk.
            let target = db.std_file(&name);
            if target.is_none() {
                problem = Some(ImportProblem::UnknownStdModule(name));
            }
            target
        } else if Path::new(path_text).extension().is_none_or(|e| e != "mlf") {
            // Never read: a file that is not a program would only be quoted back as errors.
            problem = Some(ImportProblem::Unreadable(crate::disk::LoadError::NotMlf));
            None
        } else {
            let target = db.file_from(&dir.join(path_text), file.path(db));
            if target.text(db).is_some() {
                Some(target)
            } else {
                let why = target.problem(db).clone();
                problem = Some(ImportProblem::Unreadable(
                    why.unwrap_or(crate::disk::LoadError::NotFound),
                ));
                None
            }
        };
        if problem.is_none()
            && import.alias.is_none()
            && !mlforge_syntax::body::is_identifier(&stem)
        {
            problem = Some(ImportProblem::BadNamespace);
        }
        resolved.push(ResolvedImport {
            namespace,
            namespace_span,
            path_span: import.path.span,
            span: import.span,
            target,
            problem,
        });
    }
    resolved
}

/// The name of the standard library module an import means (`"io"`), or `None` when it
/// names a file of the user's. `"std/io"` and `"std/io.mlf"` mean the module `io` in any
/// file; inside a module of the library every import is one of its modules, so that a
/// module may also name a sibling as `"data.mlf"`, and nothing in the library ever reaches
/// the disk. The name returned may be of no module (an unknown module).
fn std_import(db: &dyn Db, file: SourceFile, dir: &Path, path_text: &str) -> Option<String> {
    let rest = match path_text.strip_prefix("std/") {
        Some(rest) => rest.to_string(),
        None if db.is_std(file) => {
            let joined = crate::db::normalize(&dir.join(path_text));
            match joined.strip_prefix("std") {
                Ok(rest) => rest.to_string_lossy().into_owned(),
                Err(_) => path_text.to_string(),
            }
        }
        None => return None,
    };
    Some(rest.strip_suffix(".mlf").unwrap_or(&rest).to_string())
}

/// The file an import namespace of `file` refers to.
pub fn namespace_target(
    db: &dyn Db,
    file: SourceFile,
    namespace: &str,
) -> Option<Option<SourceFile>> {
    imports(db, file)
        .iter()
        .find(|i| i.namespace == namespace)
        .map(|i| i.target)
}

/// The import cycle through `file` that its import number `index` starts, as the list of
/// files from `file` back to `file`, if there is one.
pub fn import_cycle(db: &dyn Db, file: SourceFile, index: usize) -> Option<Vec<SourceFile>> {
    let start = imports(db, file).get(index)?.target?;
    // Depth-first search over the import graph, with the path kept for the message.
    let mut path = vec![file, start];
    let mut visited = std::collections::HashSet::from([start]);
    let mut stack = vec![0usize];
    while let Some(next_child) = stack.last_mut() {
        let current = *path.last()?;
        let children = imports(db, current);
        let Some(child) = children.get(*next_child) else {
            stack.pop();
            path.pop();
            continue;
        };
        *next_child += 1;
        let Some(target) = child.target else { continue };
        if target == file {
            path.push(file);
            return Some(path);
        }
        if visited.insert(target) {
            path.push(target);
            stack.push(0);
        }
    }
    None
}

/// What a step's callee (`name` or `namespace.name`) refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalleeKind {
    Op,
    Pipeline,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CalleeRef {
    pub kind: CalleeKind,
    pub file: SourceFile,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalleeError {
    /// No such item; the candidates are the names that do exist there.
    NotFound { candidates: Vec<String> },
    /// `ns.name` where `ns` is not an import of this file.
    UnknownNamespace { candidates: Vec<String> },
    /// The namespace's file could not be imported (already reported at the import).
    BrokenImport,
    /// The name is an artifact kind, not something a step can run.
    /// An artifact kind or a record: `what` says which.
    NotCallable { what: &'static str },
}

pub fn resolve_callee(
    db: &dyn Db,
    file: SourceFile,
    callee: &ast::Callee,
) -> Result<CalleeRef, CalleeError> {
    let target = match &callee.namespace {
        None => file,
        Some(ns) => match namespace_target(db, file, &ns.text) {
            Some(Some(target)) => target,
            Some(None) => return Err(CalleeError::BrokenImport),
            None => {
                let candidates = imports(db, file)
                    .iter()
                    .map(|i| i.namespace.clone())
                    .collect();
                return Err(CalleeError::UnknownNamespace { candidates });
            }
        },
    };
    let name = callee.name.text.as_str();
    let index = item_index(db, target);
    let kind = match index.get(name) {
        Some((_, ItemKind::Op)) => CalleeKind::Op,
        Some((_, ItemKind::Pipeline)) => CalleeKind::Pipeline,
        Some((_, ItemKind::Artifact)) => {
            return Err(CalleeError::NotCallable {
                what: "an artifact kind",
            })
        }
        Some((_, ItemKind::Record)) => return Err(CalleeError::NotCallable { what: "a record" }),
        None => {
            let candidates = index
                .iter()
                .filter(|(_, (_, kind))| matches!(kind, ItemKind::Op | ItemKind::Pipeline))
                .map(|(name, _)| name.clone())
                .collect();
            return Err(CalleeError::NotFound { candidates });
        }
    };
    Ok(CalleeRef {
        kind,
        file: target,
        name: name.to_string(),
    })
}

/// The names of the pipelines `file` defines, in order.
pub fn pipeline_names(db: &dyn Db, file: SourceFile) -> Vec<&str> {
    parse(db, file)
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Pipeline(p) => Some(p.name.text.as_str()),
            _ => None,
        })
        .collect()
}

/// The pipeline a command works on: the one named, or the file's only pipeline.
pub fn select_pipeline<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    wanted: Option<&str>,
) -> Result<ItemKey<'db>, String> {
    let names = pipeline_names(db, file);
    let path = file.path(db).display();
    match (wanted, names.as_slice()) {
        (Some(name), _) if names.contains(&name) => Ok(ItemKey::new(db, file, name.to_string())),
        (Some(name), []) => Err(format!(
            "`{path}` defines no pipeline, so it has no pipeline `{name}`"
        )),
        (Some(name), _) => Err(format!(
            "`{path}` has no pipeline `{name}`; its pipelines are {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (None, [only]) => Ok(ItemKey::new(db, file, only.to_string())),
        (None, []) => Err(format!("`{path}` defines no pipeline")),
        (None, _) => Err(format!(
            "`{path}` defines several pipelines; choose one with --pipeline ({})",
            names.join(", ")
        )),
    }
}

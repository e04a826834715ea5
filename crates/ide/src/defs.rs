//! Names and what they refer to: every name occurrence of a file, resolved to a [`Def`].
//!
//! One walker serves go-to-definition, references, highlights, rename, hover and semantic
//! tokens. With a focus offset it only descends into the nodes around that offset, so a
//! single lookup in a 5,000-step file touches a handful of nodes.

use std::collections::HashMap;
use std::path::Path;

use mlforge_analysis::items::{
    find_item, find_pipeline, imports, namespace_target, resolve_callee,
};
use mlforge_analysis::items::{CalleeKind, CalleeRef};
use mlforge_analysis::types::{BUILTIN_KINDS, SCALARS};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, AttrValue, BodySource, Expr, ExprKind, Item, Stmt, TypeRef};
use mlforge_syntax::Span;

use crate::base::tree;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ItemKind {
    Op,
    Pipeline,
    Artifact,
    Record,
}

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Def {
    /// An op, pipeline or artifact kind defined in `file`.
    Item {
        file: SourceFile,
        kind: ItemKind,
        name: String,
    },
    /// The namespace an `import` of `file` defines.
    Namespace { file: SourceFile, name: String },
    /// The path of an `import` (`import: true`) or of a body `file "…"`, relative to `file`.
    Path {
        file: SourceFile,
        path: String,
        import: bool,
    },
    /// An input of the op or pipeline `owner` defined in `file`.
    Param {
        file: SourceFile,
        owner: String,
        name: String,
    },
    /// An output of the op or pipeline `owner` defined in `file`.
    Output {
        file: SourceFile,
        owner: String,
        name: String,
    },
    Step {
        file: SourceFile,
        pipeline: String,
        name: String,
    },
    LoopVar {
        file: SourceFile,
        pipeline: String,
        name: String,
        decl: Span,
    },
    /// A scalar type or a built-in artifact kind.
    Builtin(&'static str),
    /// An attribute name; `parent` for an entry of `resources { … }` or `env { … }`.
    Attribute {
        name: String,
        parent: Option<String>,
    },
}

impl Def {
    pub(crate) fn name(&self) -> &str {
        match self {
            Def::Item { name, .. }
            | Def::Namespace { name, .. }
            | Def::Param { name, .. }
            | Def::Output { name, .. }
            | Def::Step { name, .. }
            | Def::LoopVar { name, .. }
            | Def::Attribute { name, .. } => name,
            Def::Path { path, .. } => path,
            Def::Builtin(name) => name,
        }
    }

    /// The file whose text declares it, if any.
    pub(crate) fn home(&self) -> Option<SourceFile> {
        match self {
            Def::Item { file, .. }
            | Def::Namespace { file, .. }
            | Def::Param { file, .. }
            | Def::Output { file, .. }
            | Def::Step { file, .. }
            | Def::LoopVar { file, .. } => Some(*file),
            Def::Path { .. } | Def::Builtin(_) | Def::Attribute { .. } => None,
        }
    }

    /// Whether only its own file can mention it.
    pub(crate) fn is_file_local(&self) -> bool {
        matches!(
            self,
            Def::Namespace { .. } | Def::Step { .. } | Def::LoopVar { .. }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    /// The declaration.
    Decl,
    /// A place that sets it without declaring it (`output x = …` under `-> (x: T)`).
    Write,
    Read,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Occ {
    pub span: Span,
    pub def: Def,
    pub role: Role,
}

pub(crate) fn builtin_type(name: &str) -> Option<&'static str> {
    SCALARS
        .iter()
        .copied()
        .chain(BUILTIN_KINDS.iter().map(|(k, _)| *k))
        .find(|b| *b == name)
}

/// Every resolved name occurrence of `file`, in source order; with `focus`, only those in
/// the nodes around that offset (enough to find the one at the offset).
pub(crate) fn occurrences(db: &dyn Db, file: SourceFile, focus: usize) -> Vec<Occ> {
    walk(db, file, Some(focus))
}

/// Every resolved name occurrence of `file`, memoized until the file (or a file it
/// imports) changes: highlights, references and rename on an unchanged file reuse it.
#[salsa::tracked(returns(ref))]
pub(crate) fn file_occurrences(db: &dyn Db, file: SourceFile) -> Vec<Occ> {
    walk(db, file, None)
}

fn walk(db: &dyn Db, file: SourceFile, focus: Option<usize>) -> Vec<Occ> {
    let mut walker = Walker {
        db,
        file,
        focus,
        out: Vec::new(),
    };
    for item in &tree(db, file).file.items {
        if !walker.wants(item.span()) {
            continue;
        }
        walker.item(item);
    }
    walker.out.sort_by_key(|o| (o.span.start, o.span.end));
    walker.out
}

/// The occurrence at `offset` (a name touching the offset on either side; the one on the
/// right wins at a boundary between two words only if no word ends there).
pub(crate) fn occurrence_at(db: &dyn Db, file: SourceFile, offset: usize) -> Option<Occ> {
    let occs = occurrences(db, file, offset);
    let inside = occs
        .iter()
        .find(|o| (o.span.start as usize) <= offset && offset < (o.span.end as usize));
    inside
        .or_else(|| occs.iter().find(|o| o.span.end as usize == offset))
        .cloned()
}

struct Walker<'a> {
    db: &'a dyn Db,
    file: SourceFile,
    focus: Option<usize>,
    out: Vec<Occ>,
}

/// Steps of a pipeline by name: a map for whole-file walks, a scan for focused ones.
struct Steps<'a> {
    all: Vec<&'a ast::Step>,
    map: Option<HashMap<&'a str, &'a ast::Step>>,
}

impl<'a> Steps<'a> {
    fn new(pipeline: &'a ast::Pipeline, with_map: bool) -> Steps<'a> {
        let mut all = Vec::new();
        visit_steps(&pipeline.body, &mut |s| all.push(s));
        let map = with_map.then(|| {
            let mut map = HashMap::with_capacity(all.len());
            for s in &all {
                map.entry(s.name.text.as_str()).or_insert(*s);
            }
            map
        });
        Steps { all, map }
    }

    fn get(&self, name: &str) -> Option<&'a ast::Step> {
        match &self.map {
            Some(map) => map.get(name).copied(),
            None => self.all.iter().find(|s| s.name.text == name).copied(),
        }
    }
}

pub(crate) fn visit_steps<'a>(stmts: &'a [Stmt], f: &mut impl FnMut(&'a ast::Step)) {
    for stmt in stmts {
        match stmt {
            Stmt::Step(step) => f(step),
            Stmt::For(block) => visit_steps(&block.body, f),
            Stmt::If(block) => {
                visit_steps(&block.then_body, f);
                visit_steps(block.else_body.as_deref().unwrap_or_default(), f);
            }
            Stmt::Output(_) | Stmt::Error(_) => {}
        }
    }
}

struct PipeScope<'a> {
    pipeline: &'a ast::Pipeline,
    steps: Steps<'a>,
    loop_vars: Vec<&'a ast::Name>,
    /// Callees of the steps walked so far, by step name.
    callees: HashMap<&'a str, Option<CalleeRef>>,
}

impl<'a> Walker<'a> {
    fn wants(&self, span: Span) -> bool {
        self.focus.is_none_or(|offset| span.contains(offset))
    }

    fn push(&mut self, span: Span, def: Def, role: Role) {
        self.out.push(Occ { span, def, role });
    }

    fn item(&mut self, item: &'a Item) {
        match item {
            Item::Import(import) => {
                if let Some(alias) = &import.alias {
                    self.push(
                        alias.span,
                        Def::Namespace {
                            file: self.file,
                            name: alias.text.to_string(),
                        },
                        Role::Decl,
                    );
                }
                self.push(
                    import.path.span,
                    Def::Path {
                        file: self.file,
                        path: import.path.value.clone(),
                        import: true,
                    },
                    Role::Read,
                );
            }
            Item::Artifact(artifact) => {
                self.push(
                    artifact.name.span,
                    self.item_def(ItemKind::Artifact, &artifact.name.text),
                    Role::Decl,
                );
                if let Some(base) = &artifact.base {
                    self.type_ref(base);
                }
            }
            Item::Op(op) => self.op(op),
            Item::Pipeline(p) => self.pipeline(p),
            Item::Record(record) => {
                self.push(
                    record.name.span,
                    self.item_def(ItemKind::Record, &record.name.text),
                    Role::Decl,
                );
                for field in &record.fields {
                    if self.wants(field.span) {
                        self.type_ref(&field.ty);
                    }
                }
            }
            Item::Error(_) => {}
        }
    }

    fn item_def(&self, kind: ItemKind, name: &str) -> Def {
        Def::Item {
            file: self.file,
            kind,
            name: name.to_string(),
        }
    }

    fn params(&mut self, owner: &str, params: &'a [ast::Param]) {
        for param in params {
            if !self.wants(param.span) {
                continue;
            }
            self.push(
                param.name.span,
                Def::Param {
                    file: self.file,
                    owner: owner.to_string(),
                    name: param.name.text.to_string(),
                },
                Role::Decl,
            );
            self.type_ref(&param.ty);
        }
    }

    fn output_decls(&mut self, owner: &str, outputs: &'a [ast::OutputDecl]) {
        for output in outputs {
            if !self.wants(output.span) {
                continue;
            }
            self.push(
                output.name.span,
                Def::Output {
                    file: self.file,
                    owner: owner.to_string(),
                    name: output.name.text.to_string(),
                },
                Role::Decl,
            );
            self.type_ref(&output.ty);
        }
    }

    fn attributes(&mut self, attrs: &'a [ast::Attribute], parent: Option<&str>) {
        for attr in attrs {
            if !self.wants(attr.span) {
                continue;
            }
            self.push(
                attr.name.span,
                Def::Attribute {
                    name: attr.name.text.to_string(),
                    parent: parent.map(str::to_string),
                },
                Role::Read,
            );
            if let AttrValue::Block(entries) = &attr.value {
                if parent.is_none() {
                    self.attributes(entries, Some(&attr.name.text));
                }
            }
        }
    }

    fn op(&mut self, op: &'a ast::Op) {
        let owner = op.name.text.as_str();
        self.push(op.name.span, self.item_def(ItemKind::Op, owner), Role::Decl);
        self.params(owner, &op.params);
        self.output_decls(owner, &op.outputs);
        self.attributes(&op.attrs, None);
        for body in &op.bodies {
            if !self.wants(body.span) {
                continue;
            }
            match &body.source {
                BodySource::Inline { text, text_span } => {
                    for found in mlforge_syntax::body::interpolations(text) {
                        if found.name.is_empty() {
                            continue;
                        }
                        let span = Span::new(
                            text_span.start as usize + found.name_range.start,
                            text_span.start as usize + found.name_range.end,
                        );
                        if !self.wants(span) {
                            continue;
                        }
                        let def = if op.params.iter().any(|p| p.name.text == found.name) {
                            Def::Param {
                                file: self.file,
                                owner: owner.to_string(),
                                name: found.name.clone(),
                            }
                        } else if op.outputs.iter().any(|o| o.name.text == found.name) {
                            Def::Output {
                                file: self.file,
                                owner: owner.to_string(),
                                name: found.name.clone(),
                            }
                        } else {
                            continue;
                        };
                        self.push(span, def, Role::Read);
                    }
                }
                BodySource::File(path) => self.push(
                    path.span,
                    Def::Path {
                        file: self.file,
                        path: path.value.clone(),
                        import: false,
                    },
                    Role::Read,
                ),
            }
        }
    }

    fn pipeline(&mut self, p: &'a ast::Pipeline) {
        let owner = p.name.text.as_str();
        self.push(
            p.name.span,
            self.item_def(ItemKind::Pipeline, owner),
            Role::Decl,
        );
        self.params(owner, &p.params);
        if let Some(outputs) = &p.outputs {
            self.output_decls(owner, outputs);
        }
        self.attributes(&p.attrs, None);
        let mut scope = PipeScope {
            pipeline: p,
            steps: Steps::new(p, self.focus.is_none()),
            loop_vars: Vec::new(),
            callees: HashMap::new(),
        };
        self.stmts(&p.body, &mut scope);
    }

    fn stmts(&mut self, stmts: &'a [Stmt], scope: &mut PipeScope<'a>) {
        for stmt in stmts {
            if !self.wants(stmt.span()) {
                continue;
            }
            match stmt {
                Stmt::Step(step) => self.step(step, scope),
                Stmt::For(block) => {
                    self.push(
                        block.var.span,
                        Def::LoopVar {
                            file: self.file,
                            pipeline: scope.pipeline.name.text.to_string(),
                            name: block.var.text.to_string(),
                            decl: block.var.span,
                        },
                        Role::Decl,
                    );
                    self.expr(&block.iter, scope);
                    scope.loop_vars.push(&block.var);
                    self.stmts(&block.body, scope);
                    scope.loop_vars.pop();
                }
                Stmt::If(block) => {
                    self.expr(&block.cond, scope);
                    self.stmts(&block.then_body, scope);
                    if let Some(else_body) = &block.else_body {
                        self.stmts(else_body, scope);
                    }
                }
                Stmt::Output(output) => {
                    let role = if scope.pipeline.outputs.is_some() {
                        Role::Write
                    } else {
                        Role::Decl
                    };
                    self.push(
                        output.name.span,
                        Def::Output {
                            file: self.file,
                            owner: scope.pipeline.name.text.to_string(),
                            name: output.name.text.to_string(),
                        },
                        role,
                    );
                    self.expr(&output.value, scope);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    fn step(&mut self, step: &'a ast::Step, scope: &mut PipeScope<'a>) {
        let pipeline = scope.pipeline.name.text.to_string();
        self.push(
            step.name.span,
            Def::Step {
                file: self.file,
                pipeline: pipeline.clone(),
                name: step.name.text.to_string(),
            },
            Role::Decl,
        );
        let callee = self.callee(&step.callee);
        scope
            .callees
            .entry(step.name.text.as_str())
            .or_insert_with(|| callee.clone());
        for arg in &step.args {
            if !self.wants(arg.span) {
                continue;
            }
            if let Some(callee) = &callee {
                self.push(
                    arg.name.span,
                    Def::Param {
                        file: callee.file,
                        owner: callee.name.clone(),
                        name: arg.name.text.to_string(),
                    },
                    Role::Read,
                );
            }
            self.expr(&arg.value, scope);
        }
        for after in &step.after {
            if scope.steps.get(&after.text).is_some() {
                self.push(
                    after.span,
                    Def::Step {
                        file: self.file,
                        pipeline: pipeline.clone(),
                        name: after.text.to_string(),
                    },
                    Role::Read,
                );
            }
        }
    }

    /// Records the callee's names; returns what it calls when it resolves.
    fn callee(&mut self, callee: &ast::Callee) -> Option<CalleeRef> {
        if let Some(ns) = &callee.namespace {
            if namespace_target(self.db, self.file, &ns.text).is_some() {
                self.push(
                    ns.span,
                    Def::Namespace {
                        file: self.file,
                        name: ns.text.to_string(),
                    },
                    Role::Read,
                );
            }
        }
        let resolved = resolve_callee(self.db, self.file, callee).ok()?;
        let kind = match resolved.kind {
            CalleeKind::Op => ItemKind::Op,
            CalleeKind::Pipeline => ItemKind::Pipeline,
        };
        self.push(
            callee.name.span,
            Def::Item {
                file: resolved.file,
                kind,
                name: resolved.name.clone(),
            },
            Role::Read,
        );
        Some(resolved)
    }

    fn expr(&mut self, expr: &'a Expr, scope: &mut PipeScope<'a>) {
        if !self.wants(expr.span) {
            return;
        }
        match &expr.kind {
            ExprKind::Name(name) => {
                if let Some(def) = self.value_name(name, scope) {
                    self.push(name.span, def, Role::Read);
                }
            }
            ExprKind::Field { base, field } => {
                let is_value = scope.loop_vars.iter().any(|v| v.text == base.text)
                    || scope
                        .pipeline
                        .params
                        .iter()
                        .any(|p| p.name.text == base.text);
                if let Some(step) = scope.steps.get(&base.text).filter(|_| !is_value) {
                    self.push(
                        base.span,
                        Def::Step {
                            file: self.file,
                            pipeline: scope.pipeline.name.text.to_string(),
                            name: base.text.to_string(),
                        },
                        Role::Read,
                    );
                    let callee = match scope.callees.get(base.text.as_str()) {
                        Some(known) => known.clone(),
                        None => resolve_callee(self.db, self.file, &step.callee).ok(),
                    };
                    if let Some(callee) = callee {
                        self.push(
                            field.span,
                            Def::Output {
                                file: callee.file,
                                owner: callee.name,
                                name: field.text.to_string(),
                            },
                            Role::Read,
                        );
                    }
                } else if let Some(def) = self.value_name(base, scope) {
                    self.push(base.span, def, Role::Read);
                } else if namespace_target(self.db, self.file, &base.text).is_some() {
                    self.push(
                        base.span,
                        Def::Namespace {
                            file: self.file,
                            name: base.text.to_string(),
                        },
                        Role::Read,
                    );
                }
            }
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
                for item in items {
                    self.expr(item, scope);
                }
            }
            ExprKind::Record(fields) => {
                for field in fields {
                    self.expr(&field.value, scope);
                }
            }
            ExprKind::Dict(entries) => {
                for entry in entries {
                    self.expr(&entry.value, scope);
                }
            }
            ExprKind::Member { base, .. } => self.expr(base, scope),
            ExprKind::Index { base, index } => {
                self.expr(base, scope);
                self.expr(index, scope);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand, scope),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, scope);
                self.expr(rhs, scope);
            }
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Duration(_)
            | ExprKind::Error => {}
        }
    }

    /// A bare name in a pipeline: a loop variable, a param, or (wrongly used) a step.
    fn value_name(&self, name: &ast::Name, scope: &PipeScope<'a>) -> Option<Def> {
        let pipeline = scope.pipeline.name.text.to_string();
        if let Some(var) = scope.loop_vars.iter().rev().find(|v| v.text == name.text) {
            return Some(Def::LoopVar {
                file: self.file,
                pipeline,
                name: var.text.to_string(),
                decl: var.span,
            });
        }
        if scope
            .pipeline
            .params
            .iter()
            .any(|p| p.name.text == name.text)
        {
            return Some(Def::Param {
                file: self.file,
                owner: pipeline,
                name: name.text.to_string(),
            });
        }
        scope.steps.get(&name.text).map(|_| Def::Step {
            file: self.file,
            pipeline,
            name: name.text.to_string(),
        })
    }

    fn type_ref(&mut self, ty: &TypeRef) {
        if !self.wants(ty.span()) {
            return;
        }
        match ty {
            TypeRef::List { elem, .. } | TypeRef::Dict { value: elem, .. } => self.type_ref(elem),
            TypeRef::Optional { inner, .. } => self.type_ref(inner),
            TypeRef::Error(_) => {}
            TypeRef::Named {
                namespace, name, ..
            } => match namespace {
                Some(ns) => {
                    let Some(target) = namespace_target(self.db, self.file, &ns.text) else {
                        return;
                    };
                    self.push(
                        ns.span,
                        Def::Namespace {
                            file: self.file,
                            name: ns.text.to_string(),
                        },
                        Role::Read,
                    );
                    if let Some(target) = target {
                        let kind = match find_item(self.db, target, &name.text) {
                            Some(Item::Artifact(_)) => Some(ItemKind::Artifact),
                            Some(Item::Record(_)) => Some(ItemKind::Record),
                            _ => None,
                        };
                        if let Some(kind) = kind {
                            self.push(
                                name.span,
                                Def::Item {
                                    file: target,
                                    kind,
                                    name: name.text.to_string(),
                                },
                                Role::Read,
                            );
                        }
                    }
                }
                None => {
                    let kind = match find_item(self.db, self.file, &name.text) {
                        Some(Item::Artifact(_)) => Some(ItemKind::Artifact),
                        Some(Item::Record(_)) => Some(ItemKind::Record),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        self.push(name.span, self.item_def(kind, &name.text), Role::Read);
                    } else if let Some(builtin) = builtin_type(&name.text) {
                        self.push(name.span, Def::Builtin(builtin), Role::Read);
                    }
                }
            },
        }
    }
}

/// Where a definition is declared.
pub(crate) fn def_location(db: &dyn Db, def: &Def) -> Option<(SourceFile, Span)> {
    match def {
        Def::Item { file, name, .. } => Some((*file, find_item(db, *file, name)?.name()?.span)),
        Def::Namespace { file, name } => imports(db, *file)
            .iter()
            .find(|i| &i.namespace == name)
            .map(|i| (*file, i.namespace_span)),
        Def::Path { .. } => Some((path_target(db, def)?, Span::empty(0))),
        Def::Param { file, owner, name } => {
            let params = match find_item(db, *file, owner)? {
                Item::Op(op) => &op.params,
                Item::Pipeline(p) => &p.params,
                _ => return None,
            };
            let param = params.iter().find(|p| p.name.text == name)?;
            Some((*file, param.name.span))
        }
        Def::Output { file, owner, name } => {
            Some((*file, output_decl_span(db, *file, owner, name)?))
        }
        Def::Step {
            file,
            pipeline,
            name,
        } => {
            let p = find_pipeline(db, *file, pipeline)?;
            let mut found = None;
            visit_steps(&p.body, &mut |s| {
                if found.is_none() && s.name.text == name {
                    found = Some(s.name.span);
                }
            });
            Some((*file, found?))
        }
        Def::LoopVar { file, decl, .. } => Some((*file, *decl)),
        Def::Builtin(_) | Def::Attribute { .. } => None,
    }
}

pub(crate) fn output_decl_span(
    db: &dyn Db,
    file: SourceFile,
    owner: &str,
    name: &str,
) -> Option<Span> {
    match find_item(db, file, owner)? {
        Item::Op(op) => op
            .outputs
            .iter()
            .find(|o| o.name.text == name)
            .map(|o| o.name.span),
        Item::Pipeline(p) => match &p.outputs {
            Some(decls) => decls
                .iter()
                .find(|o| o.name.text == name)
                .map(|o| o.name.span),
            None => p.body.iter().find_map(|s| match s {
                Stmt::Output(o) if o.name.text == name => Some(o.name.span),
                _ => None,
            }),
        },
        _ => None,
    }
}

/// The file an import path or a body file path names.
pub(crate) fn path_target(db: &dyn Db, def: &Def) -> Option<SourceFile> {
    let Def::Path { file, path, import } = def else {
        return None;
    };
    if *import {
        return imports(db, *file)
            .iter()
            .find(|i| {
                tree(db, *file).file.items.iter().any(|item| {
                    matches!(item, Item::Import(imp) if imp.path.span == i.path_span && &imp.path.value == path)
                })
            })
            .and_then(|i| i.target);
    }
    let dir = file
        .path(db)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let target = db.file(&dir.join(path));
    target.text(db).is_some().then_some(target)
}

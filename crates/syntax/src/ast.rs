//! The syntax tree: plain values (Clone, Eq) with a span on every node and no database inside.
//!
//! Broken code is data: a node the parser could not make sense of becomes an `Error`
//! variant with its span, and the rest of the tree is still there.

use crate::span::Span;

pub use smol_str::SmolStr;

/// A name as written. Its text is a `SmolStr`: names are short, so it is stored inline and
/// copied without allocating.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub text: SmolStr,
    pub span: Span,
}

/// A string literal: its value (escapes processed) and its span (quotes included).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SourceFile {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Import(Import),
    Artifact(Artifact),
    Op(Op),
    Pipeline(Pipeline),
    Record(Record),
    /// Text that could not be read as an item; the error is in `Parse::errors`.
    Error(Span),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Artifact(a) => a.span,
            Item::Op(o) => o.span,
            Item::Pipeline(p) => p.span,
            Item::Record(r) => r.span,
            Item::Error(span) => *span,
        }
    }

    /// The name the item defines in its file, if any (imports define namespaces).
    pub fn name(&self) -> Option<&Name> {
        match self {
            Item::Import(_) | Item::Error(_) => None,
            Item::Artifact(a) => Some(&a.name),
            Item::Op(o) => Some(&o.name),
            Item::Pipeline(p) => Some(&p.name),
            Item::Record(r) => Some(&r.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Import {
    pub path: StrLit,
    pub alias: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Artifact {
    pub doc: Option<String>,
    pub name: Name,
    /// The kind this one is a subtype of; `File` when absent.
    pub base: Option<TypeRef>,
    pub span: Span,
}

/// `record NAME { field: TYPE [= DEFAULT] … }`: a structured value type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub doc: Option<String>,
    pub name: Name,
    /// Fields are written like params: a name, a type and perhaps a constant default.
    pub fields: Vec<Param>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    pub doc: Option<String>,
    pub name: Name,
    pub params: Vec<Param>,
    pub outputs: Vec<OutputDecl>,
    pub attrs: Vec<Attribute>,
    /// Exactly one is required; that rule is checked by analysis, so that a missing or
    /// doubled body is one clear diagnostic instead of a syntax error.
    pub bodies: Vec<Body>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pipeline {
    pub doc: Option<String>,
    pub name: Name,
    pub params: Vec<Param>,
    /// `-> (…)`, when given.
    pub outputs: Option<Vec<OutputDecl>>,
    pub attrs: Vec<Attribute>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub doc: Option<String>,
    pub name: Name,
    pub ty: TypeRef,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputDecl {
    pub doc: Option<String>,
    pub name: Name,
    pub ty: TypeRef,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `float`, `Dataset`, or `ns.Kind` for a kind declared in an imported file.
    Named {
        namespace: Option<Name>,
        name: Name,
        span: Span,
    },
    /// `list<T>`
    List {
        elem: Box<TypeRef>,
        span: Span,
    },
    /// `dict<T>`: string keys, values of type `T`.
    Dict {
        value: Box<TypeRef>,
        span: Span,
    },
    /// `T?`
    Optional {
        inner: Box<TypeRef>,
        span: Span,
    },
    Error(Span),
}

impl TypeRef {
    pub fn span(&self) -> Span {
        match self {
            TypeRef::Named { span, .. }
            | TypeRef::List { span, .. }
            | TypeRef::Dict { span, .. }
            | TypeRef::Optional { span, .. } => *span,
            TypeRef::Error(span) => *span,
        }
    }
}

/// `name = value` or `name { name = value … }`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub name: Name,
    pub value: AttrValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttrValue {
    Expr(Expr),
    Block(Vec<Attribute>),
    /// `secret("NAME")`: an `env` value read from the runner's environment when a step
    /// starts (LANGUAGE.md §6.5). It is an attribute value, not an expression: a secret
    /// cannot flow into anything but a body's environment.
    Secret(Secret),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Secret {
    /// The environment variable's name.
    pub name: StrLit,
    /// `secret("NAME")` whole.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyLang {
    Python,
    Shell,
}

impl BodyLang {
    pub fn keyword(self) -> &'static str {
        match self {
            BodyLang::Python => "python",
            BodyLang::Shell => "shell",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Body {
    pub lang: BodyLang,
    /// `python def """…"""`: the body is a function of the op's inputs (LANGUAGE.md §6.3).
    /// `def` is a keyword only there, so it is kept as a flag rather than a token kind.
    pub function: bool,
    pub source: BodySource,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BodySource {
    /// The raw text between the triple quotes; `text_span` covers exactly that text.
    Inline { text: String, text_span: Span },
    /// `file "path"`, relative to the `.mlf` file.
    File(StrLit),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Step(Step),
    For(For),
    If(If),
    Output(OutputStmt),
    /// A statement the parser could not read; the error is in `Parse::errors`.
    Error(Span),
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Step(s) => s.span,
            Stmt::For(f) => f.span,
            Stmt::If(i) => i.span,
            Stmt::Output(o) => o.span,
            Stmt::Error(span) => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    pub doc: Option<String>,
    pub name: Name,
    pub callee: Callee,
    pub args: Vec<Arg>,
    /// The argument list was too broken to read; `args` is then empty.
    pub args_broken: bool,
    /// The span of `( … )`, for diagnostics about missing arguments.
    pub args_span: Span,
    pub after: Vec<Name>,
    pub span: Span,
}

/// `name` or `namespace.name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Callee {
    pub namespace: Option<Name>,
    pub name: Name,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct For {
    pub var: Name,
    /// `y` in `for x, y in zip(a, b)`.
    pub second: Option<Name>,
    pub iter: Expr,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct If {
    pub cond: Expr,
    pub then_body: Vec<Stmt>,
    /// `else { … }`; `else if` is an else body holding one `if`.
    pub else_body: Option<Vec<Stmt>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputStmt {
    pub doc: Option<String>,
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Int(i64),
    /// The literal's text; its value is `Expr::float_value`. Kept as text so the tree is `Eq`.
    Float(String),
    Str(String),
    Bool(bool),
    /// A duration literal as written (`30m`); analysis checks its unit.
    Duration(String),
    List(Vec<Expr>),
    /// `{name: value, …}`: a record literal, typed by where it is used. `{}` is one too.
    Record(Vec<Arg>),
    /// `{"key": value, …}`: a dict literal (quoted keys).
    Dict(Vec<DictEntry>),
    /// A param or loop variable.
    Name(Name),
    /// `step.output`, or `namespace.item` where a namespace is allowed.
    Field {
        base: Name,
        field: Name,
    },
    /// `base.field` where the base is not a plain name (`a.b.c`, `xs[0].name`).
    Member {
        base: Box<Expr>,
        field: Name,
    },
    /// `base[index]`: a list element (`xs[0]`, `xs[-1]`) or a dict entry (`d["key"]`).
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// A built-in function: `zip(a, b)`, `range(n)`, `present(xs)`.
    Call {
        func: Name,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DictEntry {
    pub key: StrLit,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

impl Expr {
    pub fn float_value(text: &str) -> f64 {
        text.parse().unwrap_or(f64::NAN)
    }

    /// The expressions directly inside this one, in source order: what a walk over an
    /// expression descends into.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
            ExprKind::Record(fields) => fields.iter().map(|f| &f.value).collect(),
            ExprKind::Dict(entries) => entries.iter().map(|e| &e.value).collect(),
            ExprKind::Member { base, .. } | ExprKind::Unary { operand: base, .. } => vec![base],
            ExprKind::Index { base, index } => vec![base, index],
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Duration(_)
            | ExprKind::Name(_)
            | ExprKind::Field { .. }
            | ExprKind::Error => Vec::new(),
        }
    }

    /// The names the expression reads, in source order: a param or loop variable as
    /// `(name, None)`, `step.output` as `(step, Some(output))`.
    pub fn names_read(&self) -> Vec<(&Name, Option<&Name>)> {
        fn walk<'e>(expr: &'e Expr, out: &mut Vec<(&'e Name, Option<&'e Name>)>) {
            match &expr.kind {
                ExprKind::Name(name) => out.push((name, None)),
                ExprKind::Field { base, field } => out.push((base, Some(field))),
                _ => expr.children().into_iter().for_each(|e| walk(e, out)),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

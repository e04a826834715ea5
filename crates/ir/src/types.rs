//! The IR: what every back end (local runner, Airflow, Kubeflow Pipelines, Argo, diff)
//! consumes. Everything is resolved: names are ids, types are explicit, defaults applied,
//! sub-pipelines inlined. Maps are `BTreeMap`s and lists keep source order, so the same
//! program always serializes to the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The IR format's version. Bump it on any change a consumer could notice.
pub const IR_VERSION: &str = "3";

/// One compiled pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The IR format's version (`IR_VERSION`).
    pub version: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// The file that defines it, as given to the compiler.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// A cron text or `@daily`-style alias, when the pipeline has a `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Settings for schedulers (`start_date`, `catchup`, `tags`, `owner`): exporters carry
    /// them; the local runner ignores them.
    #[serde(default, skip_serializing_if = "Scheduling::is_empty")]
    pub scheduling: Scheduling,
    pub params: Vec<Param>,
    pub outputs: Vec<PipelineOutput>,
    /// The ops steps use, by id, with the pipeline's defaults applied.
    pub ops: BTreeMap<String, Op>,
    /// `for` and `if`/`else` scopes, by id.
    pub blocks: BTreeMap<String, Block>,
    /// Steps in source order, sub-pipelines inlined.
    pub steps: Vec<Step>,
}

/// A pipeline's settings for schedulers, each as written.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scheduling {
    /// The first date a scheduler runs the pipeline for, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Whether a scheduler runs the intervals missed since `start_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catchup: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Scheduling {
    pub fn is_empty(&self) -> bool {
        *self == Scheduling::default()
    }
}

/// A value's type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    Int,
    Float,
    Bool,
    String,
    /// A file or folder; `kinds` lists the kind and its ancestors, e.g. `["Features",
    /// "Dataset", "File"]`. A kind whose root is `Dir` is a folder.
    Artifact {
        // Shared (a plain comment: the schema describes only the JSON): every binding and
        // expression of an artifact type holds its own type, and copying the names for
        // each was a seventh of the IR compile's work on a big program.
        kinds: Arc<[String]>,
    },
    List {
        of: Box<Type>,
    },
    Optional {
        of: Box<Type>,
    },
    /// A declared `record`: its name and fields, in declaration order. Its values are
    /// JSON objects holding every field.
    Record {
        name: String,
        fields: Vec<Field>,
    },
    /// `dict<T>`: string keys.
    Dict {
        of: Box<Type>,
    },
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// What a value given without this field holds (its declared default; `null` for an
    /// optional field without one). Absent: the field must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// The type as written in the language: `int`, `list<float>`, `Model?` (an artifact by its
/// own kind, the first of `kinds`).
impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::String => f.write_str("string"),
            Type::Artifact { kinds } => f.write_str(kinds.first().map_or("File", String::as_str)),
            Type::List { of } => write!(f, "list<{of}>"),
            Type::Optional { of } => write!(f, "{of}?"),
            Type::Record { name, .. } => f.write_str(name),
            Type::Dict { of } => write!(f, "dict<{of}>"),
        }
    }
}

/// A constant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    /// A record or a dict: a JSON object.
    Map(BTreeMap<String, Value>),
    /// An optional record field without a value.
    Null(()),
}

/// Where something is written, so that tools can point back at the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The file, as the compiler reached it. For what the standard library defines, the
    /// module's virtual path `std/NAME.mlf`, which names no file on disk.
    // Shared by everything in one file (a plain comment: the schema describes the JSON).
    pub file: Arc<str>,
    /// Byte offsets.
    pub start: u32,
    pub end: u32,
    /// 1-based line and column (in characters) of `start`.
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// Absent for params that must be given at run time (`--param name=value`). For an
    /// artifact param, a path (or a list of paths) relative to the folder of `Program::file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineOutput {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interpreter {
    Python,
    Shell,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// The op's name in its file.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub inputs: Vec<OpInput>,
    pub outputs: Vec<OpOutput>,
    pub interpreter: Interpreter,
    pub body: Body,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub retries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Whether results are reused. An op with no outputs runs for its side effects, so it
    /// is `false` unless the op sets `cache = true`.
    pub cache: bool,
    pub resources: Resources,
    pub env: BTreeMap<String, EnvValue>,
    /// Files and folders whose contents enter the cache key of the op's steps (`uses`),
    /// each the declaring `.mlf` file's folder joined with the path written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
    /// Python requirements (`requires`), checked against the interpreter before a run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// The Python that runs the op's bodies (`interpreter`): a path (the declaring `.mlf`
    /// file's folder joined with the path written) or a program name looked up on `PATH`.
    /// Absent: the run's interpreter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// sha256 of everything that decides what the op does (body, interpreter, image,
    /// environment, signature), hex. Not its name or where it is written.
    pub hash: String,
    pub source: Source,
}

/// An environment variable's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// A literal.
    Text(String),
    /// Known only when a step runs.
    From(EnvFrom),
}

/// Where an environment variable's value comes from at run time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum EnvFrom {
    /// The value of the op's string input `input` (so it is part of the step's inputs,
    /// and of its cache key).
    Input { input: String },
    /// The runner's own environment variable `secret`: never stored, never part of a
    /// cache key, masked in logs.
    Secret { secret: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpInput {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpOutput {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// The code: an inline body with its common indentation removed, or the body file's
    /// content. `${name}` is still to be substituted by the back end.
    pub text: String,
    /// For `python file "…"`: the path as written, relative to the `.mlf` file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Every `${name}` in an inline body, in order, with where it stands in `text`, so
    /// that back ends substitute without scanning the code again (empty for file bodies).
    /// `$${` is an escaped `${` and is not one.
    pub interpolations: Vec<Interpolation>,
    /// `python def`: the text is the body of a function whose parameters are the op's
    /// inputs and artifact outputs (artifacts as `pathlib.Path`), and whose `return` gives
    /// the other outputs (the value for one, a dict by name for several).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub function: bool,
}

/// A `${name}` of an inline body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interpolation {
    pub name: String,
    /// Byte offsets in `Body::text` of the whole `${…}`.
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// As written, e.g. `4Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
}

/// A `for` or one branch of an `if`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// Runs its steps once per element of `over`, in parallel.
    For {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        var: String,
        #[serde(rename = "element_type")]
        element: Type,
        over: Expr,
        /// `y` in `for x, y in zip(a, b)`: `var` walks `over` (`a`) and `second_var` walks
        /// `second_over` (`b`) at the same time; lists of different lengths fail the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        second_var: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "second_element_type"
        )]
        second_element: Option<Box<Type>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        second_over: Option<Box<Expr>>,
        source: Source,
    },
    /// Runs its steps when `condition` is true (`then`) or false (`else`).
    If {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        condition: Expr,
        branch: Branch,
        source: Source,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    Then,
    Else,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The step's path: its name, prefixed by the calling steps' names for inlined
    /// sub-pipelines (`te.fit`).
    pub id: String,
    /// The op it runs (a key of `Program::ops`).
    pub op: String,
    /// The blocks around it, outermost first.
    pub scope: Vec<String>,
    /// One binding per op input, in the op's input order.
    pub bindings: Vec<Binding>,
    /// Steps it waits for without reading their outputs.
    pub after: Vec<String>,
    /// sha256 of the op's hash, the bindings and the ordering, hex: equal hashes mean the
    /// same work on the same inputs.
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub input: String,
    /// The input's declared type.
    #[serde(rename = "type")]
    pub ty: Type,
    pub value: BindingValue,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BindingValue {
    /// The step passes this expression.
    Given { expr: Expr },
    /// Not passed: the op's default.
    Default { value: Value },
    /// Not passed, optional, no default: absent (`None` in python, `''` in shell).
    Absent,
}

/// An expression, with names resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expr {
    /// A constant. Of an artifact type, it is a path (or list of paths) relative to the
    /// folder of `Program::file`: a sub-pipeline's artifact default, inlined.
    Literal {
        value: Value,
        #[serde(rename = "type")]
        ty: Type,
    },
    Param {
        name: String,
        #[serde(rename = "type")]
        ty: Type,
    },
    /// A loop variable of the `for` block `block` (the block's `var`, or its
    /// `second_var` for `for x, y in zip(a, b)`).
    LoopVar {
        block: String,
        name: String,
        #[serde(rename = "type")]
        ty: Type,
    },
    /// An output of a step; `type` is as seen where it is read (a list outside the step's
    /// `for`, optional outside its `if`).
    StepOutput {
        step: String,
        output: String,
        #[serde(rename = "type")]
        ty: Type,
    },
    List {
        items: Vec<Expr>,
    },
    /// A record or dict built from expressions (every field of a record present, defaults
    /// filled in).
    Map {
        entries: BTreeMap<String, Expr>,
        #[serde(rename = "type")]
        ty: Type,
    },
    /// A record's field.
    Field {
        of: Box<Expr>,
        field: String,
        #[serde(rename = "type")]
        ty: Type,
    },
    /// A list element (`index` an int; negative counts from the end) or a dict value
    /// (`index` a string). A missing one fails the step that reads it.
    Index {
        of: Box<Expr>,
        index: Box<Expr>,
        #[serde(rename = "type")]
        ty: Type,
    },
    /// A built-in function.
    Call {
        function: Function,
        args: Vec<Expr>,
        #[serde(rename = "type")]
        ty: Type,
    },
    Unary {
        op: UnaryOperator,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOperator,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

impl Expr {
    /// The expressions directly inside this one, in order: what every walk over an
    /// expression (the steps it reads, the params it reads) descends into.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Literal { .. } | Expr::Param { .. } | Expr::LoopVar { .. } => Vec::new(),
            Expr::StepOutput { .. } => Vec::new(),
            Expr::List { items } | Expr::Call { args: items, .. } => items.iter().collect(),
            Expr::Map { entries, .. } => entries.values().collect(),
            Expr::Field { of, .. } | Expr::Unary { operand: of, .. } => vec![of],
            Expr::Index { of, index, .. } => vec![of, index],
            Expr::Binary { lhs, rhs, .. } => vec![lhs, rhs],
        }
    }
}

impl Block {
    /// The expressions a block evaluates: its list (both lists of a `zip`) or its
    /// condition.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Block::For {
                over, second_over, ..
            } => std::iter::once(over)
                .chain(second_over.as_deref())
                .collect(),
            Block::If { condition, .. } => vec![condition],
        }
    }
}

/// The built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// `[0, 1, …, n-1]`.
    Range,
    /// The elements of a list of optional values that are there.
    Present,
}

/// A unary operator, serialised as written in the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum UnaryOperator {
    #[serde(rename = "-")]
    Neg,
    #[serde(rename = "not")]
    Not,
}

/// A binary operator, serialised as written in the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum BinaryOperator {
    #[serde(rename = "or")]
    Or,
    #[serde(rename = "and")]
    And,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "/")]
    Div,
}

impl UnaryOperator {
    /// As written in the language (and in the IR).
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOperator::Neg => "-",
            UnaryOperator::Not => "not",
        }
    }
}

impl BinaryOperator {
    /// As written in the language (and in the IR).
    pub fn symbol(self) -> &'static str {
        mlforge_syntax::ast::BinaryOp::from(self).symbol()
    }
}

impl From<BinaryOperator> for mlforge_syntax::ast::BinaryOp {
    fn from(op: BinaryOperator) -> mlforge_syntax::ast::BinaryOp {
        use mlforge_syntax::ast::BinaryOp as B;
        match op {
            BinaryOperator::Or => B::Or,
            BinaryOperator::And => B::And,
            BinaryOperator::Eq => B::Eq,
            BinaryOperator::Ne => B::Ne,
            BinaryOperator::Lt => B::Lt,
            BinaryOperator::Le => B::Le,
            BinaryOperator::Gt => B::Gt,
            BinaryOperator::Ge => B::Ge,
            BinaryOperator::Add => B::Add,
            BinaryOperator::Sub => B::Sub,
            BinaryOperator::Mul => B::Mul,
            BinaryOperator::Div => B::Div,
        }
    }
}

impl From<mlforge_syntax::ast::UnaryOp> for UnaryOperator {
    fn from(op: mlforge_syntax::ast::UnaryOp) -> UnaryOperator {
        use mlforge_syntax::ast::UnaryOp;
        match op {
            UnaryOp::Neg => UnaryOperator::Neg,
            UnaryOp::Not => UnaryOperator::Not,
        }
    }
}

impl From<mlforge_syntax::ast::BinaryOp> for BinaryOperator {
    fn from(op: mlforge_syntax::ast::BinaryOp) -> BinaryOperator {
        use mlforge_syntax::ast::BinaryOp as B;
        match op {
            B::Or => BinaryOperator::Or,
            B::And => BinaryOperator::And,
            B::Eq => BinaryOperator::Eq,
            B::Ne => BinaryOperator::Ne,
            B::Lt => BinaryOperator::Lt,
            B::Le => BinaryOperator::Le,
            B::Gt => BinaryOperator::Gt,
            B::Ge => BinaryOperator::Ge,
            B::Add => BinaryOperator::Add,
            B::Sub => BinaryOperator::Sub,
            B::Mul => BinaryOperator::Mul,
            B::Div => BinaryOperator::Div,
        }
    }
}

//! Graph edits: the changes a graph editor makes to a pipeline (add a step, connect an
//! output to an input, set an argument, delete a step, wrap steps in a block, …) written
//! back to the text as edits that touch only the statements concerned.
//!
//! Each edit is a pure function from the database (the text and its analysis) to text
//! edits, one file a module. They share the same few moves (`text.rs`): a statement's
//! new text is spliced from its old one and laid out by the formatter
//! (`mlforge_fmt::format_statements`), so the layout is the formatter's; whatever text an
//! edit removes, its comments are kept (moved into the text that replaces it); and nothing
//! outside the statements touched changes by a byte. An edit that the checker would reject
//! in a way the user cannot have meant (a type mismatch, a cycle) is refused before any
//! text changes, with the checker's own message (`check.rs`).
//!
//! Steps are named by the ids of the graph's nodes (`fit`, or `te.fit` for the step `fit`
//! of the pipeline the step `te` calls), blocks by the ids of its clusters (`for#1`,
//! `te.if#2`); an edit of a sub-pipeline's steps edits the file holding that pipeline.

mod add_after;
mod add_step;
mod args;
mod check;
mod connect;
mod delete_step;
mod locate;
mod set_arg;
mod text;
mod unwrap;
mod wrap;

use crate::FileEdits;
use mlforge_analysis::{Db, SourceFile};

/// One edit of a pipeline's graph.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphEdit {
    /// A new step calling `op` (as the document names it: `train` or `ns.train`).
    AddStep {
        op: String,
        /// The step's name; derived from the op's when `None`.
        name: Option<String>,
        /// The cluster id of a `for`/`if`/`else` block (or of a step calling a pipeline,
        /// for that pipeline's body); `None` for the pipeline's own body.
        block: Option<String>,
        /// The statement position in that body; `None` puts it after the body's last step
        /// or block (before its `output` statements).
        index: Option<usize>,
        /// The path to import `op`'s file from, when the document does not import it yet
        /// (the op catalog's `import`).
        import: Option<String>,
    },
    /// `to.input` reads `from.output` (the argument is added or replaced).
    Connect {
        from: String,
        output: String,
        to: String,
        input: String,
    },
    /// The argument `input` of `step` is removed.
    Disconnect { step: String, input: String },
    /// The argument `input` of `step` becomes the literal `value`, or is removed (`None`).
    SetArg {
        step: String,
        input: String,
        value: Option<ArgValue>,
    },
    /// The step is removed; with `cascade`, so is everything that reads it, transitively.
    DeleteStep { step: String, cascade: bool },
    /// `step` waits for `after`.
    AddAfter { step: String, after: String },
    /// The steps (of one body) move into a new `for VAR in OVER { … }`.
    WrapFor {
        steps: Vec<String>,
        var: String,
        over: String,
    },
    /// The steps (of one body) move into a new `if CONDITION { … }`.
    WrapIf {
        steps: Vec<String>,
        condition: String,
    },
    /// The block's statements replace it (for an `else`, they follow the `if`).
    Unwrap { block: String },
}

/// A literal argument, typed by the input it is given to.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    List(Vec<ArgValue>),
    /// As written: `30m`, `2h`.
    Duration(String),
}

/// The text edits of a graph edit, and the node or cluster to select once applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditOutcome {
    pub edits: Vec<FileEdits>,
    pub select: Option<String>,
}

/// Why an edit was refused: a sentence for the user, and the reason as a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub message: String,
    /// For [`RefusalReason::Dependants`]: the step ids a cascading delete would also remove.
    pub dependants: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The connection or value does not have the type the input takes.
    TypeMismatch,
    /// Steps read the step to delete.
    Dependants,
    /// A step, block, op or port named by the edit does not exist.
    NotFound,
    /// Anything else the edit cannot do (a name taken, a cycle, broken text).
    Invalid,
}

impl Refusal {
    pub(crate) fn new(reason: RefusalReason, message: impl Into<String>) -> Refusal {
        Refusal {
            reason,
            message: message.into(),
            dependants: Vec::new(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalReason::NotFound, message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalReason::Invalid, message)
    }
}

pub(crate) fn graph_edit(
    db: &dyn Db,
    file: SourceFile,
    pipeline: &str,
    edit: &GraphEdit,
) -> Result<EditOutcome, Refusal> {
    let top = locate::Instance::top(db, file, pipeline)?;
    match edit {
        GraphEdit::AddStep {
            op,
            name,
            block,
            index,
            import,
        } => add_step::add_step(
            &top,
            add_step::Request {
                op,
                name: name.as_deref(),
                block: block.as_deref(),
                index: *index,
                import: import.as_deref(),
            },
        ),
        GraphEdit::Connect {
            from,
            output,
            to,
            input,
        } => connect::connect(&top, from, output, to, input),
        GraphEdit::Disconnect { step, input } => connect::disconnect(&top, step, input),
        GraphEdit::SetArg { step, input, value } => {
            set_arg::set_arg(&top, step, input, value.as_ref())
        }
        GraphEdit::DeleteStep { step, cascade } => delete_step::delete_step(&top, step, *cascade),
        GraphEdit::AddAfter { step, after } => add_after::add_after(&top, step, after),
        GraphEdit::WrapFor { steps, var, over } => {
            wrap::wrap(&top, steps, wrap::Wrapper::For { var, over })
        }
        GraphEdit::WrapIf { steps, condition } => {
            wrap::wrap(&top, steps, wrap::Wrapper::If { condition })
        }
        GraphEdit::Unwrap { block } => unwrap::unwrap(&top, block),
    }
}

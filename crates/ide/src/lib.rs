//! MLForge editor features as pure functions over the analysis database.
//!
//! Everything here speaks in editor terms, never in LSP types: positions are byte offsets
//! into a file's current text, ranges are [`Span`]s, files are [`SourceFile`] inputs of the
//! database. The language server converts (UTF-16 columns, URIs, LSP structs) at its own
//! boundary.
//!
//! Functions read salsa queries and may unwind with [`salsa::Cancelled`] when an edit
//! arrives while they run; wrap calls from a server in [`catch_cancelled`].
//!
//! Nothing here does IO. Path completion inside `import "…"` and `file "…"` needs a
//! directory listing: the server reads it and calls [`path_completions`].

use std::ops::Range;

mod actions;
mod base;
mod catalog;
mod completion;
mod context;
mod defs;
mod expected;
mod graph_edit;
mod highlight;
mod hover;
mod imports;
mod inlay;
mod lenses;
mod nav;
mod records;
mod render;
mod scope;
mod signature_help;
mod std_lib;
mod structure;
mod symbols;

pub use crate::catalog::CatalogEntry;
pub use crate::graph_edit::{ArgValue, EditOutcome, GraphEdit, Refusal, RefusalReason};
pub use mlforge_analysis::{Code, Db, SourceFile};
pub use mlforge_syntax::Span;

/// A span in a given file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileSpan {
    pub file: SourceFile,
    pub span: Span,
}

/// Replace the text of `span` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

/// Edits to one existing file; spans never overlap and are sorted by start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdits {
    pub file: SourceFile,
    pub edits: Vec<TextEdit>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompletionConfig {
    /// Whether the client accepts snippet syntax (`${1:name}`); plain text otherwise.
    pub snippets: bool,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        CompletionConfig { snippets: true }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompletionKind {
    Keyword,
    Snippet,
    Op,
    Pipeline,
    Step,
    Output,
    /// A field of a record value.
    Field,
    /// A key of a dict value.
    Key,
    Param,
    Argument,
    Type,
    Attribute,
    Interpolation,
    Namespace,
    File,
    LoopVar,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// The text that replaces `replace`; snippet syntax when `is_snippet`.
    pub insert_text: String,
    pub is_snippet: bool,
    /// Sort key: items are to be shown in the order of this text.
    pub sort_text: String,
    /// What the item replaces: the word being typed (empty at the cursor when none).
    pub replace: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub markdown: String,
    /// The word the hover is about.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    /// Like `train(data: Dataset, c: float = 1.0) -> (model: Model)`.
    pub label: String,
    /// Each input's name and the byte range of `name: type` in `label`.
    pub params: Vec<(String, Range<usize>)>,
    /// Per param, in order: what to show beside it (a record-typed param's fields).
    pub param_docs: Vec<Option<String>>,
    pub active_param: Option<usize>,
    pub documentation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: usize,
    pub label: String,
    pub kind: InlayKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InlayKind {
    /// `: T` after a name.
    Type,
    /// The record a literal typed from context stands for, before its `{`.
    RecordName,
    /// The fields a record literal leaves to their defaults, after its last field.
    Defaults,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HighlightKind {
    Read,
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Op,
    Pipeline,
    Artifact,
    Record,
    Import,
    Step,
    Param,
    Output,
    For,
    If,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub detail: Option<String>,
    /// The whole construct.
    pub span: Span,
    /// The name (or keyword) to select when the symbol is chosen.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    Op,
    Pipeline,
    Step,
    Param,
    Output,
    Type,
    Attribute,
    Interpolation,
    Namespace,
    LoopVar,
    String,
    Number,
    Comment,
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SemanticToken {
    pub span: Span,
    pub kind: TokenKind,
    pub is_declaration: bool,
    pub is_documentation: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FoldKind {
    Region,
    Comment,
    Imports,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    /// `"quickfix"` or `"refactor"`.
    pub kind: &'static str,
    pub edits: Vec<FileEdits>,
    /// The diagnostic code this action fixes, if it is a quick fix.
    pub fixes: Option<Code>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLens {
    pub span: Span,
    pub title: String,
    pub command: String,
    pub arguments: Vec<String>,
}

/// Runs `f`, turning salsa's cancellation (an edit arrived while it ran) into an error
/// the server answers with `ContentModified`. Other panics keep unwinding.
pub fn catch_cancelled<T>(
    f: impl FnOnce() -> T + std::panic::UnwindSafe,
) -> Result<T, salsa::Cancelled> {
    salsa::Cancelled::catch(f)
}

/// What may be typed at `offset`: keywords and snippets, op and pipeline names after
/// `step x =` (and `ns.`), outputs after `step.` (typed as seen from the offset), argument
/// names in a call (missing required ones first), types after `:`, attributes, `${…}` names
/// in bodies, namespaces. Works on broken text (mid-edit).
///
/// Items are unfiltered (the client filters by the typed prefix, which `replace` covers) and
/// ordered by `sort_text`. In a multi-line `insert_text`, lines after the first are
/// indented relative to the line the item is inserted on (two spaces a level): the client
/// adds that line's indentation (`InsertTextMode.adjustIndentation`, VS Code's default).
/// With `config.snippets == false` no item uses snippet syntax.
pub fn completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    config: &CompletionConfig,
) -> Vec<CompletionItem> {
    completion::completions(db, file, offset, config)
}

/// Completion items for a path being typed inside `import "…"` or `file "…"`.
///
/// The server lists the directory the typed path points into (relative to the file's
/// folder: the part of the string before the last `/`) and passes its entries as
/// `(name, is_dir)`; `completions` itself offers nothing there because it does no IO.
/// Returns an empty list when the cursor is not inside such a string.
pub fn path_completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    dir_entries: &[(String, bool)],
) -> Vec<CompletionItem> {
    completion::path_completions(db, file, offset, dir_entries)
}

/// The folder (relative to the file's own folder) whose entries [`path_completions`]
/// needs, when the cursor is inside `import "…"` or `file "…"`: the typed text up to its
/// last `/` (empty for the file's own folder).
pub fn path_completion_dir(db: &dyn Db, file: SourceFile, offset: usize) -> Option<String> {
    completion::path_context(db, file, offset).map(|(_, _, dir)| dir)
}

/// Markdown about the word at `offset`: an op's or pipeline's signature and doc, a step's
/// callee, inputs and output types, a param's type and default, an output's type (as seen
/// where it is read), a type's meaning, a keyword, an attribute, a `${x}` in a body.
pub fn hover(db: &dyn Db, file: SourceFile, offset: usize) -> Option<Hover> {
    hover::hover(db, file, offset)
}

/// The signature of the op or pipeline whose call holds `offset`, with the argument being
/// written as the active parameter.
pub fn signature_help(db: &dyn Db, file: SourceFile, offset: usize) -> Option<SignatureHelp> {
    signature_help::signature_help(db, file, offset)
}

/// Type hints in `range`: `: (out: T, …)` after each step's name, `: T` after each loop
/// variable, and `: T` after a `step.output` read where its type differs from the declared
/// one (`list<T>` outside a `for`, `T?` outside an `if`). Sorted by offset.
pub fn inlay_hints(db: &dyn Db, file: SourceFile, range: Span) -> Vec<InlayHint> {
    inlay::inlay_hints(db, file, range)
}

/// Where the name at `offset` is declared: op, pipeline, artifact kind, step, param (also
/// from a call's argument name and from `${x}`), output (from `step.out`), loop variable,
/// namespace; an import's or body's path gives the target file with an empty span at 0.
pub fn goto_definition(db: &dyn Db, file: SourceFile, offset: usize) -> Vec<FileSpan> {
    nav::goto_definition(db, file, offset)
}

/// Every place naming what the name at `offset` names, in `file`, its own file and the
/// `workspace` files (ops used as `ns.op` in files importing this one, arguments naming a
/// param, `step.out` reads naming an output). Sorted by path and offset.
pub fn references(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    include_declaration: bool,
    workspace: &[SourceFile],
) -> Vec<FileSpan> {
    nav::references(db, file, offset, include_declaration, workspace)
}

/// The occurrences in `file` of what the name at `offset` names; declarations and
/// `output x = …` are `Write`, uses `Read`.
pub fn document_highlights(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> Vec<(Span, HighlightKind)> {
    nav::document_highlights(db, file, offset)
}

/// The span that a rename at `offset` would edit, or a sentence saying why nothing there
/// can be renamed (keywords, built-in types, attributes, literals, paths, unknown names).
pub fn prepare_rename(db: &dyn Db, file: SourceFile, offset: usize) -> Result<Span, String> {
    nav::prepare_rename(db, file, offset)
}

/// Edits renaming what the name at `offset` names to `new_name`, across `file`, its own
/// file and the `workspace` files: ops, pipelines, artifact kinds, steps, params (with the
/// argument names of calls), outputs (with `step.out` reads and `${out}`), loop variables,
/// namespaces (adding `as` when the import had none). Refuses names that are not
/// identifiers, keywords, and names already taken where they would collide.
pub fn rename(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    new_name: &str,
    workspace: &[SourceFile],
) -> Result<Vec<FileEdits>, String> {
    nav::rename(db, file, offset, new_name, workspace)
}

/// The outline: imports, artifact kinds, ops (with inputs and outputs), pipelines (with
/// params, outputs, and steps nested in their `for` / `if` / `else` blocks).
pub fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<Symbol> {
    symbols::document_symbols(db, file)
}

/// Ops, pipelines, artifact kinds, imports, steps and outputs of `files` whose name
/// matches `query` (case-insensitive; exact, prefix, substring, then subsequence), best
/// first, flat.
pub fn workspace_symbols(
    db: &dyn Db,
    files: &[SourceFile],
    query: &str,
) -> Vec<(SourceFile, Symbol)> {
    symbols::workspace_symbols(db, files, query)
}

/// Every token of `file` classified, sorted, non-overlapping and each on one line (code
/// bodies and block comments are split by line; `${x}` in a body is an `Interpolation`).
pub fn semantic_tokens(db: &dyn Db, file: SourceFile) -> Vec<SemanticToken> {
    highlight::semantic_tokens(db, file)
}

/// Foldable spans: items, blocks, multi-line calls, attribute blocks, code bodies, runs of
/// imports and of line comments, block comments. Each span covers the whole construct
/// (the server turns it into lines).
pub fn folding_ranges(db: &dyn Db, file: SourceFile) -> Vec<(Span, FoldKind)> {
    structure::folding_ranges(db, file)
}

/// Ever larger spans around `offset`, innermost first, each containing the one before,
/// ending with the whole file.
pub fn selection_ranges(db: &dyn Db, file: SourceFile, offset: usize) -> Vec<Span> {
    structure::selection_ranges(db, file, offset)
}

/// Quick fixes for the diagnostics whose span meets `range`. `workspace` lists the files
/// to search for a definition to import (E0203).
pub fn code_actions(
    db: &dyn Db,
    file: SourceFile,
    range: Span,
    workspace: &[SourceFile],
) -> Vec<CodeAction> {
    actions::code_actions(db, file, range, workspace)
}

/// Above each pipeline: "▶ Run" (`mlforge.run`), "Plan" (`mlforge.plan`), "Show graph"
/// (`mlforge.showGraph`), with arguments `[file path, pipeline]`; above each step: "Run
/// step" (`mlforge.runStep`) and "Run from here" (`mlforge.runFrom`), with arguments
/// `[file path, pipeline, step name]`.
pub fn code_lenses(db: &dyn Db, file: SourceFile) -> Vec<CodeLens> {
    lenses::code_lenses(db, file)
}

/// Every op and pipeline a step of `file` can call: its own, those of the files it imports
/// (as `ns.name`), and those of the other `workspace` files with the import they would
/// need (as `ns.name` under the namespace that import would give), and those of the op
/// library's modules (with `std/NAME` as the import they need).
pub fn op_catalog(db: &dyn Db, file: SourceFile, workspace: &[SourceFile]) -> Vec<CatalogEntry> {
    catalog::op_catalog(db, file, workspace)
}

/// A graph editor's change to the pipeline `pipeline` of `file` (add a step, connect,
/// disconnect, set or clear an argument, delete a step, add an `after`, wrap steps in a
/// `for` or `if`, unwrap a block), as text edits that keep every comment and change only
/// the statements concerned, laid out by the formatter. Refused, before any text changes,
/// when the edit cannot be made or the checker would reject what it writes (a connection
/// of the wrong type: with the checker's message).
pub fn graph_edit(
    db: &dyn Db,
    file: SourceFile,
    pipeline: &str,
    edit: &GraphEdit,
) -> Result<EditOutcome, Refusal> {
    graph_edit::graph_edit(db, file, pipeline, edit)
}

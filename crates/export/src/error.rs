//! Why an export failed.

use mlforge_ir::Source;

/// An export that cannot be made. Messages are sentences a user can act on; those about a
/// place in the `.mlf` start with its `file:line:column`.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExportError {
    /// Two source names map to the same identifier of the target.
    #[error(
        "{kind} `{first}` and `{second}` both become `{mapped}` in {target}, which allows only {allowed}; rename one of them"
    )]
    NameCollision {
        kind: &'static str,
        first: String,
        second: String,
        mapped: String,
        target: &'static str,
        allowed: &'static str,
    },
    /// Something in the program the target cannot hold at all (not even with a warning).
    #[error("{}{message}", at(place))]
    Unsupported {
        message: String,
        /// Where the construct is written.
        place: Option<Source>,
    },
    /// The program is not what the IR promises (a dangling id): a bug in the compiler.
    #[error("the IR is inconsistent: {0}; please report this as a bug")]
    BadIr(String),
}

/// `file:line:column: `, or nothing.
pub(crate) fn at(source: &Option<Source>) -> String {
    source
        .as_ref()
        .map(|s| format!("{}:{}:{}: ", s.file, s.line, s.column))
        .unwrap_or_default()
}

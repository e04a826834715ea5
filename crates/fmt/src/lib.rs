//! The MLForge formatter: one canonical layout for `.mlf` files.
//!
//! [`format()`] returns the canonical text of a file, or why it will not: the file has syntax
//! errors (broken code is never formatted), or the result failed verification (a bug guard:
//! it should never happen).
//!
//! # The layout
//!
//! - Indentation of 2 spaces; one blank line between items (consecutive imports and artifact
//!   declarations keep the blank lines the user put, one at most); inside blocks, a blank line
//!   where the user put one or more, none after `{` or before `}`.
//! - The `=` of consecutive `step` statements, of consecutive `output` statements and of
//!   consecutive `name = value` attributes line up; a blank line ends such a group. Entries
//!   of an attribute block broken over lines line up too.
//! - Signatures, step calls, lists and attribute blocks stay on one line when it fits in
//!   100 columns; otherwise one entry a line with a trailing comma (attribute blocks take no
//!   commas). A signature first breaks its params and keeps `) -> (outputs) {` on one line.
//! - Single spaces around binary operators and after `:` and `,`; two between the entries of
//!   a one-line attribute block (`resources { cpu = 2  memory = "4Gi" }`); `{}` for an empty
//!   block.
//! - Parentheses the user wrote are kept, and added where precedence needs them (the tree
//!   has no node for them, and the parser's trees always have them); literals are copied as
//!   written (escapes, `007`, `1E3`). `-> ()` on an op is dropped: it means no outputs, like
//!   no arrow. `else { if … }` and `else if …` stay as written.
//! - Code bodies are moved as a block: the common indentation of their lines becomes the
//!   construct's indentation plus 2, the closing `"""` goes on its own line at the
//!   construct's indentation; nothing else inside changes. A body with code on the line of a
//!   quote, or on one line, is kept exactly as written.
//! - Nothing is reordered: items, members, statements, arguments stay in the user's order.
//! - Lines end with `\n` (a `\r` before one goes, in bodies and comments too), carry no
//!   trailing white space outside bodies, and the file ends with one line break.
//!
//! # Comments
//!
//! Every comment is printed exactly once, in order, at the token boundary where it stands:
//! trailing (after the code on its line, two spaces before a line comment), leading (on its
//! own line before the next token, or inline before it for a block comment with code after
//! it), or dangling (before a closing brace or parenthesis, inside the block). A comment
//! inside a construct that would otherwise fit on one line breaks it over lines where needed.
//! A comment just before a `,` or before the `{` that opens a block is printed just after it
//! (`a,  // note`), except a doc comment, which stays right before what it documents.
//! Comment texts are kept as written (line comments lose their trailing white space).
//!
//! # Verification
//!
//! Before returning, [`format()`] checks that the comments of the result are those of the
//! input in the same order, that the result parses with no error to the same program
//! (the trees compared with spans erased and bodies de-indented: [`same_program`]), and that
//! formatting the result changes nothing. When the result is the input, all three hold
//! without a check.

mod compare;
mod diff;
mod fragment;
mod guard;
mod items;
mod printer;

use std::fmt;

use mlforge_syntax::{LineIndex, Parse, Span};

pub use compare::{same_item, same_program};
pub use diff::unified_diff;
pub use fragment::format_statements;
pub use guard::{same_ir, IrChanged};
pub use items::{format_items, FormattedItem, RangeError};

/// Lines longer than this are broken where the layout allows.
pub const WIDTH: usize = printer::WIDTH;

/// Why a file was not formatted. Lines and columns are 1-based (columns in characters) and
/// point into the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The file has syntax errors: it is left as it is. The position and message are the
    /// first error's.
    Syntax {
        line: usize,
        column: usize,
        message: String,
        /// How many syntax errors the file has.
        count: usize,
    },
    /// The formatted text failed verification; the file is left as it is. This guards
    /// against bugs in the formatter and should never happen.
    Verification {
        line: usize,
        column: usize,
        message: String,
    },
}

impl FormatError {
    pub fn line(&self) -> usize {
        match self {
            FormatError::Syntax { line, .. } | FormatError::Verification { line, .. } => *line,
        }
    }

    pub fn column(&self) -> usize {
        match self {
            FormatError::Syntax { column, .. } | FormatError::Verification { column, .. } => {
                *column
            }
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax {
                line,
                column,
                message,
                count,
            } => {
                write!(f, "{line}:{column}: syntax error: {message}")?;
                if *count > 1 {
                    write!(f, " (and {} more)", count - 1)?;
                }
                write!(f, "; fix the syntax first, the formatter leaves broken files as they are")
            }
            FormatError::Verification {
                line,
                column,
                message,
            } => write!(
                f,
                "{line}:{column}: the formatter refused its own result: {message}; the file is left as it is (this is a bug in the formatter, please report it)"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// The canonical layout of `text`, verified (see the crate documentation).
pub fn format(text: &str) -> Result<String, FormatError> {
    let parse = mlforge_syntax::parse(text);
    let index = LineIndex::new(text);
    let at = |offset: usize| {
        let lc = index.line_col(text, offset);
        (lc.line as usize + 1, lc.char_col as usize + 1)
    };
    if let Some(error) = parse.errors.first() {
        let (line, column) = at(error.span.start as usize);
        return Err(FormatError::Syntax {
            line,
            column,
            message: error.message.clone(),
            count: parse.errors.len(),
        });
    }
    let refuse = |offset: usize, message: String| {
        let (line, column) = at(offset);
        FormatError::Verification {
            line,
            column,
            message,
        }
    };
    let output =
        printer::print(text, &parse.file, &parse.comments).map_err(|message| refuse(0, message))?;
    verify(text, &parse, &output).map_err(|(offset, message)| refuse(offset, message))?;
    Ok(output)
}

/// The layout alone, without the checks of [`format()`] (for debugging the formatter). `None`
/// when the file has syntax errors.
#[doc(hidden)]
pub fn format_unchecked(text: &str) -> Option<Result<String, String>> {
    let parse = mlforge_syntax::parse(text);
    if !parse.errors.is_empty() {
        return None;
    }
    Some(printer::print(text, &parse.file, &parse.comments))
}

/// The checks of [`format()`]; an error is an offset into `input` and what went wrong.
fn verify(input: &str, parse: &Parse, output: &str) -> Result<(), (usize, String)> {
    if output == input {
        // Already canonical: the same text has the same comments and tree, and formatting
        // the output is formatting the input again.
        return Ok(());
    }
    let reparsed = mlforge_syntax::parse(output);

    // 1. The same comments, in the same order.
    let before = comment_texts(input, parse, None);
    let after = comment_texts(output, &reparsed, None);
    if before != after {
        let k = before
            .iter()
            .zip(&after)
            .position(|(a, b)| a != b)
            .unwrap_or(before.len().min(after.len()));
        return Err(match (before.get(k), after.get(k)) {
            (Some(lost), _) => (
                parse.comments[k].span.start as usize,
                format!("the comment `{lost}` would be lost or changed"),
            ),
            (None, Some(extra)) => (input.len(), format!("a comment `{extra}` would appear")),
            (None, None) => (0, "the comments would change".into()),
        });
    }

    // 2. The result parses, to the same program.
    if let Some(error) = reparsed.errors.first() {
        let lc = LineIndex::new(output).line_col(output, error.span.start as usize);
        return Err((
            0,
            format!(
                "the result would not parse (line {}, column {} of the result: {})",
                lc.line + 1,
                lc.char_col + 1,
                error.message
            ),
        ));
    }
    let (old, new) = (&parse.file.items, &reparsed.file.items);
    for (i, item) in old.iter().enumerate() {
        let same = new.get(i).is_some_and(|other| same_item(item, other));
        if !same {
            let what = match item.name() {
                Some(name) => format!("`{}`", name.text),
                None => "this item".into(),
            };
            return Err((
                item.span().start as usize,
                format!("the program would change: {what} would not mean the same"),
            ));
        }
    }
    if new.len() != old.len() {
        return Err((
            input.len(),
            "the program would change: items would appear".into(),
        ));
    }

    // 3. Formatting the result changes nothing.
    let again = printer::print(output, &reparsed.file, &reparsed.comments)
        .map_err(|message| (0, format!("formatting the result fails: {message}")))?;
    if again != output {
        let line = output
            .lines()
            .zip(again.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(output.lines().count().min(again.lines().count()));
        return Err((
            0,
            format!(
                "the layout is not stable: formatting the result again changes its line {}",
                line + 1
            ),
        ));
    }
    Ok(())
}

/// The comments' texts (those inside `within`, or all), trimmed, with their line breaks
/// written `\n`.
fn comment_texts(text: &str, parse: &Parse, within: Option<Span>) -> Vec<String> {
    parse
        .comments
        .iter()
        .filter(|c| within.is_none_or(|w| c.span.start >= w.start && c.span.end <= w.end))
        .map(|c| text[c.span.range()].trim().replace("\r\n", "\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_code_is_refused_with_its_first_error() {
        let error = format("pipeline p() {\n  step = \n}\n").unwrap_err();
        let FormatError::Syntax { line, column, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!((*line, *column), (2, 8));
        assert!(
            error.to_string().starts_with("2:8: syntax error: "),
            "{error}"
        );
    }

    #[test]
    fn line_breaks_become_newlines() {
        let text =
            "// a\r\nop f() {\r\n  /* b\r\n  c */\r\n  shell \"\"\"\r\n    x\r\n  \"\"\"\r\n}\r\n";
        assert_eq!(
            format(text).unwrap(),
            "// a\nop f() {\n  /* b\n  c */\n  shell \"\"\"\n    x\n  \"\"\"\n}\n"
        );
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(format("").unwrap(), "");
        assert_eq!(format("\n\n  \n").unwrap(), "");
        assert_eq!(
            format("// a\n\n\n/* b */   \n").unwrap(),
            "// a\n\n/* b */\n"
        );
    }
}

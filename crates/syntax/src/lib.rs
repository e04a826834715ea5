//! MLForge syntax: text → tokens → tree. No IO, no database.
//!
//! [`parse`] never fails: it returns a tree and the errors found on the way, so that
//! analysis can go on around broken code. Comments are kept beside the tree with their
//! spans; doc comments are attached to the node they document.

pub mod ast;
pub mod body;
mod depth;
mod docs;
pub mod drop_later;
pub mod lexer;
pub mod parallel;
mod parser;
mod reparse;
mod shift;
pub mod span;

use chumsky::input::Input as _;
use chumsky::prelude::*;

pub use crate::depth::MAX_NESTING;
pub use crate::lexer::{Comment, CommentKind, Token};
pub use crate::reparse::{
    changed_region, edit_inside_comment, parse_statement_at, reparse, reparse_edited_statements,
};
pub use crate::span::{LineCol, LineIndex, Span};

/// The result of parsing one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Parse {
    pub file: ast::SourceFile,
    /// Every comment, in source order.
    pub comments: Vec<Comment>,
    /// Lexical and syntax errors, in source order.
    pub errors: Vec<SyntaxError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyntaxErrorKind {
    /// A token the grammar does not allow where it stands.
    Unexpected,
    /// A string, body or block comment that is never closed.
    Unterminated,
    /// A character that is not part of the language.
    InvalidCharacter,
    /// A backslash escape that strings do not know.
    InvalidEscape,
    /// Brackets, blocks or operators nested deeper than [`MAX_NESTING`].
    TooDeep,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    pub message: String,
}

pub fn parse(text: &str) -> Parse {
    let lexed = lexer::lex(text);
    let eoi = SimpleSpan::from(text.len()..text.len());
    let limited = depth::limit(&lexed.tokens);
    let tokens = parser::chumsky_tokens(limited.tokens.as_deref().unwrap_or(&lexed.tokens), 0);
    let input = tokens.as_slice().map(eoi, |(t, s)| (t, s));
    let fast = parser::fast::source_file().parse(input);
    let (file, parse_errors) = if fast.has_errors() {
        parser::rich::source_file()
            .parse(input)
            .into_output_errors()
    } else {
        (fast.into_output(), Vec::new())
    };
    let mut file = file.unwrap_or_default();
    docs::attach(&mut file, &lexed.docs);

    let mut errors = lexed.errors;
    errors.extend(limited.errors);
    let in_hole = |e: &SyntaxError| {
        limited
            .hidden
            .iter()
            .any(|h| h.start <= e.span.start && e.span.start <= h.end)
    };
    errors.extend(
        parse_errors
            .into_iter()
            .map(syntax_error)
            .filter(|e| !in_hole(e)),
    );
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup_by(|a, b| a.span.start == b.span.start && a.kind == b.kind);
    Parse {
        file,
        comments: lexed.comments,
        errors,
    }
}

fn syntax_error(error: Rich<'_, Token<'_>, SimpleSpan>) -> SyntaxError {
    let span = Span::new(error.span().start, error.span().end);
    let message = match error.reason() {
        chumsky::error::RichReason::Custom(message) => message.clone(),
        chumsky::error::RichReason::ExpectedFound { expected, found } => {
            let mut wanted: Vec<String> = expected.iter().filter_map(describe_pattern).collect();
            wanted.sort();
            wanted.dedup();
            let found = match found {
                Some(token) => token.to_string(),
                None => "the end of the file".to_string(),
            };
            match wanted.len() {
                0 => format!("unexpected {found}"),
                1 => format!("expected {}, found {found}", wanted[0]),
                n => format!(
                    "expected {} or {}, found {found}",
                    wanted[..n - 1].join(", "),
                    wanted[n - 1]
                ),
            }
        }
    };
    SyntaxError {
        kind: SyntaxErrorKind::Unexpected,
        span,
        message,
    }
}

fn describe_pattern(pattern: &chumsky::error::RichPattern<'_, Token<'_>>) -> Option<String> {
    use chumsky::error::RichPattern;
    match pattern {
        RichPattern::Token(t) => Some(t.to_string()),
        RichPattern::Label(l) => Some(l.to_string()),
        RichPattern::Identifier(i) => Some(format!("`{i}`")),
        RichPattern::EndOfInput => Some("the end of the file".into()),
        _ => None,
    }
}

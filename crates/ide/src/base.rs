//! Shared plumbing: the file's text, a memoized token list, and small text helpers.

use mlforge_analysis::items::parse;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::lexer::{self, Token, KEYWORDS};
use mlforge_syntax::{Parse, Span};

/// A token kind without its text (the text is the file's text at the span).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TK {
    Ident,
    Number,
    Str,
    Body,
    Keyword,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Dot,
    Arrow,
    Assign,
    Lt,
    Gt,
    Question,
    /// `== != <= >= + - * /`
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Tok {
    pub kind: TK,
    pub span: Span,
}

/// Every token of a file, in order. Memoized: completion and tokens reuse it until the
/// file's text changes.
#[salsa::tracked(returns(ref))]
pub(crate) fn tokens(db: &dyn Db, file: SourceFile) -> Vec<Tok> {
    let text = file.text(db).as_deref().unwrap_or("");
    lexer::lex(text)
        .tokens
        .iter()
        .map(|&(token, span)| Tok {
            kind: kind_of(token),
            span,
        })
        .collect()
}

fn kind_of(token: Token<'_>) -> TK {
    match token {
        Token::Ident(_) => TK::Ident,
        Token::Int(_) | Token::Float(_) | Token::Duration(_) => TK::Number,
        Token::Str(_) => TK::Str,
        Token::Body(_) => TK::Body,
        Token::LParen => TK::LParen,
        Token::RParen => TK::RParen,
        Token::LBrace => TK::LBrace,
        Token::RBrace => TK::RBrace,
        Token::LBracket => TK::LBracket,
        Token::RBracket => TK::RBracket,
        Token::Comma => TK::Comma,
        Token::Colon => TK::Colon,
        Token::Dot => TK::Dot,
        Token::Arrow => TK::Arrow,
        Token::Assign => TK::Assign,
        Token::Lt => TK::Lt,
        Token::Gt => TK::Gt,
        Token::Question => TK::Question,
        Token::EqEq
        | Token::NotEq
        | Token::Le
        | Token::Ge
        | Token::Plus
        | Token::Minus
        | Token::Star
        | Token::Slash => TK::Operator,
        _ => TK::Keyword,
    }
}

/// The tokens of `text[start..end]`, with spans in `text`. `start` must be where a token
/// may begin (not inside a string, body or comment).
pub(crate) fn lex_range(text: &str, start: usize, end: usize) -> Vec<Tok> {
    let end = clamp(text, end);
    let start = clamp(text, start.min(end));
    lexer::lex(&text[start..end])
        .tokens
        .iter()
        .map(|&(token, span)| Tok {
            kind: kind_of(token),
            span: span.shifted(start as i64),
        })
        .collect()
}

pub(crate) fn text(db: &dyn Db, file: SourceFile) -> &str {
    file.text(db).as_deref().unwrap_or("")
}

pub(crate) fn tree(db: &dyn Db, file: SourceFile) -> &Parse {
    parse(db, file)
}

/// The text of a span, or "" when the span is out of range.
pub(crate) fn slice(text: &str, span: Span) -> &str {
    text.get(span.range()).unwrap_or("")
}

pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

pub(crate) fn is_identifier(word: &str) -> bool {
    mlforge_syntax::body::is_identifier(word)
}

/// `offset` moved back to a character boundary of `text`, and clamped to its length.
pub(crate) fn clamp(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The word (identifier characters) around `offset` in `text`.
pub(crate) fn word_at(text: &str, offset: usize) -> Span {
    let offset = clamp(text, offset);
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = offset;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    Span::new(start, end)
}

/// Whether the text between two offsets holds a line break.
pub(crate) fn has_newline(text: &str, from: usize, to: usize) -> bool {
    text.get(from.min(to)..to.max(from))
        .is_some_and(|s| s.contains('\n'))
}

/// The start of the line holding `offset`.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..clamp(text, offset)].rfind('\n').map_or(0, |i| i + 1)
}

/// The indentation (leading spaces and tabs) of the line holding `offset`.
pub(crate) fn indent_of(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let len = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..len]
}

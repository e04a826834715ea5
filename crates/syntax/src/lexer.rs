//! A hand-written lexer: text → tokens, comments and lexical errors.
//!
//! The parser runs over tokens rather than characters (chumsky on raw text measured ~15×
//! slower). Comments never reach the parser; they are kept, with their spans, so that the
//! formatter and hover can use them, and doc comments are attached to the node that follows.

use std::collections::HashMap;
use std::fmt;

use crate::span::Span;
use crate::{SyntaxError, SyntaxErrorKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Token<'s> {
    Ident(&'s str),
    Int(&'s str),
    Float(&'s str),
    /// Digits followed by letters, like `30m`; the unit is checked by analysis.
    Duration(&'s str),
    /// A quoted string, quotes included, escapes not yet processed.
    Str(&'s str),
    /// The raw text between `"""` and `"""`.
    Body(&'s str),
    Import,
    As,
    Op,
    Pipeline,
    Artifact,
    Record,
    Step,
    Output,
    For,
    In,
    If,
    Else,
    After,
    And,
    Or,
    Not,
    True,
    False,
    Python,
    Shell,
    File,
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
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Question,
    /// Stands for tokens dropped for nesting too deeply (`depth.rs`), and parses as a broken
    /// expression; the lexer never produces it.
    Hole,
}

pub const KEYWORDS: &[&str] = &[
    "import", "as", "op", "pipeline", "artifact", "record", "step", "output", "for", "in", "if",
    "else", "after", "and", "or", "not", "true", "false", "python", "shell", "file",
];

fn keyword(word: &str) -> Option<Token<'static>> {
    Some(match word {
        "import" => Token::Import,
        "as" => Token::As,
        "op" => Token::Op,
        "pipeline" => Token::Pipeline,
        "artifact" => Token::Artifact,
        "record" => Token::Record,
        "step" => Token::Step,
        "output" => Token::Output,
        "for" => Token::For,
        "in" => Token::In,
        "if" => Token::If,
        "else" => Token::Else,
        "after" => Token::After,
        "and" => Token::And,
        "or" => Token::Or,
        "not" => Token::Not,
        "true" => Token::True,
        "false" => Token::False,
        "python" => Token::Python,
        "shell" => Token::Shell,
        "file" => Token::File,
        _ => return None,
    })
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Token::Ident(s) | Token::Int(s) | Token::Float(s) | Token::Duration(s) => s,
            Token::Str(_) => "a string",
            Token::Body(_) => "a code body",
            Token::Import => "import",
            Token::As => "as",
            Token::Op => "op",
            Token::Pipeline => "pipeline",
            Token::Artifact => "artifact",
            Token::Record => "record",
            Token::Step => "step",
            Token::Output => "output",
            Token::For => "for",
            Token::In => "in",
            Token::If => "if",
            Token::Else => "else",
            Token::After => "after",
            Token::And => "and",
            Token::Or => "or",
            Token::Not => "not",
            Token::True => "true",
            Token::False => "false",
            Token::Python => "python",
            Token::Shell => "shell",
            Token::File => "file",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Comma => ",",
            Token::Colon => ":",
            Token::Dot => ".",
            Token::Arrow => "->",
            Token::Assign => "=",
            Token::EqEq => "==",
            Token::NotEq => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Question => "?",
            Token::Hole => "an expression nested too deeply",
        };
        match self {
            Token::Str(_) | Token::Body(_) | Token::Hole => f.write_str(text),
            _ => write!(f, "`{text}`"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentKind {
    /// `// …`
    Line,
    /// `/* … */`
    Block,
    /// `/// …`, attached to the next item, param, output or step.
    Doc,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Comment {
    pub kind: CommentKind,
    pub span: Span,
}

pub struct Lexed<'s> {
    pub tokens: Vec<(Token<'s>, Span)>,
    pub comments: Vec<Comment>,
    /// Doc text keyed by the start offset of the token it documents.
    pub docs: HashMap<u32, String>,
    pub errors: Vec<SyntaxError>,
}

pub fn lex(text: &str) -> Lexed<'_> {
    Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        out: Lexed {
            tokens: Vec::with_capacity(text.len() / 4),
            comments: Vec::new(),
            docs: HashMap::new(),
            errors: Vec::new(),
        },
        pending_doc: Vec::new(),
    }
    .run()
}

struct Lexer<'s> {
    text: &'s str,
    bytes: &'s [u8],
    pos: usize,
    out: Lexed<'s>,
    pending_doc: Vec<&'s str>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'s> Lexer<'s> {
    fn run(mut self) -> Lexed<'s> {
        // A UTF-8 byte order mark, as some Windows editors write, is not part of the text.
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[start];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(start),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(start),
                b'"' if self.text[start..].starts_with("\"\"\"") => self.body(start),
                b'"' => self.string(start),
                b'0'..=b'9' => self.number(start),
                _ if is_ident_start(b) => {
                    let end = self.scan_while(start, is_ident_continue);
                    let word = &self.text[start..end];
                    self.push(keyword(word).unwrap_or(Token::Ident(word)), start, end);
                }
                _ => self.punct(start),
            }
        }
        self.out
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn scan_while(&self, from: usize, pred: impl Fn(u8) -> bool) -> usize {
        let mut end = from;
        while end < self.bytes.len() && pred(self.bytes[end]) {
            end += 1;
        }
        end
    }

    fn push(&mut self, token: Token<'s>, start: usize, end: usize) {
        if !self.pending_doc.is_empty() {
            let doc = self.pending_doc.join("\n");
            self.out.docs.insert(start as u32, doc);
            self.pending_doc.clear();
        }
        self.out.tokens.push((token, Span::new(start, end)));
        self.pos = end;
    }

    fn error(&mut self, kind: SyntaxErrorKind, span: Span, message: String) {
        self.out.errors.push(SyntaxError {
            kind,
            span,
            message,
        });
    }

    fn line_comment(&mut self, start: usize) {
        // A line ends at `\n`, or at a `\r` alone (old Mac line endings; a `\r` before `\n`
        // stays in the comment, as it always has).
        let end = (start..self.bytes.len())
            .find(|&i| {
                self.bytes[i] == b'\n'
                    || (self.bytes[i] == b'\r' && self.bytes.get(i + 1) != Some(&b'\n'))
            })
            .unwrap_or(self.text.len());
        let is_doc =
            self.text[start..end].starts_with("///") && !self.text[start..end].starts_with("////");
        if is_doc {
            let line = self.text[start + 3..end].trim_end_matches('\r');
            self.pending_doc
                .push(line.strip_prefix(' ').unwrap_or(line));
        } else {
            // A plain comment between a doc comment and its node detaches the doc.
            self.pending_doc.clear();
        }
        let kind = if is_doc {
            CommentKind::Doc
        } else {
            CommentKind::Line
        };
        self.out.comments.push(Comment {
            kind,
            span: Span::new(start, end),
        });
        self.pos = end;
    }

    fn block_comment(&mut self, start: usize) {
        let end = match self.text[start + 2..].find("*/") {
            Some(i) => start + 2 + i + 2,
            None => {
                self.error(
                    SyntaxErrorKind::Unterminated,
                    Span::new(start, start + 2),
                    "this block comment is never closed; end it with `*/`".into(),
                );
                self.text.len()
            }
        };
        self.pending_doc.clear();
        self.out.comments.push(Comment {
            kind: CommentKind::Block,
            span: Span::new(start, end),
        });
        self.pos = end;
    }

    fn body(&mut self, start: usize) {
        let content_start = start + 3;
        match self.text[content_start..].find("\"\"\"") {
            Some(i) => {
                let content_end = content_start + i;
                self.push(
                    Token::Body(&self.text[content_start..content_end]),
                    start,
                    content_end + 3,
                );
            }
            None => {
                self.error(
                    SyntaxErrorKind::Unterminated,
                    Span::new(start, content_start),
                    "this code body is never closed; end it with `\"\"\"`".into(),
                );
                let end = self.text.len();
                self.push(Token::Body(&self.text[content_start..end]), start, end);
            }
        }
    }

    fn string(&mut self, start: usize) {
        let mut i = start + 1;
        loop {
            match self.bytes.get(i) {
                // A string ends with its line, whichever line ending the file uses.
                None | Some(b'\n' | b'\r') => {
                    self.error(
                        SyntaxErrorKind::Unterminated,
                        Span::new(start, i),
                        "this string is never closed; end it with `\"` on the same line".into(),
                    );
                    self.push(Token::Str(&self.text[start..i]), start, i);
                    return;
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    self.check_escape(i);
                    // Skip the backslash and the whole character after it.
                    i += 1;
                    if let Some(ch) = self.text[i..].chars().next() {
                        i += ch.len_utf8();
                    }
                }
                Some(_) => i += 1,
            }
        }
        self.push(Token::Str(&self.text[start..=i]), start, i + 1);
    }

    fn check_escape(&mut self, at: usize) {
        let valid = match self.bytes.get(at + 1) {
            Some(b'n' | b't' | b'r' | b'\\' | b'"' | b'0') => true,
            Some(b'u') => parse_unicode_escape(&self.text[at..]).is_some(),
            _ => false,
        };
        if !valid {
            let end = (at + 2).min(self.text.len());
            let end = (end..=self.text.len())
                .find(|&e| self.text.is_char_boundary(e))
                .unwrap_or(end);
            self.error(
                SyntaxErrorKind::InvalidEscape,
                Span::new(at, end),
                "unknown escape sequence; use one of \\n \\t \\r \\\\ \\\" \\0 \\u{…}".into(),
            );
        }
    }

    fn number(&mut self, start: usize) {
        let mut end = self.scan_while(start, |b| b.is_ascii_digit());
        let mut is_float = false;
        if self.bytes.get(end) == Some(&b'.')
            && self.bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            is_float = true;
            end = self.scan_while(end + 1, |b| b.is_ascii_digit());
        }
        if matches!(self.bytes.get(end), Some(b'e' | b'E')) {
            let mut exp = end + 1;
            if matches!(self.bytes.get(exp), Some(b'+' | b'-')) {
                exp += 1;
            }
            if self.bytes.get(exp).is_some_and(u8::is_ascii_digit) {
                is_float = true;
                end = self.scan_while(exp, |b| b.is_ascii_digit());
            }
        }
        if !is_float && self.bytes.get(end).is_some_and(|&b| is_ident_start(b)) {
            let unit_end = self.scan_while(end, is_ident_continue);
            self.push(
                Token::Duration(&self.text[start..unit_end]),
                start,
                unit_end,
            );
            return;
        }
        let token = if is_float {
            Token::Float(&self.text[start..end])
        } else {
            Token::Int(&self.text[start..end])
        };
        self.push(token, start, end);
    }

    fn punct(&mut self, start: usize) {
        let two = self.text.get(start..start + 2).unwrap_or("");
        let (token, len) = match two {
            "->" => (Token::Arrow, 2),
            "==" => (Token::EqEq, 2),
            "!=" => (Token::NotEq, 2),
            "<=" => (Token::Le, 2),
            ">=" => (Token::Ge, 2),
            _ => match self.bytes[start] {
                b'(' => (Token::LParen, 1),
                b')' => (Token::RParen, 1),
                b'{' => (Token::LBrace, 1),
                b'}' => (Token::RBrace, 1),
                b'[' => (Token::LBracket, 1),
                b']' => (Token::RBracket, 1),
                b',' => (Token::Comma, 1),
                b':' => (Token::Colon, 1),
                b'.' => (Token::Dot, 1),
                b'=' => (Token::Assign, 1),
                b'<' => (Token::Lt, 1),
                b'>' => (Token::Gt, 1),
                b'+' => (Token::Plus, 1),
                b'-' => (Token::Minus, 1),
                b'*' => (Token::Star, 1),
                b'/' => (Token::Slash, 1),
                b'?' => (Token::Question, 1),
                _ => {
                    let ch = self.text[start..].chars().next().unwrap_or('\u{fffd}');
                    let end = start + ch.len_utf8();
                    self.pos = end;
                    // A run of invalid characters is one mistake, reported once.
                    if let Some(last) = self.out.errors.last_mut() {
                        if last.kind == SyntaxErrorKind::InvalidCharacter
                            && last.span.end as usize == start
                        {
                            last.span.end = end as u32;
                            last.message = format!(
                                "the characters {:?} cannot appear here; remove them or put them inside a string",
                                &self.text[last.span.range()]
                            );
                            return;
                        }
                    }
                    self.error(
                        SyntaxErrorKind::InvalidCharacter,
                        Span::new(start, end),
                        format!("the character {ch:?} cannot appear here; remove it or put it inside a string"),
                    );
                    self.pos = end;
                    return;
                }
            },
        };
        self.push(token, start, start + len);
    }
}

/// Parses `\u{XXXX}` at the start of `s`; returns the character and the escape's length.
fn parse_unicode_escape(s: &str) -> Option<(char, usize)> {
    let rest = s.strip_prefix("\\u{")?;
    let close = rest.find('}')?;
    let hex = &rest[..close];
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((ch, 3 + close + 1))
}

/// The value of a string literal's source text (quotes included). Invalid escapes were
/// reported by the lexer and are kept as written.
pub fn unescape(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let (ch, len) = match rest.as_bytes().get(1) {
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'"') => ('"', 2),
            Some(b'0') => ('\0', 2),
            Some(b'u') => parse_unicode_escape(rest).unwrap_or(('\\', 1)),
            _ => ('\\', 1),
        };
        out.push(ch);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

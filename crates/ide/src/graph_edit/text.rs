//! The moves every graph edit is made of: splicing a statement's text, laying statements
//! out with the formatter, inserting a statement into a body, removing one, and keeping
//! the comments of whatever text is removed.

use mlforge_syntax::{Comment, CommentKind, Span};

use super::locate::Body;
use super::Refusal;
use crate::base::{indent_of, lex_range, line_start};
use crate::TextEdit;

/// Replacements inside one span of a text, applied at once.
pub(crate) struct Splice<'a> {
    text: &'a str,
    span: Span,
    /// `(start, end, new text)` in `text`'s offsets, inside `span`.
    parts: Vec<(usize, usize, String)>,
}

impl<'a> Splice<'a> {
    pub fn new(text: &'a str, span: Span) -> Splice<'a> {
        Splice {
            text,
            span,
            parts: Vec::new(),
        }
    }

    pub fn replace(&mut self, start: usize, end: usize, new_text: impl Into<String>) {
        self.parts.push((start, end, new_text.into()));
    }

    pub fn insert(&mut self, at: usize, new_text: impl Into<String>) {
        self.replace(at, at, new_text);
    }

    /// The span's text with the replacements made.
    pub fn result(mut self) -> String {
        self.parts.sort_by_key(|&(start, end, _)| (start, end));
        let mut out = String::new();
        let mut at = self.span.start as usize;
        for (start, end, new_text) in self.parts {
            out.push_str(&self.text[at..start.max(at)]);
            out.push_str(&new_text);
            at = end.max(at);
        }
        out.push_str(&self.text[at..self.span.end as usize]);
        out
    }
}

/// `text` with `edits` (sorted, not overlapping) made.
pub(crate) fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.span.start as usize]);
        out.push_str(&edit.new_text);
        at = edit.span.end as usize;
    }
    out.push_str(&text[at..]);
    out
}

/// Statements laid out by the formatter for a body indented by `indent` (the first line
/// unindented: it is written where the old statement started).
pub(crate) fn layout(statements: &str, indent: usize) -> Result<String, Refusal> {
    mlforge_fmt::format_statements(statements, indent).map_err(|e| match e {
        mlforge_fmt::FormatError::Syntax { message, .. } => Refusal::invalid(format!(
            "the statement has a syntax error ({message}); fix it in the text first"
        )),
        other => Refusal::invalid(format!("the edit cannot be laid out: {other}")),
    })
}

/// Where the white space before the `=` of a `step` statement's text lies.
fn assign_gap(statement: &str) -> Option<(usize, usize)> {
    let rest = statement.strip_prefix("step ")?;
    let name = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let after = &rest[name..];
    let gap = after.len() - after.trim_start_matches(' ').len();
    let start = "step ".len() + name;
    after[gap..]
        .starts_with('=')
        .then_some((start, start + gap))
}

/// `new` (a laid-out `step` statement) with its `=` in the column `column` (counted from the
/// statement's start) when its name leaves room: the formatter lines up the `=` of a run of
/// steps, and a statement laid out alone would otherwise leave its run.
pub(crate) fn align_assign(new: String, column: Option<usize>) -> String {
    match (column, assign_gap(&new)) {
        (Some(column), Some((start, end))) if column > start => {
            format!(
                "{}{}{}",
                &new[..start],
                " ".repeat(column - start),
                &new[end..]
            )
        }
        _ => new,
    }
}

/// The column of the `=` of a `step` statement's text, from its start.
pub(crate) fn assign_column(statement: &str) -> Option<usize> {
    assign_gap(statement).map(|(_, end)| end)
}

/// The comments inside `start..end`, each followed by what keeps the code after it code:
/// a line break and `indent` after a line or doc comment, a space after a block comment.
/// Text put where `start..end` was, so that removing that text loses no comment.
pub(crate) fn kept_comments(
    text: &str,
    comments: &[Comment],
    start: usize,
    end: usize,
    indent: &str,
) -> String {
    let mut out = String::new();
    for c in comments {
        let (s, e) = (c.span.start as usize, c.span.end as usize);
        if s < start || e > end {
            continue;
        }
        out.push_str(text[s..e].trim_end());
        match c.kind {
            CommentKind::Block => out.push(' '),
            CommentKind::Line | CommentKind::Doc => {
                out.push('\n');
                out.push_str(indent);
            }
        }
    }
    out
}

/// The indentation of the statements of `body`.
pub(crate) fn body_indent(text: &str, body: &Body<'_>) -> usize {
    match body.stmts.first() {
        Some(first) if starts_line(text, first.span().start as usize) => {
            indent_of(text, first.span().start as usize).len()
        }
        _ => indent_of(text, body.open).len() + 2,
    }
}

/// The indentation of the statement at `start`, or the body's when something precedes it
/// on its line.
pub(crate) fn statement_indent(text: &str, body: &Body<'_>, start: usize) -> usize {
    if starts_line(text, start) {
        indent_of(text, start).len()
    } else {
        body_indent(text, body)
    }
}

/// Whether only white space precedes `at` on its line.
pub(crate) fn starts_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].trim().is_empty()
}

/// The end of the line holding `at` (its `\n`, or the end of the text).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

/// Whether anything but white space and comments follows `at` on its line (before `limit`).
fn code_follows_on_line(text: &str, at: usize, limit: usize) -> bool {
    let end = line_end(text, at);
    lex_range(text, at, limit.min(text.len()))
        .first()
        .is_some_and(|t| (t.span.start as usize) < end)
}

/// The default position of a new statement in a body: after its last step or block,
/// before the `output` statements that follow them.
pub(crate) fn default_index(body: &Body<'_>) -> usize {
    use mlforge_syntax::ast::Stmt;
    body.stmts
        .iter()
        .rposition(|s| matches!(s, Stmt::Step(_) | Stmt::For(_) | Stmt::If(_)))
        .map_or(0, |i| i + 1)
}

/// Writes `statement` (laid out, first line unindented) into `body` as its statement number
/// `index`. Before an existing statement it goes above that statement's own comments.
pub(crate) fn insert_statement(
    text: &str,
    comments: &[Comment],
    body: &Body<'_>,
    index: usize,
    statement: &str,
) -> TextEdit {
    let indent = " ".repeat(body_indent(text, body));
    if let Some(next) = body.stmts.get(index) {
        let start = next.span().start as usize;
        if starts_line(text, start) {
            let at = leading_comments_start(text, comments, start);
            return TextEdit {
                span: Span::empty(at),
                new_text: format!("{indent}{statement}\n"),
            };
        }
        return TextEdit {
            span: Span::empty(start),
            new_text: format!("{statement}\n{indent}"),
        };
    }
    let previous = index
        .checked_sub(1)
        .and_then(|i| body.stmts.get(i))
        .map(|s| s.span().end as usize)
        .or(body.attrs_end);
    match previous {
        Some(end) => {
            let at = if code_follows_on_line(text, end, body.close + 1) {
                end
            } else {
                line_end(text, end)
            };
            TextEdit {
                span: Span::empty(at),
                new_text: format!("\n{indent}{statement}"),
            }
        }
        None if text[body.open + 1..body.close].trim().is_empty() => TextEdit {
            span: Span::new(body.open + 1, body.close),
            new_text: format!("\n{indent}{statement}\n{}", indent_of(text, body.open)),
        },
        None => TextEdit {
            span: Span::empty(body.open + 1),
            new_text: format!("\n{indent}{statement}"),
        },
    }
}

/// The start of the line of the comments right above the statement at `start` (on lines
/// of their own, with no blank line between), or of the statement's own line.
fn leading_comments_start(text: &str, comments: &[Comment], start: usize) -> usize {
    let mut at = line_start(text, start);
    loop {
        if at == 0 {
            return at;
        }
        let previous = line_start(text, at - 1);
        let line = text[previous..at].trim();
        let first = previous + (text[previous..at].len() - text[previous..at].trim_start().len());
        let whole_comment = !line.is_empty()
            && comments.iter().any(|c| {
                c.span.start as usize == first && c.span.end as usize >= previous + line.len()
            });
        if !whole_comment {
            return at;
        }
        at = previous;
    }
}

/// Removes the statement at `span`, its line too when nothing else is on it; the comments
/// inside it stay, where it was.
pub(crate) fn remove_statement(
    text: &str,
    comments: &[Comment],
    body: &Body<'_>,
    span: Span,
) -> TextEdit {
    let (start, end) = (span.start as usize, span.end as usize);
    let indent = " ".repeat(statement_indent(text, body, start));
    let kept = kept_comments(text, comments, start, end, &indent);
    let alone = starts_line(text, start) && !code_follows_on_line(text, end, text.len());
    let rest_blank = text[end..line_end(text, end)].trim().is_empty();
    if alone && rest_blank {
        let from = line_start(text, start);
        let to = (line_end(text, end) + 1).min(text.len());
        let new_text = if kept.is_empty() {
            String::new()
        } else {
            format!("{indent}{}\n", kept.trim_end())
        };
        return TextEdit {
            span: Span::new(from, to),
            new_text,
        };
    }
    // Something stays on the line (a trailing comment, or code): remove the statement and
    // the spaces after it.
    let after = end + (text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len());
    let kept = if kept.is_empty() || !alone {
        kept
    } else {
        format!("{}\n{indent}", kept.trim_end())
    };
    TextEdit {
        span: Span::new(start, after),
        new_text: kept,
    }
}

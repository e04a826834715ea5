//! The printer: walks the tree and the source tokens in lockstep and writes the canonical
//! layout, placing every comment at its token boundary.
//!
//! Every token written is either the next source token (its source text is copied: strings,
//! numbers and bodies keep their escapes and spelling) or a synthetic one (a trailing comma
//! of a list broken over lines, a parenthesis that precedence needs). Source tokens the
//! layout drops (a trailing comma of a list kept on one line, the optional commas of an
//! attribute block, `-> ()` on an op) are skipped. A
//! mismatch between the tree and the tokens is a bug, reported as an internal error.
//!
//! Comments are printed in source order, each at the boundary where the source has it:
//!
//! - a comment on the line of the token before it is *trailing*: it stays on that token's
//!   line (a line comment two spaces after it, then the line ends);
//! - any other comment is *leading* the next token: a line or doc comment, or a block comment
//!   alone on its line, gets a line of its own right before that token; a block comment with
//!   code after it on its line stays inline before the token;
//! - comments before a closing `}` or `)` are dangling: they stay inside the block or list.
//!
//! Commas and the `{` that opens a block are "sticky": comments just before them are
//! printed after them, so that `a // note` followed by `,` on the next line becomes
//! `a,  // note`. That never crosses a construct: the comma belongs to the list, the brace to
//! its block.

use std::mem::discriminant;

use mlforge_syntax::ast::*;
use mlforge_syntax::lexer::{self, Token};
use mlforge_syntax::{Comment, CommentKind, Span};

/// Lines longer than this are broken where the layout allows (signatures, arguments, lists,
/// attribute blocks).
pub(crate) const WIDTH: usize = 100;
/// One level of indentation.
const INDENT: usize = 2;

/// What the printer needs to know about one comment.
#[derive(Clone, Copy, Debug)]
struct CommentInfo {
    start: usize,
    end: usize,
    /// On the same line as the token before it (never for doc comments).
    trailing: bool,
    /// Printed on a line of its own: a leading line or doc comment, or a leading block
    /// comment that is alone on its line.
    alone: bool,
    /// A line or doc comment: nothing may follow it on its line.
    line: bool,
    /// A doc comment: it documents the token right after it, so no token may come between.
    doc: bool,
}

/// Everything a trial layout may change, so that a failed trial can be undone.
#[derive(Clone, Copy, Debug)]
struct State {
    /// The next source token.
    tok: usize,
    /// The next comment to print.
    com: usize,
    /// Characters on the current output line.
    col: usize,
    /// The current line holds nothing yet (its indentation is written with its first content).
    at_line_start: bool,
    /// The indentation of the current line.
    line_indent: usize,
    /// The indentation of the construct being printed.
    indent: usize,
    /// Extra indentation of a line broken inside a construct (after a line comment).
    cont: usize,
    /// A line comment was written: the next content goes on a new line.
    must_break: bool,
    /// A blank line of the source before the next line is kept (statement level only).
    blank_ok: bool,
    /// Just after an opening brace or the start of the file: no blank line.
    block_start: bool,
    /// The next line is preceded by a blank line whatever the source has (between items).
    force_blank: bool,
    /// The end of the last source token or comment consumed.
    last_end: usize,
    /// Inside a one-line trial: every group stays on one line.
    flat: bool,
    /// The current line holds code (not only comments).
    line_has_code: bool,
    /// Columns that follow the expression being printed on its line (`,` after an item of
    /// a list broken over lines, ` {` after a condition), for the width of a list in it.
    tail: usize,
    /// An inline comment was written: a space goes before the next content unless it is a
    /// closing bracket or a comma.
    space_pending: bool,
}

pub(crate) struct Printer<'s> {
    src: &'s str,
    toks: Vec<(Token<'s>, Span)>,
    comments: Vec<CommentInfo>,
    out: String,
    st: State,
    error: Option<String>,
}

/// Formats a parsed file that has no syntax errors. `Err` is an internal error (a bug).
pub(crate) fn print(src: &str, file: &SourceFile, comments: &[Comment]) -> Result<String, String> {
    let mut printer = Printer::new(src, comments);
    printer.file(file);
    match printer.error {
        Some(error) => Err(error),
        None => Ok(printer.out),
    }
}

fn same(a: Token<'_>, b: Token<'_>) -> bool {
    discriminant(&a) == discriminant(&b)
}

fn classify(src: &str, toks: &[(Token<'_>, Span)], comments: &[Comment]) -> Vec<CommentInfo> {
    comments
        .iter()
        .map(|c| {
            let start = c.span.start as usize;
            let end = c.span.end as usize;
            let line = c.kind != CommentKind::Block;
            let before = toks.partition_point(|(_, s)| (s.end as usize) <= start);
            let trailing = c.kind != CommentKind::Doc
                && before > 0
                && !src[toks[before - 1].1.end as usize..start].contains('\n');
            let starts_line = src[..start]
                .rsplit('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty());
            let ends_line = src[end..]
                .split('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty());
            CommentInfo {
                start,
                end,
                trailing,
                alone: !trailing && (line || (starts_line && ends_line)),
                line,
                doc: c.kind == CommentKind::Doc,
            }
        })
        .collect()
}

fn memchr_last_newline(s: &str) -> Option<usize> {
    // Tokens are short: a plain loop beats the general search on them.
    if s.len() <= 32 {
        s.bytes().rposition(|b| b == b'\n')
    } else {
        s.rfind('\n')
    }
}

/// Whether `text` holds a line with nothing but white space between two line breaks.
fn has_blank_line(text: &str) -> bool {
    let mut after_newline = false;
    for b in text.bytes() {
        match b {
            b'\n' if after_newline => return true,
            b'\n' => after_newline = true,
            b' ' | b'\t' | b'\r' => {}
            _ => after_newline = false,
        }
    }
    false
}

/// The body text with its common indentation replaced by `indent + 2` spaces and the
/// closing quotes' line indented by `indent`; `None` keeps the body exactly as written (one
/// line, code on the line of a quote, or indentation that is not plain spaces and tabs).
/// The de-indented text, which is what the body means, is unchanged.
pub(crate) fn reindent_body(text: &str, indent: usize) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() < 2 {
        return None;
    }
    let (first, rest) = lines.split_first()?;
    let (last, middle) = rest.split_last()?;
    if !first.trim().is_empty() || !last.trim().is_empty() {
        return None;
    }
    let blank = |l: &str| l.trim().is_empty();
    let leading = |l: &str| l.len() - l.trim_start().len();
    let common = middle
        .iter()
        .filter(|l| !blank(l))
        .map(|l| leading(l))
        .min()
        .unwrap_or(0);
    let plain = middle.iter().filter(|l| !blank(l)).all(|l| {
        l.as_bytes()[..common]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t'))
    });
    if !plain {
        return None;
    }
    let mut out = String::with_capacity(text.len() + middle.len() * 4);
    for line in middle {
        out.push('\n');
        if !blank(line) {
            out.extend(std::iter::repeat_n(' ', indent + INDENT));
            out.push_str(&line[common..]);
        } else {
            out.push_str(line);
        }
    }
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
    Some(out)
}

/// Binding strength: a child printed where a stronger one is required needs parentheses.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            op if op.is_comparison() => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            _ => 6,
        },
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => 7,
        _ => 8,
    }
}

fn operator_token(op: BinaryOp) -> Token<'static> {
    match op {
        BinaryOp::Or => Token::Or,
        BinaryOp::And => Token::And,
        BinaryOp::Eq => Token::EqEq,
        BinaryOp::Ne => Token::NotEq,
        BinaryOp::Lt => Token::Lt,
        BinaryOp::Le => Token::Le,
        BinaryOp::Gt => Token::Gt,
        BinaryOp::Ge => Token::Ge,
        BinaryOp::Add => Token::Plus,
        BinaryOp::Sub => Token::Minus,
        BinaryOp::Mul => Token::Star,
        BinaryOp::Div => Token::Slash,
    }
}

/// What lines up: the `=` of consecutive members of one kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Attr,
    Step,
    Output,
}

enum OpMember<'a> {
    Attr(&'a Attribute),
    Body(&'a Body),
}

enum PipelineMember<'a> {
    Attr(&'a Attribute),
    Stmt(&'a Stmt),
}

fn attr_align(a: &Attribute) -> Option<(Align, usize)> {
    match a.value {
        AttrValue::Expr(_) | AttrValue::Secret(_) => {
            Some((Align::Attr, a.name.text.chars().count()))
        }
        AttrValue::Block(_) => None,
    }
}

fn stmt_align(s: &Stmt) -> Option<(Align, usize)> {
    match s {
        Stmt::Step(s) => Some((Align::Step, s.name.text.chars().count())),
        Stmt::Output(o) => Some((Align::Output, o.name.text.chars().count())),
        _ => None,
    }
}

fn is_one_line_item(item: &Item) -> bool {
    matches!(item, Item::Import(_) | Item::Artifact(_))
}

impl<'s> Printer<'s> {
    fn new(src: &'s str, comments: &[Comment]) -> Printer<'s> {
        let toks = lexer::lex(src).tokens;
        let comments = classify(src, &toks, comments);
        Printer {
            src,
            toks,
            comments,
            out: String::with_capacity(src.len() + src.len() / 8),
            st: State {
                tok: 0,
                com: 0,
                col: 0,
                at_line_start: true,
                line_indent: 0,
                indent: 0,
                cont: INDENT,
                must_break: false,
                blank_ok: false,
                block_start: true,
                force_blank: false,
                last_end: 0,
                flat: false,
                space_pending: false,
                line_has_code: false,
                tail: 0,
            },
            error: None,
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    // ---- Writing ----

    fn push_str(&mut self, s: &str) {
        let width = |s: &str| {
            if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            }
        };
        match memchr_last_newline(s) {
            Some(i) => {
                self.st.col = width(&s[i + 1..]);
                self.st.line_has_code = false;
            }
            None => self.st.col += width(s),
        }
        self.out.push_str(s);
    }

    fn trim_trailing_spaces(&mut self) {
        let kept = self.out.trim_end_matches(' ').len();
        self.st.col = self.st.col.saturating_sub(self.out.len() - kept);
        self.out.truncate(kept);
    }

    /// Ends the current line; the next one keeps `line_indent`.
    fn end_line(&mut self) {
        self.trim_trailing_spaces();
        self.out.push('\n');
        self.st.col = 0;
        self.st.at_line_start = true;
        self.st.must_break = false;
        self.st.space_pending = false;
        self.st.line_has_code = false;
    }

    /// A line break inside a construct: the next line is indented one step further.
    fn break_inside(&mut self) {
        self.end_line();
        self.st.line_indent = self.st.indent + self.st.cont;
    }

    /// A line break of the layout: trailing comments first, then a new line at `indent`.
    fn newline(&mut self) {
        self.flush_trailing();
        if !self.st.at_line_start {
            self.end_line();
        }
        self.st.must_break = false;
        self.st.line_indent = self.st.indent;
    }

    /// Prepares the line for content that starts at `src` in the source (none when
    /// synthetic): the pending break, a kept blank line, the indentation.
    fn begin(&mut self, src: Option<usize>) {
        if self.st.must_break {
            self.break_inside();
        }
        if self.st.at_line_start {
            let source_blank = self.st.blank_ok
                && src.is_some_and(|p| {
                    self.st.last_end < p && has_blank_line(&self.src[self.st.last_end..p])
                });
            if !self.st.block_start && !self.out.is_empty() && (self.st.force_blank || source_blank)
            {
                self.out.push('\n');
            }
            self.st.force_blank = false;
            self.out
                .extend(std::iter::repeat_n(' ', self.st.line_indent));
            self.st.col = self.st.line_indent;
            self.st.at_line_start = false;
        }
        self.st.block_start = false;
    }

    fn write(&mut self, s: &str, src: Option<usize>) {
        self.begin(src);
        if std::mem::take(&mut self.st.space_pending) && !s.starts_with([')', ']', ',']) {
            self.push_str(" ");
        }
        self.push_str(s);
    }

    fn space(&mut self) {
        self.spaces(1);
    }

    fn spaces(&mut self, n: usize) {
        let n = if std::mem::take(&mut self.st.space_pending) {
            n.max(1)
        } else {
            n
        };
        if !self.st.at_line_start && !self.st.must_break {
            self.out.extend(std::iter::repeat_n(' ', n));
            self.st.col += n;
        }
    }

    // ---- Source tokens ----

    fn peek(&self) -> Option<Token<'s>> {
        self.toks.get(self.st.tok).map(|t| t.0)
    }

    fn at(&self, kind: Token<'_>) -> bool {
        self.peek().is_some_and(|t| same(t, kind))
    }

    fn next_start(&self) -> usize {
        self.toks
            .get(self.st.tok)
            .map_or(self.src.len(), |t| t.1.start as usize)
    }

    fn take(&mut self, kind: Token<'_>) -> Option<Span> {
        match self.toks.get(self.st.tok) {
            Some(&(t, span)) if same(t, kind) => {
                self.st.tok += 1;
                Some(span)
            }
            other => {
                let found = other.map_or("the end of the file".to_string(), |(t, s)| {
                    format!("{t:?} at byte {}", s.start)
                });
                self.fail(format!(
                    "the printer expected {kind:?} but the source has {found}"
                ));
                None
            }
        }
    }

    fn consumed(&mut self, span: Span) {
        self.st.last_end = self.st.last_end.max(span.end as usize);
    }

    /// Writes the next source token, after the comments before it.
    fn tok(&mut self, kind: Token<'_>) {
        let Some(span) = self.take(kind) else { return };
        self.flush_before(span.start as usize);
        let src = self.src;
        self.write(&src[span.range()], Some(span.start as usize));
        self.st.line_has_code = true;
        self.consumed(span);
        self.st.blank_ok = false;
    }

    /// Writes the next source token; comments before it are printed after it, unless one
    /// is a doc comment (which documents what follows it: it must stay before the token).
    fn sticky(&mut self, kind: Token<'_>) {
        let before = self.next_start();
        let doc_before = self.comments[self.st.com..]
            .iter()
            .take_while(|c| c.start < before)
            .any(|c| c.doc);
        if doc_before {
            self.tok(kind);
            return;
        }
        let Some(span) = self.take(kind) else { return };
        let src = self.src;
        self.write(&src[span.range()], None);
        self.st.line_has_code = true;
        self.consumed(span);
        self.st.blank_ok = false;
    }

    /// Drops the next source token if it is a `kind`.
    fn skip(&mut self, kind: Token<'_>) -> bool {
        match self.toks.get(self.st.tok) {
            Some(&(t, span)) if same(t, kind) => {
                self.st.tok += 1;
                self.consumed(span);
                true
            }
            _ => false,
        }
    }

    fn synth(&mut self, s: &str) {
        self.write(s, None);
        self.st.line_has_code = true;
    }

    // ---- Comments ----

    fn comment_before(&self, pos: usize) -> bool {
        self.comments
            .get(self.st.com)
            .is_some_and(|c| c.start < pos)
    }

    fn flush_before(&mut self, pos: usize) {
        while let Some(&c) = self.comments.get(self.st.com) {
            if c.start >= pos {
                break;
            }
            self.st.com += 1;
            self.comment(c);
        }
    }

    /// Prints the comments on the line of the last token consumed. It stops at a comment
    /// that no longer shares a line with code (after a line comment, or after a block
    /// comment over several lines): that one leads the next token.
    fn flush_trailing(&mut self) {
        let next = self.next_start();
        while let Some(&c) = self.comments.get(self.st.com) {
            if c.start >= next || !c.trailing || self.st.must_break || !self.st.line_has_code {
                break;
            }
            self.st.com += 1;
            self.comment(c);
        }
    }

    fn comment(&mut self, c: CommentInfo) {
        let src = self.src;
        let text = &src[c.start..c.end];
        // Line breaks are written as `\n`, inside block comments too.
        let text: std::borrow::Cow<'_, str> = if c.line {
            text.trim_end().into()
        } else if text.contains('\r') {
            text.replace("\r\n", "\n").into()
        } else {
            text.into()
        };
        let text = text.as_ref();
        if c.line && c.trailing && self.st.line_has_code && !self.st.must_break {
            self.trim_trailing_spaces();
            self.push_str("  ");
            self.push_str(text);
            self.st.must_break = true;
        } else if c.line || c.alone {
            if self.st.must_break || self.st.line_has_code {
                self.break_inside();
            } else if !self.st.at_line_start {
                // Only comments on this line so far: the next line keeps its indentation.
                self.end_line();
            }
            self.write(text, Some(c.start));
            self.end_line();
        } else {
            let fresh = self.st.at_line_start || self.st.must_break;
            self.st.space_pending = false;
            self.begin(Some(c.start));
            if !fresh && !self.out.ends_with([' ', '(', '[']) {
                self.push_str(" ");
            }
            self.push_str(text);
            self.st.space_pending = true;
        }
        self.st.last_end = self.st.last_end.max(c.end);
    }

    // ---- Layout ----

    /// Runs `f` with every group on one line; keeps the result if it has no line break and
    /// ends within `WIDTH - reserve` columns, else undoes it and returns false.
    fn try_flat(&mut self, reserve: usize, f: impl FnOnce(&mut Self)) -> bool {
        if self.st.flat {
            f(self);
            return true;
        }
        // The comments before the group's first token are printed first (unless that token
        // is a block's sticky `{`): after a line comment, the group starts on the next line
        // and may fit there.
        if !self.at(Token::LBrace) {
            let next = self.next_start();
            self.flush_before(next);
        }
        if self.st.must_break {
            self.break_inside();
        }
        let saved = self.st;
        let len = self.out.len();
        self.st.flat = true;
        f(self);
        self.st.flat = false;
        let fits = !self.out[len..].contains('\n')
            && !self.st.must_break
            && self.st.col + reserve <= WIDTH;
        if !fits {
            self.out.truncate(len);
            self.st = saved;
        }
        fits
    }

    /// Alignment padding for each member: members of one kind in a row share the column of
    /// their `=`. A blank line in the source between two members ends the row when
    /// `blank_breaks` (statement level, where blank lines are kept).
    fn pads(&self, members: &[(Option<(Align, usize)>, Span)], blank_breaks: bool) -> Vec<usize> {
        let mut pads = vec![0; members.len()];
        let mut start = 0;
        while start < members.len() {
            let mut end = start + 1;
            if let (Some((kind, _)), _) = members[start] {
                while end < members.len()
                    && members[end].0.is_some_and(|(k, _)| k == kind)
                    && !(blank_breaks
                        && self.gap_has_blank(members[end - 1].1.end, members[end].1.start))
                {
                    end += 1;
                }
                let widest = members[start..end]
                    .iter()
                    .filter_map(|m| m.0.map(|(_, w)| w))
                    .max()
                    .unwrap_or(0);
                for (pad, member) in pads[start..end].iter_mut().zip(&members[start..end]) {
                    *pad = widest - member.0.map_or(widest, |(_, w)| w);
                }
            }
            start = end;
        }
        pads
    }

    /// Whether the source between two offsets has a blank line outside comments.
    fn gap_has_blank(&self, from: u32, to: u32) -> bool {
        let (from, to) = (from as usize, to as usize);
        if from >= to {
            return false;
        }
        let first = self.comments.partition_point(|c| c.start < from);
        let mut at = from;
        for c in self.comments[first..].iter().take_while(|c| c.start < to) {
            if has_blank_line(&self.src[at..c.start]) {
                return true;
            }
            at = c.end;
        }
        at < to && has_blank_line(&self.src[at..to])
    }

    /// `{ members }`: each member on its own line, blank lines of the source kept (one at
    /// most), none after `{` or before `}`; `{}` when empty.
    fn block(&mut self, n: usize, mut member: impl FnMut(&mut Self, usize)) {
        self.sticky(Token::LBrace);
        if n == 0 && !self.comment_before(self.next_start()) {
            self.tok(Token::RBrace);
            return;
        }
        let outer = self.st.indent;
        self.st.indent += INDENT;
        for i in 0..n {
            self.st.blank_ok = true;
            self.newline();
            if i == 0 {
                self.st.block_start = true;
            }
            member(self, i);
        }
        self.st.blank_ok = true;
        self.newline();
        if n == 0 {
            self.st.block_start = true;
        }
        let close = self.next_start();
        self.flush_before(close);
        self.st.indent = outer;
        self.st.blank_ok = false;
        self.newline();
        self.tok(Token::RBrace);
    }

    /// `open items close` on one line when it fits, else one item a line with a trailing
    /// comma.
    fn list<T>(&mut self, items: &[T], open: Token<'_>, close: Token<'_>, item: fn(&mut Self, &T)) {
        let tail = self.st.tail;
        if !self.try_flat(tail, |p| p.list_flat(items, open, close, item)) {
            self.list_broken(items, open, close, item);
        }
    }

    fn list_flat<T>(
        &mut self,
        items: &[T],
        open: Token<'_>,
        close: Token<'_>,
        item: fn(&mut Self, &T),
    ) {
        self.tok(open);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.sticky(Token::Comma);
                self.space();
            }
            item(self, x);
        }
        self.skip(Token::Comma);
        self.tok(close);
    }

    fn list_broken<T>(
        &mut self,
        items: &[T],
        open: Token<'_>,
        close: Token<'_>,
        item: fn(&mut Self, &T),
    ) {
        self.tok(open);
        if items.is_empty() && !self.comment_before(self.next_start()) {
            self.tok(close);
            return;
        }
        // Items are indented from the line that opens the list, which closes at its level.
        let outer = self.st.indent;
        let base = self.st.line_indent;
        self.st.indent = base + INDENT;
        for (i, x) in items.iter().enumerate() {
            self.newline();
            if i == 0 {
                self.st.block_start = true;
            }
            let tail = std::mem::replace(&mut self.st.tail, 1);
            item(self, x);
            self.st.tail = tail;
            if self.at(Token::Comma) {
                self.sticky(Token::Comma);
            } else {
                self.synth(",");
            }
        }
        self.newline();
        if items.is_empty() {
            self.st.block_start = true;
        }
        let end = self.next_start();
        self.flush_before(end);
        self.st.indent = base;
        self.newline();
        self.tok(close);
        self.st.indent = outer;
    }

    // ---- Items ----

    fn file(&mut self, file: &SourceFile) {
        let mut prev: Option<&Item> = None;
        for item in &file.items {
            self.st.blank_ok = true;
            self.newline();
            if let Some(prev) = prev {
                let both_one_line = is_one_line_item(prev) && is_one_line_item(item);
                if !both_one_line && !self.gap_has_blank(prev.span().end, item.span().start) {
                    self.st.force_blank = true;
                }
            }
            self.item(item);
            prev = Some(item);
        }
        self.st.blank_ok = true;
        self.newline();
        self.flush_before(usize::MAX);
        self.newline();
        if self.st.tok != self.toks.len() {
            let at = self.next_start();
            self.fail(format!("the printer stopped before the token at byte {at}"));
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(import) => {
                self.tok(Token::Import);
                self.space();
                self.tok(Token::Str(""));
                if import.alias.is_some() {
                    self.space();
                    self.tok(Token::As);
                    self.space();
                    self.tok(Token::Ident(""));
                }
            }
            Item::Artifact(artifact) => {
                self.tok(Token::Artifact);
                self.space();
                self.tok(Token::Ident(""));
                if let Some(base) = &artifact.base {
                    self.tok(Token::Colon);
                    self.space();
                    self.ty(base);
                }
            }
            Item::Op(op) => self.op(op),
            Item::Pipeline(pipeline) => self.pipeline(pipeline),
            Item::Record(record) => {
                self.tok(Token::Record);
                self.space();
                self.tok(Token::Ident(""));
                self.space();
                // One field a line, each ended by a comma like a broken parameter list (a
                // comma dropped would move a comment before it onto the next field's doc).
                self.block(record.fields.len(), |p, i| {
                    p.param(&record.fields[i]);
                    if p.at(Token::Comma) {
                        p.sticky(Token::Comma);
                    } else {
                        p.synth(",");
                    }
                });
            }
            Item::Error(span) => self.fail(format!("a broken item at byte {}", span.start)),
        }
    }

    fn op(&mut self, op: &Op) {
        self.tok(Token::Op);
        self.space();
        self.tok(Token::Ident(""));
        if op.outputs.is_empty() {
            self.signature(
                &op.params,
                None,
                op.attrs.is_empty() && op.bodies.is_empty(),
            );
            // `-> ()` means no outputs, like no arrow at all.
            if self.at(Token::Arrow) {
                self.skip(Token::Arrow);
                self.skip(Token::LParen);
                self.skip(Token::RParen);
            }
        } else {
            self.signature(
                &op.params,
                Some(&op.outputs),
                op.attrs.is_empty() && op.bodies.is_empty(),
            );
        }
        let mut members: Vec<(Span, OpMember<'_>)> = op
            .attrs
            .iter()
            .map(|a| (a.span, OpMember::Attr(a)))
            .chain(op.bodies.iter().map(|b| (b.span, OpMember::Body(b))))
            .collect();
        members.sort_by_key(|m| m.0.start);
        let keys: Vec<_> = members
            .iter()
            .map(|(span, m)| match m {
                OpMember::Attr(a) => (attr_align(a), *span),
                OpMember::Body(_) => (None, *span),
            })
            .collect();
        let pads = self.pads(&keys, true);
        self.space();
        self.block(members.len(), |p, i| match members[i].1 {
            OpMember::Attr(a) => p.attribute(a, pads[i]),
            OpMember::Body(b) => p.body(b),
        });
    }

    fn pipeline(&mut self, pipeline: &Pipeline) {
        self.tok(Token::Pipeline);
        self.space();
        self.tok(Token::Ident(""));
        self.signature(
            &pipeline.params,
            pipeline.outputs.as_deref(),
            pipeline.attrs.is_empty() && pipeline.body.is_empty(),
        );
        let mut members: Vec<(Span, PipelineMember<'_>)> = pipeline
            .attrs
            .iter()
            .map(|a| (a.span, PipelineMember::Attr(a)))
            .chain(
                pipeline
                    .body
                    .iter()
                    .map(|s| (s.span(), PipelineMember::Stmt(s))),
            )
            .collect();
        members.sort_by_key(|m| m.0.start);
        let keys: Vec<_> = members
            .iter()
            .map(|(span, m)| match m {
                PipelineMember::Attr(a) => (attr_align(a), *span),
                PipelineMember::Stmt(s) => (stmt_align(s), *span),
            })
            .collect();
        let pads = self.pads(&keys, true);
        self.space();
        self.block(members.len(), |p, i| match members[i].1 {
            PipelineMember::Attr(a) => p.attribute(a, pads[i]),
            PipelineMember::Stmt(s) => p.stmt(s, pads[i]),
        });
    }

    /// `(params) -> (outputs)`: on one line when the header fits, else params one a line
    /// (`) -> (outputs) {` on one line if that fits), else outputs one a line too.
    fn signature(&mut self, params: &[Param], outputs: Option<&[OutputDecl]>, empty: bool) {
        // What follows on the line: " {", or " {}" for an empty block.
        let brace = if empty { 3 } else { 2 };
        let flat = self.try_flat(brace, |p| {
            p.list_flat(params, Token::LParen, Token::RParen, Self::param);
            if let Some(outputs) = outputs {
                p.arrow_outputs(outputs, false);
            }
        });
        if flat {
            return;
        }
        self.list_broken(params, Token::LParen, Token::RParen, Self::param);
        if let Some(outputs) = outputs {
            if !self.try_flat(brace, |p| p.arrow_outputs(outputs, false)) {
                self.arrow_outputs(outputs, true);
            }
        }
    }

    fn arrow_outputs(&mut self, outputs: &[OutputDecl], broken: bool) {
        self.space();
        self.tok(Token::Arrow);
        self.space();
        if broken {
            self.list_broken(outputs, Token::LParen, Token::RParen, Self::output_decl);
        } else {
            self.list_flat(outputs, Token::LParen, Token::RParen, Self::output_decl);
        }
    }

    fn param(&mut self, param: &Param) {
        self.tok(Token::Ident(""));
        self.tok(Token::Colon);
        self.space();
        self.ty(&param.ty);
        if let Some(default) = &param.default {
            self.space();
            self.tok(Token::Assign);
            self.space();
            self.expr(default, 0);
        }
    }

    fn output_decl(&mut self, output: &OutputDecl) {
        self.tok(Token::Ident(""));
        self.tok(Token::Colon);
        self.space();
        self.ty(&output.ty);
    }

    fn ty(&mut self, ty: &TypeRef) {
        match ty {
            TypeRef::Named { namespace, .. } => {
                if namespace.is_some() {
                    self.tok(Token::Ident(""));
                    self.tok(Token::Dot);
                }
                self.tok(Token::Ident(""));
            }
            TypeRef::List { elem, .. } | TypeRef::Dict { value: elem, .. } => {
                self.tok(Token::Ident(""));
                self.tok(Token::Lt);
                self.ty(elem);
                self.tok(Token::Gt);
            }
            TypeRef::Optional { inner, .. } => {
                self.ty(inner);
                self.tok(Token::Question);
            }
            TypeRef::Error(span) => self.fail(format!("a broken type at byte {}", span.start)),
        }
    }

    // ---- Members ----

    fn attribute(&mut self, attr: &Attribute, pad: usize) {
        self.tok(Token::Ident(""));
        match &attr.value {
            AttrValue::Expr(value) => {
                self.spaces(pad + 1);
                self.tok(Token::Assign);
                self.space();
                self.expr(value, 0);
            }
            AttrValue::Block(entries) => {
                self.space();
                if !self.try_flat(0, |p| p.attr_block_flat(entries)) {
                    self.attr_block_broken(entries);
                }
            }
            AttrValue::Secret(_) => {
                self.spaces(pad + 1);
                self.tok(Token::Assign);
                self.space();
                self.tok(Token::Ident(""));
                self.tok(Token::LParen);
                self.tok(Token::Str(""));
                self.tok(Token::RParen);
            }
        }
    }

    /// `{ cpu = 2  memory = "4Gi" }`: entries two spaces apart, their optional commas dropped.
    fn attr_block_flat(&mut self, entries: &[Attribute]) {
        self.sticky(Token::LBrace);
        if !entries.is_empty() {
            self.space();
        }
        for (i, entry) in entries.iter().enumerate() {
            if i > 0 {
                // Comments between entries go before the gap.
                let next = self.next_start();
                self.flush_before(next);
                self.spaces(2);
            }
            self.attribute(entry, 0);
            self.skip(Token::Comma);
        }
        if !entries.is_empty() {
            self.space();
        }
        self.tok(Token::RBrace);
    }

    /// One entry a line, `=` aligned, optional commas dropped.
    fn attr_block_broken(&mut self, entries: &[Attribute]) {
        let keys: Vec<_> = entries.iter().map(|e| (attr_align(e), e.span)).collect();
        let pads = self.pads(&keys, false);
        self.sticky(Token::LBrace);
        let outer = self.st.indent;
        let base = self.st.line_indent;
        self.st.indent = base + INDENT;
        for (i, entry) in entries.iter().enumerate() {
            self.newline();
            if i == 0 {
                self.st.block_start = true;
            }
            self.attribute(entry, pads[i]);
            self.skip(Token::Comma);
        }
        self.newline();
        if entries.is_empty() {
            self.st.block_start = true;
        }
        let close = self.next_start();
        self.flush_before(close);
        self.st.indent = base;
        self.newline();
        self.tok(Token::RBrace);
        self.st.indent = outer;
    }

    fn body(&mut self, body: &Body) {
        self.tok(match body.lang {
            BodyLang::Python => Token::Python,
            BodyLang::Shell => Token::Shell,
        });
        self.space();
        if body.function {
            self.tok(Token::Ident("def"));
            self.space();
        }
        match &body.source {
            BodySource::Inline { .. } => self.body_text(),
            BodySource::File(_) => {
                self.tok(Token::File);
                self.space();
                self.tok(Token::Str(""));
            }
        }
    }

    fn body_text(&mut self) {
        let Some(span) = self.take(Token::Body("")) else {
            return;
        };
        if span.len() < 6 {
            self.fail(format!("an unterminated body at byte {}", span.start));
            return;
        }
        self.flush_before(span.start as usize);
        let src = self.src;
        let raw = &src[span.start as usize + 3..span.end as usize - 3];
        // Line breaks are written as `\n`: a `\r` before one goes (the de-indented body,
        // which is what it means, reads lines without it).
        let crlf;
        let raw = if raw.contains("\r\n") {
            crlf = raw.replace("\r\n", "\n");
            crlf.as_str()
        } else {
            raw
        };
        let text = reindent_body(raw, self.st.indent);
        self.write("\"\"\"", Some(span.start as usize));
        self.push_str(text.as_deref().unwrap_or(raw));
        self.push_str("\"\"\"");
        self.st.line_has_code = true;
        self.consumed(span);
        self.st.blank_ok = false;
    }

    // ---- Statements ----

    fn stmts(&mut self, stmts: &[Stmt]) {
        let keys: Vec<_> = stmts.iter().map(|s| (stmt_align(s), s.span())).collect();
        let pads = self.pads(&keys, true);
        self.block(stmts.len(), |p, i| p.stmt(&stmts[i], pads[i]));
    }

    fn stmt(&mut self, stmt: &Stmt, pad: usize) {
        match stmt {
            Stmt::Step(step) => {
                self.tok(Token::Step);
                self.space();
                self.tok(Token::Ident(""));
                self.spaces(pad + 1);
                self.tok(Token::Assign);
                self.space();
                if !self.try_flat(0, |p| p.call(step, false)) {
                    self.call(step, true);
                }
            }
            Stmt::For(f) => {
                self.tok(Token::For);
                self.space();
                self.tok(Token::Ident(""));
                if f.second.is_some() {
                    self.sticky(Token::Comma);
                    self.space();
                    self.tok(Token::Ident(""));
                }
                self.space();
                self.tok(Token::In);
                self.space();
                self.expr_before_brace(&f.iter);
                self.space();
                self.stmts(&f.body);
            }
            Stmt::If(i) => self.if_stmt(i),
            Stmt::Output(output) => {
                self.tok(Token::Output);
                self.space();
                self.tok(Token::Ident(""));
                self.spaces(pad + 1);
                self.tok(Token::Assign);
                self.space();
                self.expr(&output.value, 0);
            }
            Stmt::Error(span) => self.fail(format!("a broken statement at byte {}", span.start)),
        }
    }

    fn if_stmt(&mut self, i: &If) {
        self.tok(Token::If);
        self.space();
        self.expr_before_brace(&i.cond);
        self.space();
        self.stmts(&i.then_body);
        let Some(else_body) = &i.else_body else {
            return;
        };
        self.space();
        // A comment before `else` gets its own line at the `if`'s indentation.
        let cont = self.st.cont;
        self.st.cont = 0;
        self.tok(Token::Else);
        self.st.cont = cont;
        self.space();
        if self.at(Token::If) {
            match else_body.as_slice() {
                [Stmt::If(inner)] => self.if_stmt(inner),
                _ => self.fail("`else if` without a single `if` in the tree".into()),
            }
        } else {
            self.stmts(else_body);
        }
    }

    /// The iterable of a `for`, the condition of an `if`: ` {` follows on the line.
    fn expr_before_brace(&mut self, e: &Expr) {
        let tail = std::mem::replace(&mut self.st.tail, 2);
        self.expr(e, 0);
        self.st.tail = tail;
    }

    /// `callee(args) after a, b`.
    fn call(&mut self, step: &Step, broken: bool) {
        if step.callee.namespace.is_some() {
            self.tok(Token::Ident(""));
            self.tok(Token::Dot);
        }
        self.tok(Token::Ident(""));
        if broken {
            self.list_broken(&step.args, Token::LParen, Token::RParen, Self::arg);
        } else {
            self.list_flat(&step.args, Token::LParen, Token::RParen, Self::arg);
        }
        if !step.after.is_empty() {
            self.space();
            self.tok(Token::After);
            self.space();
            for i in 0..step.after.len() {
                if i > 0 {
                    self.sticky(Token::Comma);
                    self.space();
                }
                self.tok(Token::Ident(""));
            }
        }
    }

    fn arg(&mut self, arg: &Arg) {
        self.tok(Token::Ident(""));
        self.tok(Token::Colon);
        self.space();
        self.expr(&arg.value, 0);
    }

    // ---- Expressions ----

    /// The parentheses the source has around `e` (the tree keeps none; the span of a
    /// parenthesised expression covers them).
    fn written_parens(&self, e: &Expr) -> usize {
        let own_start = match &e.kind {
            ExprKind::Binary { lhs, .. } => lhs.span.start,
            ExprKind::Member { base, .. } | ExprKind::Index { base, .. } => base.span.start,
            _ => u32::MAX,
        };
        self.toks[self.st.tok..]
            .iter()
            .take_while(|(t, span)| {
                *t == Token::LParen && span.start >= e.span.start && span.start < own_start
            })
            .count()
    }

    /// Prints `e` where an expression binding at least as tightly as `min` is required.
    /// Parentheses the user wrote are kept, even doubled ones (dropping one could move a
    /// doc comment before it onto the next step); parentheses that precedence needs are
    /// added (the parser's trees always have them).
    fn expr(&mut self, e: &Expr, min: u8) {
        let written = self.written_parens(e);
        let needed = precedence(e) < min;
        for _ in 0..written {
            self.tok(Token::LParen);
        }
        if written == 0 && needed {
            self.synth("(");
        }
        match &e.kind {
            ExprKind::Int(_) => self.tok(Token::Int("")),
            ExprKind::Float(_) => self.tok(Token::Float("")),
            ExprKind::Str(_) => self.tok(Token::Str("")),
            ExprKind::Bool(true) => self.tok(Token::True),
            ExprKind::Bool(false) => self.tok(Token::False),
            ExprKind::Duration(_) => self.tok(Token::Duration("")),
            ExprKind::Name(_) => self.tok(Token::Ident("")),
            ExprKind::Field { .. } => {
                self.tok(Token::Ident(""));
                self.tok(Token::Dot);
                self.tok(Token::Ident(""));
            }
            ExprKind::List(items) => {
                self.list(items, Token::LBracket, Token::RBracket, |p, x| p.expr(x, 0));
            }
            ExprKind::Record(fields) => {
                self.list(fields, Token::LBrace, Token::RBrace, Self::arg);
            }
            ExprKind::Dict(entries) => {
                self.list(entries, Token::LBrace, Token::RBrace, |p, entry| {
                    p.tok(Token::Str(""));
                    p.tok(Token::Colon);
                    p.space();
                    p.expr(&entry.value, 0);
                });
            }
            ExprKind::Member { base, .. } => {
                self.expr(base, 8);
                self.tok(Token::Dot);
                self.tok(Token::Ident(""));
            }
            ExprKind::Index { base, index } => {
                self.expr(base, 8);
                self.tok(Token::LBracket);
                self.expr(index, 0);
                self.tok(Token::RBracket);
            }
            ExprKind::Call { args, .. } => {
                self.tok(Token::Ident(""));
                self.list(args, Token::LParen, Token::RParen, |p, x| p.expr(x, 0));
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                self.tok(Token::Not);
                self.space();
                self.expr(operand, 3);
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                self.tok(Token::Minus);
                let double_minus = matches!(
                    operand.kind,
                    ExprKind::Unary {
                        op: UnaryOp::Neg,
                        ..
                    }
                ) && self.written_parens(operand) == 0;
                if double_minus {
                    self.space();
                }
                self.expr(operand, 7);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let p = precedence(e);
                let (left, right) = if op.is_comparison() {
                    (p + 1, p + 1)
                } else {
                    (p, p + 1)
                };
                self.expr(lhs, left);
                self.space();
                self.tok(operator_token(*op));
                self.space();
                self.expr(rhs, right);
            }
            ExprKind::Error => self.fail(format!("a broken expression at byte {}", e.span.start)),
        }
        for _ in 0..written {
            self.tok(Token::RParen);
        }
        if written == 0 && needed {
            self.synth(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_lines_of_white_space_between_breaks() {
        assert!(has_blank_line("\n\n"));
        assert!(has_blank_line(" \n \t\r\n "));
        assert!(!has_blank_line(" \n "));
        assert!(!has_blank_line("\n,\n"));
    }

    #[test]
    fn bodies_move_as_a_block() {
        let body = "\n      a\n        b\n\n      c\n    ";
        assert_eq!(
            reindent_body(body, 2).as_deref(),
            Some("\n    a\n      b\n\n    c\n  ")
        );
        assert_eq!(
            mlforge_syntax::body::dedent(body),
            mlforge_syntax::body::dedent(&reindent_body(body, 2).unwrap())
        );
        // Code on the line of a quote, or a single line: kept as written.
        assert_eq!(reindent_body(" x ", 2), None);
        assert_eq!(reindent_body("x\n  y\n", 2), None);
        assert_eq!(reindent_body("\n  y\n  z", 2), None);
        // Indentation in other white space than spaces and tabs: kept as written.
        assert_eq!(reindent_body("\n\u{a0}y\n", 2), None);
    }
}

//! What surrounds an offset, read from the tokens: the open brackets around it (as frames)
//! and the tokens before it in the innermost one. Works on broken text: completion and
//! signature help run mid-edit, when the tree may not hold the construct being typed.
//!
//! Scanning starts at an anchor chosen from the tree (the statement around the offset in
//! a pipeline, the item otherwise), so its cost does not grow with the file.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{Item, Stmt};

use crate::base::{lex_range, slice, text, tree, Tok, TK};
use crate::scope::in_else_branch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Top,
    /// `( … )` of an op or pipeline header.
    Params,
    /// `-> ( … )`
    Outputs,
    OpBody,
    PipeBody,
    /// `{ … }` of a `for`, `if` or `else`.
    Block,
    /// `resources { … }`, `env { … }`; `open` is the `{`, the name is the token before.
    AttrBlock,
    /// `( … )` of a step's call.
    Call,
    /// `{ … }` of a record or dict literal, in an expression.
    Literal,
    Paren,
    List,
    /// `list< … >` in a type.
    Angle,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    /// The opening token, when the scan saw it.
    pub open: Option<usize>,
    /// The first token index of this frame's content that the scan saw.
    pub start: usize,
}

pub(crate) struct Scan<'a> {
    pub text: &'a str,
    /// The tokens from the anchor to the offset scanned to.
    pub toks: Vec<Tok>,
    pub frames: Vec<Frame>,
    /// Tokens `..end` precede the offset scanned to.
    pub end: usize,
    /// At top level: the item keyword whose header is being read.
    pub item_kw: Option<&'a str>,
    /// Token indices of the step names (`step NAME =`) the scan went past.
    pub steps: Vec<usize>,
}

impl<'a> Scan<'a> {
    pub(crate) fn top(&self) -> Frame {
        *self.frames.last().expect("the scan keeps the top frame")
    }

    /// The tokens of the innermost frame before the offset.
    pub(crate) fn tail(&self) -> &[Tok] {
        let start = self.top().start.min(self.end);
        &self.toks[start..self.end]
    }

    pub(crate) fn tok_text(&self, tok: &Tok) -> &'a str {
        slice(self.text, tok.span)
    }

    /// The `n`-th token from the end of the tail (0 = last), with its text.
    pub(crate) fn last(&self, n: usize) -> Option<(TK, &'a str)> {
        let tail = self.tail();
        let tok = tail.get(tail.len().checked_sub(n + 1)?)?;
        Some((tok.kind, self.tok_text(tok)))
    }

    pub(crate) fn last_is(&self, n: usize, kind: TK, word: Option<&str>) -> bool {
        self.last(n)
            .is_some_and(|(k, t)| k == kind && word.is_none_or(|w| w == t))
    }

    pub(crate) fn last_kw(&self, n: usize, word: &str) -> bool {
        self.last_is(n, TK::Keyword, Some(word))
    }
}

/// Scans the tokens that end at or before `offset`, lexing only from the anchor.
pub(crate) fn scan(db: &dyn Db, file: SourceFile, offset: usize) -> Scan<'_> {
    let text = text(db, file);
    let (at, kinds) = anchor(db, file, offset);
    scan_tokens(text, lex_range(text, at, offset), &kinds, offset)
}

/// Scans `toks` (lexed from an anchor whose open frames are `kinds`) up to `offset`.
pub(crate) fn scan_tokens<'a>(
    text: &'a str,
    toks: Vec<Tok>,
    kinds: &[FrameKind],
    offset: usize,
) -> Scan<'a> {
    let end = toks.partition_point(|t| (t.span.end as usize) <= offset);
    let frames = kinds.iter().map(|&kind| frame(kind, None, 0)).collect();
    let mut scan = Scan {
        text,
        toks,
        frames,
        end,
        item_kw: None,
        steps: Vec::new(),
    };
    for i in 0..end {
        step(&mut scan, i);
    }
    scan
}

fn frame(kind: FrameKind, open: Option<usize>, start: usize) -> Frame {
    Frame { kind, open, start }
}

/// The first `{` at or after `from` and before `to` outside parentheses (a param's default
/// may hold braces of its own).
fn first_brace(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut depth = 0usize;
    lex_range(text, from, to)
        .into_iter()
        .find(|t| {
            match t.kind {
                TK::LParen => depth += 1,
                TK::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
            t.kind == TK::LBrace && depth == 0
        })
        .map(|t| t.span.start as usize)
}

/// Where to start reading tokens before `offset` (a byte offset where a token starts, or
/// white space), with the frames open there, outermost first.
pub(crate) fn anchor(db: &dyn Db, file: SourceFile, offset: usize) -> (usize, Vec<FrameKind>) {
    let text = text(db, file);
    let items = &tree(db, file).file.items;
    let top = vec![FrameKind::Top];
    let i = items.partition_point(|it| (it.span().start as usize) < offset);
    let Some(item) = i.checked_sub(1).and_then(|j| items.get(j)) else {
        return (0, top);
    };
    let span = item.span();
    let complete = !matches!(item, Item::Error(_));
    let extensible = matches!(item, Item::Import(_) | Item::Artifact(_));
    if complete && offset >= span.end as usize && !extensible {
        return (span.end as usize, top);
    }
    let mut at_item = span.start as usize;
    if !complete {
        // `artifact A:` reads as an artifact `A` then a broken `:`: start at the artifact.
        if let Some(prev @ (Item::Artifact(_) | Item::Import(_))) =
            i.checked_sub(2).and_then(|j| items.get(j))
        {
            at_item = prev.span().start as usize;
        }
    }
    let Item::Pipeline(pipeline) = item else {
        return (at_item, top);
    };
    // The pipeline's `{`: the first brace after its header.
    let first_member = pipeline
        .attrs
        .iter()
        .map(|a| a.span.start)
        .chain(pipeline.body.iter().map(|s| s.span().start))
        .min()
        .unwrap_or(span.end) as usize;
    let Some(brace) = first_brace(text, pipeline.name.span.end as usize, first_member) else {
        return (at_item, top);
    };
    if offset <= brace {
        return (at_item, top);
    }
    let mut frames = vec![FrameKind::Top, FrameKind::PipeBody];
    let mut stmts: &[Stmt] = &pipeline.body;
    let mut fallback = brace + 1;
    // Attributes come first in practice; an attribute before the offset is an anchor.
    for attr in &pipeline.attrs {
        if attr.span.start as usize >= offset {
            break;
        }
        fallback = attr.span.start as usize;
    }
    let mut fallback_frames = frames.clone();
    loop {
        let k = stmts.partition_point(|s| (s.span().start as usize) < offset);
        let Some(prev) = k.checked_sub(1).and_then(|j| stmts.get(j)) else {
            return (fallback, fallback_frames);
        };
        let pspan = prev.span();
        let holds = offset <= pspan.end as usize;
        let here = pspan.start as usize;
        let inside =
            |header_end: u32| holds && offset > header_end as usize && offset < pspan.end as usize;
        match prev {
            Stmt::For(block) if inside(block.iter.span.end) => {
                fallback = here;
                fallback_frames = frames.clone();
                frames.push(FrameKind::Block);
                stmts = &block.body;
            }
            Stmt::If(block) if inside(block.cond.span.end) => {
                let in_else = in_else_branch(db, file, block, offset);
                fallback = here;
                fallback_frames = frames.clone();
                frames.push(FrameKind::Block);
                stmts = if in_else {
                    block.else_body.as_deref().unwrap_or_default()
                } else {
                    &block.then_body
                };
            }
            Stmt::For(_) | Stmt::If(_) if !holds => return (pspan.end as usize, frames),
            Stmt::Error(_) => {
                // Broken text is often the tail of the statement before it (`x = a.b.`
                // reads as `x = a.b` then `.`): start at that statement.
                let mut j = k - 1;
                while j > 0 && matches!(stmts[j - 1], Stmt::Error(_)) {
                    j -= 1;
                }
                let at = match j.checked_sub(1).map(|j| &stmts[j]) {
                    Some(before @ (Stmt::For(_) | Stmt::If(_))) => before.span().end as usize,
                    Some(before) => before.span().start as usize,
                    None => stmts[j].span().start as usize,
                };
                return (at, frames);
            }
            _ => return (here, frames),
        }
    }
}

fn is_item_kw(word: &str) -> bool {
    matches!(word, "import" | "op" | "pipeline" | "artifact")
}

fn step(scan: &mut Scan<'_>, i: usize) {
    let tok = scan.toks[i];
    let word = slice(scan.text, tok.span);
    let top = scan.top().kind;
    if tok.kind == TK::Assign
        && i >= 2
        && scan.toks[i - 1].kind == TK::Ident
        && scan.toks[i - 2].kind == TK::Keyword
        && slice(scan.text, scan.toks[i - 2].span) == "step"
    {
        scan.steps.push(i - 1);
    }
    match tok.kind {
        TK::Keyword if is_item_kw(word) => {
            // An item keyword ends whatever was open (as the parser's recovery does).
            scan.frames.truncate(1);
            scan.frames[0].start = i;
            scan.item_kw = Some(word);
        }
        TK::LParen => {
            let kind = match top {
                FrameKind::Top if matches!(scan.item_kw, Some("op" | "pipeline")) => {
                    if i > 0 && scan.toks[i - 1].kind == TK::Arrow {
                        FrameKind::Outputs
                    } else {
                        FrameKind::Params
                    }
                }
                FrameKind::PipeBody | FrameKind::Block if is_call_open(scan, i) => FrameKind::Call,
                _ => FrameKind::Paren,
            };
            scan.frames.push(frame(kind, Some(i), i + 1));
        }
        TK::LBrace => {
            let kind = match top {
                FrameKind::Top => match scan.item_kw {
                    Some("op") => FrameKind::OpBody,
                    Some("pipeline") => FrameKind::PipeBody,
                    _ => FrameKind::Block,
                },
                FrameKind::OpBody | FrameKind::AttrBlock => FrameKind::AttrBlock,
                FrameKind::Call
                | FrameKind::Paren
                | FrameKind::List
                | FrameKind::Params
                | FrameKind::Literal => FrameKind::Literal,
                // `output x = {…}`
                FrameKind::PipeBody | FrameKind::Block
                    if i > 0 && scan.toks[i - 1].kind == TK::Assign =>
                {
                    FrameKind::Literal
                }
                _ => FrameKind::Block,
            };
            scan.frames.push(frame(kind, Some(i), i + 1));
        }
        TK::LBracket => scan.frames.push(frame(FrameKind::List, Some(i), i + 1)),
        TK::Lt
            if i > 0
                && scan.toks[i - 1].kind == TK::Ident
                && slice(scan.text, scan.toks[i - 1].span) == "list"
                && matches!(
                    top,
                    FrameKind::Top | FrameKind::Params | FrameKind::Outputs | FrameKind::Angle
                ) =>
        {
            scan.frames.push(frame(FrameKind::Angle, Some(i), i + 1))
        }
        TK::RParen => close(scan, i, |k| {
            matches!(
                k,
                FrameKind::Params | FrameKind::Outputs | FrameKind::Call | FrameKind::Paren
            )
        }),
        TK::RBrace => close(scan, i, |k| {
            matches!(
                k,
                FrameKind::OpBody
                    | FrameKind::PipeBody
                    | FrameKind::Block
                    | FrameKind::AttrBlock
                    | FrameKind::Literal
            )
        }),
        TK::RBracket => close(scan, i, |k| k == FrameKind::List),
        TK::Gt if top == FrameKind::Angle => close(scan, i, |k| k == FrameKind::Angle),
        _ => {}
    }
}

/// Pops up to and including the innermost frame that `closes` accepts; a stray closer
/// changes nothing.
fn close(scan: &mut Scan<'_>, i: usize, closes: impl Fn(FrameKind) -> bool) {
    let Some(pos) = scan.frames.iter().rposition(|f| closes(f.kind)) else {
        return;
    };
    if pos == 0 {
        return;
    }
    scan.frames.truncate(pos);
    if pos == 1 {
        // Back at top level after an item's body or header part.
        if matches!(scan.frames[0].kind, FrameKind::Top)
            && scan.toks.get(i).is_some_and(|t| t.kind == TK::RBrace)
        {
            scan.item_kw = None;
            scan.frames[0].start = i + 1;
        }
    }
}

/// Whether the `(` at `i` opens a step's call: `step NAME = [NS .] NAME (`.
fn is_call_open(scan: &Scan<'_>, i: usize) -> bool {
    let kinds: Vec<TK> = scan.toks[i.saturating_sub(6)..i]
        .iter()
        .map(|t| t.kind)
        .collect();
    let ends_with = |pattern: &[TK]| kinds.ends_with(pattern);
    let step_kw = |back: usize| {
        i >= back
            && scan.toks[i - back].kind == TK::Keyword
            && slice(scan.text, scan.toks[i - back].span) == "step"
    };
    (ends_with(&[TK::Ident, TK::Assign, TK::Ident]) && step_kw(4))
        || (ends_with(&[TK::Ident, TK::Assign, TK::Ident, TK::Dot, TK::Ident]) && step_kw(6))
}

/// For a `Call` frame: the callee as written (`(namespace, name)`) and the step's name.
pub(crate) fn call_callee<'a>(
    scan: &Scan<'a>,
    frame: &Frame,
) -> Option<(Option<&'a str>, &'a str, &'a str)> {
    let open = frame.open?;
    let t = |back: usize| -> Option<&'a str> {
        let tok = scan.toks.get(open.checked_sub(back)?)?;
        Some(slice(scan.text, tok.span))
    };
    if open >= 2 && scan.toks[open - 2].kind == TK::Dot {
        Some((Some(t(3)?), t(1)?, t(5)?))
    } else {
        Some((None, t(1)?, t(3)?))
    }
}

impl<'a> Scan<'a> {
    /// A step the scan went past: its callee as written, `(namespace, name)`.
    pub(crate) fn scanned_callee(&self, step: &str) -> Option<(Option<&'a str>, &'a str)> {
        let &at = self
            .steps
            .iter()
            .rev()
            .find(|&&i| self.tok_text(&self.toks[i]) == step)?;
        let t = |k: usize| {
            self.toks
                .get(at + k)
                .filter(|t| t.kind == TK::Ident || t.kind == TK::Dot)
        };
        match (t(2), t(3), t(4)) {
            (Some(ns), Some(dot), Some(name)) if dot.kind == TK::Dot => {
                Some((Some(self.tok_text(ns)), self.tok_text(name)))
            }
            (Some(name), _, _) if name.kind == TK::Ident => Some((None, self.tok_text(name))),
            _ => None,
        }
    }

    /// The step whose statement the scan ends in, if it read its `step NAME =`.
    pub(crate) fn current_step(&self) -> Option<&'a str> {
        let &at = self.steps.last()?;
        let later = &self.toks[at + 1..self.end];
        let ended = later.iter().any(|t| {
            t.kind == TK::RBrace
                || (t.kind == TK::Keyword
                    && matches!(self.tok_text(t), "step" | "output" | "for" | "if" | "else"))
        });
        (!ended).then(|| self.tok_text(&self.toks[at]))
    }

    /// The names written as `name:` at the innermost frame's own depth before the offset.
    pub(crate) fn names_given(&self) -> Vec<&'a str> {
        let mut depth = 0usize;
        let mut names = Vec::new();
        let tail = self.tail();
        for (i, tok) in tail.iter().enumerate() {
            match tok.kind {
                TK::LParen | TK::LBracket | TK::LBrace => depth += 1,
                TK::RParen | TK::RBracket | TK::RBrace => depth = depth.saturating_sub(1),
                TK::Ident if depth == 0 => {
                    let starts = i == 0 || tail[i - 1].kind == TK::Comma;
                    if starts && tail.get(i + 1).is_some_and(|t| t.kind == TK::Colon) {
                        names.push(self.tok_text(tok));
                    }
                }
                _ => {}
            }
        }
        names
    }

    /// Names of the steps the scan went past.
    pub(crate) fn scanned_steps(&self) -> Vec<&'a str> {
        self.steps
            .iter()
            .map(|&i| self.tok_text(&self.toks[i]))
            .collect()
    }
}

/// The tokens from the anchor of `offset` to the end of its line, and the index of the
/// token holding `offset` (touching it counts).
pub(crate) fn tokens_around(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> (Vec<Tok>, Option<usize>) {
    let text = text(db, file);
    let (at, _) = anchor(db, file, offset);
    let line_end = text[offset.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let toks = lex_range(text, at, line_end);
    let i = toks.partition_point(|t| (t.span.end as usize) < offset);
    let held = toks.get(i).is_some_and(|t| t.span.start as usize <= offset);
    (toks, held.then_some(i))
}

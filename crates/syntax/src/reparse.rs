//! Re-parsing after an edit by parsing only the statements the edit touched.
//!
//! Typing in a 5,000-step pipeline changes one statement, yet a full parse reads the whole
//! file (about 9 ms for 444 KB). [`reparse`] compares the old and new text, finds the
//! smallest run of statements of one block that holds the whole change, parses the new text
//! of just that run, and puts the result into a copy of the old tree with every later span
//! moved. It falls back to a full [`parse`] whenever it cannot be sure that the result is
//! what a full parse would give: the old tree had errors, the run's new text does not parse
//! cleanly into statements, the change reaches outside every statement, or a token might
//! join one outside the run. The tests in `tests/reparse.rs` check that the result always
//! equals a full parse.

use chumsky::input::Input as _;
use chumsky::prelude::*;

use crate::ast::{Item, Stmt};
use crate::lexer::{lex, Comment, CommentKind};
use crate::shift::Shift;
use crate::{docs, parse, parser, Parse};

/// The parse of `new_text`, reusing `old`, the parse of `old_text`, where it can.
pub fn reparse(old: &Parse, old_text: &str, new_text: &str) -> Parse {
    reparse_edited_statements(old, old_text, new_text).unwrap_or_else(|| parse(new_text))
}

/// Where a run of statements sits in the old tree: the path of block indices from the
/// file's items down to the body holding it, and the run's range in that body.
struct Run {
    /// Item index, then for each nested block: (statement index, which body of it).
    path: Vec<usize>,
    first: usize,
    last: usize,
    start: u32,
    end: u32,
}

/// The parse of `new_text` made by re-parsing only the statements that differ from
/// `old_text`, or `None` where that cannot be done safely (then a full parse is needed).
pub fn reparse_edited_statements(old: &Parse, old_text: &str, new_text: &str) -> Option<Parse> {
    if !old.errors.is_empty() {
        return None;
    }
    let (changed_from, old_changed_to) = changed_region(old_text, new_text);
    let delta = new_text.len() as i64 - old_text.len() as i64;
    let old_changed = &old_text[changed_from..old_changed_to];
    let new_changed = &new_text[changed_from..(old_changed_to as i64 + delta) as usize];
    let in_comment = edit_inside_comment(
        &old.comments,
        changed_from,
        old_changed_to,
        old_changed,
        new_changed,
    );
    if in_comment == Some(CommentKind::Line) {
        // The tokens are the same: the old tree with spans moved.
        let shift = Shift {
            from: old_changed_to as u32,
            delta,
        };
        let mut file = old.file.clone();
        shift.items(&mut file.items);
        let comments = old
            .comments
            .iter()
            .map(|c| Comment {
                span: shift.moved(c.span),
                ..c.clone()
            })
            .collect();
        return Some(Parse {
            file,
            comments,
            errors: Vec::new(),
        });
    }
    let run = find_run(&old.file.items, changed_from as u32, old_changed_to as u32)?;
    let chunk_start = run.start as usize;
    let chunk_end = (run.end as i64 + delta) as usize;
    if !stands_apart(new_text, chunk_start, chunk_end) {
        return None;
    }
    let context = context_depth(&old.file.items, &run.path, new_text)?;
    let (mut new_stmts, run_comments) =
        parse_statements(new_text, chunk_start, chunk_end, context)?;

    let mut file = old.file.clone();
    let shift = Shift {
        from: run.end,
        delta,
    };
    shift.items(&mut file.items);
    let body = body_at(&mut file.items, &run.path)?;
    // The doc comment of the run's first statement lies before the run; keep it.
    if std::mem::discriminant(&body[run.first]) != std::mem::discriminant(&new_stmts[0]) {
        return None;
    }
    docs::copy_doc(&body[run.first], &mut new_stmts[0]);
    body.splice(run.first..=run.last, new_stmts);

    // Comments never straddle the run's edges, which are token edges.
    let before = old.comments.partition_point(|c| c.span.start < run.start);
    let after = old.comments.partition_point(|c| c.span.start < run.end);
    let mut comments = Vec::with_capacity(old.comments.len() + run_comments.len());
    comments.extend_from_slice(&old.comments[..before]);
    comments.extend(run_comments);
    comments.extend(old.comments[after..].iter().map(|c| Comment {
        span: shift.moved(c.span),
        ..c.clone()
    }));
    Some(Parse {
        file,
        comments,
        errors: Vec::new(),
    })
}

/// The kind of the `//` or `///` comment (in `comments`, at offsets of the text they were
/// lexed from) that holds the whole change `from..to`, if the change leaves its first four
/// characters and its line end alone (so the comment keeps its kind and its extent), and
/// neither the old nor the new changed text holds a line break.
pub fn edit_inside_comment(
    comments: &[Comment],
    from: usize,
    to: usize,
    old_changed: &str,
    new_changed: &str,
) -> Option<CommentKind> {
    let breaks = |t: &str| t.contains(['\n', '\r']);
    if breaks(old_changed) || breaks(new_changed) {
        return None;
    }
    let i = comments
        .partition_point(|c| (c.span.start as usize) < from)
        .checked_sub(1)?;
    let c = &comments[i];
    let inside = c.span.start as usize + 4 <= from && to <= c.span.end as usize;
    (inside && c.kind != CommentKind::Block).then_some(c.kind)
}

/// The byte range of `old` that differs from `new`: the longest common prefix and suffix
/// are taken off (the suffix not overlapping the prefix in either text). Both ends are
/// character boundaries in both texts (`é` → `è` differ in their second byte only).
pub fn changed_region(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = common_len(
        a.iter(),
        b.iter(),
        a.chunks_exact(64).zip(b.chunks_exact(64)),
    );
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let (a_rest, b_rest) = (&a[prefix..], &b[prefix..]);
    let suffix = common_len(
        a_rest.iter().rev(),
        b_rest.iter().rev(),
        a_rest.rchunks_exact(64).zip(b_rest.rchunks_exact(64)),
    );
    // The suffix is the same bytes in both texts, so a boundary in one is one in the other.
    let mut end = a.len() - suffix;
    while !old.is_char_boundary(end) {
        end += 1;
    }
    (prefix, end)
}

/// How many leading elements two sequences share: whole 64-byte blocks first (compared as
/// slices, which is a `memcmp`), then byte by byte.
fn common_len<'a>(
    a: impl Iterator<Item = &'a u8>,
    b: impl Iterator<Item = &'a u8>,
    blocks: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> usize {
    let same_blocks = blocks.take_while(|(x, y)| x == y).count() * 64;
    same_blocks
        + a.skip(same_blocks)
            .zip(b.skip(same_blocks))
            .take_while(|(x, y)| x == y)
            .count()
}

/// The innermost run of consecutive statements of one block whose first byte and last byte
/// lie outside the change `from..to` (old offsets), so that the run's own edges are
/// unchanged text.
fn find_run(items: &[Item], from: u32, to: u32) -> Option<Run> {
    let (index, pipeline) = items.iter().enumerate().find_map(|(i, item)| match item {
        Item::Pipeline(p) if p.span.start < from && to < p.span.end => Some((i, p)),
        _ => None,
    })?;
    let run = find_run_in(&pipeline.body, from, to, vec![index])?;
    // The pipeline's attributes sit among its statements but outside `body`; a run that
    // spans one would lose or duplicate it.
    let spans_an_attribute = pipeline
        .attrs
        .iter()
        .any(|a| run.start <= a.span.start && a.span.start < run.end);
    (!spans_an_attribute).then_some(run)
}

fn find_run_in(stmts: &[Stmt], from: u32, to: u32, path: Vec<usize>) -> Option<Run> {
    let first = stmts
        .partition_point(|s| s.span().start < from)
        .checked_sub(1)?;
    let last = first + stmts[first..].iter().position(|s| to < s.span().end)?;
    if first == last {
        // Inside one `for` or `if`: a run in one of its bodies is smaller still.
        let bodies: Vec<&[Stmt]> = match &stmts[first] {
            Stmt::For(f) => vec![&f.body],
            Stmt::If(i) => [Some(&i.then_body[..]), i.else_body.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            _ => Vec::new(),
        };
        for (which, body) in bodies.into_iter().enumerate() {
            let mut inner_path = path.clone();
            inner_path.extend([first, which]);
            if let Some(run) = find_run_in(body, from, to, inner_path) {
                return Some(run);
            }
        }
    }
    Some(Run {
        path,
        first,
        last,
        start: stmts[first].span().start,
        end: stmts[last].span().end,
    })
}

/// The statement list that `path` (from [`find_run`]) leads to.
fn body_at<'a>(items: &'a mut [Item], path: &[usize]) -> Option<&'a mut Vec<Stmt>> {
    let Item::Pipeline(pipeline) = items.get_mut(path[0])? else {
        return None;
    };
    let mut body = &mut pipeline.body;
    for step in path[1..].chunks(2) {
        body = match (body.get_mut(step[0])?, step[1]) {
            (Stmt::For(f), 0) => &mut f.body,
            (Stmt::If(i), 0) => &mut i.then_body,
            (Stmt::If(i), 1) => i.else_body.as_mut()?,
            _ => return None,
        };
    }
    Some(body)
}

/// Whether the text `start..end` is bounded by whitespace or braces, so that no token of
/// the run can run into a token outside it.
fn stands_apart(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before_ok = start == 0 || matches!(bytes[start - 1], b' ' | b'\t' | b'\r' | b'\n' | b'{');
    let after_ok = end >= bytes.len() || matches!(bytes[end], b' ' | b'\t' | b'\r' | b'\n' | b'}');
    start < end && end <= bytes.len() && before_ok && after_ok
}

/// The statement that is exactly `text[span]`, parsed on its own, when it parses cleanly.
pub fn parse_statement_at(text: &str, span: crate::Span) -> Option<Stmt> {
    let (mut stmts, _) = parse_statements(text, span.start as usize, span.end as usize, 0)?;
    (stmts.len() == 1).then(|| stmts.remove(0))
}

/// How much deeper than a statement list of its own the body `path` leads to lies (see
/// `depth.rs`), measured on the headers of the enclosing `for` and `if` statements in
/// `text`, whose spans before the run the edit did not move. `None` if the path is stale.
fn context_depth(items: &[Item], path: &[usize], text: &str) -> Option<usize> {
    let Item::Pipeline(pipeline) = items.get(path[0])? else {
        return None;
    };
    let mut body = &pipeline.body;
    let mut context = 0;
    for step in path[1..].chunks(2) {
        let stmt = body.get(step[0])?;
        body = match (stmt, step[1]) {
            (Stmt::For(f), 0) => &f.body,
            (Stmt::If(i), 0) => &i.then_body,
            (Stmt::If(i), 1) => i.else_body.as_ref()?,
            _ => return None,
        };
        // From the statement to its body's first statement: `for x in e {`, `if c {`, or
        // `if c { … } else`; the run lies in that body, so it is not empty.
        let header = text.get(stmt.span().start as usize..body.first()?.span().start as usize)?;
        let lexed = lex(header);
        let mut depth = crate::depth::Depth::default();
        for (token, _) in &lexed.tokens {
            depth.step(token);
        }
        context += depth.current() - 1;
    }
    Some(context)
}

/// The statements and comments of `text[start..end]`, with spans in the whole text, if that
/// text lexes and parses as statements without a single error and they cover it, and it
/// nests, `context` levels deeper than a statement list of its own, within the limit.
fn parse_statements(
    text: &str,
    start: usize,
    end: usize,
    context: usize,
) -> Option<(Vec<Stmt>, Vec<Comment>)> {
    let chunk = text.get(start..end)?;
    let lexed = lex(chunk);
    if !lexed.errors.is_empty() {
        return None;
    }
    // Inside the pipeline's braces: one level for the file's top level, plus the context.
    if 1 + context + crate::depth::max_depth(lexed.tokens.iter().map(|(t, _)| t))
        > crate::depth::MAX_NESTING
    {
        return None;
    }
    let offset = start;
    let tokens = parser::chumsky_tokens(&lexed.tokens, offset);
    let eoi = SimpleSpan::from(end..end);
    let input = tokens.as_slice().map(eoi, |(t, s)| (t, s));
    let result = parser::fast::statements().parse(input);
    if result.has_errors() {
        return None;
    }
    let mut stmts = result.into_output()?;
    let last_end = stmts.last()?.span().end as usize;
    let first_start = stmts.first()?.span().start as usize;
    if last_end != end || first_start != start {
        return None;
    }
    let docs = lexed
        .docs
        .into_iter()
        .map(|(at, doc)| (at + offset as u32, doc))
        .collect();
    docs::attach_to_stmts(&mut stmts, &docs);
    let comments = lexed
        .comments
        .into_iter()
        .map(|c| Comment {
            span: c.span.shifted(offset as i64),
            ..c
        })
        .collect();
    Some((stmts, comments))
}

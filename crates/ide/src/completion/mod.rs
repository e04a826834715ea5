//! Completion: what may be typed at an offset, read from the tokens around it (the text
//! may be broken there) and the analysis of the rest of the file.

mod bodies;
mod calls;
mod classify;
mod declarations;
mod expressions;
mod keys;
mod literals;
mod out;
mod paths;
mod types;

use mlforge_analysis::items::parse;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::CommentKind;

use crate::base::{clamp, lex_range, slice, text, word_at, TK};
use crate::context::{anchor, scan_tokens, Scan};
use crate::scope::pipeline_at;
use crate::{CompletionConfig, CompletionItem};

use bodies::interpolations;
pub(crate) use calls::resolve_written_callee;
use calls::{arg_names, callees};
use classify::{classify, Ctx};
use declarations::{attr_entries, op_members, output_names, statements, top_level};
pub(crate) use expressions::output_doc;
use expressions::{expressions, fields, scanned_step_names, step_names};
use keys::dict_keys;
use literals::literal_fields;
use out::Out;
pub(crate) use paths::{path_completions, path_context};
use types::types;

pub(crate) fn completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    config: &CompletionConfig,
) -> Vec<CompletionItem> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    if in_comment(db, file, offset) {
        return Vec::new();
    }
    let (at, kinds) = anchor(db, file, offset);
    let toks = lex_range(text, at, offset);
    // Inside a string or a code body? Lexed up to the offset, it is then left open.
    if let Some(tok) = toks.last() {
        let open = tok.span.end as usize == offset && !closed(slice(text, tok.span), tok.kind);
        if open && (tok.span.start as usize) < offset {
            return match tok.kind {
                TK::Body => interpolations(db, file, offset, tok.span),
                TK::Str => quoted_keys(db, file, offset, toks.clone(), &kinds, tok.span, config),
                _ => Vec::new(),
            };
        }
    }
    let word = word_at(text, offset);
    if text[word.range()]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
    {
        return Vec::new();
    }
    let scan = scan_tokens(text, toks, &kinds, word.start as usize);
    let ctx = classify(&scan, word);
    let mut out = Out {
        items: Vec::new(),
        replace: word,
        config: *config,
        next_char: text[word.end as usize..].chars().next(),
    };
    build(db, file, offset, &scan, ctx, &mut out);
    out.items
}
/// Inside the string of `d["…`: the dict's keys, replacing the string's text.
fn quoted_keys(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    toks: Vec<crate::base::Tok>,
    kinds: &[crate::context::FrameKind],
    string: mlforge_syntax::Span,
    config: &CompletionConfig,
) -> Vec<CompletionItem> {
    let text = text(db, file);
    let start = string.start as usize;
    let scan = scan_tokens(text, toks, kinds, start);
    let frame = scan.top();
    let indexes = scan.tail().is_empty() && classify::is_index(&scan, &frame);
    if !indexes {
        return Vec::new();
    }
    // The key's text runs to the closing quote, when the line has one.
    let rest = &text[offset..];
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let end = offset + line.find('"').unwrap_or(0);
    let mut out = Out {
        items: Vec::new(),
        replace: mlforge_syntax::Span::new(start + 1, end),
        config: *config,
        next_char: None,
    };
    dict_keys(db, file, offset, &scan, &frame, true, &mut out);
    out.items
}
fn closed(token_text: &str, kind: TK) -> bool {
    match kind {
        TK::Body => token_text.len() >= 6 && token_text.ends_with("\"\"\""),
        TK::Str => {
            token_text.len() >= 2 && token_text.ends_with('"') && !token_text.ends_with("\\\"")
        }
        _ => true,
    }
}
fn in_comment(db: &dyn Db, file: SourceFile, offset: usize) -> bool {
    let comments = &parse(db, file).comments;
    let i = comments.partition_point(|c| (c.span.start as usize) < offset);
    let Some(c) = i.checked_sub(1).and_then(|j| comments.get(j)) else {
        return false;
    };
    match c.kind {
        CommentKind::Line | CommentKind::Doc => offset <= c.span.end as usize,
        CommentKind::Block => {
            offset < c.span.end as usize || !slice(text(db, file), c.span).ends_with("*/")
        }
    }
}
fn build(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    ctx: Ctx<'_>,
    out: &mut Out,
) {
    match ctx {
        Ctx::Nothing => {}
        Ctx::TopLevel => top_level(out),
        Ctx::ImportAs => out.keyword("as", 0),
        Ctx::OpMember => op_members(db, file, offset, out),
        Ctx::BodyKind => {
            out.keyword("file", 1);
            out.snippet(
                "\"\"\"…\"\"\"",
                "\"\"\"\n  $0\n\"\"\"",
                "An inline code body.",
                0,
            );
        }
        Ctx::AttrEntry(block) => attr_entries(db, file, offset, block, out),
        Ctx::BoolValue => {
            out.keyword("true", 0);
            out.keyword("false", 0);
        }
        Ctx::Statement {
            pipeline_body,
            after_block,
        } => statements(db, file, offset, pipeline_body, after_block, out),
        Ctx::AfterCall => out.keyword("after", 0),
        Ctx::AfterSteps => match pipeline_at(db, file, offset) {
            Some(at) => step_names(db, &at, scan, out),
            None => scanned_step_names(scan, out),
        },
        Ctx::ForIn => out.keyword("in", 0),
        Ctx::OutputName => output_names(db, file, offset, out),
        Ctx::Callee(namespace) => callees(db, file, offset, namespace, out),
        Ctx::ArgName { frame } => arg_names(db, file, offset, scan, &frame, out),
        Ctx::Expr => expressions(db, file, offset, scan, out),
        Ctx::Field(base) => fields(db, file, offset, scan, base, out),
        Ctx::LiteralField => literal_fields(db, file, scan, out),
        Ctx::Index { frame } => {
            dict_keys(db, file, offset, scan, &frame, false, out);
            expressions(db, file, offset, scan, out);
        }
        Ctx::Type {
            namespace,
            kinds_only,
        } => {
            types(db, file, namespace, kinds_only, out);
            // `artifact A: …` cannot derive from itself.
            if kinds_only && namespace.is_none() && scan.item_kw == Some("artifact") {
                let own = scan
                    .tail()
                    .iter()
                    .rev()
                    .find(|t| t.kind == TK::Ident)
                    .map(|t| scan.tok_text(t));
                out.items.retain(|i| Some(i.label.as_str()) != own);
            }
        }
    }
}

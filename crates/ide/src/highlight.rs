//! Semantic tokens: every token of the file, classified by what it refers to; multi-line
//! tokens (code bodies, block comments) are split into one token per line.

use std::collections::HashMap;

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::{CommentKind, Span};

use crate::base::{slice, text, tokens, tree, TK};
use crate::defs::{file_occurrences, Def, ItemKind, Role};
use crate::{SemanticToken, TokenKind};

pub(crate) fn semantic_tokens(db: &dyn Db, file: SourceFile) -> Vec<SemanticToken> {
    let text = text(db, file);
    let occs = file_occurrences(db, file);
    let mut named: HashMap<u32, (TokenKind, bool)> = HashMap::with_capacity(occs.len());
    for occ in occs {
        let kind = match &occ.def {
            Def::Item {
                kind: ItemKind::Op, ..
            } => TokenKind::Op,
            Def::Item {
                kind: ItemKind::Pipeline,
                ..
            } => TokenKind::Pipeline,
            Def::Item {
                kind: ItemKind::Artifact | ItemKind::Record,
                ..
            }
            | Def::Builtin(_) => TokenKind::Type,
            Def::Namespace { .. } => TokenKind::Namespace,
            Def::Param { .. } => TokenKind::Param,
            Def::Output { .. } => TokenKind::Output,
            Def::Step { .. } => TokenKind::Step,
            Def::LoopVar { .. } => TokenKind::LoopVar,
            Def::Attribute { .. } => TokenKind::Attribute,
            Def::Path { .. } => continue,
        };
        named.insert(occ.span.start, (kind, occ.role == Role::Decl));
    }
    let mut out = Vec::with_capacity(tokens(db, file).len());
    let push =
        |span: Span, kind: TokenKind, decl: bool, doc: bool, out: &mut Vec<SemanticToken>| {
            split_lines(text, span, &mut |s| {
                out.push(SemanticToken {
                    span: s,
                    kind,
                    is_declaration: decl,
                    is_documentation: doc,
                })
            });
        };
    let mut previous = "";
    for tok in tokens(db, file) {
        let word = slice(text, tok.span);
        let after_python = std::mem::replace(&mut previous, word) == "python";
        match tok.kind {
            // `def` is a keyword only right after `python` (LANGUAGE.md §6.3).
            TK::Ident if after_python && word == "def" => {
                push(tok.span, TokenKind::Keyword, false, false, &mut out)
            }
            TK::Keyword => push(tok.span, TokenKind::Keyword, false, false, &mut out),
            TK::Number => push(tok.span, TokenKind::Number, false, false, &mut out),
            TK::Str => push(tok.span, TokenKind::String, false, false, &mut out),
            TK::Body => {
                // The body's text, with each `${name}` as an interpolation.
                let content = Span::new(
                    (tok.span.start as usize + 3).min(tok.span.end as usize),
                    tok.span.end as usize,
                );
                let inner = slice(text, content);
                let mut at = tok.span.start as usize;
                for found in mlforge_syntax::body::interpolations(inner) {
                    let s = content.start as usize + found.range.start;
                    let e = content.start as usize + found.range.end;
                    push(Span::new(at, s), TokenKind::String, false, false, &mut out);
                    push(
                        Span::new(s, e),
                        TokenKind::Interpolation,
                        false,
                        false,
                        &mut out,
                    );
                    at = e;
                }
                push(
                    Span::new(at, tok.span.end as usize),
                    TokenKind::String,
                    false,
                    false,
                    &mut out,
                );
            }
            TK::Ident => {
                if let Some(&(kind, decl)) = named.get(&tok.span.start) {
                    push(tok.span, kind, decl, false, &mut out);
                } else if word == "list" {
                    push(tok.span, TokenKind::Type, false, false, &mut out);
                }
            }
            TK::Arrow | TK::Assign | TK::Operator | TK::Question => {
                push(tok.span, TokenKind::Operator, false, false, &mut out)
            }
            TK::Lt | TK::Gt => push(tok.span, TokenKind::Operator, false, false, &mut out),
            _ => {}
        }
    }
    for comment in &tree(db, file).comments {
        let doc = comment.kind == CommentKind::Doc;
        push(comment.span, TokenKind::Comment, false, doc, &mut out);
    }
    out.sort_by_key(|t| (t.span.start, t.span.end));
    // Comments never overlap tokens; keep the list strictly non-overlapping all the same.
    let mut last_end = 0;
    out.retain(|t| {
        let keep = t.span.start >= last_end;
        if keep {
            last_end = t.span.end;
        }
        keep
    });
    out
}

/// Calls `f` with each non-empty line of `span` (line breaks excluded).
fn split_lines(text: &str, span: Span, f: &mut impl FnMut(Span)) {
    let mut start = span.start as usize;
    let end = (span.end as usize).min(text.len());
    if start >= end {
        return;
    }
    let piece = &text[start..end];
    for line in piece.split_inclusive('\n') {
        let len = line.trim_end_matches(['\n', '\r']).len();
        if len > 0 {
            f(Span::new(start, start + len));
        }
        start += line.len();
    }
}

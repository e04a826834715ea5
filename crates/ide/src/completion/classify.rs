//! Which kind of completion an offset calls for, read from the tokens before it.

use mlforge_syntax::Span;

use crate::base::{has_newline, slice, TK};
use crate::context::{FrameKind, Scan};

/// What the offset calls for.
#[derive(Debug)]
pub(super) enum Ctx<'a> {
    Nothing,
    TopLevel,
    /// After `import "…"`.
    ImportAs,
    OpMember,
    /// After `python` or `shell`.
    BodyKind,
    AttrEntry(&'a str),
    /// A boolean attribute's value.
    BoolValue,
    Statement {
        pipeline_body: bool,
        after_block: bool,
    },
    /// After a step's call on the same line.
    AfterCall,
    AfterSteps,
    /// After `for x`.
    ForIn,
    /// After `output`.
    OutputName,
    Callee(Option<&'a str>),
    ArgName {
        frame: crate::context::Frame,
    },
    Expr,
    Field(&'a str),
    /// A field name of the record literal the innermost frame opens.
    LiteralField,
    /// Right after the `[` of `base[`: a dict key or a list index.
    Index {
        frame: crate::context::Frame,
    },
    Type {
        namespace: Option<&'a str>,
        kinds_only: bool,
    },
}
pub(super) fn classify<'a>(scan: &Scan<'a>, word: Span) -> Ctx<'a> {
    let top = scan.top();
    let tail = scan.tail();
    let newline_before = tail
        .last()
        .is_none_or(|t| has_newline(scan.text, t.span.end as usize, word.start as usize));
    let last = |n| scan.last(n);
    let ident_dot = || scan.last_is(0, TK::Dot, None) && scan.last_is(1, TK::Ident, None);
    match top.kind {
        FrameKind::Top => {
            if scan.item_kw == Some("artifact") {
                if scan.last_is(0, TK::Colon, None) {
                    return Ctx::Type {
                        namespace: None,
                        kinds_only: true,
                    };
                }
                if ident_dot() && scan.last_is(2, TK::Colon, None) {
                    return Ctx::Type {
                        namespace: last(1).map(|l| l.1),
                        kinds_only: true,
                    };
                }
            }
            match last(0) {
                Some((TK::Keyword, "op" | "pipeline" | "artifact" | "as" | "import")) => {
                    Ctx::Nothing
                }
                Some((TK::Str, _)) if scan.last_kw(1, "import") && !newline_before => Ctx::ImportAs,
                _ if tail.is_empty() || newline_before || scan.last_is(0, TK::RBrace, None) => {
                    Ctx::TopLevel
                }
                _ => Ctx::Nothing,
            }
        }
        FrameKind::Params | FrameKind::Outputs | FrameKind::Angle => {
            if scan.last_is(0, TK::Colon, None)
                || scan.last_is(0, TK::Lt, None)
                || (top.kind == FrameKind::Angle && tail.is_empty())
            {
                Ctx::Type {
                    namespace: None,
                    kinds_only: false,
                }
            } else if ident_dot()
                && (scan.last_is(2, TK::Colon, None) || scan.last_is(2, TK::Lt, None))
            {
                Ctx::Type {
                    namespace: last(1).map(|l| l.1),
                    kinds_only: true,
                }
            } else if scan.last_is(0, TK::Assign, None) {
                Ctx::BoolValue
            } else {
                Ctx::Nothing
            }
        }
        FrameKind::OpBody => match last(0) {
            Some((TK::Keyword, "python" | "shell")) => Ctx::BodyKind,
            Some((TK::Assign, _)) if scan.last_is(1, TK::Ident, Some("cache")) => Ctx::BoolValue,
            Some((TK::Assign | TK::Keyword | TK::Dot | TK::Operator, _)) => Ctx::Nothing,
            None => Ctx::OpMember,
            Some(_) if newline_before || scan.last_is(0, TK::RBrace, None) => Ctx::OpMember,
            _ => Ctx::Nothing,
        },
        FrameKind::AttrBlock => {
            let name = top
                .open
                .and_then(|o| o.checked_sub(1))
                .map(|o| slice(scan.text, scan.toks[o].span))
                .unwrap_or("");
            match last(0) {
                None => Ctx::AttrEntry(name),
                Some((TK::Assign | TK::Operator, _)) => Ctx::Nothing,
                Some(_) if newline_before || !scan.last_is(0, TK::Ident, None) => {
                    Ctx::AttrEntry(name)
                }
                _ => Ctx::Nothing,
            }
        }
        FrameKind::PipeBody | FrameKind::Block => {
            classify_statement(scan, top.kind, newline_before)
        }
        FrameKind::Call => {
            if scan.last_is(0, TK::LParen, None) || scan.last_is(0, TK::Comma, None) {
                Ctx::ArgName { frame: top }
            } else {
                classify_expr(scan).unwrap_or(Ctx::Nothing)
            }
        }
        FrameKind::Literal => {
            if tail.is_empty() || scan.last_is(0, TK::Comma, None) {
                Ctx::LiteralField
            } else {
                classify_expr(scan).unwrap_or(Ctx::Nothing)
            }
        }
        FrameKind::List if tail.is_empty() && is_index(scan, &top) => Ctx::Index { frame: top },
        FrameKind::Paren | FrameKind::List => {
            if scan.last_is(0, TK::LParen, None)
                || scan.last_is(0, TK::LBracket, None)
                || scan.last_is(0, TK::Comma, None)
            {
                Ctx::Expr
            } else {
                classify_expr(scan).unwrap_or(Ctx::Nothing)
            }
        }
    }
}
/// Whether the `[` opening `frame` indexes the value before it (`xs[`, `d[`, `f(x)[`)
/// rather than opening a list literal.
pub(crate) fn is_index(scan: &Scan<'_>, frame: &crate::context::Frame) -> bool {
    let Some(before) = frame.open.and_then(|o| o.checked_sub(1)) else {
        return false;
    };
    matches!(
        scan.toks[before].kind,
        TK::Ident | TK::RBracket | TK::RParen | TK::RBrace
    )
}

/// An expression position: after an operator, a `:` of an argument, or `name.`.
pub(super) fn classify_expr<'a>(scan: &Scan<'a>) -> Option<Ctx<'a>> {
    let (kind, word) = scan.last(0)?;
    Some(match (kind, word) {
        (TK::Dot, _) if scan.last_is(1, TK::Ident, None) => Ctx::Field(scan.last(1)?.1),
        (TK::Colon | TK::Operator | TK::Lt | TK::Gt | TK::LBracket | TK::LParen | TK::Comma, _) => {
            Ctx::Expr
        }
        (TK::Keyword, "and" | "or" | "not" | "in" | "if") => Ctx::Expr,
        _ => return None,
    })
}
pub(super) fn classify_statement<'a>(
    scan: &Scan<'a>,
    frame: FrameKind,
    newline_before: bool,
) -> Ctx<'a> {
    let statement = |after_block| Ctx::Statement {
        pipeline_body: frame == FrameKind::PipeBody,
        after_block,
    };
    let Some((kind, word)) = scan.last(0) else {
        return statement(false);
    };
    // `step x = …`
    if kind == TK::Assign && scan.last_is(1, TK::Ident, None) && scan.last_kw(2, "step") {
        return Ctx::Callee(None);
    }
    if kind == TK::Dot
        && scan.last_is(1, TK::Ident, None)
        && scan.last_is(2, TK::Assign, None)
        && scan.last_kw(4, "step")
    {
        return Ctx::Callee(scan.last(1).map(|l| l.1));
    }
    if kind == TK::Keyword && word == "after" {
        return Ctx::AfterSteps;
    }
    if kind == TK::Comma {
        // `after a, b, …`
        let tail = scan.tail();
        let mut j = tail.len();
        while j >= 2 && tail[j - 1].kind == TK::Comma && tail[j - 2].kind == TK::Ident {
            j -= 2;
        }
        if j >= 1 && tail[j - 1].kind == TK::Keyword && scan.tok_text(&tail[j - 1]) == "after" {
            return Ctx::AfterSteps;
        }
    }
    if kind == TK::Ident && scan.last_kw(1, "for") {
        return Ctx::ForIn;
    }
    if kind == TK::Keyword && word == "output" {
        return Ctx::OutputName;
    }
    if kind == TK::Keyword && matches!(word, "step" | "for" | "else") {
        return Ctx::Nothing;
    }
    if kind == TK::Ident && scan.last_kw(1, "step") {
        return Ctx::Nothing;
    }
    if kind == TK::Assign && scan.last_is(1, TK::Ident, None) && scan.last_kw(2, "output") {
        return Ctx::Expr;
    }
    if kind == TK::Assign {
        // An attribute's value.
        return Ctx::Nothing;
    }
    if let Some(ctx) = classify_expr(scan) {
        return ctx;
    }
    if kind == TK::RBrace {
        return statement(true);
    }
    if newline_before {
        return statement(false);
    }
    if kind == TK::RParen {
        return Ctx::AfterCall;
    }
    Ctx::Nothing
}

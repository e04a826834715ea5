//! Signature help inside a step's call.

use mlforge_analysis::items::resolve_callee;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast;
use mlforge_syntax::Span;

use crate::base::{clamp, slice, text, word_at, TK};
use crate::context::{call_callee, scan, FrameKind};
use crate::render::item_signature;
use crate::SignatureHelp;

pub(crate) fn signature_help(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> Option<SignatureHelp> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    let word = word_at(text, offset);
    let scan = scan(db, file, word.start as usize);
    // The innermost call, through any brackets inside its arguments.
    let frame = *scan
        .frames
        .iter()
        .rev()
        .find(|f| !matches!(f.kind, FrameKind::Paren | FrameKind::List))?;
    if frame.kind != FrameKind::Call {
        return None;
    }
    let (namespace, name, _) = call_callee(&scan, &frame)?;
    let name_of = |text: &str| ast::Name {
        text: text.into(),
        span: Span::default(),
    };
    let callee = ast::Callee {
        namespace: namespace.map(name_of),
        name: name_of(name),
        span: Span::default(),
    };
    let target = resolve_callee(db, file, &callee).ok()?;
    let sig = item_signature(db, target.file, &target.name)?;
    // The argument the offset is in: the name after the last separator at the call's depth.
    let open = frame.open?;
    let mut depth = 0usize;
    let mut current: Option<&str> = None;
    let mut at_name = true;
    for tok in &scan.toks[open + 1..scan.end] {
        match tok.kind {
            TK::LParen | TK::LBracket | TK::LBrace => depth += 1,
            TK::RParen | TK::RBracket | TK::RBrace => depth = depth.saturating_sub(1),
            TK::Comma if depth == 0 => {
                current = None;
                at_name = true;
            }
            TK::Ident if depth == 0 && at_name => {
                current = Some(slice(text, tok.span));
                at_name = false;
            }
            _ if depth == 0 => at_name = false,
            _ => {}
        }
    }
    let typed = &text[word.start as usize..offset];
    let wanted = match current {
        Some(name) => Some(name),
        None if !typed.is_empty() => sig
            .params
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| n.starts_with(typed)),
        None => None,
    };
    let active_param = wanted.and_then(|w| sig.params.iter().position(|(n, _)| n == w));
    Some(SignatureHelp {
        label: sig.label,
        params: sig.params,
        active_param,
        documentation: sig.doc,
    })
}

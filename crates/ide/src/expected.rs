//! The type expected where a bracketed literal being typed stands, read from the tokens
//! before it (the literal is usually unfinished, so the tree may not hold it): an argument's
//! input type, a param's declared type, a declared pipeline output's, or a field, element or
//! value of the literal around it.

use mlforge_analysis::items::{namespace_target, ItemKey};
use mlforge_analysis::signature::{
    callee_signature, op_signature, pipeline_signature, record_named,
};
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::Item;

use crate::base::{Tok, TK};
use crate::completion::resolve_written_callee;
use crate::context::{call_callee, FrameKind, Scan};
use crate::records::{element_type, part_type};
use crate::scope::item_at;

/// The type expected for the literal whose `{` or `[` opens `scan.frames[k]`.
pub(crate) fn expected_type(
    db: &dyn Db,
    file: SourceFile,
    scan: &Scan<'_>,
    k: usize,
) -> Option<Ty> {
    // Text nested deeper than the parser reads is no program: never recurse that far.
    if k > mlforge_syntax::MAX_NESTING {
        return None;
    }
    let open = scan.frames.get(k)?.open?;
    let outer = *scan.frames.get(k.checked_sub(1)?)?;
    let tok = |back: usize| scan.toks.get(open.checked_sub(back)?);
    let text_of = |back: usize| tok(back).map(|t| scan.tok_text(t));
    let before = tok(1)?.kind;
    match (outer.kind, before) {
        (FrameKind::Call, TK::Colon) => {
            let (namespace, name, _) = call_callee(scan, &outer)?;
            let callee = resolve_written_callee(db, file, namespace, name)?;
            let input = callee_signature(db, &callee)?.input(text_of(2)?)?;
            Some(input.ty.clone())
        }
        (FrameKind::Literal, TK::Colon) => {
            let key = tok(2)?;
            let key = match key.kind {
                TK::Ident => scan.tok_text(key),
                // A dict literal's quoted key: any key gives the dict's value type.
                TK::Str => "",
                _ => return None,
            };
            part_type(&expected_type(db, file, scan, k - 1)?, key)
        }
        (FrameKind::List, TK::LBracket | TK::Comma) => {
            element_type(&expected_type(db, file, scan, k - 1)?)
        }
        (FrameKind::Params, TK::Assign) => {
            let name_at = param_before(scan, open, outer.start)?;
            let name = scan.tok_text(&scan.toks[name_at]);
            let declared = || {
                let item = item_at(db, file, scan.toks[open].span.start as usize)?;
                let (Item::Op(_) | Item::Pipeline(_)) = item else {
                    return None;
                };
                let key = ItemKey::new(db, file, item.name()?.text.to_string());
                let signature = match item {
                    Item::Op(_) => op_signature(db, key),
                    _ => pipeline_signature(db, key),
                };
                Some(signature.as_ref()?.input(name)?.ty.clone())
            };
            // A default being typed often breaks the param, and the tree lacks it.
            declared().or_else(|| written_type(db, file, scan, &scan.toks[name_at + 2..open - 1]))
        }
        (FrameKind::PipeBody | FrameKind::Block, TK::Assign)
            if tok(3).is_some_and(|t| t.kind == TK::Keyword && scan.tok_text(t) == "output") =>
        {
            let Item::Pipeline(p) = item_at(db, file, scan.toks[open].span.start as usize)? else {
                return None;
            };
            let key = ItemKey::new(db, file, p.name.text.to_string());
            let output = pipeline_signature(db, key).as_ref()?.output(text_of(2)?)?;
            (output.ty != Ty::Unknown).then(|| output.ty.clone())
        }
        _ => None,
    }
}

/// The token index of the param whose default starts after the `=` at `open - 1`: the
/// identifier after the last `(` or `,` of the header before it, followed by `:`.
fn param_before(scan: &Scan<'_>, open: usize, from: usize) -> Option<usize> {
    let from = from.saturating_sub(1);
    let start = scan.toks[from..open]
        .iter()
        .rposition(|t| matches!(t.kind, TK::LParen | TK::Comma))?;
    let at = from + start + 1;
    let colon = scan.toks.get(at + 1)?.kind == TK::Colon;
    (scan.toks.get(at)?.kind == TK::Ident && colon && at + 2 < open).then_some(at)
}

/// The record type written as `toks` (`Opts`, `ns.Opts`, `list<Opts>`, each maybe `?`),
/// where the tree has no type for it. Other types give none: only records take literals
/// typed from context.
fn written_type(db: &dyn Db, file: SourceFile, scan: &Scan<'_>, toks: &[Tok]) -> Option<Ty> {
    let toks = match toks.split_last() {
        Some((last, rest)) if last.kind == TK::Question => rest,
        _ => toks,
    };
    let texts: Vec<&str> = toks.iter().map(|t| scan.tok_text(t)).collect();
    let (home, name) = match texts.as_slice() {
        ["list", "<", .., ">"] => {
            return written_type(db, file, scan, &toks[2..toks.len() - 1]).map(Ty::list)
        }
        [name] => (file, *name),
        [namespace, ".", name] => (namespace_target(db, file, namespace)??, *name),
        _ => return None,
    };
    let record = record_named(db, ItemKey::new(db, home, name.to_string()));
    record.as_ref().ok().map(|r| Ty::Record(r.clone()))
}

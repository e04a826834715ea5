//! Signature help inside a step's call, and inside a record literal (its fields as the
//! params, like a call's).

use mlforge_analysis::signature::callee_signature;
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, SourceFile};

use crate::base::{clamp, slice, text, word_at, TK};
use crate::completion::resolve_written_callee;
use crate::context::{call_callee, scan, Frame, FrameKind, Scan};
use crate::expected::expected_type;
use crate::records::{as_record, element_type};
use crate::render::{item_signature, record_signature, SigText};
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
    let (sig, frame, types) = innermost(db, file, &scan)?;
    let typed = &text[word.start as usize..offset];
    let wanted = match current_name(&scan, &frame) {
        Some(name) => Some(name),
        None if !typed.is_empty() => sig
            .params
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| n.starts_with(typed)),
        None => None,
    };
    let active_param = wanted.and_then(|w| sig.params.iter().position(|(n, _)| n == w));
    // A record-typed param reads better with the record's fields beside it.
    let param_docs = types
        .iter()
        .map(|ty| {
            let ty = ty.as_ref()?;
            let elem = element_type(ty);
            let record = as_record(ty).or_else(|| as_record(elem.as_ref()?))?;
            Some(record_signature(db, record)?.label)
        })
        .collect();
    let SigText {
        label, params, doc, ..
    } = sig;
    Some(SignatureHelp {
        label,
        params,
        param_docs,
        active_param,
        documentation: doc,
    })
}

/// The innermost call, or record literal typed from context, around the scan's end (through
/// any other brackets inside it): its signature, its frame, and its params' types.
fn innermost(
    db: &dyn Db,
    file: SourceFile,
    scan: &Scan<'_>,
) -> Option<(SigText, Frame, Vec<Option<Ty>>)> {
    scan.frames
        .iter()
        .enumerate()
        .rev()
        .find_map(|(k, frame)| match frame.kind {
            FrameKind::Paren | FrameKind::List => None,
            FrameKind::Literal => {
                let ty = expected_type(db, file, scan, k)?;
                let record = as_record(&ty)?;
                let types = record.fields.iter().map(|f| Some(f.ty.clone())).collect();
                Some(Some((record_signature(db, record)?, *frame, types)))
            }
            FrameKind::Call => {
                let (namespace, name, _) = call_callee(scan, frame)?;
                let target = resolve_written_callee(db, file, namespace, name)?;
                let sig = item_signature(db, target.file, &target.name)?;
                let inputs = callee_signature(db, &target);
                let types = sig
                    .params
                    .iter()
                    .map(|(n, _)| Some(inputs?.input(n)?.ty.clone()))
                    .collect();
                Some(Some((sig, *frame, types)))
            }
            _ => Some(None),
        })?
}

/// The name of the argument or field the scan ends in: the name after the last separator at
/// the frame's own depth, when it was written.
fn current_name<'a>(scan: &Scan<'a>, frame: &Frame) -> Option<&'a str> {
    let open = frame.open?;
    let mut depth = 0usize;
    let mut current = None;
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
                current = Some(slice(scan.text, tok.span));
                at_name = false;
            }
            _ if depth == 0 => at_name = false,
            _ => {}
        }
    }
    current
}

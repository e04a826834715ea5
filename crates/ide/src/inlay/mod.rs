//! Inlay hints: the types of step outputs after step names, of loop variables, and of
//! references whose type differs from the declared one (a list outside a `for`, optional
//! outside an `if`); and on record literals, the record and the defaults left out
//! (`literals.rs`).

mod literals;

use mlforge_analysis::graph::{BlockKind, EdgeKind};
use mlforge_analysis::items::ItemKey;
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::signature::callee_signature;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{Item, Stmt};
use mlforge_syntax::Span;

use crate::base::tree;
use crate::{InlayHint, InlayKind};

pub(crate) fn inlay_hints(db: &dyn Db, file: SourceFile, range: Span) -> Vec<InlayHint> {
    let mut hints = Vec::new();
    let overlaps = |s: Span| s.start <= range.end && range.start <= s.end;
    for item in &tree(db, file).file.items {
        if !overlaps(item.span()) {
            continue;
        }
        literals::literal_hints(db, file, item, range, &mut hints);
        let Item::Pipeline(p) = item else { continue };
        let key = ItemKey::new(db, file, p.name.text.to_string());
        let graph = &analyze_pipeline(db, key).graph;
        let start = graph
            .steps
            .partition_point(|s| s.name_span.end < range.start);
        for node in graph.steps[start..].iter() {
            if node.name_span.start > range.end {
                break;
            }
            let Some(signature) = node.callee.as_ref().and_then(|c| callee_signature(db, c)) else {
                continue;
            };
            let list: Vec<String> = signature
                .outputs
                .iter()
                .map(|o| format!("{}: {}", o.name, o.ty))
                .collect();
            hints.push(InlayHint {
                offset: node.name_span.end as usize,
                label: format!(": ({})", list.join(", ")),
                kind: InlayKind::Type,
            });
        }
        for block in &graph.blocks {
            if let (BlockKind::For { .. }, Some(ty)) = (&block.kind, &block.elem_ty) {
                if let Some(var) = for_var(&p.body, block.span) {
                    if var.start >= range.start && var.end <= range.end {
                        hints.push(InlayHint {
                            offset: var.end as usize,
                            label: format!(": {ty}"),
                            kind: InlayKind::Type,
                        });
                    }
                }
            }
        }
        for edge in &graph.edges {
            let EdgeKind::Data { output, ty, .. } = &edge.kind else {
                continue;
            };
            if edge.span.end < range.start || edge.span.start > range.end {
                continue;
            }
            let declared = graph.steps[edge.from]
                .callee
                .as_ref()
                .and_then(|c| callee_signature(db, c))
                .and_then(|s| s.output(output))
                .map(|o| &o.ty);
            if declared.is_some_and(|d| d != ty) {
                hints.push(InlayHint {
                    offset: edge.span.end as usize,
                    label: format!(": {ty}"),
                    kind: InlayKind::Type,
                });
            }
        }
    }
    hints.sort_by(|a, b| (a.offset, a.kind, &a.label).cmp(&(b.offset, b.kind, &b.label)));
    hints.dedup();
    hints
}

fn for_var(stmts: &[Stmt], span: Span) -> Option<Span> {
    for stmt in stmts {
        if !stmt.span().contains(span.start as usize) {
            continue;
        }
        match stmt {
            Stmt::For(f) if f.span == span => return Some(f.var.span),
            Stmt::For(f) => return for_var(&f.body, span),
            Stmt::If(i) => {
                return for_var(&i.then_body, span)
                    .or_else(|| for_var(i.else_body.as_deref().unwrap_or_default(), span))
            }
            _ => {}
        }
    }
    None
}

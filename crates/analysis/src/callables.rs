//! Ops and pipelines described for people building a pipeline by hand or on the graph:
//! each input's type, whether a step must give it and its default as written, the outputs,
//! and the first paragraph of the doc comment. The graph's nodes and the editor's palette
//! both show this.

use std::sync::Arc;

use mlforge_syntax::ast::{self, Item};

use crate::db::{Db, SourceFile};
use crate::items::{find_item, CalleeKind, CalleeRef, ItemKey};
use crate::signature::{op_signature, pipeline_signature, OutputSig};
use crate::types::Ty;

/// An op or pipeline as a caller sees it, with what only its text says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callable {
    pub kind: CalleeKind,
    pub file: SourceFile,
    pub name: String,
    /// The first paragraph of its `///` doc comment.
    pub doc: Option<Arc<str>>,
    pub inputs: Vec<CallableInput>,
    pub outputs: Vec<OutputSig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallableInput {
    pub name: String,
    pub ty: Ty,
    /// A step must give it: no default, and not optional.
    pub required: bool,
    /// The default's source text.
    pub default: Option<Arc<str>>,
}

/// The op or pipeline `callee` names, described; `None` when it no longer exists.
pub fn describe(db: &dyn Db, callee: &CalleeRef) -> Option<Callable> {
    let key = ItemKey::new(db, callee.file, callee.name.clone());
    let (signature, doc, params) = match (callee.kind, find_item(db, callee.file, &callee.name)?) {
        (CalleeKind::Op, Item::Op(op)) => (op_signature(db, key).as_ref()?, &op.doc, &op.params),
        (CalleeKind::Pipeline, Item::Pipeline(p)) => {
            (pipeline_signature(db, key).as_ref()?, &p.doc, &p.params)
        }
        _ => return None,
    };
    let text = callee.file.text(db).as_deref().unwrap_or("");
    let inputs = signature
        .inputs
        .iter()
        .zip(params)
        .map(|(input, param)| CallableInput {
            name: input.name.clone(),
            ty: input.ty.clone(),
            required: input.is_required(),
            default: default_text(text, param),
        })
        .collect();
    Some(Callable {
        kind: callee.kind,
        file: callee.file,
        name: callee.name.clone(),
        doc: doc.as_deref().and_then(first_paragraph).map(Arc::from),
        inputs,
        outputs: signature.outputs.clone(),
    })
}

/// Every op and pipeline `file` defines, in order, described.
pub fn callables_of(db: &dyn Db, file: SourceFile) -> Vec<Callable> {
    crate::items::parse(db, file)
        .file
        .items
        .iter()
        .filter_map(|item| {
            let kind = match item {
                Item::Op(_) => CalleeKind::Op,
                Item::Pipeline(_) => CalleeKind::Pipeline,
                _ => return None,
            };
            let name = item.name()?.text.to_string();
            describe(db, &CalleeRef { kind, file, name })
        })
        .collect()
}

fn default_text(text: &str, param: &ast::Param) -> Option<Arc<str>> {
    let default = param.default.as_ref()?;
    text.get(default.span.range()).map(Arc::from)
}

/// The doc's first paragraph (up to the first blank line), its lines joined by spaces.
pub fn first_paragraph(doc: &str) -> Option<String> {
    let paragraph: Vec<&str> = doc
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

#[cfg(test)]
mod tests {
    use super::first_paragraph;

    #[test]
    fn the_first_paragraph_is_joined_and_the_rest_dropped() {
        assert_eq!(
            first_paragraph("\n Fits a line\n by descent.\n\nMore.").as_deref(),
            Some("Fits a line by descent.")
        );
        assert_eq!(first_paragraph("  \n"), None);
    }
}

//! `mlforge/opCatalog`: the ops and pipelines a step of a document can call, for the graph
//! editor's palette (see `mlforge_ide::op_catalog`).

use std::sync::Arc;

use mlforge_analysis::items::CalleeKind;
use mlforge_ide as ide;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::Uri;

use crate::handlers::doc;
use crate::world::Snapshot;

#[derive(Debug, Deserialize, Serialize)]
pub struct CatalogParams {
    pub uri: Uri,
}

#[derive(Debug, Serialize)]
pub struct Catalog {
    pub ops: Vec<CatalogOp>,
}

#[derive(Debug, Serialize)]
pub struct CatalogOp {
    pub name: String,
    pub kind: &'static str,
    pub file: Option<Uri>,
    pub doc: Option<Arc<str>>,
    pub inputs: Vec<CatalogInput>,
    pub outputs: Vec<CatalogOutput>,
    pub import: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CatalogInput {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub default: Option<Arc<str>>,
}

#[derive(Debug, Serialize)]
pub struct CatalogOutput {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

pub fn op_catalog(snap: &Snapshot, params: CatalogParams) -> Result<Catalog> {
    let doc = doc(snap, &params.uri)?;
    let workspace = snap.workspace();
    let ops = ide::op_catalog(&snap.db, doc.file, &workspace)
        .into_iter()
        .map(|entry| {
            let c = entry.callable;
            CatalogOp {
                name: entry.name,
                kind: match c.kind {
                    CalleeKind::Op => "op",
                    CalleeKind::Pipeline => "pipeline",
                },
                file: snap.uri_of(c.file),
                doc: c.doc,
                inputs: c
                    .inputs
                    .into_iter()
                    .map(|i| CatalogInput {
                        name: i.name,
                        ty: i.ty.to_string(),
                        required: i.required,
                        default: i.default,
                    })
                    .collect(),
                outputs: c
                    .outputs
                    .into_iter()
                    .map(|o| CatalogOutput {
                        name: o.name,
                        ty: o.ty.to_string(),
                    })
                    .collect(),
                import: entry.import,
            }
        })
        .collect();
    Ok(Catalog { ops })
}

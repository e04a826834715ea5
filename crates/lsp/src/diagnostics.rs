//! Diagnostics of a document and of the open documents that import it, computed on a
//! snapshot after an edit (debounced by the server) and published with their versions.

use std::collections::HashSet;

use mlforge_analysis::items::imports;
use mlforge_analysis::{file_diagnostics, Db, SourceFile};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::to_proto::Converter;
use crate::world::Snapshot;

/// Diagnostics for one open document at one version.
pub struct Published {
    pub uri: Uri,
    pub version: i32,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `from` imports `target`, directly or through other files (cycles allowed).
pub fn reaches(db: &dyn Db, from: SourceFile, target: SourceFile) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(file) = stack.pop() {
        if !seen.insert(file) {
            continue;
        }
        if file.text(db).is_none() {
            continue;
        }
        for import in imports(db, file) {
            if let Some(next) = import.target {
                if next == target {
                    return true;
                }
                stack.push(next);
            }
        }
    }
    false
}

/// The open documents other than `uri` whose diagnostics may change when `uri` does.
pub fn dependents(snap: &Snapshot, uri: &Uri) -> Vec<Uri> {
    let Some(changed) = snap.docs.get(uri) else {
        return Vec::new();
    };
    snap.docs
        .iter()
        .filter(|doc| doc.uri != *uri && reaches(&snap.db, doc.file, changed.file))
        .map(|doc| doc.uri.clone())
        .collect()
}

/// The diagnostics of the open documents `uris`, converted with the snapshot's ropes.
pub fn compute(snap: &Snapshot, uris: &[Uri]) -> Result<Vec<Published>> {
    let mut conv = Converter::new(snap);
    let mut out = Vec::new();
    for uri in uris {
        // A std module's document is the library's text: never any diagnostics for it.
        if crate::std_source::is_std(uri) {
            continue;
        }
        let Some(doc) = snap.docs.get(uri) else {
            continue;
        };
        let diagnostics = file_diagnostics(&snap.db, doc.file)
            .iter()
            .map(|d| conv.diagnostic(d))
            .collect();
        out.push(Published {
            uri: uri.clone(),
            version: doc.version,
            diagnostics,
        });
    }
    Ok(out)
}

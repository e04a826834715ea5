//! MLForge analysis: salsa queries from file texts to diagnostics and step graphs.
//!
//! Every fact is a query over the database's inputs (one per file), so one edit recomputes
//! only what it touches:
//!
//! ```text
//! parse(file) ─ imports(file) ─ item_index(file)
//!     └ op_text(op) ─ op_syntax(op) ─ op_signature(op), check_op(op)
//!     └ pipeline_signature(p), analyze_pipeline(p) ─ StepGraph
//! file_diagnostics(file) gathers them all.
//! ```
//! Nothing here does IO: files come from the database ([`db::Db::file`]), which reads them
//! through a loader (`disk.rs` for the disk).

mod attributes;
pub mod callables;
pub mod codes;
pub mod db;
mod diagnostic;
pub mod disk;
mod exprs;
mod file_check;
pub mod graph;
pub mod items;
mod op_check;
pub mod pipeline;
pub mod pipeline_patch;
mod previous;
mod secrets;
pub mod signature;
pub mod std_docs;
pub mod types;
mod values;

pub use crate::attributes::{
    duration_seconds, memory_bytes, validate_schedule, OP_ATTRIBUTES, PIPELINE_ATTRIBUTES,
    RESOURCE_ENTRIES,
};
pub use crate::codes::{Code, Severity};
pub use crate::db::{
    is_std_file, normalize, std_module, Db, DiskLoader, FileLoader, MemoryLoader, RootDatabase,
    SourceFile,
};
pub use crate::diagnostic::{Diagnostic, Related};
pub use crate::disk::{decode, project_root, read_text, LoadError, MAX_FILE_SIZE};
pub use crate::file_check::file_diagnostics;
pub use crate::op_check::check_op;
pub use crate::previous::PreviousResults;
pub use crate::secrets::unset_secrets;
pub use crate::values::FUNCTIONS;

use std::collections::HashSet;

/// The diagnostics of `roots` and of every file they import, file by file, in the order
/// files are first reached.
///
/// Modules of the standard library are left out, with what they import: their diagnostics
/// are mlforge's own, never the user's (their tests check every module clean).
pub fn check_files(db: &dyn Db, roots: &[SourceFile]) -> Vec<(SourceFile, Vec<Diagnostic>)> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut stack: Vec<SourceFile> = roots.iter().rev().copied().collect();
    while let Some(file) = stack.pop() {
        if !seen.insert(file) || db.is_std(file) {
            continue;
        }
        order.push(file);
        if file.text(db).is_some() {
            for import in items::imports(db, file).iter().rev() {
                if let Some(target) = import.target {
                    stack.push(target);
                }
            }
        }
    }
    order
        .into_iter()
        .map(|file| (file, file_diagnostics(db, file).clone()))
        .collect()
}

//! Helpers shared by the analysis tests: the example programs in an in-memory database.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{check_files, Db, Diagnostic, MemoryLoader, RootDatabase, SourceFile};

/// Every `.mlf` file under `examples/`, as (path under /ex, text).
pub fn example_files() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((
                    Path::new("/ex").join(path.strip_prefix(&root).unwrap()),
                    text,
                ));
            }
        }
    }
    files.sort();
    files
}

pub fn database(files: &[(PathBuf, String)]) -> RootDatabase {
    let loader = MemoryLoader {
        files: files.iter().cloned().collect(),
    };
    RootDatabase::new(Arc::new(loader))
}

pub fn diagnostics(db: &dyn Db, roots: &[SourceFile]) -> Vec<Diagnostic> {
    check_files(db, roots)
        .into_iter()
        .flat_map(|(_, ds)| ds)
        .collect()
}

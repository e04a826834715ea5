//! Programs for the export tests: the repository's examples and small fixtures, compiled
//! through the real analysis and IR compiler.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, DiskLoader, MemoryLoader, RootDatabase};
use mlforge_ir::Program;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compiles `.mlf` text (as `/fixture/p.mlf`).
pub fn compile(source: &str) -> Program {
    let path = PathBuf::from("/fixture/p.mlf");
    let loader = MemoryLoader {
        files: HashMap::from([(path.clone(), source.to_string())]),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file(&path);
    let key = select_pipeline(&db, file, None).unwrap();
    mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Compiles an example by its path under `examples/`, with the file name as written
/// relative to the repository (so exports do not depend on where it is checked out).
pub fn example(relative: &str) -> Program {
    let root = repo();
    let db = RootDatabase::new(Arc::new(DiskLoader));
    let file = db.file(&root.join("examples").join(relative));
    let key = select_pipeline(&db, file, None).unwrap();
    let mut program = mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"));
    let prefix = format!("{}/", root.canonicalize().unwrap().display());
    let strip = |s: &mut String| {
        if let Some(rest) = s.strip_prefix(&prefix) {
            *s = rest.to_string();
        } else if let Some(i) = s.find("examples/") {
            *s = s[i..].to_string();
        }
    };
    strip(&mut program.file);
    for p in &mut program.params {
        strip(&mut p.source.file);
    }
    for op in program.ops.values_mut() {
        strip(&mut op.source.file);
    }
    for step in &mut program.steps {
        strip(&mut step.source.file);
    }
    program
}

/// Every example: its name (for snapshot files) and its path under `examples/`.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("quickstart", "quickstart.mlf"),
    ("compose", "compose.mlf"),
    ("wine", "wine/pipeline.mlf"),
    ("glance", "glance/pipeline.mlf"),
];

//! Graphs of the examples and of programs held in memory, for the tests of this crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, FileLoader, MemoryLoader, RootDatabase};
use mlforge_graph::{build, GraphModel};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads files under the workspace root, so that paths in the model stay relative
/// (`examples/quickstart.mlf`) and snapshots do not depend on the checkout's location.
pub struct Rooted(PathBuf);

impl FileLoader for Rooted {
    fn load(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(self.0.join(path)).ok()
    }
}

pub fn example_db() -> RootDatabase {
    RootDatabase::new(Arc::new(Rooted(root())))
}

pub fn model_of(db: &RootDatabase, path: &str, pipeline: Option<&str>) -> GraphModel {
    let file = db.file(Path::new(path));
    let key = select_pipeline(db, file, pipeline).expect("the pipeline exists");
    build(db, key)
}

pub fn example(path: &str, pipeline: Option<&str>) -> GraphModel {
    model_of(&example_db(), path, pipeline)
}

pub fn memory(files: &[(&str, &str)]) -> RootDatabase {
    let mut loader = MemoryLoader::default();
    for (path, text) in files {
        loader.files.insert(PathBuf::from(path), text.to_string());
    }
    RootDatabase::new(Arc::new(loader))
}

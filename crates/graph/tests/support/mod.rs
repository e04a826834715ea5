//! Graphs of the examples and of programs held in memory, for the tests of this crate.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use graphviz_rust::dot_structures::{Attribute, Graph, Id, Node, Stmt};
use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, FileLoader, MemoryLoader, RootDatabase};
use mlforge_graph::model::Range;
use mlforge_graph::{build, GraphModel};

/// The first character of a file, for models made by hand.
pub const RANGE: Range = Range {
    start_line: 1,
    start_column: 1,
    end_line: 1,
    end_column: 2,
    start_offset: 0,
    end_offset: 1,
};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads files under the workspace root, so that paths in the model stay relative
/// (`examples/quickstart.mlf`) and snapshots do not depend on the checkout's location.
pub struct Rooted(PathBuf);

impl FileLoader for Rooted {
    fn load(&self, path: &Path) -> Result<String, mlforge_analysis::LoadError> {
        mlforge_analysis::read_text(&self.0.join(path))
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

/// The value of a quoted DOT string, as graphviz-rust's parser returns it.
pub fn unquote(id: &Id) -> String {
    let raw = match id {
        Id::Escaped(s) => s
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap(),
        Id::Plain(s) | Id::Html(s) | Id::Anonymous(s) => return s.clone(),
    };
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Every node of a parsed DOT graph, with its attributes by name, searching subgraphs.
pub fn dot_nodes(graph: &Graph) -> HashMap<String, HashMap<String, String>> {
    fn walk(stmts: &[Stmt], out: &mut HashMap<String, HashMap<String, String>>) {
        for stmt in stmts {
            match stmt {
                Stmt::Node(Node { id, attributes }) => {
                    let attrs = attributes
                        .iter()
                        .map(|Attribute(k, v)| (unquote(k), unquote(v)))
                        .collect();
                    out.insert(unquote(&id.0), attrs);
                }
                Stmt::Subgraph(sub) => walk(&sub.stmts, out),
                _ => {}
            }
        }
    }
    let stmts = match graph {
        Graph::Graph { stmts, .. } | Graph::DiGraph { stmts, .. } => stmts,
    };
    let mut out = HashMap::new();
    walk(stmts, &mut out);
    out
}

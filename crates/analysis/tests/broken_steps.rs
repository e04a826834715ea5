//! A step whose arguments do not parse still has a place in the step graph: its outputs
//! and the edges to the steps that read them, so the editor's graph keeps its shape while
//! the user types.

use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::{check_files, MemoryLoader, RootDatabase};

const TEXT: &str = r#"
op make(n: int) -> (table: Dataset, rows: int) {
  python """
    open(${table}, "w").write("x")
    open(${rows}, "w").write(str(${n}))
  """
}
op count(data: Dataset) -> (total: int) {
  python """
    open(${total}, "w").write(str(len(open(${data}).read())))
  """
}
pipeline p() {
  step a = make(n: BROKEN
  step b = count(data: a.table)
}
"#;

/// Argument lists as they look while being typed or after a slip.
const BROKEN: [&str; 3] = ["1 2 3)", "[1, )", "[1,"];

#[test]
fn a_step_with_broken_arguments_keeps_its_outputs_and_edges() {
    for broken in BROKEN {
        check_broken(&TEXT.replace("BROKEN", broken));
    }
}

fn check_broken(text: &str) {
    let loader = MemoryLoader {
        files: [("/w/main.mlf".into(), text.to_string())]
            .into_iter()
            .collect(),
    };
    let mut db = RootDatabase::new(Arc::new(loader));
    let file = db.reload(Path::new("/w/main.mlf"));
    let diagnostics = check_files(&db, &[file]);
    assert!(
        diagnostics.iter().any(|(_, ds)| !ds.is_empty()),
        "the broken argument list is reported"
    );
    let key = select_pipeline(&db, file, Some("p")).unwrap();
    let graph = &analyze_pipeline(&db, key).graph;
    let a = &graph.steps[0];
    assert_eq!(a.name, "a", "in {text}");
    let outputs: Vec<&str> = a.outputs.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(outputs, ["table", "rows"], "in {text}");
    assert_eq!(graph.edges.len(), 1, "in {text}: {:?}", graph.edges);
}

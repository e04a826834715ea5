//! The op catalog: every op and pipeline a step of a file could call, named as the step
//! would write it, with what the graph editor's palette shows about it.

use std::collections::HashSet;

use mlforge_analysis::callables::{callables_of, Callable};
use mlforge_analysis::items::imports;
use mlforge_analysis::{Db, SourceFile};

use crate::imports::plan_import;

/// One callable op or pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    /// As a step of the file calls it: `train`, or `ns.train` for another file's.
    pub name: String,
    pub callable: Callable,
    /// For an op of a workspace file the file does not import yet: the path its `import`
    /// would write (the graph edit `addStep` adds it).
    pub import: Option<String>,
}

pub(crate) fn op_catalog(
    db: &dyn Db,
    file: SourceFile,
    workspace: &[SourceFile],
) -> Vec<CatalogEntry> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([file]);
    out.extend(entries(callables_of(db, file), "", None));
    for import in imports(db, file) {
        let Some(target) = import.target else {
            continue;
        };
        if seen.insert(target) {
            out.extend(entries(
                callables_of(db, target),
                &format!("{}.", import.namespace),
                None,
            ));
        }
    }
    for other in crate::std_lib::with_std(db, workspace) {
        if other.text(db).is_none() || !seen.insert(other) {
            continue;
        }
        let Some(plan) = plan_import(db, file, other) else {
            continue;
        };
        out.extend(entries(
            callables_of(db, other),
            &format!("{}.", plan.namespace),
            Some(&plan.path),
        ));
    }
    out
}

fn entries(callables: Vec<Callable>, prefix: &str, import: Option<&str>) -> Vec<CatalogEntry> {
    callables
        .into_iter()
        .map(|callable| CatalogEntry {
            name: format!("{prefix}{}", callable.name),
            callable,
            import: import.map(str::to_string),
        })
        .collect()
}

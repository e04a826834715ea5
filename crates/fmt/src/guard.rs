//! The last guard before a formatted file replaces the original, shared by `mlforge fmt`
//! and the language server: every pipeline of the file compiles to the same IR (positions
//! aside) before and after formatting. [`format()`](crate::format) already compares the
//! trees; this compares what the back ends would run, imports included.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::items::{pipeline_names, ItemKey};
use mlforge_analysis::{FileLoader, RootDatabase};

/// The formatted text would compile to a different pipeline: a bug in the formatter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrChanged {
    pub pipeline: String,
}

impl fmt::Display for IrChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the formatted text would compile to a different pipeline `{}`; this is a bug in the formatter, please report it with the file",
            self.pipeline
        )
    }
}

impl std::error::Error for IrChanged {}

/// Checks that `after` (the formatted `before`, the text of the file at `path`) compiles to
/// the same IR as `before`; imports are read through `loader`. A pipeline that does not
/// compile (it has errors, or imports what is missing) is guarded by the formatter's own
/// tree comparison.
pub fn same_ir(
    loader: Arc<dyn FileLoader>,
    path: &Path,
    before: &str,
    after: &str,
) -> Result<(), IrChanged> {
    let mut db = RootDatabase::new(loader);
    let old = compiled(&mut db, path, before);
    let new = compiled(&mut db, path, after);
    for ((name, old), (_, new)) in old.iter().zip(&new) {
        if let (Some(old), Some(new)) = (old, new) {
            if old != new {
                return Err(IrChanged {
                    pipeline: name.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Each pipeline of `text` and its IR without positions (`None` when it does not compile).
fn compiled(
    db: &mut RootDatabase,
    path: &Path,
    text: &str,
) -> Vec<(String, Option<serde_json::Value>)> {
    let file = db.set_file_text(path, Some(text.to_string()));
    let db = &*db;
    pipeline_names(db, file)
        .into_iter()
        .map(|name| {
            let key = ItemKey::new(db, file, name.to_string());
            let ir = mlforge_ir::compile(db, key)
                .ok()
                .map(|p| mlforge_ir::without_positions(&p));
            (name.to_string(), ir)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use mlforge_analysis::MemoryLoader;

    use super::*;

    const PROGRAM: &str = r#"op train(rate: float) -> (score: float) {
  python """
    print(${rate})
  """
}

pipeline p(rate: float = 0.1) {
  step t = train(rate: rate)
}
"#;

    fn loader() -> Arc<dyn FileLoader> {
        Arc::new(MemoryLoader::default())
    }

    #[test]
    fn the_program_compiles() {
        let mut db = RootDatabase::new(loader());
        let ir = compiled(&mut db, Path::new("p.mlf"), PROGRAM);
        assert!(
            matches!(ir.as_slice(), [(name, Some(_))] if name == "p"),
            "{ir:?}"
        );
    }

    #[test]
    fn a_relaid_program_passes() {
        let relaid = PROGRAM.replace("  step t = train", "      step t   =   train");
        assert_eq!(
            same_ir(loader(), Path::new("p.mlf"), &relaid, PROGRAM),
            Ok(())
        );
    }

    #[test]
    fn a_changed_program_is_caught() {
        let changed = PROGRAM.replace("0.1", "0.2");
        assert_eq!(
            same_ir(loader(), Path::new("p.mlf"), PROGRAM, &changed),
            Err(IrChanged {
                pipeline: "p".into()
            })
        );
    }

    #[test]
    fn pipelines_that_do_not_compile_are_left_to_the_tree_comparison() {
        let broken = PROGRAM.replace("= train(rate: rate)", "= missing(rate: rate)");
        let also_broken = broken.replace("0.1", "0.2");
        assert_eq!(
            same_ir(loader(), Path::new("p.mlf"), &broken, &also_broken),
            Ok(())
        );
    }
}

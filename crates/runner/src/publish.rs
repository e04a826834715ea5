//! `--publish DIR`: a finished run's pipeline outputs copied out of the store to
//! `DIR/<output name>`, as plain files the user owns (artifacts as they were written,
//! values as text, a list of artifacts as a folder of its elements `0`, `1`, …).

use std::path::{Path, PathBuf};

use mlforge_ir::Program;
use mlforge_store::ArtifactStore;

use crate::value::RValue;

/// What happened to one pipeline output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Published {
    /// Copied to `path`; `replaced` when something was there before.
    Written {
        name: String,
        path: PathBuf,
        replaced: bool,
    },
    /// Not written: the output has no value in this run (why, for people).
    Absent { name: String, why: String },
}

/// Copies the pipeline outputs of a run (`outputs`, as the run reported them) to `dir`.
pub fn publish(
    program: &Program,
    outputs: &serde_json::Value,
    artifacts: &ArtifactStore,
    dir: &Path,
) -> Result<Vec<Published>, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder `{}`: {e}", dir.display()))?;
    let mut done = Vec::new();
    for output in &program.outputs {
        let name = output.name.clone();
        let Some(json) = outputs.get(&output.name) else {
            done.push(Published::Absent {
                name,
                why: "it was not computed in this run".into(),
            });
            continue;
        };
        let value = RValue::from_json(json, &output.ty)
            .map_err(|e| format!("output `{name}` cannot be read back: {e}"))?;
        if value == RValue::Absent {
            done.push(Published::Absent {
                name,
                why: "it has no value (the step giving it was skipped)".into(),
            });
            continue;
        }
        let path = dir.join(&output.name);
        let replaced = std::fs::symlink_metadata(&path).is_ok();
        write(&value, artifacts, &path).map_err(|e| {
            format!(
                "cannot publish output `{name}` to `{}`: {e}",
                path.display()
            )
        })?;
        done.push(Published::Written {
            name,
            path,
            replaced,
        });
    }
    Ok(done)
}

fn write(value: &RValue, artifacts: &ArtifactStore, path: &Path) -> std::io::Result<()> {
    match value {
        RValue::Artifact(a) => artifacts.export(&a.hash, a.kind, path, true),
        RValue::List(items) if items.iter().any(|i| !i.artifacts().is_empty()) => {
            mlforge_store::force_remove_dir(path)?;
            std::fs::create_dir_all(path)?;
            for (i, item) in items.iter().enumerate() {
                write(item, artifacts, &path.join(i.to_string()))?;
            }
            Ok(())
        }
        RValue::Absent => Ok(()),
        other => {
            let text = match other {
                RValue::Str(s) => s.clone(),
                RValue::Int(n) => n.to_string(),
                RValue::Bool(b) => b.to_string(),
                other => other.to_json().to_string(),
            };
            let tmp = path.with_extension(format!("mlforge-{}.tmp", std::process::id()));
            std::fs::write(&tmp, text + "\n")?;
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                mlforge_store::force_remove_dir(path)?;
            }
            std::fs::rename(&tmp, path)
        }
    }
}

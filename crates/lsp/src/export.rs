//! `mlforge.export FILE PIPELINE TARGET` (`workspace/executeCommand`): the pipeline compiled
//! from the server's view of the files (unsaved edits included) and exported by
//! `mlforge-export`, the files written beside the .mlf file. Answers the paths written and
//! the warnings, as `mlforge export` prints them.

use std::path::Path;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::Db;
use mlforge_export::{ExportOptions, Target};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;

use crate::commands::EXPORT;
use crate::dispatch::invalid_params;
use crate::world::Snapshot;

pub fn export(snap: &Snapshot, params: &lsp::ExecuteCommandParams) -> Result<Value> {
    let args: Vec<&str> = params.arguments.iter().filter_map(Value::as_str).collect();
    let [file, pipeline, target] = args.as_slice() else {
        return Err(invalid_params(format!(
            "`{EXPORT}` takes three strings: the .mlf file, the pipeline and the target (airflow, kfp or argo)"
        )));
    };
    let target = Target::from_name(target).ok_or_else(|| {
        invalid_params(format!(
            "`{target}` is not a target to export to; use airflow, kfp or argo"
        ))
    })?;
    let path = Path::new(file);
    let source = snap.db.file(path);
    let key = select_pipeline(&snap.db, source, Some(pipeline)).map_err(invalid_params)?;
    let program = mlforge_ir::compile(&snap.db, key).map_err(|_| {
        invalid_params(format!(
            "`{pipeline}` has errors; fix them (see the problems of {file}) and export again"
        ))
    })?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let opts = ExportOptions {
        source_dir: Some(folder.to_path_buf()),
        ..ExportOptions::default()
    };
    let exported = mlforge_export::export(&program, target, &opts)
        .map_err(|e| invalid_params(e.to_string()))?;
    let mut written = Vec::new();
    for file in &exported.files {
        let to = folder.join(&file.path);
        std::fs::write(&to, &file.text)
            .map_err(|e| invalid_params(format!("cannot write `{}`: {e}", to.display())))?;
        written.push(to.display().to_string());
    }
    let warnings: Vec<String> = exported.warnings.iter().map(ToString::to_string).collect();
    Ok(json!({"files": written, "warnings": warnings}))
}

//! Commands the server carries out itself (`workspace/executeCommand`).
//!
//! A client that cannot take code actions as `CodeAction` literals only runs commands. Its
//! quick fixes are the command `mlforge.applyEdit`, carrying the fix's edit and the versions
//! of the open documents it was computed on; running it sends the edit back to the client
//! as `workspace/applyEdit`, unless a document changed in the meantime.

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::ls_types::Uri;

use crate::dispatch::invalid_params;
use crate::world::Snapshot;

pub const APPLY_EDIT: &str = "mlforge.applyEdit";

/// `mlforge.export FILE PIPELINE TARGET`: the export lens's command, carried out by the
/// server (see `export.rs`).
pub const EXPORT: &str = "mlforge.export";

#[derive(Serialize, Deserialize)]
struct ApplyEditArgs {
    edit: lsp::WorkspaceEdit,
    versions: Vec<(Uri, i32)>,
}

/// The command form of a quick fix.
pub fn apply_edit(title: String, edit: lsp::WorkspaceEdit, snap: &Snapshot) -> lsp::Command {
    let versions = edit
        .changes
        .iter()
        .flat_map(|changes| changes.keys())
        .filter_map(|uri| snap.docs.get(uri).map(|doc| (uri.clone(), doc.version)))
        .collect();
    let args = serde_json::to_value(ApplyEditArgs { edit, versions })
        .expect("a workspace edit serializes");
    lsp::Command {
        title,
        command: APPLY_EDIT.to_string(),
        arguments: Some(vec![args]),
    }
}

/// The edit an `mlforge.applyEdit` command carries, if every open document it touches is
/// still at the version the fix was computed for (`version_of` gives the current ones).
pub fn edit_to_apply(
    params: &lsp::ExecuteCommandParams,
    version_of: impl Fn(&Uri) -> Option<i32>,
) -> Result<lsp::WorkspaceEdit> {
    if params.command != APPLY_EDIT {
        return Err(invalid_params(format!(
            "unknown command `{}`; this server runs `{APPLY_EDIT}` and `{EXPORT}`",
            params.command
        )));
    }
    let [arg] = params.arguments.as_slice() else {
        return Err(invalid_params(format!(
            "`{APPLY_EDIT}` takes one argument: the one its code action gave"
        )));
    };
    let args: ApplyEditArgs = serde_json::from_value(arg.clone()).map_err(|e| {
        invalid_params(format!(
            "the argument of `{APPLY_EDIT}` is not the one its code action gave: {e}"
        ))
    })?;
    if let Some((uri, _)) = args
        .versions
        .iter()
        .find(|(uri, version)| version_of(uri) != Some(*version))
    {
        return Err(Error {
            code: ErrorCode::ContentModified,
            message: format!(
                "{} changed since this fix was offered; ask for the fix again",
                uri.as_str()
            )
            .into(),
            data: None,
        });
    }
    Ok(args.edit)
}

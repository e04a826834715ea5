//! `mlforge/graphEdit`: a graph editor's change to a pipeline, answered with the
//! `WorkspaceEdit` that makes it in the text (see `mlforge_ide::graph_edit`). The request
//! names the document version its graph was drawn from; if the text changed since, it is
//! refused with `ContentModified`, so an edit is never applied to a text it was not made for.

use mlforge_ide as ide;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::dispatch::invalid_params;
use crate::handlers::{doc, request_failed};
use crate::to_proto::Converter;
use crate::world::Snapshot;

#[derive(Debug, Deserialize, Serialize)]
pub struct GraphEditParams {
    pub uri: Uri,
    /// The document version the client's graph was drawn from.
    pub version: i32,
    pub pipeline: String,
    pub edit: Edit,
}

/// An edit as the protocol spells it (tagged by `kind`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Edit {
    AddStep {
        op: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        block: Option<String>,
        #[serde(default)]
        index: Option<usize>,
        #[serde(default)]
        import: Option<String>,
    },
    Connect {
        from: OutPort,
        to: InPort,
    },
    Disconnect {
        step: String,
        input: String,
    },
    SetArg {
        step: String,
        input: String,
        #[serde(default)]
        value: Value,
    },
    DeleteStep {
        step: String,
        #[serde(default)]
        cascade: bool,
    },
    AddAfter {
        step: String,
        after: String,
    },
    WrapFor {
        steps: Vec<String>,
        var: String,
        over: String,
    },
    WrapIf {
        steps: Vec<String>,
        condition: String,
    },
    Unwrap {
        block: String,
    },
}

#[derive(Debug, Deserialize, Serialize)]
pub struct OutPort {
    pub step: String,
    pub output: String,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct InPort {
    pub step: String,
    pub input: String,
}

#[derive(Debug, Serialize)]
pub struct GraphEditResult {
    pub edit: lsp::WorkspaceEdit,
    /// The node or cluster to select once the edit is applied (a new step or block).
    pub select: Option<String>,
}

pub fn graph_edit(snap: &Snapshot, params: GraphEditParams) -> Result<GraphEditResult> {
    let Some(current) = snap.docs.get(&params.uri).map(|d| d.version) else {
        return Err(invalid_params(format!(
            "the document {} is not open; graph edits apply to open documents only",
            params.uri.as_str()
        )));
    };
    if current != params.version {
        return Err(Error {
            code: ErrorCode::ContentModified,
            message: format!(
                "the document changed since the graph was drawn (version {}, now {current}); the edit was not made, redraw the graph and try again",
                params.version
            )
            .into(),
            data: None,
        });
    }
    let doc = doc(snap, &params.uri)?;
    let edit = to_ide(params.edit)?;
    match ide::graph_edit(&snap.db, doc.file, &params.pipeline, &edit) {
        Ok(outcome) => Ok(GraphEditResult {
            edit: Converter::new(snap).versioned_workspace_edit(&outcome.edits),
            select: outcome.select,
        }),
        Err(refusal) => Err(refused(refusal)),
    }
}

/// A refusal as `RequestFailed`, with the reason (and the dependants) in `data`.
fn refused(refusal: ide::Refusal) -> Error {
    let reason = match refusal.reason {
        ide::RefusalReason::TypeMismatch => "typeMismatch",
        ide::RefusalReason::Dependants => "dependants",
        ide::RefusalReason::NotFound => "notFound",
        ide::RefusalReason::Invalid => "invalid",
    };
    let mut data = json!({ "reason": reason });
    if refusal.reason == ide::RefusalReason::Dependants {
        data["dependants"] = json!(refusal.dependants);
    }
    Error {
        data: Some(data),
        ..request_failed(refusal.message)
    }
}

fn to_ide(edit: Edit) -> Result<ide::GraphEdit> {
    Ok(match edit {
        Edit::AddStep {
            op,
            name,
            block,
            index,
            import,
        } => ide::GraphEdit::AddStep {
            op,
            name,
            block,
            index,
            import,
        },
        Edit::Connect { from, to } => ide::GraphEdit::Connect {
            from: from.step,
            output: from.output,
            to: to.step,
            input: to.input,
        },
        Edit::Disconnect { step, input } => ide::GraphEdit::Disconnect { step, input },
        Edit::SetArg { step, input, value } => ide::GraphEdit::SetArg {
            step,
            input,
            value: match value {
                Value::Null => None,
                value => Some(arg_value(&value)?),
            },
        },
        Edit::DeleteStep { step, cascade } => ide::GraphEdit::DeleteStep { step, cascade },
        Edit::AddAfter { step, after } => ide::GraphEdit::AddAfter { step, after },
        Edit::WrapFor { steps, var, over } => ide::GraphEdit::WrapFor { steps, var, over },
        Edit::WrapIf { steps, condition } => ide::GraphEdit::WrapIf { steps, condition },
        Edit::Unwrap { block } => ide::GraphEdit::Unwrap { block },
    })
}

/// A JSON value of `setArg`: a number, a bool, a string, an array of those, or
/// `{"duration": "10m"}`.
fn arg_value(value: &Value) -> Result<ide::ArgValue> {
    Ok(match value {
        Value::Bool(b) => ide::ArgValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ide::ArgValue::Int(i),
            None => ide::ArgValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => ide::ArgValue::Str(s.clone()),
        Value::Array(items) => {
            ide::ArgValue::List(items.iter().map(arg_value).collect::<Result<_>>()?)
        }
        Value::Object(map) => match (map.get("duration"), map.len()) {
            (Some(Value::String(d)), 1) => ide::ArgValue::Duration(d.clone()),
            _ => return Err(bad_value()),
        },
        Value::Null => return Err(bad_value()),
    })
}

fn bad_value() -> Error {
    invalid_params(
        "`value` must be a number, a bool, a string, a list of those, {\"duration\": \"10m\"}, or null to clear the argument",
    )
}

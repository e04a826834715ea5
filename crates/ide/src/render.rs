//! Text shown to users: signatures, types and short descriptions of the language's words.

use std::ops::Range;

use mlforge_analysis::items::{find_item, ItemKey};
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::types::RecordTy;
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item};

use crate::base::{slice, text};
use crate::records::record_decl;

/// `name(a: T, b: U = 1) -> (out: V)` for an op or pipeline, with the range of each input in
/// the label.
pub(crate) struct SigText {
    pub keyword: &'static str,
    pub label: String,
    pub params: Vec<(String, Range<usize>)>,
    pub doc: Option<String>,
}

pub(crate) fn item_signature(db: &dyn Db, file: SourceFile, name: &str) -> Option<SigText> {
    let text = text(db, file);
    let (keyword, params, outputs, doc): (_, &[ast::Param], Vec<(String, String)>, _) =
        match find_item(db, file, name)? {
            Item::Op(op) => (
                "op",
                &op.params,
                op.outputs
                    .iter()
                    .map(|o| {
                        (
                            o.name.text.to_string(),
                            slice(text, o.ty.span()).to_string(),
                        )
                    })
                    .collect(),
                op.doc.clone(),
            ),
            Item::Pipeline(p) => {
                let outputs = match &p.outputs {
                    Some(decls) => decls
                        .iter()
                        .map(|o| {
                            (
                                o.name.text.to_string(),
                                slice(text, o.ty.span()).to_string(),
                            )
                        })
                        .collect(),
                    None => {
                        let key = ItemKey::new(db, file, p.name.text.to_string());
                        analyze_pipeline(db, key)
                            .outputs
                            .iter()
                            .map(|(n, ty)| (n.clone(), ty.to_string()))
                            .collect()
                    }
                };
                ("pipeline", &p.params, outputs, p.doc.clone())
            }
            _ => return None,
        };
    let mut label = format!("{name}(");
    let ranges = push_params(&mut label, text, params);
    label.push(')');
    if !outputs.is_empty() {
        label.push_str(" -> (");
        let list: Vec<String> = outputs.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        label.push_str(&list.join(", "));
        label.push(')');
    }
    Some(SigText {
        keyword,
        label,
        params: ranges,
        doc,
    })
}

/// `Opts { size: float, tags: list<string> = [] }`: a record as a signature whose params are
/// its fields, for the literal being typed.
pub(crate) fn record_signature(db: &dyn Db, record: &RecordTy) -> Option<SigText> {
    let decl = record_decl(db, record)?;
    let mut label = format!("{} {{", record.name);
    let mut params = Vec::new();
    if !decl.fields.is_empty() {
        label.push(' ');
        params = push_params(&mut label, text(db, record.file), &decl.fields);
        label.push(' ');
    }
    label.push('}');
    Some(SigText {
        keyword: "record",
        label,
        params,
        doc: decl.doc.clone(),
    })
}

/// Appends `a: T, b: U = 1` to `label`, with the range of each in it.
fn push_params(
    label: &mut String,
    text: &str,
    params: &[ast::Param],
) -> Vec<(String, Range<usize>)> {
    let mut ranges = Vec::with_capacity(params.len());
    for (i, param) in params.iter().enumerate() {
        if i > 0 {
            label.push_str(", ");
        }
        let start = label.len();
        label.push_str(&param_text(text, param));
        ranges.push((param.name.text.to_string(), start..label.len()));
    }
    ranges
}

/// `name: T` or `name: T = default`, as written.
pub(crate) fn param_text(text: &str, param: &ast::Param) -> String {
    let ty = slice(text, param.ty.span());
    match &param.default {
        Some(default) => format!("{}: {ty} = {}", param.name.text, slice(text, default.span)),
        None => format!("{}: {ty}", param.name.text),
    }
}

pub(crate) fn code_block(code: &str) -> String {
    format!("```mlf\n{code}\n```")
}

pub(crate) fn with_doc(mut markdown: String, doc: Option<&str>) -> String {
    if let Some(doc) = doc.filter(|d| !d.trim().is_empty()) {
        markdown.push_str("\n\n---\n\n");
        markdown.push_str(doc.trim());
    }
    markdown
}

/// A one-line meaning of each keyword.
pub(crate) fn keyword_doc(word: &str) -> Option<&'static str> {
    Some(match word {
        "import" => "`import \"path.mlf\" [as name]`: makes another file's ops, pipelines and kinds reachable as `name.item` (the namespace is the file's stem unless `as` gives one).",
        "as" => "`import \"…\" as name`: the namespace under which the imported file's items are reached.",
        "op" => "`op name(inputs) -> (outputs) { attributes body }`: a reusable, typed unit of work with a code body.",
        "pipeline" => "`pipeline name(params) [-> (outputs)] { … }`: a graph of steps, run as a whole or used as a step of another pipeline.",
        "artifact" => "`artifact Name: Base`: declares a kind of artifact, a subtype of `Base` (`File` when omitted).",
        "step" => "`step name = callee(arg: value, …) [after other, …]`: runs an op or a pipeline; its outputs are `name.output`.",
        "output" => "`output name = value`: sets one of the pipeline's outputs.",
        "for" => "`for x in list { … }`: runs the block once per element, in parallel; outside it, outputs of its steps are lists.",
        "in" => "`for x in list`: the list the loop goes over.",
        "if" => "`if condition { … } [else { … }]`: decided at run time; steps of the branch not taken are skipped, and outside the block their outputs are optional (`T?`).",
        "else" => "`else { … }`: the steps that run when the `if` condition is false.",
        "after" => "`after step, …`: waits for other steps without using their outputs (an ordering edge).",
        "and" => "`a and b`: true when both are true.",
        "or" => "`a or b`: true when either is true.",
        "not" => "`not a`: the negation of a bool.",
        "true" | "false" => "A `bool` literal.",
        "python" => "`python \"\"\"…\"\"\"` or `python file \"script.py\"`: the op's body, run with Python; `${name}` inserts an input's value or an output's path as a Python literal.",
        "shell" => "`shell \"\"\"…\"\"\"` or `shell file \"script.sh\"`: the op's body, run by a POSIX shell; `${name}` inserts one safely quoted word.",
        "file" => "`python file \"path\"`: the body is a script beside the `.mlf` file; values arrive as `MLFORGE_IN_<NAME>` / `MLFORGE_OUT_<NAME>` environment variables.",
        _ => return None,
    })
}

/// The meaning of a built-in type.
pub(crate) fn builtin_type_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "int" => "`int`: a 64-bit integer. Widens to `float` where a float is expected.",
        "float" => "`float`: a 64-bit floating-point number.",
        "bool" => "`bool`: `true` or `false`.",
        "string" => "`string`: text.",
        "File" => "`File`: an artifact stored as one file. Every artifact kind is a `File` except `Dir`.",
        "Dir" => "`Dir`: an artifact stored as a folder; an op writing a `Dir` output gets an existing empty folder.",
        "Dataset" => "`Dataset`: a `File` holding a table of data (CSV, Parquet, …).",
        "Model" => "`Model`: a `File` holding a trained model.",
        "Metrics" => "`Metrics`: a `File` holding a JSON object of name → number; its entries are logged as the run's metrics.",
        "list" => "`list<T>`: a list of values of type `T`. Outside a `for`, every output of a step inside it is a list (fan-in).",
        _ => return None,
    })
}

/// What an attribute means and the values it takes.
pub(crate) fn attribute_doc(name: &str, parent: Option<&str>) -> Option<&'static str> {
    Some(match (parent, name) {
        (None, "image") => "`image = \"python:3.12-slim\"`: the container image used by container back ends (a pipeline's value is the default for its ops).",
        (None, "retries") => "`retries = 2`: how many times a failed attempt is retried (an int ≥ 0).",
        (None, "timeout") => "`timeout = 30m`: the longest an attempt may run (a duration: `10s`, `30m`, `2h`, `1d`).",
        (None, "cache") => "`cache = true`: whether a step reuses an earlier result for the same inputs (default `true`; `false` for an op with no outputs, which runs for its side effects every time).",
        (None, "resources") => "`resources { cpu = 2  memory = \"4Gi\"  gpu = 0 }`: what one attempt needs.",
        (None, "env") => "`env { NAME = \"value\" }`: environment variables for the body. A value is a string, one of the op's string inputs (`MODE = mode`), or `secret(\"NAME\")`: the runner's own variable, never stored, masked in logs.",
        (None, "uses") => "`uses = [\"src/helpers.py\", \"src/lib/\"]`: files and folders (relative to this file) whose contents enter the cache key, so editing them re-runs the op's steps (a pipeline's value is the default for its ops).",
        (None, "requires") => "`requires = [\"pandas>=2.1\"]`: Python packages the op needs; a run checks them against the interpreter before any step runs.",
        (None, "interpreter") => "`interpreter = \"envs/eval/bin/python\"`: the Python that runs the op's bodies (relative to this file, or a program on PATH); shell bodies find its folder first on PATH (a pipeline's value is the default for its ops).",
        (None, "start_date") => "`start_date = \"2024-01-01\"`: the first date a scheduler runs the pipeline for (exporters carry it; the local runner ignores it).",
        (None, "catchup") => "`catchup = false`: whether a scheduler runs the intervals missed since `start_date` (exporters carry it; the local runner ignores it).",
        (None, "tags") => "`tags = [\"ml\", \"nightly\"]`: labels for schedulers (exporters carry them; the local runner ignores them).",
        (None, "owner") => "`owner = \"ml-team\"`: who owns the pipeline, for schedulers (exporters carry it; the local runner ignores it).",
        (None, "schedule") => "`schedule = \"0 3 * * *\"`: when the pipeline runs: cron text or `@hourly`, `@daily`, `@weekly`, `@monthly`.",
        (Some("resources"), "cpu") => "`cpu = 2`: CPUs for one attempt (a positive number).",
        (Some("resources"), "memory") => "`memory = \"4Gi\"`: memory for one attempt (a string with a `Ki Mi Gi Ti` or `K M G T` suffix).",
        (Some("resources"), "gpu") => "`gpu = 1`: GPUs for one attempt (an int ≥ 0).",
        (Some("env"), _) => "An environment variable set for the body.",
        _ => return None,
    })
}

/// The attributes there are: the checker's lists, so that completion offers exactly what
/// checks clean.
pub(crate) use mlforge_analysis::{OP_ATTRIBUTES, PIPELINE_ATTRIBUTES, RESOURCE_ENTRIES};

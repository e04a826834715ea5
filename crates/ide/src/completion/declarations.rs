//! Items, op members, attributes and statements: what may start a line.

use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};

use crate::base::{slice, text};
use crate::render::{attribute_doc, OP_ATTRIBUTES, PIPELINE_ATTRIBUTES, RESOURCE_ENTRIES};
use crate::scope::item_at;
use crate::CompletionKind;

use super::out::Out;

pub(super) fn top_level(out: &mut Out) {
    for kw in ["import", "op", "pipeline", "artifact"] {
        out.keyword(kw, 1);
    }
    out.snippet(
        "import \"…\"",
        "import \"${1:ops}.mlf\"$0",
        "Import another file's ops, pipelines and kinds.",
        0,
    );
    out.snippet(
        "op name(…) -> (…) { python }",
        "op ${1:name}(${2:data}: ${3:Dataset}) -> (${4:out}: ${5:File}) {\n  python \"\"\"\n    $0\n  \"\"\"\n}",
        "A new op with a Python body.",
        0,
    );
    out.snippet(
        "pipeline name(…) { … }",
        "pipeline ${1:name}($2) {\n  $0\n}",
        "A new pipeline.",
        0,
    );
    out.snippet(
        "artifact Name: Base",
        "artifact ${1:Name}: ${2:Dataset}$0",
        "A new kind of artifact.",
        0,
    );
}
pub(super) fn op_members(db: &dyn Db, file: SourceFile, offset: usize, out: &mut Out) {
    let given: Vec<&str> = match item_at(db, file, offset) {
        Some(Item::Op(op)) => op.attrs.iter().map(|a| a.name.text.as_str()).collect(),
        _ => Vec::new(),
    };
    for name in OP_ATTRIBUTES.iter().filter(|n| !given.contains(n)) {
        attribute_item(name, out);
    }
    out.keyword("python", 2);
    out.keyword("shell", 2);
    out.snippet(
        "python \"\"\"…\"\"\"",
        "python \"\"\"\n  $0\n\"\"\"",
        "An inline Python body.",
        0,
    );
    out.snippet(
        "python def \"\"\"…\"\"\"",
        "python def \"\"\"\n  $0\n\"\"\"",
        "A Python function body: inputs are parameters, `return` gives the outputs.",
        0,
    );
    out.snippet(
        "shell \"\"\"…\"\"\"",
        "shell \"\"\"\n  $0\n\"\"\"",
        "An inline shell body.",
        0,
    );
    out.snippet(
        "python file \"…\"",
        "python file \"${1:script.py}\"$0",
        "A Python script beside this file as the body.",
        1,
    );
}
pub(super) fn attribute_item(name: &str, out: &mut Out) {
    out.add(
        name,
        CompletionKind::Attribute,
        Some("attribute".to_string()),
        attribute_doc(name, None).map(str::to_string),
        1,
    );
    let template = match name {
        "image" => "image = \"${1:python:3.12-slim}\"$0",
        "retries" => "retries = ${1:2}$0",
        "timeout" => "timeout = ${1:30m}$0",
        "cache" => "cache = ${1:true}$0",
        "resources" => "resources { cpu = ${1:1}  memory = \"${2:1Gi}\" }$0",
        "env" => "env { ${1:NAME} = \"${2:value}\" }$0",
        "schedule" => "schedule = \"${1:@daily}\"$0",
        "uses" => "uses = [\"${1:src/helpers.py}\"]$0",
        "requires" => "requires = [\"${1:pandas>=2.1}\"]$0",
        "interpreter" => "interpreter = \"${1:.venv/bin/python}\"$0",
        "start_date" => "start_date = \"${1:2024-01-01}\"$0",
        "catchup" => "catchup = ${1:false}$0",
        "tags" => "tags = [\"${1:ml}\"]$0",
        "owner" => "owner = \"${1:team}\"$0",
        _ => return,
    };
    out.insert(template);
}
pub(super) fn attr_entries(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    block: &str,
    out: &mut Out,
) {
    if block != "resources" {
        return;
    }
    let mut given = Vec::new();
    if let Some(Item::Op(op)) = item_at(db, file, offset) {
        for attr in &op.attrs {
            if let (true, ast::AttrValue::Block(entries)) =
                (attr.name.text == "resources", &attr.value)
            {
                given.extend(entries.iter().map(|e| e.name.text.to_string()));
            }
        }
    }
    for name in RESOURCE_ENTRIES
        .iter()
        .filter(|n| !given.iter().any(|g| g == *n))
    {
        out.add(
            *name,
            CompletionKind::Attribute,
            Some("resources entry".to_string()),
            attribute_doc(name, Some("resources")).map(str::to_string),
            0,
        );
        out.insert(match *name {
            "cpu" => "cpu = ${1:1}$0",
            "memory" => "memory = \"${1:1Gi}\"$0",
            _ => "gpu = ${1:0}$0",
        });
    }
}
pub(super) fn statements(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    pipeline_body: bool,
    after_block: bool,
    out: &mut Out,
) {
    for kw in ["step", "for", "if", "output"] {
        out.keyword(kw, 1);
    }
    if after_block {
        out.keyword("else", 0);
        out.snippet(
            "else { … }",
            "else {\n  $0\n}",
            "The steps that run when the condition is false.",
            0,
        );
    }
    out.snippet(
        "step name = op(…)",
        "step ${1:name} = ${2:op}($3)$0",
        "Run an op or a pipeline.",
        0,
    );
    out.snippet(
        "for x in list { … }",
        "for ${1:x} in ${2:list} {\n  $0\n}",
        "Fan out: run the block once per element.",
        0,
    );
    out.snippet(
        "if cond { … }",
        "if ${1:condition} {\n  $0\n}",
        "Run the block only when the condition holds.",
        0,
    );
    out.snippet(
        "if cond { … } else { … }",
        "if ${1:condition} {\n  $2\n} else {\n  $0\n}",
        "Run one block or the other.",
        0,
    );
    out.snippet(
        "output name = value",
        "output ${1:name} = ${2:value}$0",
        "Set one of the pipeline's outputs.",
        0,
    );
    if pipeline_body {
        let given: Vec<&str> = match item_at(db, file, offset) {
            Some(Item::Pipeline(p)) => p.attrs.iter().map(|a| a.name.text.as_str()).collect(),
            _ => Vec::new(),
        };
        for name in PIPELINE_ATTRIBUTES.iter().filter(|n| !given.contains(n)) {
            attribute_item(name, out);
        }
    }
}
pub(super) fn output_names(db: &dyn Db, file: SourceFile, offset: usize, out: &mut Out) {
    let Some(Item::Pipeline(p)) = item_at(db, file, offset) else {
        return;
    };
    let Some(decls) = &p.outputs else { return };
    let text = text(db, file);
    for decl in decls {
        let set = p
            .body
            .iter()
            .any(|s| matches!(s, Stmt::Output(o) if o.name.text == decl.name.text));
        if set {
            continue;
        }
        out.add(
            decl.name.text.to_string(),
            CompletionKind::Output,
            Some(slice(text, decl.ty.span()).to_string()),
            decl.doc.clone(),
            0,
        );
        out.insert(&format!("{} = $0", decl.name.text));
    }
}

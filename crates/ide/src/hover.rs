//! Hover: what the word at an offset is, in markdown.

use mlforge_analysis::graph::BlockKind;
use mlforge_analysis::items::{find_item, imports, parse, ItemKey};
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::signature::{callee_signature, declared_kind};
use mlforge_analysis::types::Ty;
use mlforge_analysis::{duration_seconds, Db, SourceFile};
use mlforge_syntax::ast::Item;
use mlforge_syntax::Span;

use crate::base::{clamp, slice, text, TK};
use crate::completion::output_doc;
use crate::context::{scan, tokens_around, FrameKind};
use crate::defs::{occurrence_at, path_target, Def, ItemKind};
use crate::expected::expected_type;
use crate::records::{as_record, record_decl};
use crate::render::{
    attribute_doc, builtin_type_doc, code_block, item_signature, keyword_doc, param_text, with_doc,
};
use crate::scope::{item_at, pipeline_at, seen_from};
use crate::Hover;

pub(crate) fn hover(db: &dyn Db, file: SourceFile, offset: usize) -> Option<Hover> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    if let Some(occ) = occurrence_at(db, file, offset) {
        let markdown = describe(db, file, &occ.def, occ.span)?;
        return Some(Hover {
            markdown,
            span: occ.span,
        });
    }
    // Words with no definition: keywords, `list`, literals.
    let (toks, i) = tokens_around(db, file, offset);
    let i = i?;
    let tok = toks[i];
    let word = slice(text, tok.span);
    if tok.kind == TK::Ident && toks.get(i + 1).is_some_and(|t| t.kind == TK::Colon) {
        if let Some(markdown) = literal_field(db, file, tok.span, word) {
            return Some(Hover {
                markdown,
                span: tok.span,
            });
        }
    }
    if tok.kind == TK::Ident {
        if let Some(markdown) = broken_text_hover(db, file, &toks, i, word) {
            return Some(Hover {
                markdown,
                span: tok.span,
            });
        }
    }
    let markdown = match tok.kind {
        TK::Keyword => keyword_doc(word)?.to_string(),
        TK::Ident if word == "list" => builtin_type_doc("list")?.to_string(),
        TK::Number => match duration_seconds(word) {
            Ok(seconds) if word.ends_with(|c: char| c.is_ascii_alphabetic()) => {
                format!("`{word}`: a duration of {seconds} seconds")
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(Hover {
        markdown,
        span: tok.span,
    })
}

/// `name` in `{name: …}`, a record literal typed from context: the field as declared.
fn literal_field(db: &dyn Db, file: SourceFile, at: Span, name: &str) -> Option<String> {
    let scan = scan(db, file, at.start as usize);
    let k = scan.frames.len().checked_sub(1)?;
    if scan.frames[k].kind != FrameKind::Literal {
        return None;
    }
    let ty = expected_type(db, file, &scan, k)?;
    let record = as_record(&ty)?;
    let field = record_decl(db, record)?
        .fields
        .iter()
        .find(|f| f.name.text == name)?;
    let md = code_block(&format!(
        "{}  // field of {}",
        param_text(text(db, record.file), field),
        record.name
    ));
    Some(with_doc(md, field.doc.as_deref()))
}

fn describe(db: &dyn Db, file: SourceFile, def: &Def, at: Span) -> Option<String> {
    Some(match def {
        Def::Item {
            file: home,
            kind: ItemKind::Op | ItemKind::Pipeline,
            name,
        } => {
            let sig = item_signature(db, *home, name)?;
            let mut md = code_block(&format!("{} {}", sig.keyword, sig.label));
            if *home != file {
                md.push_str(&format!(
                    "\n\ndefined in {}",
                    crate::std_lib::describe(db, *home)
                        .unwrap_or_else(|| format!("`{}`", home.path(db).display()))
                ));
            }
            with_doc(md, sig.doc.as_deref())
        }
        Def::Item {
            file: home,
            kind: ItemKind::Artifact,
            name,
        } => {
            let Some(Item::Artifact(artifact)) = find_item(db, *home, name) else {
                return None;
            };
            let htext = text(db, *home);
            let base = artifact
                .base
                .as_ref()
                .map_or("File", |b| slice(htext, b.span()));
            let mut md = code_block(&format!("artifact {name}: {base}"));
            if let Ok(kind) = declared_kind(db, *home, name) {
                let chain: Vec<&str> = kind.chain.iter().map(|k| k.name()).collect();
                md.push_str(&format!(
                    "\n\nan artifact kind: {}. A `{name}` is accepted wherever {} is expected.",
                    chain.join(" → "),
                    chain[1..]
                        .iter()
                        .map(|k| format!("a `{k}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            }
            with_doc(md, artifact.doc.as_deref())
        }
        Def::Item {
            file: home,
            kind: ItemKind::Record,
            name,
        } => {
            let Some(Item::Record(record)) = find_item(db, *home, name) else {
                return None;
            };
            let htext = text(db, *home);
            let mut decl = format!("record {name} {{");
            for field in &record.fields {
                decl.push_str(&format!("\n  {}", slice(htext, field.span)));
            }
            decl.push_str(if record.fields.is_empty() { "}" } else { "\n}" });
            with_doc(code_block(&decl), record.doc.as_deref())
        }
        Def::Namespace { file: home, name } => {
            let import = imports(db, *home).iter().find(|i| &i.namespace == name)?;
            let mut md = code_block(slice(text(db, *home), import.span));
            match import.target {
                Some(target) => {
                    let names: Vec<String> = parse(db, target)
                        .file
                        .items
                        .iter()
                        .filter_map(|i| match i {
                            Item::Op(op) => Some(format!("`{name}.{}`", op.name.text)),
                            Item::Pipeline(p) => Some(format!("`{name}.{}`", p.name.text)),
                            Item::Artifact(a) => Some(format!("`{name}.{}`", a.name.text)),
                            _ => None,
                        })
                        .collect();
                    md.push_str(&format!(
                        "\n\nnamespace `{name}`: {}",
                        crate::std_lib::describe(db, target)
                            .unwrap_or_else(|| format!("the file `{}`", target.path(db).display()))
                    ));
                    if !names.is_empty() {
                        md.push_str(&format!(", with {}", names.join(", ")));
                    }
                }
                None => md.push_str(&format!("\n\nnamespace `{name}`: the file cannot be read")),
            }
            md
        }
        Def::Path { path, .. } => match path_target(db, def) {
            Some(target) => format!(
                "`{path}`: {}",
                crate::std_lib::describe(db, target)
                    .unwrap_or_else(|| format!("the file `{}`", target.path(db).display()))
            ),
            None => match def {
                Def::Path { import: true, .. } if path.starts_with("std/") => format!(
                    "`{path}`: the op library has no such module; it has {}",
                    mlforge_stdlib::modules()
                        .iter()
                        .map(|m| format!("`std/{}`", m.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => format!("`{path}`: no such file"),
            },
        },
        Def::Param {
            file: home,
            owner,
            name,
        } => {
            let (kind, params) = match find_item(db, *home, owner)? {
                Item::Op(op) => ("op", &op.params),
                Item::Pipeline(p) => ("pipeline", &p.params),
                _ => return None,
            };
            let param = params.iter().find(|p| p.name.text == name)?;
            let htext = text(db, *home);
            let mut md = code_block(&param_text(htext, param));
            let role = if kind == "op" { "input" } else { "param" };
            md.push_str(&format!("\n\n{role} of {kind} `{owner}`"));
            if param.default.is_none()
                && !matches!(param.ty, mlforge_syntax::ast::TypeRef::Optional { .. })
            {
                md.push_str(" (required)");
            }
            if is_interpolation(db, file, at) {
                md.push_str(&interpolation_note(slice(htext, param.ty.span()), false));
            }
            with_doc(md, param.doc.as_deref())
        }
        Def::Output {
            file: home,
            owner,
            name,
        } => describe_output(db, file, *home, owner, name, at)?,
        Def::Step {
            file: home,
            pipeline,
            name,
        } => describe_step(db, *home, pipeline, name)?,
        Def::LoopVar {
            file: home,
            pipeline,
            name,
            decl,
        } => {
            let key = ItemKey::new(db, *home, pipeline.clone());
            let graph = &analyze_pipeline(db, key).graph;
            let block = graph.blocks.iter().find(|b| {
                matches!(&b.kind, BlockKind::For { var, second } if var == name || second.as_deref() == Some(name.as_str()))
                    && b.span.contains(decl.start as usize)
            });
            let ty = block
                .and_then(|b| match (&b.kind, b.elem_ty.as_ref()?) {
                    // `for x, y in zip(a, b)`: each variable takes its own list's elements.
                    (BlockKind::For { second, .. }, Ty::Pair(x, y)) => Some(
                        if second.as_deref() == Some(name.as_str()) {
                            y
                        } else {
                            x
                        }
                        .to_string(),
                    ),
                    (_, ty) => Some(ty.to_string()),
                })
                .unwrap_or_else(|| "unknown".to_string());
            let mut md = code_block(&format!("{name}: {ty}"));
            if let Some(block) = block {
                md.push_str(&format!(
                    "\n\nloop variable: one element of `{}` per branch",
                    block.label
                ));
            }
            md
        }
        Def::Builtin(name) => builtin_type_doc(name)?.to_string(),
        Def::Attribute { name, parent } => attribute_doc(name, parent.as_deref())?.to_string(),
    })
}

fn is_interpolation(db: &dyn Db, file: SourceFile, at: Span) -> bool {
    let text = text(db, file);
    text[..at.start as usize].trim_end().ends_with("${")
}

fn interpolation_note(ty: &str, output: bool) -> String {
    if output {
        format!("\n\n`${{…}}` becomes the path where the body must write this `{ty}`")
    } else if matches!(ty, "int" | "float" | "bool" | "string")
        || ty.starts_with("list<") && !ty.contains(|c: char| c.is_ascii_uppercase())
    {
        format!("\n\n`${{…}}` becomes this `{ty}` value, as a literal of the body's language")
    } else {
        format!("\n\n`${{…}}` becomes the path of a read-only copy of this `{ty}`")
    }
}

fn describe_output(
    db: &dyn Db,
    file: SourceFile,
    home: SourceFile,
    owner: &str,
    name: &str,
    at: Span,
) -> Option<String> {
    let htext = text(db, home);
    let (kind, declared) = match find_item(db, home, owner)? {
        Item::Op(op) => (
            "op",
            op.outputs
                .iter()
                .find(|o| o.name.text == name)
                .map(|o| slice(htext, o.ty.span()).to_string()),
        ),
        Item::Pipeline(p) => {
            let declared = p.outputs.as_ref().and_then(|decls| {
                decls
                    .iter()
                    .find(|o| o.name.text == name)
                    .map(|o| slice(htext, o.ty.span()).to_string())
            });
            let found = || {
                let key = ItemKey::new(db, home, owner.to_string());
                analyze_pipeline(db, key)
                    .outputs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, ty)| ty.to_string())
            };
            ("pipeline", declared.or_else(found))
        }
        _ => return None,
    };
    let declared = declared.unwrap_or_else(|| "unknown".to_string());
    // `step.output` in a pipeline: the type where it is read.
    let text = text(db, file);
    let mut md = String::new();
    // `base.name`: the word before the dot.
    let before = text[..at.start as usize].trim_end();
    if let Some(before_dot) = before.strip_suffix('.') {
        let before_dot = before_dot.trim_end();
        let base_len = before_dot
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let base = &before_dot[before_dot.len() - base_len..];
        if let Some(pat) = pipeline_at(db, file, at.start as usize) {
            if let Some(step) = pat.step(base) {
                let ty = pat.analysis.graph.steps[step]
                    .callee
                    .as_ref()
                    .and_then(|c| callee_signature(db, c))
                    .and_then(|s| s.output(name))
                    .map(|o| pat.seen_from_here(step, o.ty.clone()));
                if let Some(ty) = ty {
                    md = code_block(&format!("{base}.{name}: {ty}"));
                    md.push_str(&format!(
                        "\n\noutput `{name}: {declared}` of {kind} `{owner}`"
                    ));
                    let why = match &ty {
                        Ty::List(_) => Some("a list: `{base}` is inside a `for` that this place is outside of, so here it holds every element's value"),
                        Ty::Optional(_) => Some("optional: `{base}` is inside an `if` that this place is outside of, so it may have been skipped"),
                        _ => None,
                    };
                    if let Some(why) = why.filter(|_| ty.to_string() != declared) {
                        md.push_str(&format!("; here it is {}", why.replace("{base}", base)));
                    }
                }
            }
        }
    }
    if md.is_empty() {
        md = code_block(&format!("{name}: {declared}"));
        md.push_str(&format!("\n\noutput of {kind} `{owner}`"));
        if is_interpolation(db, file, at) {
            md.push_str(&interpolation_note(&declared, true));
        }
    }
    Some(with_doc(md, output_doc(db, home, owner, name).as_deref()))
}

fn describe_step(db: &dyn Db, home: SourceFile, pipeline: &str, name: &str) -> Option<String> {
    let key = ItemKey::new(db, home, pipeline.to_string());
    let graph = &analyze_pipeline(db, key).graph;
    let index = graph.steps.iter().position(|s| s.name == name)?;
    let node = &graph.steps[index];
    let htext = text(db, home);
    let ast_step = match item_at(db, home, node.span.start as usize) {
        Some(Item::Pipeline(p)) => {
            let mut found = None;
            crate::defs::visit_steps(&p.body, &mut |s| {
                if s.span == node.span {
                    found = Some(s);
                }
            });
            found
        }
        _ => None,
    };
    let callee_text = ast_step.map_or("", |s| slice(htext, s.callee.span));
    let mut md = code_block(&format!("step {name} = {callee_text}(…)"));
    let signature = node.callee.as_ref().and_then(|c| callee_signature(db, c));
    if let Some(callee) = &node.callee {
        let kind = match callee.kind {
            mlforge_analysis::items::CalleeKind::Op => "op",
            mlforge_analysis::items::CalleeKind::Pipeline => "pipeline",
        };
        md.push_str(&format!("\n\nruns {kind} `{}`", callee.name));
        if callee.file != home {
            md.push_str(&format!(" from `{}`", callee.file.path(db).display()));
        }
    } else {
        md.push_str("\n\nits op or pipeline is unknown");
    }
    if !node.args.is_empty() {
        md.push_str("\n\n**inputs**");
        for (arg, value) in node.args.iter() {
            let ty = node
                .inputs
                .iter()
                .find(|(n, _)| n == arg)
                .or_else(|| node.arg_types.iter().find(|(n, _)| n == arg))
                .map_or("unknown".to_string(), |(_, t)| t.to_string());
            md.push_str(&format!("\n- `{arg}: {ty}` ← `{value}`"));
        }
    }
    if let Some(signature) = signature {
        if !signature.outputs.is_empty() {
            md.push_str("\n\n**outputs**");
            for output in &signature.outputs {
                let outside = seen_from(graph, index, &[], output.ty.clone());
                md.push_str(&format!("\n- `{name}.{}: {}`", output.name, output.ty));
                if outside != output.ty {
                    md.push_str(&format!(" (`{outside}` outside its block)"));
                }
            }
        }
    }
    if !node.span.is_empty() {
        if let Some(block) = node.block {
            let b = &graph.blocks[block];
            let place = match &b.kind {
                BlockKind::For {
                    var,
                    second: Some(second),
                } => format!("for {var}, {second} in {}", b.label),
                BlockKind::For { var, .. } => format!("for {var} in {}", b.label),
                BlockKind::Then => format!("if {}", b.label),
                BlockKind::Else => format!(
                    "else of if {}",
                    b.label.trim_start_matches("not (").trim_end_matches(')')
                ),
            };
            md.push_str(&format!("\n\ninside `{place}`"));
        }
    }
    let doc = ast_step.and_then(|s| s.doc.clone());
    Some(with_doc(md, doc.as_deref()))
}

/// A word the tree does not hold (the text around it is broken): an item, an item of a
/// namespace, or an output of a step read from the tokens.
fn broken_text_hover(
    db: &dyn Db,
    file: SourceFile,
    toks: &[crate::base::Tok],
    i: usize,
    word: &str,
) -> Option<String> {
    let text = text(db, file);
    let item_def = |home: SourceFile, name: &str| -> Option<Def> {
        let kind = match find_item(db, home, name)? {
            Item::Op(_) => ItemKind::Op,
            Item::Pipeline(_) => ItemKind::Pipeline,
            Item::Artifact(_) => ItemKind::Artifact,
            Item::Record(_) => ItemKind::Record,
            _ => return None,
        };
        Some(Def::Item {
            file: home,
            kind,
            name: name.to_string(),
        })
    };
    let span = toks[i].span;
    if i >= 2 && toks[i - 1].kind == TK::Dot && toks[i - 2].kind == TK::Ident {
        let base = slice(text, toks[i - 2].span);
        if let Some(Some(target)) = mlforge_analysis::items::namespace_target(db, file, base) {
            return describe(db, file, &item_def(target, word)?, span);
        }
        let scan = crate::context::scan(db, file, span.start as usize);
        let (namespace, name) = scan.scanned_callee(base)?;
        let callee = crate::completion::resolve_written_callee(db, file, namespace, name)?;
        let output = callee_signature(db, &callee)?.output(word)?;
        let md = code_block(&format!("{base}.{word}: {}", output.ty));
        return Some(with_doc(
            format!("{md}\n\noutput of `{}`", callee.name),
            output_doc(db, callee.file, &callee.name, word).as_deref(),
        ));
    }
    describe(db, file, &item_def(file, word)?, span)
}

//! Completion: what may be typed at an offset, read from the tokens around it (the text
//! may be broken there) and the analysis of the rest of the file.

use mlforge_analysis::items::{find_item, imports, namespace_target, parse, resolve_callee};
use mlforge_analysis::signature::callee_signature;
use mlforge_analysis::types::{BUILTIN_KINDS, SCALARS};
use mlforge_analysis::{Db, SourceFile};
use mlforge_syntax::ast::{self, Item, Stmt};
use mlforge_syntax::{CommentKind, Span};

use crate::base::{clamp, has_newline, lex_range, slice, text, word_at, TK};
use crate::context::{anchor, call_callee, scan_tokens, FrameKind, Scan};
use crate::defs::visit_steps;
use crate::render::{
    attribute_doc, builtin_type_doc, item_signature, keyword_doc, param_text, OP_ATTRIBUTES,
    PIPELINE_ATTRIBUTES, RESOURCE_ENTRIES,
};
use crate::scope::{item_at, pipeline_at, PipelineAt};
use crate::{CompletionConfig, CompletionItem, CompletionKind};

/// What the offset calls for.
#[derive(Debug)]
enum Ctx<'a> {
    Nothing,
    TopLevel,
    /// After `import "…"`.
    ImportAs,
    OpMember,
    /// After `python` or `shell`.
    BodyKind,
    AttrEntry(&'a str),
    /// A boolean attribute's value.
    BoolValue,
    Statement {
        pipeline_body: bool,
        after_block: bool,
    },
    /// After a step's call on the same line.
    AfterCall,
    AfterSteps,
    /// After `for x`.
    ForIn,
    /// After `output`.
    OutputName,
    Callee(Option<&'a str>),
    ArgName {
        frame: crate::context::Frame,
    },
    Expr,
    Field(&'a str),
    Type {
        namespace: Option<&'a str>,
        kinds_only: bool,
    },
}

pub(crate) fn completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    config: &CompletionConfig,
) -> Vec<CompletionItem> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    if in_comment(db, file, offset) {
        return Vec::new();
    }
    let (at, kinds) = anchor(db, file, offset);
    let toks = lex_range(text, at, offset);
    // Inside a string or a code body? Lexed up to the offset, it is then left open.
    if let Some(tok) = toks.last() {
        let open = tok.span.end as usize == offset && !closed(slice(text, tok.span), tok.kind);
        if open && (tok.span.start as usize) < offset {
            return match tok.kind {
                TK::Body => interpolations(db, file, offset, tok.span),
                _ => Vec::new(),
            };
        }
    }
    let word = word_at(text, offset);
    if text[word.range()]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
    {
        return Vec::new();
    }
    let scan = scan_tokens(text, toks, &kinds, word.start as usize);
    let ctx = classify(&scan, word);
    let mut out = Out {
        items: Vec::new(),
        replace: word,
        config: *config,
        next_char: text[word.end as usize..].chars().next(),
    };
    build(db, file, offset, &scan, ctx, &mut out);
    out.items
}

fn closed(token_text: &str, kind: TK) -> bool {
    match kind {
        TK::Body => token_text.len() >= 6 && token_text.ends_with("\"\"\""),
        TK::Str => {
            token_text.len() >= 2 && token_text.ends_with('"') && !token_text.ends_with("\\\"")
        }
        _ => true,
    }
}

fn in_comment(db: &dyn Db, file: SourceFile, offset: usize) -> bool {
    let comments = &parse(db, file).comments;
    let i = comments.partition_point(|c| (c.span.start as usize) < offset);
    let Some(c) = i.checked_sub(1).and_then(|j| comments.get(j)) else {
        return false;
    };
    match c.kind {
        CommentKind::Line | CommentKind::Doc => offset <= c.span.end as usize,
        CommentKind::Block => {
            offset < c.span.end as usize || !slice(text(db, file), c.span).ends_with("*/")
        }
    }
}

fn classify<'a>(scan: &Scan<'a>, word: Span) -> Ctx<'a> {
    let top = scan.top();
    let tail = scan.tail();
    let newline_before = tail
        .last()
        .is_none_or(|t| has_newline(scan.text, t.span.end as usize, word.start as usize));
    let last = |n| scan.last(n);
    let ident_dot = || scan.last_is(0, TK::Dot, None) && scan.last_is(1, TK::Ident, None);
    match top.kind {
        FrameKind::Top => {
            if scan.item_kw == Some("artifact") {
                if scan.last_is(0, TK::Colon, None) {
                    return Ctx::Type {
                        namespace: None,
                        kinds_only: true,
                    };
                }
                if ident_dot() && scan.last_is(2, TK::Colon, None) {
                    return Ctx::Type {
                        namespace: last(1).map(|l| l.1),
                        kinds_only: true,
                    };
                }
            }
            match last(0) {
                Some((TK::Keyword, "op" | "pipeline" | "artifact" | "as" | "import")) => {
                    Ctx::Nothing
                }
                Some((TK::Str, _)) if scan.last_kw(1, "import") && !newline_before => Ctx::ImportAs,
                _ if tail.is_empty() || newline_before || scan.last_is(0, TK::RBrace, None) => {
                    Ctx::TopLevel
                }
                _ => Ctx::Nothing,
            }
        }
        FrameKind::Params | FrameKind::Outputs | FrameKind::Angle => {
            if scan.last_is(0, TK::Colon, None)
                || scan.last_is(0, TK::Lt, None)
                || (top.kind == FrameKind::Angle && tail.is_empty())
            {
                Ctx::Type {
                    namespace: None,
                    kinds_only: false,
                }
            } else if ident_dot()
                && (scan.last_is(2, TK::Colon, None) || scan.last_is(2, TK::Lt, None))
            {
                Ctx::Type {
                    namespace: last(1).map(|l| l.1),
                    kinds_only: true,
                }
            } else if scan.last_is(0, TK::Assign, None) {
                Ctx::BoolValue
            } else {
                Ctx::Nothing
            }
        }
        FrameKind::OpBody => match last(0) {
            Some((TK::Keyword, "python" | "shell")) => Ctx::BodyKind,
            Some((TK::Assign, _)) if scan.last_is(1, TK::Ident, Some("cache")) => Ctx::BoolValue,
            Some((TK::Assign | TK::Keyword | TK::Dot | TK::Operator, _)) => Ctx::Nothing,
            None => Ctx::OpMember,
            Some(_) if newline_before || scan.last_is(0, TK::RBrace, None) => Ctx::OpMember,
            _ => Ctx::Nothing,
        },
        FrameKind::AttrBlock => {
            let name = top
                .open
                .and_then(|o| o.checked_sub(1))
                .map(|o| slice(scan.text, scan.toks[o].span))
                .unwrap_or("");
            match last(0) {
                None => Ctx::AttrEntry(name),
                Some((TK::Assign | TK::Operator, _)) => Ctx::Nothing,
                Some(_) if newline_before || !scan.last_is(0, TK::Ident, None) => {
                    Ctx::AttrEntry(name)
                }
                _ => Ctx::Nothing,
            }
        }
        FrameKind::PipeBody | FrameKind::Block => {
            classify_statement(scan, top.kind, newline_before)
        }
        FrameKind::Call => {
            if scan.last_is(0, TK::LParen, None) || scan.last_is(0, TK::Comma, None) {
                Ctx::ArgName { frame: top }
            } else {
                classify_expr(scan).unwrap_or(Ctx::Nothing)
            }
        }
        FrameKind::Paren | FrameKind::List => {
            if scan.last_is(0, TK::LParen, None)
                || scan.last_is(0, TK::LBracket, None)
                || scan.last_is(0, TK::Comma, None)
            {
                Ctx::Expr
            } else {
                classify_expr(scan).unwrap_or(Ctx::Nothing)
            }
        }
    }
}

/// An expression position: after an operator, a `:` of an argument, or `name.`.
fn classify_expr<'a>(scan: &Scan<'a>) -> Option<Ctx<'a>> {
    let (kind, word) = scan.last(0)?;
    Some(match (kind, word) {
        (TK::Dot, _) if scan.last_is(1, TK::Ident, None) => Ctx::Field(scan.last(1)?.1),
        (TK::Colon | TK::Operator | TK::Lt | TK::Gt | TK::LBracket | TK::LParen | TK::Comma, _) => {
            Ctx::Expr
        }
        (TK::Keyword, "and" | "or" | "not" | "in" | "if") => Ctx::Expr,
        _ => return None,
    })
}

fn classify_statement<'a>(scan: &Scan<'a>, frame: FrameKind, newline_before: bool) -> Ctx<'a> {
    let statement = |after_block| Ctx::Statement {
        pipeline_body: frame == FrameKind::PipeBody,
        after_block,
    };
    let Some((kind, word)) = scan.last(0) else {
        return statement(false);
    };
    // `step x = …`
    if kind == TK::Assign && scan.last_is(1, TK::Ident, None) && scan.last_kw(2, "step") {
        return Ctx::Callee(None);
    }
    if kind == TK::Dot
        && scan.last_is(1, TK::Ident, None)
        && scan.last_is(2, TK::Assign, None)
        && scan.last_kw(4, "step")
    {
        return Ctx::Callee(scan.last(1).map(|l| l.1));
    }
    if kind == TK::Keyword && word == "after" {
        return Ctx::AfterSteps;
    }
    if kind == TK::Comma {
        // `after a, b, …`
        let tail = scan.tail();
        let mut j = tail.len();
        while j >= 2 && tail[j - 1].kind == TK::Comma && tail[j - 2].kind == TK::Ident {
            j -= 2;
        }
        if j >= 1 && tail[j - 1].kind == TK::Keyword && scan.tok_text(&tail[j - 1]) == "after" {
            return Ctx::AfterSteps;
        }
    }
    if kind == TK::Ident && scan.last_kw(1, "for") {
        return Ctx::ForIn;
    }
    if kind == TK::Keyword && word == "output" {
        return Ctx::OutputName;
    }
    if kind == TK::Keyword && matches!(word, "step" | "for" | "else") {
        return Ctx::Nothing;
    }
    if kind == TK::Ident && scan.last_kw(1, "step") {
        return Ctx::Nothing;
    }
    if kind == TK::Assign && scan.last_is(1, TK::Ident, None) && scan.last_kw(2, "output") {
        return Ctx::Expr;
    }
    if kind == TK::Assign {
        // An attribute's value.
        return Ctx::Nothing;
    }
    if let Some(ctx) = classify_expr(scan) {
        return ctx;
    }
    if kind == TK::RBrace {
        return statement(true);
    }
    if newline_before {
        return statement(false);
    }
    if kind == TK::RParen {
        return Ctx::AfterCall;
    }
    Ctx::Nothing
}

struct Out {
    items: Vec<CompletionItem>,
    replace: Span,
    config: CompletionConfig,
    next_char: Option<char>,
}

impl Out {
    fn add(
        &mut self,
        label: impl Into<String>,
        kind: CompletionKind,
        detail: Option<String>,
        documentation: Option<String>,
        priority: u8,
    ) {
        let label = label.into();
        self.items.push(CompletionItem {
            sort_text: format!("{priority:02}{label}"),
            insert_text: label.clone(),
            label,
            kind,
            detail,
            documentation,
            is_snippet: false,
            replace: self.replace,
        });
    }

    /// Sets the last item's insert text, from a snippet template (`${1:name}`, `$0`) or, when
    /// the client takes no snippets, the same text with the placeholders' defaults.
    fn insert(&mut self, template: &str) {
        let snippets = self.config.snippets;
        let text = template.to_string();
        if let Some(item) = self.items.last_mut() {
            if snippets {
                item.insert_text = text;
                item.is_snippet = template.contains('$');
            } else {
                item.insert_text = plain(&text);
            }
        }
    }

    fn keyword(&mut self, word: &str, priority: u8) {
        self.add(
            word,
            CompletionKind::Keyword,
            None,
            keyword_doc(word).map(str::to_string),
            priority,
        );
    }

    fn snippet(&mut self, label: &str, template: &str, doc: &str, priority: u8) {
        self.add(
            label,
            CompletionKind::Snippet,
            Some(plain(template).lines().next().unwrap_or("").to_string()),
            Some(doc.to_string()),
            priority,
        );
        self.insert(template);
    }
}

/// A snippet template with its placeholders replaced by their defaults.
pub(crate) fn plain(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}').unwrap_or(inner.len());
            let body = &inner[..close];
            if let Some((_, default)) = body.split_once(':') {
                out.push_str(default);
            }
            rest = inner.get(close + 1..).unwrap_or("");
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                out.push('$');
            }
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

fn build(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    ctx: Ctx<'_>,
    out: &mut Out,
) {
    match ctx {
        Ctx::Nothing => {}
        Ctx::TopLevel => top_level(out),
        Ctx::ImportAs => out.keyword("as", 0),
        Ctx::OpMember => op_members(db, file, offset, out),
        Ctx::BodyKind => {
            out.keyword("file", 1);
            out.snippet(
                "\"\"\"…\"\"\"",
                "\"\"\"\n  $0\n\"\"\"",
                "An inline code body.",
                0,
            );
        }
        Ctx::AttrEntry(block) => attr_entries(db, file, offset, block, out),
        Ctx::BoolValue => {
            out.keyword("true", 0);
            out.keyword("false", 0);
        }
        Ctx::Statement {
            pipeline_body,
            after_block,
        } => statements(db, file, offset, pipeline_body, after_block, out),
        Ctx::AfterCall => out.keyword("after", 0),
        Ctx::AfterSteps => match pipeline_at(db, file, offset) {
            Some(at) => step_names(db, &at, scan, out),
            None => scanned_step_names(scan, out),
        },
        Ctx::ForIn => out.keyword("in", 0),
        Ctx::OutputName => output_names(db, file, offset, out),
        Ctx::Callee(namespace) => callees(db, file, offset, namespace, out),
        Ctx::ArgName { frame } => arg_names(db, file, offset, scan, &frame, out),
        Ctx::Expr => expressions(db, file, offset, scan, out),
        Ctx::Field(base) => fields(db, file, offset, scan, base, out),
        Ctx::Type {
            namespace,
            kinds_only,
        } => {
            types(db, file, namespace, kinds_only, out);
            // `artifact A: …` cannot derive from itself.
            if kinds_only && namespace.is_none() && scan.item_kw == Some("artifact") {
                let own = scan
                    .tail()
                    .iter()
                    .rev()
                    .find(|t| t.kind == TK::Ident)
                    .map(|t| scan.tok_text(t));
                out.items.retain(|i| Some(i.label.as_str()) != own);
            }
        }
    }
}

fn top_level(out: &mut Out) {
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

fn op_members(db: &dyn Db, file: SourceFile, offset: usize, out: &mut Out) {
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

fn attribute_item(name: &str, out: &mut Out) {
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
        _ => return,
    };
    out.insert(template);
}

fn attr_entries(db: &dyn Db, file: SourceFile, offset: usize, block: &str, out: &mut Out) {
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

fn statements(
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

fn output_names(db: &dyn Db, file: SourceFile, offset: usize, out: &mut Out) {
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

fn callees(db: &dyn Db, file: SourceFile, offset: usize, namespace: Option<&str>, out: &mut Out) {
    let target = match namespace {
        None => file,
        Some(ns) => match namespace_target(db, file, ns) {
            Some(Some(target)) => target,
            _ => return,
        },
    };
    let current = match item_at(db, file, offset) {
        Some(Item::Pipeline(p)) if namespace.is_none() => Some(p.name.text.as_str()),
        _ => None,
    };
    let add_parens = out.next_char != Some('(');
    for item in &parse(db, target).file.items {
        let (kind, name) = match item {
            Item::Op(op) => (CompletionKind::Op, &op.name.text),
            Item::Pipeline(p) if Some(p.name.text.as_str()) != current => {
                (CompletionKind::Pipeline, &p.name.text)
            }
            _ => continue,
        };
        let sig = item_signature(db, target, name);
        let (detail, doc) = match &sig {
            Some(sig) => (
                Some(format!("{} {}", sig.keyword, sig.label)),
                sig.doc.clone(),
            ),
            None => (None, None),
        };
        out.add(name.clone(), kind, detail, doc, 0);
        if add_parens {
            let required = required_inputs(db, target, name);
            let args: Vec<String> = required
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n}: ${{{}:{n}}}", i + 1))
                .collect();
            out.insert(&format!("{name}({})$0", args.join(", ")));
        }
    }
    if namespace.is_none() {
        for import in imports(db, file) {
            out.add(
                import.namespace.clone(),
                CompletionKind::Namespace,
                Some(format!(
                    "import {}",
                    slice(text(db, file), import.path_span)
                )),
                None,
                1,
            );
        }
    }
}

fn required_inputs(db: &dyn Db, file: SourceFile, name: &str) -> Vec<String> {
    let params = match find_item(db, file, name) {
        Some(Item::Op(op)) => &op.params,
        Some(Item::Pipeline(p)) => &p.params,
        _ => return Vec::new(),
    };
    params
        .iter()
        .filter(|p| p.default.is_none() && !matches!(p.ty, ast::TypeRef::Optional { .. }))
        .map(|p| p.name.text.to_string())
        .collect()
}

fn arg_names(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    frame: &crate::context::Frame,
    out: &mut Out,
) {
    let Some((namespace, name, _step)) = call_callee(scan, frame) else {
        return;
    };
    let Some(target) = resolve_written_callee(db, file, namespace, name) else {
        return;
    };
    let params = match find_item(db, target.file, &target.name) {
        Some(Item::Op(op)) => &op.params,
        Some(Item::Pipeline(p)) => &p.params,
        _ => return,
    };
    // Arguments already written: in the tree, and in the tokens before the offset.
    let mut given: Vec<String> = Vec::new();
    if let Some(at) = pipeline_at(db, file, offset) {
        if let Some(Stmt::Step(step)) = at.stmt {
            given.extend(step.args.iter().map(|a| a.name.text.to_string()));
        }
    }
    let tail = scan.tail();
    for w in tail.windows(3) {
        if matches!(w[0].kind, TK::LParen | TK::Comma)
            && w[1].kind == TK::Ident
            && w[2].kind == TK::Colon
        {
            given.push(scan.tok_text(&w[1]).to_string());
        }
    }
    if let Some(first) = tail.first() {
        if first.kind == TK::Ident && tail.get(1).is_some_and(|t| t.kind == TK::Colon) {
            given.push(scan.tok_text(first).to_string());
        }
    }
    let ttext = text(db, target.file);
    let typed = slice(scan.text, out.replace);
    for param in params {
        let pname = &param.name.text;
        let is_given = given.iter().any(|g| g == pname) && pname != typed;
        let required =
            param.default.is_none() && !matches!(param.ty, ast::TypeRef::Optional { .. });
        let priority = match (is_given, required) {
            (false, true) => 0,
            (false, false) => 1,
            (true, _) => 2,
        };
        let mut detail = param_text(ttext, param);
        if required {
            detail.push_str("  (required)");
        }
        if is_given {
            detail.push_str("  (already given)");
        }
        out.add(
            pname.clone(),
            CompletionKind::Argument,
            Some(detail),
            param.doc.clone(),
            priority,
        );
        out.insert(&format!("{pname}: $0"));
    }
}

fn expressions(db: &dyn Db, file: SourceFile, offset: usize, scan: &Scan<'_>, out: &mut Out) {
    if let Some(at) = pipeline_at(db, file, offset) {
        let text = text(db, file);
        for (var, ty) in at.loop_vars.iter().rev() {
            out.add(
                var.text.to_string(),
                CompletionKind::LoopVar,
                Some(format!("{ty}  (loop variable)")),
                None,
                0,
            );
        }
        for param in &at.pipeline.params {
            if at.loop_vars.iter().any(|(v, _)| v.text == param.name.text) {
                continue;
            }
            out.add(
                param.name.text.to_string(),
                CompletionKind::Param,
                Some(param_text(text, param)),
                param.doc.clone(),
                1,
            );
        }
        step_names(db, &at, scan, out);
    } else {
        scanned_step_names(scan, out);
    }
    for kw in ["true", "false", "not"] {
        out.keyword(kw, 3);
    }
}

/// The steps of the pipeline, but the one the offset is in.
fn step_names(db: &dyn Db, at: &PipelineAt<'_>, scan: &Scan<'_>, out: &mut Out) {
    let text = text(db, at.file);
    let current = match at.stmt {
        Some(Stmt::Step(s)) => Some(s.name.text.as_str()),
        _ => scan.current_step(),
    };
    let mut seen = std::collections::HashSet::new();
    visit_steps(&at.pipeline.body, &mut |step: &ast::Step| {
        if Some(step.name.text.as_str()) == current || !seen.insert(step.name.text.as_str()) {
            return;
        }
        let detail = format!("step = {}(…)", slice(text, step.callee.span));
        out.add(
            step.name.text.to_string(),
            CompletionKind::Step,
            Some(detail),
            step.doc.clone(),
            2,
        );
    });
}

fn scanned_step_names(scan: &Scan<'_>, out: &mut Out) {
    let current = scan.current_step();
    let mut names = scan.scanned_steps();
    names.retain(|n| Some(*n) != current);
    names.sort_unstable();
    names.dedup();
    for name in names {
        out.add(
            name,
            CompletionKind::Step,
            Some("step".to_string()),
            None,
            2,
        );
    }
}

fn fields(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    scan: &Scan<'_>,
    base: &str,
    out: &mut Out,
) {
    if let Some(at) = pipeline_at(db, file, offset) {
        if let Some(i) = at.step(base) {
            let Some(callee) = &at.analysis.graph.steps[i].callee else {
                return;
            };
            let Some(signature) = callee_signature(db, callee) else {
                return;
            };
            for output in &signature.outputs {
                let ty = at.seen_from_here(i, output.ty.clone());
                let doc = output_doc(db, callee.file, &callee.name, &output.name);
                out.add(
                    output.name.clone(),
                    CompletionKind::Output,
                    Some(ty.to_string()),
                    doc,
                    0,
                );
            }
            return;
        }
    }
    // The pipeline is too broken to analyse: find the step in the tokens read.
    let Some((namespace, name)) = scan.scanned_callee(base) else {
        return;
    };
    let Some(callee) = resolve_written_callee(db, file, namespace, name) else {
        return;
    };
    if let Some(signature) = callee_signature(db, &callee) {
        for output in &signature.outputs {
            let doc = output_doc(db, callee.file, &callee.name, &output.name);
            out.add(
                output.name.clone(),
                CompletionKind::Output,
                Some(output.ty.to_string()),
                doc,
                0,
            );
        }
    }
}

pub(crate) fn resolve_written_callee(
    db: &dyn Db,
    file: SourceFile,
    namespace: Option<&str>,
    name: &str,
) -> Option<mlforge_analysis::items::CalleeRef> {
    let name_of = |text: &str| ast::Name {
        text: text.into(),
        span: Span::default(),
    };
    let callee = ast::Callee {
        namespace: namespace.map(name_of),
        name: name_of(name),
        span: Span::default(),
    };
    resolve_callee(db, file, &callee).ok()
}

pub(crate) fn output_doc(db: &dyn Db, file: SourceFile, owner: &str, name: &str) -> Option<String> {
    match find_item(db, file, owner)? {
        Item::Op(op) => op.outputs.iter().find(|o| o.name.text == name)?.doc.clone(),
        Item::Pipeline(p) => p
            .outputs
            .as_ref()?
            .iter()
            .find(|o| o.name.text == name)?
            .doc
            .clone(),
        _ => None,
    }
}

fn types(db: &dyn Db, file: SourceFile, namespace: Option<&str>, kinds_only: bool, out: &mut Out) {
    if let Some(ns) = namespace {
        if let Some(Some(target)) = namespace_target(db, file, ns) {
            declared_kinds(db, target, out);
        }
        return;
    }
    if !kinds_only {
        for scalar in SCALARS {
            out.add(
                *scalar,
                CompletionKind::Type,
                Some("scalar".to_string()),
                builtin_type_doc(scalar).map(str::to_string),
                0,
            );
        }
        out.add(
            "list<…>",
            CompletionKind::Type,
            Some("list<T>".to_string()),
            builtin_type_doc("list").map(str::to_string),
            2,
        );
        out.insert("list<$1>$0");
    }
    for (kind, _) in BUILTIN_KINDS {
        out.add(
            *kind,
            CompletionKind::Type,
            Some("artifact kind".to_string()),
            builtin_type_doc(kind).map(str::to_string),
            1,
        );
    }
    declared_kinds(db, file, out);
    for import in imports(db, file) {
        out.add(
            import.namespace.clone(),
            CompletionKind::Namespace,
            Some(format!(
                "import {}",
                slice(text(db, file), import.path_span)
            )),
            None,
            3,
        );
    }
}

fn declared_kinds(db: &dyn Db, file: SourceFile, out: &mut Out) {
    let text = text(db, file);
    for item in &parse(db, file).file.items {
        if let Item::Artifact(a) = item {
            let base = a.base.as_ref().map_or("File", |b| slice(text, b.span()));
            out.add(
                a.name.text.to_string(),
                CompletionKind::Type,
                Some(format!("artifact {}: {base}", a.name.text)),
                a.doc.clone(),
                1,
            );
        }
    }
}

fn interpolations(db: &dyn Db, file: SourceFile, offset: usize, body: Span) -> Vec<CompletionItem> {
    let text = text(db, file);
    let content_start = (body.start as usize + 3).min(offset);
    let before = &text[content_start..offset];
    let Some(dollar) = before.rfind("${") else {
        return Vec::new();
    };
    if before[..dollar].ends_with('$') {
        return Vec::new();
    }
    let typed = &before[dollar + 2..];
    if !typed
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
    {
        return Vec::new();
    }
    let Some(Item::Op(op)) = item_at(db, file, offset) else {
        return Vec::new();
    };
    let word = word_at(text, offset);
    let closes = text[word.end as usize..].starts_with('}');
    let mut items = Vec::new();
    let mut add = |name: &str, detail: String, doc: Option<String>, priority: u8| {
        items.push(CompletionItem {
            label: name.to_string(),
            kind: CompletionKind::Interpolation,
            detail: Some(detail),
            documentation: doc,
            insert_text: if closes {
                name.to_string()
            } else {
                format!("{name}}}")
            },
            is_snippet: false,
            sort_text: format!("{priority:02}{name}"),
            replace: word,
        });
    };
    for param in &op.params {
        add(
            &param.name.text,
            format!("input: {}", param_text(text, param)),
            param.doc.clone(),
            0,
        );
    }
    for output in &op.outputs {
        add(
            &output.name.text,
            format!(
                "output: {}: {}  (the path to write)",
                output.name.text,
                slice(text, output.ty.span())
            ),
            output.doc.clone(),
            0,
        );
    }
    items
}

/// See [`crate::path_completions`].
pub(crate) fn path_context(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
) -> Option<(bool, Span, String)> {
    let text = text(db, file);
    let offset = clamp(text, offset);
    let (at, _) = anchor(db, file, offset);
    let toks = lex_range(text, at, offset);
    let (tok, before) = toks.split_last()?;
    let raw = slice(text, tok.span);
    if tok.kind != TK::Str
        || tok.span.end as usize != offset
        || closed(raw, TK::Str)
        || raw.is_empty()
    {
        return None;
    }
    let import = match before.last().map(|p| (p.kind, slice(text, p.span))) {
        Some((TK::Keyword, "import")) => true,
        Some((TK::Keyword, "file")) => false,
        _ => return None,
    };
    let typed = &text[tok.span.start as usize + 1..offset];
    let dir = typed.rfind('/').map_or("", |i| &typed[..i + 1]).to_string();
    let seg_start = tok.span.start as usize + 1 + dir.len();
    let rest = &text[offset..];
    let seg_len = rest.find(['/', '"', '\n']).unwrap_or(rest.len());
    Some((import, Span::new(seg_start, offset + seg_len), dir))
}

pub(crate) fn path_completions(
    db: &dyn Db,
    file: SourceFile,
    offset: usize,
    entries: &[(String, bool)],
) -> Vec<CompletionItem> {
    let Some((import, replace, _dir)) = path_context(db, file, offset) else {
        return Vec::new();
    };
    let own = file
        .path(db)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let mut items = Vec::new();
    for (name, is_dir) in entries {
        if name.starts_with('.') {
            continue;
        }
        if import && !is_dir && (!name.ends_with(".mlf") || (_dir.is_empty() && *name == own)) {
            continue;
        }
        let (priority, detail) = if *is_dir { (1, "folder") } else { (0, "file") };
        items.push(CompletionItem {
            label: if *is_dir {
                format!("{name}/")
            } else {
                name.clone()
            },
            kind: CompletionKind::File,
            detail: Some(detail.to_string()),
            documentation: None,
            insert_text: if *is_dir {
                format!("{name}/")
            } else {
                name.clone()
            },
            is_snippet: false,
            sort_text: format!("{priority:02}{name}"),
            replace,
        });
    }
    items
}

//! The documentation of the standard library, generated from its modules' sources: what
//! `mlforge std` prints and what `docs/std/` holds (a test keeps the two equal).
//!
//! A module's summary is the first line of the plain `//` comment block at the top of its
//! file, and the block is its introduction; each item's doc is its `///` comment, shown
//! under the item's header as written (an op's or pipeline's signature, up to its body).

use mlforge_stdlib::Module;
use mlforge_syntax::ast::{AttrValue, ExprKind, Item};
use mlforge_syntax::{CommentKind, Token};

/// The command that regenerates the checked-in pages (named by the test that finds them
/// stale).
pub const REGENERATE: &str = "UPDATE_STD_DOCS=1 cargo test -p mlforge-analysis --test std";

/// The leading `//` comment block of a module, one entry a line, without `//`.
fn introduction(source: &str) -> Vec<String> {
    let parse = mlforge_syntax::parse(source);
    let mut lines = Vec::new();
    let mut end = 0;
    for comment in &parse.comments {
        let (start, stop) = (comment.span.start as usize, comment.span.end as usize);
        let between = &source[end..start];
        let blank_line = between.matches('\n').count() > 1;
        if comment.kind != CommentKind::Line || !between.trim().is_empty() || blank_line {
            break;
        }
        let text = source[start..stop].trim_start_matches('/').trim_end();
        lines.push(text.strip_prefix(' ').unwrap_or(text).to_string());
        end = stop;
    }
    lines
}

/// The one-line summary of a module: the first line of its leading `//` comment.
pub fn summary(module: &Module) -> Option<String> {
    introduction(module.source)
        .into_iter()
        .next()
        .filter(|l| !l.trim().is_empty())
}

/// Every module with its summary, in name order (`mlforge std` without a module).
pub fn summaries() -> Vec<(&'static str, String)> {
    mlforge_stdlib::modules()
        .iter()
        .map(|m| (m.name, summary(m).unwrap_or_default()))
        .collect()
}

/// The module a person names: `io`, `std/io` or `std/io.mlf`.
pub fn find_module(name: &str) -> Option<&'static Module> {
    let name = name.strip_prefix("std/").unwrap_or(name);
    mlforge_stdlib::module(name.strip_suffix(".mlf").unwrap_or(name))
}

/// An item's header as written: an op's or pipeline's text up to the `{` of its body
/// (a `{` inside brackets, as in a record default, does not count); an artifact's or
/// record's whole text.
fn header(text: &str) -> String {
    let lexed = mlforge_syntax::lexer::lex(text);
    let mut depth = 0i32;
    let mut end = text.len();
    let is_block_item = matches!(lexed.tokens.first(), Some((Token::Op | Token::Pipeline, _)));
    if is_block_item {
        for (token, span) in &lexed.tokens {
            match token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::LBrace if depth == 0 => {
                    end = span.start as usize;
                    break;
                }
                Token::LBrace => depth += 1,
                Token::RBrace => depth -= 1,
                _ => {}
            }
        }
    }
    text[..end].trim_end().to_string()
}

/// The Python requirements an op states (`requires = [...]`).
fn requirements(attrs: &[mlforge_syntax::ast::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.name.text == "requires")
        .filter_map(|a| match &a.value {
            AttrValue::Expr(e) => match &e.kind {
                ExprKind::List(items) => Some(items),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .filter_map(|i| match &i.kind {
            ExprKind::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// A module's documentation, as Markdown: its introduction, how to import it, and each
/// op, pipeline, artifact kind and record with its header, requirements and doc comment.
pub fn module_page(module: &Module) -> String {
    let name = module.name;
    let mut out = format!("# std/{name}\n\n");
    let intro = introduction(module.source);
    if !intro.is_empty() {
        out.push_str(intro.join("\n").trim());
        out.push_str("\n\n");
    }
    out.push_str(&format!("```mlf\nimport \"std/{name}\"\n```\n"));
    let parse = mlforge_syntax::parse(module.source);
    for item in &parse.file.items {
        let (what, doc, span, attrs) = match item {
            Item::Op(op) => ("op", &op.doc, op.span, op.attrs.as_slice()),
            Item::Pipeline(p) => ("pipeline", &p.doc, p.span, p.attrs.as_slice()),
            Item::Artifact(a) => ("artifact kind", &a.doc, a.span, &[][..]),
            Item::Record(r) => ("record", &r.doc, r.span, &[][..]),
            Item::Import(_) | Item::Error(_) => continue,
        };
        let item_name = item.name().map_or("", |n| n.text.as_str());
        let text = &module.source[span.start as usize..span.end as usize];
        out.push_str(&format!(
            "\n## `{name}.{item_name}` ({what})\n\n```mlf\n{}\n```\n",
            header(text)
        ));
        let requires = requirements(attrs);
        if !requires.is_empty() {
            let listed: Vec<String> = requires.iter().map(|r| format!("`{r}`")).collect();
            out.push_str(&format!(
                "\nRequires {} in the Python that runs it (checked before a run starts).\n",
                listed.join(", ")
            ));
        }
        if let Some(doc) = doc {
            out.push('\n');
            out.push_str(doc.trim());
            out.push('\n');
        }
    }
    out
}

/// The index of the library, as Markdown: each module, linked to its page, with its summary.
pub fn index_page() -> String {
    let mut out = String::from(
        "# The op library `std/`\n\nReady-made, documented ops that ship inside `mlforge`: `import \"std/NAME\"` \
         and call them like your own (`NAME.op(...)`). They are never read from disk, and \
         what they require is checked before a run starts. `mlforge std` lists the modules \
         and `mlforge std NAME` prints a module's page.\n\n| module | what it holds |\n|---|---|\n",
    );
    for (name, summary) in summaries() {
        out.push_str(&format!("| [`std/{name}`]({name}.md) | {summary} |\n"));
    }
    out
}

/// A checked-in page (`docs/std/`): the page with a line that says where it comes from.
pub fn checked_in(page: &str, source: &str) -> String {
    format!(
        "<!-- Generated from {source} by the analysis crate's std_docs; do not edit. Regenerate: {REGENERATE} -->\n\n{page}"
    )
}

/// Every checked-in page: its file name under `docs/std/` and its text.
pub fn checked_in_pages() -> Vec<(String, String)> {
    let mut pages = vec![(
        "README.md".to_string(),
        checked_in(&index_page(), "crates/stdlib/std/*.mlf"),
    )];
    for module in mlforge_stdlib::modules() {
        pages.push((
            format!("{}.md", module.name),
            checked_in(
                &module_page(module),
                &format!("crates/stdlib/std/{}.mlf", module.name),
            ),
        ));
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(source: &'static str) -> Module {
        Module {
            name: "demo",
            source,
        }
    }

    #[test]
    fn the_summary_is_the_first_line_of_the_leading_comment() {
        let m = module("// Demo things.\n// More about them.\n\n// Not this.\nop a() {\n  shell \"\"\"\n    true\n  \"\"\"\n}\n");
        assert_eq!(summary(&m).as_deref(), Some("Demo things."));
        assert_eq!(introduction(m.source), ["Demo things.", "More about them."]);
        assert_eq!(
            summary(&module(
                "/// An op doc, not a summary.\nop a() {\n  shell \"\"\"\n    true\n  \"\"\"\n}\n"
            )),
            None
        );
        assert_eq!(
            summary(&module(
                "op a() {\n  shell \"\"\"\n    true\n  \"\"\"\n}\n// late\n"
            )),
            None
        );
    }

    #[test]
    fn headers_stop_at_the_body_not_at_a_record_default() {
        assert_eq!(
            header("op a(o: Opts = {k: 1}, xs: list<int> = [1]) -> (y: int) {\n  shell \"\"\"\n    true\n  \"\"\"\n}"),
            "op a(o: Opts = {k: 1}, xs: list<int> = [1]) -> (y: int)"
        );
        assert_eq!(header("record R {\n  a: int\n}"), "record R {\n  a: int\n}");
    }

    #[test]
    fn a_page_shows_each_item_with_its_signature_requirements_and_doc() {
        let m = module("// Demo things.\n\n/// Fits.\n///\n/// Example: `step f = demo.fit(n: 1)`\nop fit(n: int = 2) -> (model: Model) {\n  requires = [\"scikit-learn>=1.3\"]\n  python def \"\"\"\n    model.write_text(str(n))\n  \"\"\"\n}\n\n/// Rows.\nartifact Rows: Dataset\n");
        let page = module_page(&m);
        assert_eq!(
            page,
            "# std/demo\n\nDemo things.\n\n```mlf\nimport \"std/demo\"\n```\n\n\
             ## `demo.fit` (op)\n\n```mlf\nop fit(n: int = 2) -> (model: Model)\n```\n\n\
             Requires `scikit-learn>=1.3` in the Python that runs it (checked before a run starts).\n\n\
             Fits.\n\nExample: `step f = demo.fit(n: 1)`\n\n\
             ## `demo.Rows` (artifact kind)\n\n```mlf\nartifact Rows: Dataset\n```\n\nRows.\n"
        );
    }

    #[test]
    fn modules_are_found_by_the_names_people_write() {
        assert_eq!(find_module("io").map(|m| m.name), Some("io"));
        assert_eq!(find_module("std/io").map(|m| m.name), Some("io"));
        assert_eq!(find_module("std/io.mlf").map(|m| m.name), Some("io"));
        assert!(find_module("nope").is_none());
    }
}

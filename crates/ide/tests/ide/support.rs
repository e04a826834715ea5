//! The one test helper: `check(fixture, expect)`.
//!
//! A fixture is text with an optional first line `@feature [argument]`, then files, each
//! under a `//- /path.mlf` header (a fixture without headers is one file, `/main.mlf`). The
//! file holding `$0` is the one the feature runs on; one `$0` is the offset, two mark a
//! range. The feature's answer is rendered as text and compared with `expect`
//! (`UPDATE_EXPECT=1 cargo test -p mlforge-ide` re-blesses).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use expect_test::Expect;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase, SourceFile};
use mlforge_ide::*;

pub struct Fixture {
    pub db: RootDatabase,
    pub files: Vec<SourceFile>,
    pub file: SourceFile,
    pub offset: usize,
    pub range: Span,
    pub feature: String,
    pub argument: String,
}

pub fn load(fixture: &str) -> Fixture {
    let fixture = fixture.strip_prefix('\n').unwrap_or(fixture);
    let (header, body) = match fixture.strip_prefix('@') {
        Some(rest) => {
            let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
            (line.trim().to_string(), body)
        }
        None => (String::new(), fixture),
    };
    let (feature, argument) = header
        .split_once(' ')
        .map_or((header.clone(), String::new()), |(f, a)| {
            (f.to_string(), a.to_string())
        });
    let mut parts: Vec<(String, String)> = Vec::new();
    if body.starts_with("//- ") {
        for chunk in body.split("//- ").filter(|c| !c.is_empty()) {
            let (path, text) = chunk.split_once('\n').unwrap_or((chunk, ""));
            parts.push((path.trim().to_string(), text.to_string()));
        }
    } else {
        parts.push(("/main.mlf".to_string(), body.to_string()));
    }
    let mut loader = MemoryLoader::default();
    let mut cursor: Option<(PathBuf, Vec<usize>)> = None;
    for (path, text) in &parts {
        let marks: Vec<usize> = text.match_indices("$0").map(|(i, _)| i).collect();
        let clean = text.replace("$0", "");
        if !marks.is_empty() {
            let offsets = marks.iter().enumerate().map(|(k, &m)| m - 2 * k).collect();
            cursor = Some((PathBuf::from(path), offsets));
        }
        loader.files.insert(PathBuf::from(path), clean);
    }
    let db = RootDatabase::new(Arc::new(loader));
    let files: Vec<SourceFile> = parts.iter().map(|(p, _)| db.file(Path::new(p))).collect();
    let (path, offsets) = cursor.unwrap_or_else(|| (PathBuf::from(&parts[0].0), vec![0]));
    let file = db.file(&path);
    let offset = offsets[0];
    let range = Span::new(offsets[0], *offsets.last().unwrap());
    Fixture {
        db,
        files,
        file,
        offset,
        range,
        feature,
        argument,
    }
}

fn text(db: &dyn Db, file: SourceFile) -> String {
    file.text(db).as_deref().unwrap_or("").to_string()
}

/// `path line:col-line:col` (1-based, columns in characters).
pub fn at(db: &dyn Db, file: SourceFile, span: Span) -> String {
    let t = text(db, file);
    let pos = |o: usize| {
        let o = o.min(t.len());
        let before = &t[..o];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("{line}:{col}")
    };
    let name = file.path(db).display().to_string();
    format!(
        "{name} {}-{}",
        pos(span.start as usize),
        pos(span.end as usize)
    )
}

fn excerpt(db: &dyn Db, file: SourceFile, span: Span) -> String {
    let t = text(db, file);
    let s = t.get(span.range()).unwrap_or("");
    let s = s.replace('\n', "⏎");
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = text.to_string();
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.span.start, e.span.end)));
    for e in sorted {
        out.replace_range(e.span.range(), &e.new_text);
    }
    out
}

/// The new text's lines that differ from the old (whole file when lines were added).
fn changed(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    if a.len() != b.len() {
        let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        let suffix = suffix.min(a.len() - prefix).min(b.len() - prefix);
        let removed = a[prefix..a.len() - suffix]
            .iter()
            .enumerate()
            .map(|(i, l)| format!("- {:>3}| {l}\n", prefix + i + 1));
        let added = b[prefix..b.len() - suffix]
            .iter()
            .enumerate()
            .map(|(i, l)| format!("+ {:>3}| {l}\n", prefix + i + 1));
        return removed.chain(added).collect();
    }
    a.iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (_, y))| format!("  {:>3}| {y}\n", i + 1))
        .collect()
}

fn render_edits(db: &dyn Db, edits: &[FileEdits]) -> String {
    let mut out = String::new();
    for fe in edits {
        let old = text(db, fe.file);
        let new = apply(&old, &fe.edits);
        out.push_str(&format!(
            "{}\n{}",
            fe.file.path(db).display(),
            changed(&old, &new)
        ));
    }
    out
}

fn oneline(s: &str) -> String {
    s.replace('\n', "⏎")
}

pub fn run(f: &Fixture) -> String {
    let db: &dyn Db = &f.db;
    let file = f.file;
    let mut out = String::new();
    match f.feature.as_str() {
        "completion" | "completion-plain" => {
            let config = CompletionConfig {
                snippets: f.feature == "completion",
            };
            let mut items = completions(db, file, f.offset, &config);
            items.sort_by(|a, b| (&a.sort_text, &a.label).cmp(&(&b.sort_text, &b.label)));
            if let Some(first) = items.first() {
                out.push_str(&format!("replace {:?}\n", excerpt(db, file, first.replace)));
            }
            for item in items {
                assert_eq!(item.replace, items_replace(&item), "one replace span");
                out.push_str(&format!("{:?} {}", item.kind, item.label));
                if let Some(detail) = &item.detail {
                    out.push_str(&format!(" — {}", oneline(detail)));
                }
                if item.insert_text != item.label {
                    let mark = if item.is_snippet { "snippet" } else { "text" };
                    out.push_str(&format!(" ⇒ {mark} {}", oneline(&item.insert_text)));
                }
                out.push('\n');
            }
        }
        "path" => {
            let entries: Vec<(String, bool)> = f
                .argument
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| match e.strip_suffix('/') {
                    Some(d) => (d.to_string(), true),
                    None => (e.to_string(), false),
                })
                .collect();
            out.push_str(&format!(
                "dir {:?}\n",
                path_completion_dir(db, file, f.offset)
            ));
            for item in path_completions(db, file, f.offset, &entries) {
                out.push_str(&format!(
                    "{} ⇒ {} replacing {:?}\n",
                    item.label,
                    item.insert_text,
                    excerpt(db, file, item.replace)
                ));
            }
        }
        "hover" => match hover(db, file, f.offset) {
            Some(h) => out.push_str(&format!(
                "{:?}\n{}\n",
                excerpt(db, file, h.span),
                h.markdown
            )),
            None => out.push_str("none\n"),
        },
        "signature" => match signature_help(db, file, f.offset) {
            Some(s) => {
                out.push_str(&format!("{}\n", s.label));
                for (i, (name, range)) in s.params.iter().enumerate() {
                    let active = if s.active_param == Some(i) {
                        " (active)"
                    } else {
                        ""
                    };
                    out.push_str(&format!(
                        "  {name}: {:?}{active}\n",
                        &s.label[range.clone()]
                    ));
                    if let Some(doc) = &s.param_docs[i] {
                        out.push_str(&format!("    = {doc}\n"));
                    }
                }
                if let Some(doc) = s.documentation {
                    out.push_str(&format!("doc: {doc}\n"));
                }
            }
            None => out.push_str("none\n"),
        },
        "inlay" => {
            let range = if f.range.is_empty() {
                Span::new(0, text(db, file).len())
            } else {
                f.range
            };
            let t = text(db, file);
            let mut hints = inlay_hints(db, file, range);
            hints.sort_by_key(|h| std::cmp::Reverse(h.offset));
            let mut marked = t.clone();
            let mut lines_with = std::collections::BTreeSet::new();
            for h in &hints {
                marked.insert_str(h.offset, &format!("⟪{}⟫", h.label));
                lines_with.insert(t[..h.offset].matches('\n').count());
            }
            for (i, line) in marked.lines().enumerate() {
                if lines_with.contains(&i) {
                    out.push_str(&format!("{}| {line}\n", i + 1));
                }
            }
        }
        "goto" => {
            for fs in goto_definition(db, file, f.offset) {
                out.push_str(&format!(
                    "{} {:?}\n",
                    at(db, fs.file, fs.span),
                    excerpt(db, fs.file, fs.span)
                ));
            }
        }
        "references" | "references-no-decl" => {
            let decl = f.feature == "references";
            for fs in references(db, file, f.offset, decl, &f.files) {
                out.push_str(&format!(
                    "{} {:?}\n",
                    at(db, fs.file, fs.span),
                    excerpt(db, fs.file, fs.span)
                ));
            }
        }
        "highlights" => {
            for (span, kind) in document_highlights(db, file, f.offset) {
                out.push_str(&format!(
                    "{kind:?} {} {:?}\n",
                    at(db, file, span),
                    excerpt(db, file, span)
                ));
            }
        }
        "prepare-rename" => match prepare_rename(db, file, f.offset) {
            Ok(span) => out.push_str(&format!("ok {:?}\n", excerpt(db, file, span))),
            Err(e) => out.push_str(&format!("error: {e}\n")),
        },
        "rename" => match rename(db, file, f.offset, &f.argument, &f.files) {
            Ok(edits) => out.push_str(&render_edits(db, &edits)),
            Err(e) => out.push_str(&format!("error: {e}\n")),
        },
        "symbols" => {
            fn walk(db: &dyn Db, file: SourceFile, s: &[Symbol], depth: usize, out: &mut String) {
                for sym in s {
                    assert!(
                        sym.span.start <= sym.selection.start && sym.selection.end <= sym.span.end,
                        "selection inside span: {sym:?}"
                    );
                    out.push_str(&format!(
                        "{}{:?} {}{} [{}]\n",
                        "  ".repeat(depth),
                        sym.kind,
                        sym.name,
                        sym.detail
                            .as_ref()
                            .map_or(String::new(), |d| format!(" — {d}")),
                        excerpt(db, file, sym.selection)
                    ));
                    walk(db, file, &sym.children, depth + 1, out);
                }
            }
            walk(db, file, &document_symbols(db, file), 0, &mut out);
        }
        "workspace-symbols" => {
            for (sf, sym) in workspace_symbols(db, &f.files, &f.argument) {
                out.push_str(&format!(
                    "{:?} {} {}\n",
                    sym.kind,
                    sym.name,
                    at(db, sf, sym.selection)
                ));
            }
        }
        "tokens" => {
            // `@tokens A-B`: only the tokens on lines A to B.
            let t_text = text(db, file);
            let lines = f
                .argument
                .split_once('-')
                .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
            for t in semantic_tokens(db, file) {
                let line = t_text[..t.span.start as usize].matches('\n').count() + 1;
                if lines.is_some_and(|(a, b)| line < a || line > b) {
                    continue;
                }
                let flags = match (t.is_declaration, t.is_documentation) {
                    (true, _) => " decl",
                    (_, true) => " doc",
                    _ => "",
                };
                out.push_str(&format!(
                    "{:?}{flags} {:?}\n",
                    t.kind,
                    excerpt(db, file, t.span)
                ));
            }
        }
        "folding" => {
            for (span, kind) in folding_ranges(db, file) {
                out.push_str(&format!(
                    "{kind:?} {} {:?}\n",
                    at(db, file, span),
                    excerpt(db, file, span)
                ));
            }
        }
        "selection" => {
            for span in selection_ranges(db, file, f.offset) {
                out.push_str(&format!("{:?}\n", excerpt(db, file, span)));
            }
        }
        "actions" => {
            for action in code_actions(db, file, f.range, &f.files) {
                out.push_str(&format!(
                    "{} [{}{}]\n{}",
                    action.title,
                    action.kind,
                    action.fixes.map_or(String::new(), |c| format!(" {c}")),
                    render_edits(db, &action.edits)
                ));
            }
        }
        "lenses" => {
            for lens in code_lenses(db, file) {
                out.push_str(&format!(
                    "{} {} {} {:?}\n",
                    at(db, file, lens.span),
                    lens.title,
                    lens.command,
                    lens.arguments
                ));
            }
        }
        other => panic!("unknown feature `@{other}`"),
    }
    out
}

fn items_replace(item: &CompletionItem) -> Span {
    item.replace
}

pub fn check(fixture: &str, expect: Expect) {
    let f = load(fixture);
    expect.assert_eq(&run(&f));
}

/// The spec examples as fixture files, with `$0` inserted in `path` before the `nth`
/// occurrence of `needle` (plus `shift` bytes).
pub fn example(feature: &str, path: &str, needle: &str, nth: usize, shift: usize) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out = format!("@{feature}\n");
    for name in [
        "quickstart.mlf",
        "compose.mlf",
        "wine/ops.mlf",
        "wine/pipeline.mlf",
    ] {
        let mut text = std::fs::read_to_string(root.join(name)).expect("an example");
        if name == path {
            let at = text
                .match_indices(needle)
                .nth(nth)
                .unwrap_or_else(|| panic!("`{needle}` in {name}"))
                .0
                + shift;
            text.insert_str(at, "$0");
        }
        out.push_str(&format!("//- /examples/{name}\n{text}"));
    }
    out
}

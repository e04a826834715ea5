//! Parser recovery: each file under `tests/recovery/` is parsed, and its errors and the
//! items and statements that survived are compared with a snapshot.

use std::fmt::Write;
use std::path::Path;

use mlforge_syntax::ast::{Item, Stmt};

fn outline(text: &str) -> String {
    let parse = mlforge_syntax::parse(text);
    let index = mlforge_syntax::LineIndex::new(text);
    let mut out = String::new();
    for e in &parse.errors {
        let at = index.line_col(text, e.span.start as usize);
        writeln!(
            out,
            "error {}:{} {:?}: {}",
            at.line + 1,
            at.char_col + 1,
            e.kind,
            e.message
        )
        .unwrap();
    }
    for item in &parse.file.items {
        match item {
            Item::Import(i) => writeln!(
                out,
                "import {:?} as {:?}",
                i.path.value,
                i.alias.as_ref().map(|a| &a.text)
            ),
            Item::Artifact(a) => writeln!(out, "artifact {} doc={:?}", a.name.text, a.doc),
            Item::Record(r) => writeln!(
                out,
                "record {} fields={} doc={:?}",
                r.name.text,
                r.fields.len(),
                r.doc
            ),
            Item::Op(o) => writeln!(
                out,
                "op {} params={} outputs={} attrs={} bodies={} doc={:?}",
                o.name.text,
                o.params.len(),
                o.outputs.len(),
                o.attrs.len(),
                o.bodies.len(),
                o.doc
            ),
            Item::Pipeline(p) => {
                writeln!(out, "pipeline {}", p.name.text).unwrap();
                for stmt in &p.body {
                    let line = match stmt {
                        Stmt::Step(s) => format!(
                            "step {} args={} after={}",
                            s.name.text,
                            s.args.len(),
                            s.after.len()
                        ),
                        Stmt::For(f) => format!(
                            "for {}{} ({} statements)",
                            f.var.text,
                            f.second
                                .as_ref()
                                .map(|s| format!(", {}", s.text))
                                .unwrap_or_default(),
                            f.body.len()
                        ),
                        Stmt::If(i) => format!("if ({} statements)", i.then_body.len()),
                        Stmt::Output(o) => format!("output {}", o.name.text),
                        Stmt::Error(_) => "broken statement".to_string(),
                    };
                    writeln!(out, "  {line}").unwrap();
                }
                Ok(())
            }
            Item::Error(_) => writeln!(out, "broken item"),
        }
        .unwrap();
    }
    writeln!(out, "comments: {}", parse.comments.len()).unwrap();
    out
}

#[test]
fn recovery_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recovery");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, outline(&text));
    }
}

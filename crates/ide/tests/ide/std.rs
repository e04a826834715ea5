//! The op library (`import "std/NAME"`) in the editor: module names in `import "…"`, a
//! module's ops after its namespace, hover, signature help, definitions in the module,
//! rename refused, imports offered by quick fixes and the op catalog.
//!
//! Fixtures name the library's first op of `std/io` (read from the embedded text, so that
//! a change of the library's content changes the expectations with it); what a snapshot
//! shows is only what does not depend on that content (module names, our own words).

use expect_test::expect;
use mlforge_ide::*;
use mlforge_syntax::ast::{Item, Op};

use crate::support::{check, load, run};

/// The first op of a std module, parsed from the text the binary embeds.
fn first_op(module: &str) -> Op {
    let source = mlforge_stdlib::module(module).expect("a std module").source;
    mlforge_syntax::parse(source)
        .file
        .items
        .into_iter()
        .find_map(|item| match item {
            Item::Op(op) => Some(op),
            _ => None,
        })
        .expect("a std module with an op")
}

fn ops_of(module: &str) -> Vec<String> {
    let source = mlforge_stdlib::module(module).expect("a std module").source;
    let mut names: Vec<String> = mlforge_syntax::parse(source)
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Op(op) => Some(op.name.text.to_string()),
            Item::Pipeline(p) => Some(p.name.text.to_string()),
            _ => None,
        })
        .collect();
    names.sort();
    names
}

/// The first line of a module's leading `//` comment.
fn summary_line(module: &str) -> String {
    let source = mlforge_stdlib::module(module).expect("a std module").source;
    source
        .lines()
        .find_map(|l| l.strip_prefix("// "))
        .expect("a summary line")
        .trim()
        .to_string()
}

/// A program importing `std/io` and calling its first op in a step whose argument list is
/// left open, with `$0` placed `delta` bytes into `needle` (where `OP` stands for the op's
/// name).
fn calling_io(feature: &str, needle: &str, delta: usize) -> String {
    let op = first_op("io").name.text.to_string();
    let body = format!("import \"std/io\"\n\npipeline p() {{\n  step s = io.{op}(\n}}\n");
    let needle = needle.replace("OP", &op);
    let at = body.find(&needle).expect("the needle") + delta;
    format!("@{feature}\n{}$0{}", &body[..at], &body[at..])
}

#[test]
fn import_completion_lists_the_modules() {
    check(
        "@path ops.mlf,lib/\nimport \"std/$0\"\n",
        expect![[r#"
            dir Some("std/")
            data ⇒ data replacing ""
            eval ⇒ eval replacing ""
            io ⇒ io replacing ""
            mlflow ⇒ mlflow replacing ""
            sklearn ⇒ sklearn replacing ""
            xgboost ⇒ xgboost replacing ""
        "#]],
    );
    // A name being typed is replaced whole.
    check(
        "@path\nimport \"std/sk$0learn\" as s\n",
        expect![[r#"
            dir Some("std/")
            data ⇒ data replacing "sklearn"
            eval ⇒ eval replacing "sklearn"
            io ⇒ io replacing "sklearn"
            mlflow ⇒ mlflow replacing "sklearn"
            sklearn ⇒ sklearn replacing "sklearn"
            xgboost ⇒ xgboost replacing "sklearn"
        "#]],
    );
}

#[test]
fn import_completion_shows_each_summary_and_the_ops() {
    let f = load("import \"std/$0\"\n");
    let items = path_completions(&f.db, f.file, f.offset, &[]);
    assert_eq!(items.len(), mlforge_stdlib::modules().len());
    for (item, module) in items.iter().zip(mlforge_stdlib::modules()) {
        assert_eq!(item.label, module.name);
        assert_eq!(item.kind, CompletionKind::Namespace);
        assert_eq!(
            item.detail.as_deref(),
            Some(summary_line(module.name).as_str())
        );
        let doc = item.documentation.as_deref().expect("documentation");
        for op in ops_of(module.name) {
            assert!(doc.contains(&format!("`{op}`")), "{doc}");
        }
    }
}

#[test]
fn std_folder_beside_files_and_never_a_real_std_folder() {
    check(
        "@path ops.mlf,std/,lib/\nimport \"$0\"\n",
        expect![[r#"
            dir Some("")
            std/ ⇒ std/ replacing ""
            ops.mlf ⇒ ops.mlf replacing ""
            lib/ ⇒ lib/ replacing ""
        "#]],
    );
    // Deeper than a module, nothing (a real `std/` folder's entries would be wrong).
    check(
        "@path a.mlf,b/\nimport \"std/io/$0\"\n",
        expect![[r#"
            dir Some("std/io/")
        "#]],
    );
    // A body's `file "std/…"` is a real folder: listed as before.
    check(
        "@path train.py\nop f() {\n  python file \"std/$0\"\n}\n",
        expect![[r#"
            dir Some("std/")
            train.py ⇒ train.py replacing ""
        "#]],
    );
}

#[test]
fn ops_after_a_std_namespace() {
    let out = run(&load(&calling_io("completion", "io.OP(", 3)));
    let mut labels: Vec<String> = out
        .lines()
        .skip(1)
        .map(|l| {
            let (kind, rest) = l.split_once(' ').expect("kind and label");
            assert!(matches!(kind, "Op" | "Pipeline"), "{l}");
            rest.split(' ').next().unwrap().to_string()
        })
        .collect();
    labels.sort();
    assert_eq!(labels, ops_of("io"), "{out}");
}

#[test]
fn hover_on_a_std_op_and_namespace() {
    let op = first_op("io");
    let name = op.name.text.to_string();
    let out = run(&load(&calling_io("hover", "io.OP(", 4)));
    assert!(
        out.starts_with(&format!("{name:?}\n```mlf\nop {name}(")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "defined in the op library's `std/io` ({})",
            summary_line("io")
        )),
        "{out}"
    );
    let doc = op.doc.expect("a documented op");
    assert!(out.contains(doc.lines().next().unwrap()), "{out}");

    let out = run(&load(&calling_io("hover", "io.OP(", 1)));
    assert!(
        out.contains(&format!(
            "namespace `io`: the op library's `std/io` ({}), with `io.{name}`",
            summary_line("io")
        )),
        "{out}"
    );
    let out = run(&load("@hover\nimport \"std/i$0o\"\n"));
    assert_eq!(
        out,
        format!(
            "\"\\\"std/io\\\"\"\n`std/io`: the op library's `std/io` ({})\n",
            summary_line("io")
        )
    );
}

#[test]
fn hover_on_an_unknown_std_module() {
    check(
        "@hover\nimport \"std/no$0pe\"\n",
        expect![[r#"
            "\"std/nope\""
            `std/nope`: the op library has no such module; it has `std/data`, `std/eval`, `std/io`, `std/mlflow`, `std/sklearn`, `std/xgboost`
        "#]],
    );
}

#[test]
fn signature_help_in_a_call_of_a_std_op() {
    let op = first_op("io");
    let out = run(&load(&calling_io("signature", "(\n}", 1)));
    let mut lines = out.lines();
    let label = lines.next().unwrap();
    assert!(label.starts_with(&format!("{}(", op.name.text)), "{out}");
    let params: Vec<&str> = lines
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| l.trim().split(':').next().unwrap())
        .collect();
    let expected: Vec<&str> = op.params.iter().map(|p| p.name.text.as_str()).collect();
    assert_eq!(params, expected, "{out}");
    assert!(out.contains("doc: "), "{out}");
}

#[test]
fn definition_in_the_module() {
    let op = first_op("io");
    let name = op.name.text.to_string();
    let out = run(&load(&calling_io("goto", "io.OP(", 4)));
    let source = mlforge_stdlib::module("io").unwrap().source;
    let line = source[..op.name.span.start as usize].matches('\n').count() + 1;
    let col = source[..op.name.span.start as usize]
        .rsplit('\n')
        .next()
        .unwrap()
        .len()
        + 1;
    assert_eq!(
        out,
        format!(
            "std/io.mlf {line}:{col}-{line}:{} {name:?}\n",
            col + name.len()
        )
    );
    check(
        "@goto\nimport \"std/i$0o\"\n",
        expect![[r#"
            std/io.mlf 1:1-1:1 ""
        "#]],
    );
    check(
        "@goto\nimport \"std/io.m$0lf\" as files\n",
        expect![[r#"
            std/io.mlf 1:1-1:1 ""
        "#]],
    );
}

#[test]
fn rename_never_edits_the_library() {
    let out = run(&load(&calling_io("prepare-rename", "io.OP(", 4)));
    let name = first_op("io").name.text.to_string();
    assert_eq!(
        out,
        format!("error: `{name}` is defined in the op library (`std/io`), which is read-only\n")
    );
    // The namespace is the program's own: renaming it adds `as`.
    check(
        "@rename files\nimport \"std/io\"\n\npipeline p() {\n  step s = i$0o.x()\n}\n",
        expect![[r#"
            /main.mlf
                1| import "std/io" as files
                4|   step s = files.x()
        "#]],
    );
}

#[test]
fn quick_fixes_import_std_modules() {
    let name = first_op("io").name.text.to_string();
    // An unknown namespace named like a module.
    let out = run(&load(&format!(
        "@actions\npipeline p() {{\n  step s = $0io$0.{name}()\n}}\n"
    )));
    assert!(
        out.contains("Add `import \"std/io\"` [quickfix E0203]"),
        "{out}"
    );
    assert!(out.contains("+   1| import \"std/io\""), "{out}");
    // An op that only the library defines.
    let out = run(&load(&format!(
        "@actions\npipeline p() {{\n  step s = $0{name}$0()\n}}\n"
    )));
    assert!(
        out.contains(&format!("Import `{name}` from `std/io` [quickfix E0203]")),
        "{out}"
    );
    assert!(out.contains(&format!("step s = io.{name}()")), "{out}");
}

#[test]
fn no_stub_op_is_offered_in_the_library() {
    let name = first_op("io").name.text.to_string();
    // A typo of a std op: the close name, and never an edit of the module.
    let typo = format!("{}x", &name[..name.len() - 1]);
    let out = run(&load(&format!(
        "@actions\nimport \"std/io\"\npipeline p() {{\n  step s = io.$0{typo}$0()\n}}\n"
    )));
    assert!(!out.contains("std/io.mlf"), "{out}");
    assert!(!out.contains("Create op"), "{out}");
    assert!(
        out.contains(&format!("Change to `io.{name}` [quickfix E0203]")),
        "{out}"
    );
}

#[test]
fn op_catalog_offers_the_library() {
    let f = load("pipeline p() {\n  $0\n}\n");
    let catalog = op_catalog(&f.db, f.file, &f.files);
    for module in mlforge_stdlib::modules() {
        for op in ops_of(module.name) {
            let name = format!("{}.{op}", module.name);
            let entry = catalog
                .iter()
                .find(|e| e.name == name)
                .unwrap_or_else(|| panic!("{name} in the catalog"));
            assert_eq!(
                entry.import.as_deref(),
                Some(format!("std/{}", module.name).as_str())
            );
        }
    }
    // Once imported, under its namespace and with no import to add.
    let f = load("import \"std/io\" as files\npipeline p() {\n  $0\n}\n");
    let catalog = op_catalog(&f.db, f.file, &f.files);
    let name = first_op("io").name.text.to_string();
    let entry = catalog
        .iter()
        .find(|e| e.name == format!("files.{name}"))
        .expect("the imported op");
    assert_eq!(entry.import, None);
    assert!(!catalog.iter().any(|e| e.name == format!("io.{name}")));
}

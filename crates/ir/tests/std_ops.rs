//! Every op of the standard library compiles into the IR like any op: a pipeline that calls
//! it (with params of its inputs' types) is added to its module, and the op comes out with
//! its virtual path `std/NAME.mlf`, an inline body, and a content hash.

use std::sync::Arc;

use mlforge_analysis::items::ItemKey;
use mlforge_analysis::{file_diagnostics, MemoryLoader, RootDatabase};
use mlforge_syntax::ast::Item;

/// `pipeline call_OP(P: T, …) { step s = OP(P: P, …) }` for each op of `source`, types as
/// written there.
fn callers(source: &str) -> Vec<(String, String)> {
    let parse = mlforge_syntax::parse(source);
    let mut out = Vec::new();
    for item in &parse.file.items {
        let Item::Op(op) = item else { continue };
        let params: Vec<String> = op
            .params
            .iter()
            .map(|p| {
                let span = p.ty.span();
                format!(
                    "{}: {}",
                    p.name.text,
                    &source[span.start as usize..span.end as usize]
                )
            })
            .collect();
        let args: Vec<String> = op
            .params
            .iter()
            .map(|p| format!("{0}: {0}", p.name.text))
            .collect();
        let pipeline = format!("call_{}", op.name.text);
        out.push((
            op.name.text.to_string(),
            format!(
                "\npipeline {pipeline}({}) {{\n  step s = {}({})\n}}\n",
                params.join(", "),
                op.name.text,
                args.join(", ")
            ),
        ));
    }
    out
}

#[test]
fn every_std_op_compiles_from_its_virtual_path_with_an_inline_body() {
    let mut compiled = 0;
    for module in mlforge_stdlib::modules() {
        let calls = callers(module.source);
        let extra: String = calls.iter().map(|(_, p)| p.as_str()).collect();
        let mut db = RootDatabase::new(Arc::new(MemoryLoader::default()));
        let file = db
            .set_std_text(module.name, &format!("{}{extra}", module.source))
            .unwrap();
        let errors: Vec<String> = file_diagnostics(&db, file)
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        assert!(
            errors.is_empty(),
            "std/{} with callers: {errors:?}",
            module.name
        );
        for (op, _) in &calls {
            let key = ItemKey::new(&db, file, format!("call_{op}"));
            let program = mlforge_ir::compile(&db, key)
                .unwrap_or_else(|e| panic!("std/{}.{op} does not compile: {e:?}", module.name));
            let ir_op = &program.ops[&program.steps[0].op];
            assert_eq!(ir_op.name, *op);
            let path = format!("std/{}.mlf", module.name);
            assert_eq!(*ir_op.source.file, path);
            assert_eq!(
                ir_op.body.path, None,
                "std/{}.{op}'s body is inline",
                module.name
            );
            assert!(!ir_op.body.text.is_empty());
            assert_eq!(ir_op.hash.len(), 64);
            assert!(ir_op.uses.is_empty() && ir_op.python.is_none());
            compiled += 1;
        }
    }
    assert!(
        compiled >= mlforge_stdlib::modules().len(),
        "only {compiled} std ops"
    );
}

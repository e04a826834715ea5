//! Fuzz-style: every walk over the tree that the binary and the server run, on hostile
//! input (deep nesting far past the limit, random bytes, pieces in random order), on a test
//! thread's small stack: check, IR compile, graph build and DOT, formatting, and the editor
//! features. None may panic or overflow the stack. Bounded: a few dozen cases.

use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{check_files, MemoryLoader, RootDatabase};
use mlforge_syntax::ast::Item;
use mlforge_syntax::{Span, MAX_NESTING};
use mlforge_synth::hostile::hostile_program;
use proptest::prelude::*;

fn every_walk(text: &str) {
    let mut db = RootDatabase::new(Arc::new(MemoryLoader::default()));
    let file = db.set_file_text(Path::new("/h/main.mlf"), Some(text.to_string()));
    let _ = check_files(&db, &[file]);
    let pipelines: Vec<String> = mlforge_syntax::parse(text)
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Pipeline(p) => Some(p.name.text.to_string()),
            _ => None,
        })
        .collect();
    for name in &pipelines {
        if let Ok(key) = select_pipeline(&db, file, Some(name)) {
            let _ = mlforge_ir::compile(&db, key);
            let model = mlforge_graph::build(&db, key);
            let _ = mlforge_graph::to_dot(&model);
            let _ = model.to_json();
        }
    }
    let _ = mlforge_fmt::format(text);
    let _ = mlforge_ide::document_symbols(&db, file);
    let _ = mlforge_ide::semantic_tokens(&db, file);
    let _ = mlforge_ide::folding_ranges(&db, file);
    let _ = mlforge_ide::code_lenses(&db, file);
    let _ = mlforge_ide::inlay_hints(&db, file, Span::new(0, text.len()));
    for offset in [0, text.len() / 3, text.len() / 2, text.len()] {
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let _ = mlforge_ide::hover(&db, file, offset);
        let _ = mlforge_ide::goto_definition(&db, file, offset);
        let _ = mlforge_ide::selection_ranges(&db, file, offset);
        let _ = mlforge_ide::completions(&db, file, offset, &Default::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_walk_survives_hostile_text(text in hostile_program(MAX_NESTING)) {
        every_walk(&text);
    }
}

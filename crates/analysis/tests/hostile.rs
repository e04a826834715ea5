//! Fuzz-style: the checker on hostile input (deep nesting far past the limit, random bytes,
//! language pieces in random order) never panics and never overflows a test thread's small
//! stack (2 MiB, smaller than the CLI's main thread). Bounded: a few dozen cases.

use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::{check_files, MemoryLoader, RootDatabase};
use mlforge_syntax::MAX_NESTING;
use mlforge_synth::hostile::hostile_program;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn checking_hostile_text_never_fails(text in hostile_program(MAX_NESTING)) {
        let mut db = RootDatabase::new(Arc::new(MemoryLoader::default()));
        let file = db.set_file_text(Path::new("/h/main.mlf"), Some(text.clone()));
        for (_, diagnostics) in check_files(&db, &[file]) {
            for d in diagnostics {
                prop_assert!((d.span.end as usize) <= text.len());
            }
        }
        // And again after an edit, through the incremental paths.
        db.set_file_text(Path::new("/h/main.mlf"), Some(format!("{text}\n")));
        let _ = check_files(&db, &[file]);
    }
}

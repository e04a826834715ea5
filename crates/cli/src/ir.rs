//! `mlforge ir`: compile a pipeline and print its IR.

use std::path::Path;

use mlforge_analysis::items::select_pipeline;
use mlforge_ir::CompileError;

use crate::check::{load_root, print_problems};
use crate::error::{fail, CliError, CliResult};

pub fn run(
    file: Option<&Path>,
    pipeline: Option<&str>,
    output: Option<&Path>,
    schema: bool,
    pretty: bool,
) -> CliResult {
    if schema {
        print!("{}", mlforge_ir::json_schema());
        return Ok(());
    }
    let Some(path) = file else {
        fail!("name the .mlf file to compile");
    };
    let (db, file) = load_root(path)?;
    let key = select_pipeline(&db, file, pipeline)?;
    match mlforge_ir::compile(&db, key) {
        Ok(program) => {
            let outcome = crate::check::emit_streamed(output, |out| {
                mlforge_ir::write_json(&program, out, pretty)
            });
            // Exiting frees all of it (as in `check`): freeing the analysis and the program
            // piece by piece first costs a tenth of the command's time.
            std::mem::forget((db, program));
            outcome
        }
        Err(CompileError::Invalid(_)) => {
            print_problems(&db, file);
            Err(CliError::Problems)
        }
    }
}

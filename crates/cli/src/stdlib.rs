//! `mlforge std [MODULE]`: the op library's modules, or one module's documentation. The
//! pages come from `mlforge_analysis::std_docs`; this only prints them.

use mlforge_analysis::std_docs;

use crate::error::{fail, CliResult};

pub fn run(module: Option<&str>) -> CliResult {
    let Some(name) = module else {
        let summaries = std_docs::summaries();
        let width = summaries.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + "std/".len();
        for (name, summary) in summaries {
            println!("{:<width$}  {summary}", format!("std/{name}"));
        }
        return Ok(());
    };
    let Some(module) = std_docs::find_module(name) else {
        let names: Vec<String> = mlforge_stdlib::modules()
            .iter()
            .map(|m| format!("`{}`", m.name))
            .collect();
        fail!(
            "the standard library has no module `{name}`; its modules are {}; run `mlforge std` to see what each holds",
            names.join(", ")
        );
    };
    print!("{}", std_docs::module_page(module));
    Ok(())
}

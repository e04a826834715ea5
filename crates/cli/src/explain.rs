//! `mlforge explain CODE`: the page for a diagnostic code.

use mlforge_analysis::Code;

use crate::error::{fail, CliResult};

pub fn run(code: Option<&str>) -> CliResult {
    let Some(text) = code else {
        for code in Code::ALL {
            println!(
                "{}  {:<8} {}",
                code.as_str(),
                code.severity().as_str(),
                code.title()
            );
        }
        return Ok(());
    };
    let Some(code) = Code::parse(text) else {
        fail!("`{text}` is not a diagnostic code; run `mlforge explain` to list them all");
    };
    print!("{}", page(code));
    Ok(())
}

pub fn page(code: Code) -> String {
    let page = code.page();
    format!(
        "{}\n## Example\n\n```mlf\n{}```\n\n## Fixed\n\n```mlf\n{}```\n",
        page.explanation.trim_end_matches('\n').to_string() + "\n",
        page.bad,
        page.fixed
    )
}

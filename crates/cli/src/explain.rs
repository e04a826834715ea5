//! `mlforge explain CODE`: the page for a diagnostic code.

use mlforge_analysis::Code;

use crate::Outcome;

pub fn run(code: Option<&str>) -> Outcome {
    let Some(text) = code else {
        for code in Code::ALL {
            println!(
                "{}  {:<8} {}",
                code.as_str(),
                code.severity().as_str(),
                code.title()
            );
        }
        return Outcome::Clean;
    };
    let Some(code) = Code::parse(text) else {
        return Outcome::Failed(format!(
            "`{text}` is not a diagnostic code; run `mlforge explain` to list them all"
        ));
    };
    print!("{}", page(code));
    Outcome::Clean
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

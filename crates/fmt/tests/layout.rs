//! The layout rules, one small input each (exact expected output).

use mlforge_fmt::{format, FormatError};

fn fmt(text: &str) -> String {
    format(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn steps_outputs_and_attributes_line_up_until_a_blank_line() {
    assert_eq!(
        fmt("pipeline p() {\nschedule = \"@daily\"\nretries = 1\nstep a = f()\nstep long_name = f()\n\nstep b = f()\noutput x = a.y\noutput longer = a.y\n}"),
        "pipeline p() {\n  schedule = \"@daily\"\n  retries  = 1\n  step a         = f()\n  step long_name = f()\n\n  step b = f()\n  output x      = a.y\n  output longer = a.y\n}\n"
    );
    // A comment line does not break the group; another kind of member does.
    assert_eq!(
        fmt("pipeline p() {\nstep a = f()\n// note\nstep bb = f()\nfor x in [1] {}\nstep ccc = f()\n}"),
        "pipeline p() {\n  step a  = f()\n  // note\n  step bb = f()\n  for x in [1] {}\n  step ccc = f()\n}\n"
    );
}

#[test]
fn blank_lines_one_at_most_and_none_at_block_edges() {
    assert_eq!(
        fmt("pipeline p() {\n\n\nstep a = f()\n\n\n\nstep b = f()\n\n}\n\n\n"),
        "pipeline p() {\n  step a = f()\n\n  step b = f()\n}\n"
    );
}

#[test]
fn items_are_one_blank_line_apart_save_imports_and_artifacts_together() {
    assert_eq!(
        fmt("import \"a.mlf\"\nimport \"b.mlf\"\n\nimport \"c.mlf\"\nartifact A\npipeline p() {}\npipeline q() {}"),
        "import \"a.mlf\"\nimport \"b.mlf\"\n\nimport \"c.mlf\"\nartifact A\n\npipeline p() {}\n\npipeline q() {}\n"
    );
    // The blank line goes before the comments that lead an item, unless the source has one.
    assert_eq!(
        fmt("pipeline p() {}\n// about q\npipeline q() {}\n// still about q?\n\npipeline r() {}"),
        "pipeline p() {}\n\n// about q\npipeline q() {}\n// still about q?\n\npipeline r() {}\n"
    );
}

#[test]
fn what_the_user_chose_stays() {
    // `else { if … }` and `else if …` are the same tree; each stays as written.
    let nested = "pipeline p() {\n  if a {\n  } else {\n    if b {\n    }\n  }\n}\n";
    assert_eq!(
        fmt(nested),
        "pipeline p() {\n  if a {} else {\n    if b {}\n  }\n}\n"
    );
    assert_eq!(
        fmt("pipeline p() { if a { } else if b { } }"),
        "pipeline p() {\n  if a {} else if b {}\n}\n"
    );
    // Parentheses the user wrote stay; members keep their order.
    assert_eq!(
        fmt("op f() { shell file \"f.sh\"  retries = (1) }"),
        "op f() {\n  shell file \"f.sh\"\n  retries = (1)\n}\n"
    );
}

#[test]
fn no_outputs_on_an_op_is_no_arrow() {
    assert_eq!(fmt("op f() -> () { }"), "op f() {}\n");
    // On a pipeline `-> ()` declares that it has no outputs: it stays.
    assert_eq!(fmt("pipeline p() -> () { }"), "pipeline p() -> () {}\n");
}

#[test]
fn doc_comments_stay_on_what_they_document() {
    assert_eq!(
        fmt("/// The op.\nop f(/// The input.\n x: int) -> (/// The output.\n y: int) { }\npipeline p() {\n/// The step.\nstep s = f(x: 1)\n}"),
        "/// The op.\nop f(\n  /// The input.\n  x: int,\n) -> (\n  /// The output.\n  y: int,\n) {}\n\npipeline p() {\n  /// The step.\n  step s = f(x: 1)\n}\n"
    );
}

#[test]
fn trailing_and_leading_comments() {
    assert_eq!(
        fmt("pipeline p() { // why\nstep a = f(x: 1, // one\ny: 2) /* after */\n/* alone */\nstep b = /* inline */ f()\n// dangling\n}"),
        "pipeline p() {  // why\n  step a = f(\n    x: 1,  // one\n    y: 2,\n  ) /* after */\n  /* alone */\n  step b = /* inline */ f()\n  // dangling\n}\n"
    );
}

#[test]
fn bodies_move_as_a_block() {
    assert_eq!(
        fmt("op f() {\npython \"\"\"\n        a\n          b\n\n        c\n    \"\"\"\n}"),
        "op f() {\n  python \"\"\"\n    a\n      b\n\n    c\n  \"\"\"\n}\n"
    );
}

#[test]
fn long_lines_break() {
    // 100 columns fit.
    let fits = "pipeline p(first_parameter: int = 1, second_parameter: int = 2, third_one: int = 3) -> (out: int) {}";
    assert_eq!(fits.len(), 100);
    assert_eq!(fmt(fits), format!("{fits}\n"));
    // Past 100, the params go one a line.
    let long = "pipeline p(first_parameter: int = 1, second_parameter: int = 2, third_one: int = 3) -> (outs: int) {}";
    assert_eq!(
        fmt(long),
        "pipeline p(\n  first_parameter: int = 1,\n  second_parameter: int = 2,\n  third_one: int = 3,\n) -> (outs: int) {}\n"
    );
}

#[test]
fn broken_files_are_refused() {
    let error = format("pipeline p() {\n  step s = f(\n}\n").unwrap_err();
    assert!(
        matches!(error, FormatError::Syntax { line: 3, .. }),
        "{error:?}"
    );
    assert_eq!((error.line(), error.column()), (3, 1));
    let shown = FormatError::Verification {
        line: 2,
        column: 5,
        message: "the comment `// a` would be lost or changed".into(),
    }
    .to_string();
    assert!(shown.starts_with("2:5: the formatter refused its own result: the comment `// a`"));
}

//! Second edition (LANGUAGE.md §6.3–6.5): E0620 requirements, E0621 env values, E0622 and
//! E0623 `python def` bodies, E0624 dates; `uses`, `interpreter` and scheduler attributes.

use std::sync::Arc;

use mlforge_analysis::{check_files, Db, MemoryLoader, RootDatabase};

use crate::support::check_diagnostics;

#[test]
fn e0620_a_requirement_pip_cannot_read() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  requires = ["pandas>=2.1", "scikit-learn >> 1.5", "numpy; python_version >= '3.9'"]
  //                         ^^^^^^^^^^^^^^^^^^^^^ E0620
  python def """
    model.write_text(data.read_text())
  """
}
"#,
    );
}

#[test]
fn e0602_requires_uses_and_interpreter_of_the_wrong_shape() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  requires = "pandas"
  //         ^^^^^^^^ E0602
  uses = ["src/helpers.py", 3]
  //                        ^ E0602
  interpreter = ""
//^^^^^^^^^^^^^^^^ E0602
  python def """
    model.write_text(data.read_text())
  """
}
"#,
    );
}

#[test]
fn e0621_an_env_value_that_is_no_input() {
    check_diagnostics(
        r#"op notify(message: string, retries_left: int) {
  env {
    API_TOKEN = token
    //          ^^^^^ E0621
    LEFT = retries_left
    //     ^^^^^^^^^^^^ E0621
    LEVEL = 3
    //      ^ E0621
    MESSAGE = message
    MODE = "quiet"
  }
  shell """
    echo ${message} ${retries_left}
  """
}
"#,
    );
}

#[test]
fn e0621_wording_offers_a_secret_for_a_name_that_is_no_input() {
    let text = r#"op notify(message: string) {
  env { API_TOKEN = token }
  shell """
    echo ${message}
  """
}
"#;
    let d = only_diagnostic(text);
    assert!(
        d.0.contains("`token` is not an input of `notify`"),
        "{}",
        d.0
    );
    assert!(d.1.contains("secret(\"API_TOKEN\")"), "{}", d.1);
}

#[test]
fn e0622_interpolation_in_a_function_body() {
    check_diagnostics(
        r#"op scale(xs: list<float>, factor: float) -> (scaled: list<float>) {
  python def """
    return [x * ${factor} for x in xs]
    //          ^^^^^^^^^ E0622
  """
}
"#,
    );
}

#[test]
fn e0622_not_reported_for_a_literal_dollar_brace() {
    check_diagnostics(
        r#"op greet(name: string) -> (text: string) {
  python def """
    return "$${name}: " + name
  """
}
"#,
    );
}

#[test]
fn e0623_a_python_keyword_as_a_parameter() {
    check_diagnostics(
        r#"op span(from: int, to: int) -> (numbers: list<int>, lambda: File) {
      //^^^^ E0623
                                                  //^^^^^^ E0623
                                                  //^^^^^^ W0104
  python def """
    return []
  """
}
"#,
    );
}

#[test]
fn keywords_are_fine_outside_function_bodies() {
    check_diagnostics(
        r#"op span(from: int, to: int) -> (numbers: list<int>) {
  python """
    print(${from}, ${to}, ${numbers})
  """
}
"#,
    );
}

#[test]
fn e0101_shell_bodies_cannot_be_functions() {
    check_diagnostics(
        r#"op hello() {
  shell def """
//^^^^^^^^^^^^^ E0101
    echo hi
  """
}
"#,
    );
}

#[test]
fn e0624_a_start_date_that_does_not_exist() {
    check_diagnostics(
        r#"op hello() {
  shell """
    echo hi
  """
}

pipeline daily() {
  start_date = "2023-02-29"
  //           ^^^^^^^^^^^^ E0624
  catchup = "no"
  //        ^^^^ E0602
  tags = ["ml", "nightly"]
  owner = "ml-team"
  step h = hello()
}
"#,
    );
}

#[test]
fn second_edition_attributes_are_not_reported() {
    check_diagnostics(
        r#"op fit(data: Dataset, mode: string) -> (model: Model) {
  uses = ["src/helpers.py", "src/lib/"]
  requires = ["pandas>=2.1", "scikit-learn>=1.5,<2"]
  interpreter = "envs/eval/bin/python"
  env { MODE = mode  LEVEL = "2" }
  python def """
    model.write_text(data.read_text() + mode)
  """
}

pipeline p(data: Dataset) {
  uses = ["src/"]
  interpreter = "python3"
  start_date = "2024-01-01"
  catchup = false
  tags = ["ml", "nightly"]
  owner = "ml-team"
  step f = fit(data: data, mode: "fast")
}
"#,
    );
}

#[test]
fn unknown_shell_names_point_at_the_literal_form() {
    let text = r#"op home(data: Dataset) -> (model: Model) {
  shell """
    cp ${data} ${HOME}/copy && cp ${data} ${model}
  """
}
"#;
    let d = only_diagnostic(text);
    assert!(d.0.contains("`HOME` is not an input or output"), "{}", d.0);
    assert!(d.1.contains("$${HOME}"), "{}", d.1);
}

/// The one diagnostic of `text`: its message and help.
fn only_diagnostic(text: &str) -> (String, String) {
    let loader = MemoryLoader {
        files: [("/main.mlf".into(), text.to_string())]
            .into_iter()
            .collect(),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file("/main.mlf".as_ref());
    let found: Vec<_> = check_files(&db, &[file])
        .into_iter()
        .flat_map(|(_, ds)| ds)
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    (d.message.clone(), d.help.clone().unwrap_or_default())
}

#[test]
fn secrets_are_env_values_with_variable_names() {
    check_diagnostics(
        r#"op call(message: string) {
  image = secret("IMAGE")
  //      ^^^^^^^^^^^^^^^ E0602
  env {
    API_TOKEN = secret("API_TOKEN")
    BAD = secret("my token")
    //           ^^^^^^^^^^ E0621
    secret = message
  }
  shell """
    echo ${message}
  """
}
"#,
    );
}

#[test]
fn w0104_a_function_body_that_never_names_or_returns_an_output() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model, score: float, report: File) {
                                      //^^^^^ W0104
                                                    //^^^^^^ W0104
  python def """
    model.write_text(data.read_text())
    print("done")
  """
}

op fine(data: Dataset) -> (model: Model, score: float) {
  python def """
    model.write_text(data.read_text())
    return 0.5
  """
}

op sneaky(data: Dataset) -> (model_v2: Model) {
                           //^^^^^^^^ W0104
  python def """
    print(data, model_v2_path)
  """
}
"#,
    );
}

#[test]
fn w0110_secrets_not_set_where_the_caller_says() {
    let text = r#"op call() {
  env { A = secret("SET_ONE")  B = secret("UNSET_ONE") }
  shell """
    true
  """
}
"#;
    let loader = MemoryLoader {
        files: [("/main.mlf".into(), text.to_string())]
            .into_iter()
            .collect(),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file("/main.mlf".as_ref());
    let found = mlforge_analysis::unset_secrets(&db, file, &|name| name == "SET_ONE");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code.as_str(), "W0110");
    assert_eq!(&text[found[0].span.range()], "secret(\"UNSET_ONE\")");
}

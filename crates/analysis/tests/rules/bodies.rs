//! Bodies and outputs: E0607 body count, E0608 body file not found, E0609 unknown name in
//! a body, E0610 pipeline output mismatch, W0104 output never written.

use crate::support::{check_diagnostics, check_with_ops};

#[test]
fn e0607_two_bodies() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  shell """
    echo ${data} ${model}
  """
  python """
//^^^^^^^^^^ E0607
    print(${data}, ${model})
  """
}
"#,
    );
}

#[test]
fn e0608_a_body_file_that_does_not_exist() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  python file "src/train.py"
  //          ^^^^^^^^^^^^^^ E0608
}
"#,
    );
}

#[test]
fn e0609_a_name_the_op_does_not_have() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  python """
    print(${dataset}, ${data}, ${model})
    //    ^^^^^^^^^^ E0609
  """
}
"#,
    );
}

#[test]
fn e0609_not_reported_for_an_escaped_interpolation() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model) {
  shell """
    echo "$${HOME}" ${data} > ${model}
  """
}
"#,
    );
}

#[test]
fn w0104_an_output_the_body_never_names() {
    check_diagnostics(
        r#"op fit(data: Dataset) -> (model: Model, score: float) {
  //                                    ^^^^^ W0104
  python """
    print(${data}, ${model})
  """
}
"#,
    );
}

#[test]
fn e0610_an_output_statement_the_signature_does_not_declare() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) -> (model: Model) {
  step fit = train(data: data)
  step eval = evaluate(model: fit.model, data: data)
  output model = fit.model
  output score = eval.accuracy
  //     ^^^^^ E0610
}
"#,
    );
}

#[test]
fn e0610_a_declared_output_without_its_statement() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) -> (model: Model, score: float) {
  //                                        ^^^^^ E0610
  step fit = train(data: data)
  output model = fit.model
}
"#,
    );
}

#[test]
fn an_output_of_the_wrong_type_is_a_type_mismatch() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) -> (model: Model, score: Dataset) {
  step fit = train(data: data)
  step eval = evaluate(model: fit.model, data: data)
  output model = fit.model
  output score = eval.accuracy
  //             ^^^^^^^^^^^^^ E0401
}
"#,
    );
}

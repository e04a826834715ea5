//! Calls: E0203 unresolved op or pipeline, E0301 missing argument, E0302 unknown argument,
//! E0303 duplicate argument.

use crate::support::check_with_ops;

#[test]
fn e0203_a_callee_that_does_not_exist() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = trian(data: train_set)
  //         ^^^^^ E0203
}
"#,
    );
}

#[test]
fn e0203_not_reported_for_a_pipeline_called_as_a_step() {
    check_with_ops(
        r#"
pipeline inner(data: Dataset) -> (model: Model) {
  step fit = train(data: data)
  output model = fit.model
}

pipeline outer(train_set: Dataset) {
  step sub = inner(data: train_set)
  step eval = evaluate(model: sub.model, data: train_set)
}
"#,
    );
}

#[test]
fn e0301_an_input_without_default_left_out() {
    check_with_ops(
        r#"
pipeline p() {
  step fit = train(c: 0.5)
  //              ^^^^^^^^ E0301
}
"#,
    );
}

#[test]
fn e0301_not_reported_when_only_defaults_are_left_out() {
    check_with_ops(
        r#"
pipeline p() {
  step data = load()
  step fit = train(data: data.table)
}
"#,
    );
}

#[test]
fn e0302_an_argument_the_op_does_not_take() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set, shuffle: true)
  //                                ^^^^^^^ E0302
}
"#,
    );
}

#[test]
fn e0303_an_argument_given_twice() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set, c: 0.2, c: 0.3)
  //                                        ^ E0303
}
"#,
    );
}

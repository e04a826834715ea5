//! The step graph: E0501 dependency cycle, E0502 recursive pipeline.

use crate::support::check_with_ops;

#[test]
fn e0501_a_step_waiting_for_what_reads_it() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) {
  step fit = train(data: data) after eval
  //   ^^^ E0501
  step eval = evaluate(model: fit.model, data: data)
}
"#,
    );
}

#[test]
fn e0501_not_reported_for_an_after_in_the_order_of_the_data() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) {
  step fit = train(data: data)
  step eval = evaluate(model: fit.model, data: data) after fit
}
"#,
    );
}

#[test]
fn e0502_a_pipeline_that_calls_itself() {
    check_with_ops(
        r#"
pipeline again(data: Dataset) {
  step fit = train(data: data)
  step more = again(data: data)
  //          ^^^^^ E0502
}
"#,
    );
}

#[test]
fn e0501_a_cycle_through_three_steps_is_reported_where_it_closes() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) {
  step a = train(data: data) after c
  //   ^ E0501
  step b = evaluate(model: a.model, data: data)
  step c = train(data: data) after b
}
"#,
    );
}

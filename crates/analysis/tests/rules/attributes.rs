//! Attributes: E0601 unknown, E0602 wrong type, E0603 duration, E0604 schedule, E0605
//! out of range, E0606 memory.

use crate::support::check_diagnostics;

/// An op with `attributes` and a body that uses its input and writes its output.
fn op_with(attributes: &str) -> String {
    format!(
        "op fit(data: Dataset) -> (model: Model) {{\n{attributes}  python \"\"\"\n    print(${{data}}, ${{model}})\n  \"\"\"\n}}\n"
    )
}

#[test]
fn e0601_a_misspelt_attribute() {
    check_diagnostics(&op_with("  retry = 2\n//^^^^^ E0601\n"));
}

#[test]
fn e0602_a_string_for_a_bool() {
    check_diagnostics(&op_with("  cache = \"no\"\n//        ^^^^ E0602\n"));
}

#[test]
fn e0603_a_duration_of_two_units() {
    check_diagnostics(&op_with("  timeout = 1h30m\n//          ^^^^^ E0603\n"));
}

#[test]
fn e0605_no_cpus() {
    check_diagnostics(&op_with(
        "  resources { cpu = 0  memory = \"4Gi\" }\n//                  ^ E0605\n",
    ));
}

#[test]
fn e0606_memory_in_gb() {
    check_diagnostics(&op_with(
        "  resources { cpu = 4  memory = \"16GB\" }\n//                              ^^^^^^ E0606\n",
    ));
}

#[test]
fn good_attributes_are_not_reported() {
    check_diagnostics(&op_with(
        "  retries = 2\n  timeout = 90m\n  cache = false\n  image = \"python:3.12-slim\"\n  resources { cpu = 2  memory = \"4Gi\" }\n",
    ));
}

#[test]
fn e0604_a_schedule_that_is_not_cron() {
    check_diagnostics(&format!(
        "{}\npipeline nightly(data: Dataset) {{\n  schedule = \"daily\"\n  //         ^^^^^^^ E0604\n  step f = fit(data: data)\n}}\n",
        op_with("")
    ));
}

#[test]
fn e0604_not_reported_for_a_cron_expression() {
    check_diagnostics(&format!(
        "{}\npipeline nightly(data: Dataset) {{\n  schedule = \"0 3 * * *\"\n  step f = fit(data: data)\n}}\n",
        op_with("")
    ));
}

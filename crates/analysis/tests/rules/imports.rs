//! Imports: E0201 import not found, E0202 import cycle, W0103 unused import.

use crate::support::check_diagnostics;

const FEATURES: &str = r#"op scale(data: Dataset) -> (scaled: Dataset) {
  python """
    print(${data}, ${scaled})
  """
}
"#;

#[test]
fn e0201_a_file_that_does_not_exist() {
    check_diagnostics(&format!(
        "//- /main.mlf\nimport \"featurs.mlf\" as fx\n//     ^^^^^^^^^^^^^ E0201\n//- /features.mlf\n{FEATURES}"
    ));
}

#[test]
fn imports_that_are_used_are_not_reported() {
    check_diagnostics(&format!(
        "//- /main.mlf\nimport \"features.mlf\" as fx\n\npipeline p(raw: Dataset) {{\n  step s = fx.scale(data: raw)\n}}\n//- /features.mlf\n{FEATURES}"
    ));
}

#[test]
fn w0103_an_import_nothing_uses() {
    check_diagnostics(&format!(
        "//- /main.mlf\n  import \"features.mlf\" as fx\n//^^^^^^^^^^^^^^^^^^^^^^^^^^^ W0103\n//- /features.mlf\n{FEATURES}"
    ));
}

#[test]
fn e0202_two_files_that_import_each_other() {
    check_diagnostics(&format!(
        "//- /main.mlf\nimport \"other.mlf\" as other\n//     ^^^^^^^^^^^ E0202\n\npipeline p(raw: Dataset) {{\n  step s = other.scale(data: raw)\n}}\n//- /other.mlf\n  import \"main.mlf\" as main\n//       ^^^^^^^^^^ E0202\n//^^^^^^^^^^^^^^^^^^^^^^^^^ W0103\n{FEATURES}"
    ));
}

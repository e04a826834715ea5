//! `mlforge std` and `import "std/…"` with the real binary: the list of modules, each
//! module's page (the one checked in under docs/std/), unknown modules, and imports that
//! never read a `std/` folder of the user's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mlforge_analysis::std_docs;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlforge binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

#[test]
fn std_lists_every_module_with_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = mlforge(dir.path(), &["std"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), mlforge_stdlib::modules().len(), "{listed}");
    for (line, module) in lines.iter().zip(mlforge_stdlib::modules()) {
        let summary = std_docs::summary(module).unwrap_or_else(|| {
            panic!(
                "crates/stdlib/std/{}.mlf has no summary: start it with a `// …` line",
                module.name
            )
        });
        let (name, rest) = line.split_once(' ').unwrap();
        assert_eq!(name, format!("std/{}", module.name));
        assert_eq!(rest.trim_start(), summary);
    }
}

#[test]
fn std_module_prints_the_checked_in_page() {
    let dir = tempfile::tempdir().unwrap();
    for module in mlforge_stdlib::modules() {
        for spelled in [module.name.to_string(), format!("std/{}", module.name)] {
            let out = mlforge(dir.path(), &["std", &spelled]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let printed = text(&out.stdout);
            let page = std::fs::read_to_string(root().join(format!("docs/std/{}.md", module.name)))
                .unwrap();
            let (_, checked_in) = page.split_once("-->\n\n").expect("a generated page");
            assert_eq!(
                printed,
                checked_in,
                "`mlforge std {spelled}` is not docs/std/{}.md; run `{}`",
                module.name,
                std_docs::REGENERATE
            );
            assert!(printed.starts_with(&format!("# std/{}\n", module.name)));
        }
    }
}

#[test]
fn an_unknown_module_names_the_modules_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = mlforge(dir.path(), &["std", "sklearm"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: the standard library has no module `sklearm`; its modules are `data`, "
        ),
        "{stderr}"
    );
    for module in mlforge_stdlib::modules() {
        assert!(stderr.contains(&format!("`{}`", module.name)), "{stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn std_imports_never_read_a_std_folder_of_the_users() {
    let dir = tempfile::tempdir().unwrap();
    // A folder called `std` beside the program, with a file that does not parse.
    std::fs::create_dir(dir.path().join("std")).unwrap();
    std::fs::write(dir.path().join("std/io.mlf"), "op broken( {\n").unwrap();
    let imports: String = mlforge_stdlib::modules()
        .iter()
        .map(|m| format!("import \"std/{}\"\n", m.name))
        .collect();
    std::fs::write(dir.path().join("main.mlf"), &imports).unwrap();
    let out = mlforge(dir.path(), &["check", "main.mlf"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    // Only the user's file is reported: each import is unused (W), none is missing, and
    // nothing is said about the library's sources or the folder called `std`.
    let n = mlforge_stdlib::modules().len();
    assert!(
        stdout.contains(&format!("0 errors, {n} warnings in 1 file")),
        "{stdout}"
    );
    assert_eq!(stdout.matches("is never used").count(), n, "{stdout}");
    assert!(!stdout.contains("std/io.mlf"), "{stdout}");
}

#[test]
fn an_unknown_std_import_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.mlf"),
        "// Mine.\nimport \"std/sklearm\"\n",
    )
    .unwrap();
    let out = mlforge(dir.path(), &["check", "main.mlf"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[E0201]"), "{stdout}");
    assert!(stdout.contains("main.mlf:2:8"), "{stdout}");
    assert!(
        stdout.contains(
            "the standard library has no module `std/sklearm`; its modules are `std/data`, "
        ),
        "{stdout}"
    );
}

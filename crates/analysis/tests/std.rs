//! The standard library (`import "std/NAME"`): resolved to the texts mlforge embeds, never
//! through the loader; its diagnostics never reported; every module checks clean.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mlforge_analysis::items::{imports, ImportProblem};
use mlforge_analysis::{
    check_files, file_diagnostics, is_std_file, std_module, Code, Db, FileLoader, LoadError,
    RootDatabase, SourceFile,
};

/// Files in memory, remembering every path the database asked for.
#[derive(Default)]
struct Recording {
    files: Vec<(PathBuf, String)>,
    asked: Mutex<Vec<PathBuf>>,
}

impl FileLoader for Recording {
    fn load(&self, path: &Path) -> Result<String, LoadError> {
        self.asked.lock().unwrap().push(path.to_path_buf());
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .ok_or(LoadError::NotFound)
    }
}

fn workspace(files: &[(&str, &str)]) -> (RootDatabase, Arc<Recording>) {
    let loader = Arc::new(Recording {
        files: files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect(),
        asked: Mutex::default(),
    });
    (RootDatabase::new(loader.clone()), loader)
}

fn codes(db: &RootDatabase, file: SourceFile) -> Vec<(Code, String)> {
    check_files(db, &[file])
        .into_iter()
        .flat_map(|(_, ds)| ds)
        .map(|d| (d.code, d.message))
        .collect()
}

const USES_IO: &str = r#"import "std/io"
import "std/data.mlf" as tables

pipeline p() -> (train: Dataset) {
  step notes = io.write_text(text: "x,y\n1,2\n")
  step parts = tables.split(table: notes.out)
  output train = parts.train
}
"#;

/// The placeholder modules have these ops; helper B's content may rename them, so the
/// tests that call an op set a module's text themselves.
const IO: &str = r#"// Reading and writing files.

/// Writes `text` to a new file.
op write_text(text: string) -> (out: File) {
  python def """
    out.write_text(text)
  """
}
"#;

const DATA: &str = r#"// Tables.

/// Splits a table.
op split(table: File, test_share: float = 0.25) -> (train: Dataset, test: Dataset) {
  python def """
    rows = table.read_text().splitlines()
    cut = int(len(rows) * (1 - test_share))
    train.write_text("\n".join(rows[:cut]))
    test.write_text("\n".join(rows[cut:]))
  """
}
"#;

#[test]
fn std_imports_resolve_to_the_embedded_modules_without_the_loader() {
    let (mut db, loader) = workspace(&[("/w/main.mlf", USES_IO)]);
    db.set_std_text("io", IO).unwrap();
    db.set_std_text("data", DATA).unwrap();
    let main = db.file(Path::new("/w/main.mlf"));
    assert_eq!(codes(&db, main), []);
    let resolved = imports(&db, main);
    let io = resolved[0].target.expect("std/io resolves");
    let data = resolved[1].target.expect("std/data.mlf resolves");
    assert_eq!(resolved[0].namespace, "io");
    assert_eq!(resolved[1].namespace, "tables");
    assert_eq!(io, db.std_file("io").unwrap());
    assert_eq!(data, db.std_file("data").unwrap());
    assert!(is_std_file(&db, io) && is_std_file(&db, data));
    assert!(!is_std_file(&db, main));
    assert_eq!(io.path(&db), &mlforge_stdlib::path("io"));
    assert_eq!(std_module(&db, io).map(|m| m.name), Some("io"));
    assert_eq!(std_module(&db, main), None);
    // The loader was asked for the user's file only.
    assert_eq!(
        *loader.asked.lock().unwrap(),
        [PathBuf::from("/w/main.mlf")]
    );
}

#[test]
fn std_file_holds_the_embedded_text() {
    let (db, _) = workspace(&[]);
    for module in mlforge_stdlib::modules() {
        let file = db.std_file(module.name).unwrap();
        assert_eq!(file.text(&db).as_deref(), Some(module.source));
        assert_eq!(db.std_file(module.name), Some(file), "one input per module");
    }
    assert_eq!(db.std_file("nope"), None);
    assert_eq!(db.std_file("std/io"), None);
}

#[test]
fn a_users_own_std_folder_is_another_file() {
    let text = "// mine\nop mine() -> (n: int) {\n  python def \"\"\"\n    return 1\n  \"\"\"\n}\n";
    let (db, _) = workspace(&[("std/io.mlf", text)]);
    let own = db.file(Path::new("std/io.mlf"));
    let library = db.std_file("io").unwrap();
    assert_ne!(own, library);
    assert!(!is_std_file(&db, own));
    assert_eq!(own.text(&db).as_deref(), Some(text));
    assert_eq!(
        library.text(&db).as_deref(),
        Some(mlforge_stdlib::module("io").unwrap().source)
    );
}

#[test]
fn an_unknown_std_module_lists_the_modules_there_are() {
    let main = "import \"std/sklearm\"\n";
    let (db, loader) = workspace(&[("/w/main.mlf", main)]);
    let file = db.file(Path::new("/w/main.mlf"));
    let results = check_files(&db, &[file]);
    let diagnostics: Vec<_> = results.into_iter().flat_map(|(_, ds)| ds).collect();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d.code, Code::ImportNotFound);
    assert_eq!(
        &main[d.span.start as usize..d.span.end as usize],
        "\"std/sklearm\""
    );
    let listed: Vec<String> = mlforge_stdlib::modules()
        .iter()
        .map(|m| format!("`std/{}`", m.name))
        .collect();
    assert!(
        d.message
            .starts_with("the standard library has no module `std/sklearm`; its modules are "),
        "{}",
        d.message
    );
    for name in &listed {
        assert!(
            d.message.contains(name.as_str()),
            "{} lacks {name}",
            d.message
        );
    }
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `std/sklearn`? `mlforge std` lists what each module holds; paths that begin with `std/` name only these")
    );
    assert_eq!(
        imports(&db, file)[0].problem,
        Some(ImportProblem::UnknownStdModule("sklearm".into()))
    );
    assert_eq!(
        *loader.asked.lock().unwrap(),
        [PathBuf::from("/w/main.mlf")]
    );
}

#[test]
fn diagnostics_inside_std_are_never_reported() {
    let broken = "// Broken.\nop write_text(text: strin) -> (out: File) {\n  python def \"\"\"\n    out.write_text(text)\n  \"\"\"\n}\nop unused(x: int) -> (y: int) {\n  shell \"\"\"\n    echo ${nope}\n  \"\"\"\n}\n";
    let main = "import \"std/io\"\n\npipeline p() {\n  step a = io.write_text(text: \"hi\")\n}\n";
    let (mut db, _) = workspace(&[("/w/main.mlf", main)]);
    let io = db.set_std_text("io", broken).unwrap();
    assert!(
        !file_diagnostics(&db, io).is_empty(),
        "the broken module has errors"
    );
    let file = db.file(Path::new("/w/main.mlf"));
    let results = check_files(&db, &[file]);
    assert_eq!(results.len(), 1, "only the user's file is reported");
    assert_eq!(results[0].0, file);
    // A std module named as a root is left out too.
    assert!(check_files(&db, &[io]).is_empty());
}

#[test]
fn std_modules_import_each_other() {
    // `std/data` written in full and as a sibling path: both mean the module.
    let eval = r#"// Evaluating.
import "std/data"
import "io.mlf" as files

/// Splits and writes.
pipeline split_notes(text: string) -> (test: Dataset) {
  step notes = files.write_text(text: text)
  step parts = data.split(table: notes.out)
  output test = parts.test
}
"#;
    let main = "import \"std/eval\"\n\npipeline p() -> (t: Dataset) {\n  step s = eval.split_notes(text: \"a\\nb\\n\")\n  output t = s.test\n}\n";
    let (mut db, loader) = workspace(&[("/w/main.mlf", main)]);
    db.set_std_text("io", IO).unwrap();
    db.set_std_text("data", DATA).unwrap();
    let eval = db.set_std_text("eval", eval).unwrap();
    assert_eq!(file_diagnostics(&db, eval).as_slice(), []);
    let resolved = imports(&db, eval);
    assert_eq!(resolved[0].target, db.std_file("data"));
    assert_eq!(resolved[1].target, db.std_file("io"));
    let file = db.file(Path::new("/w/main.mlf"));
    assert_eq!(codes(&db, file), []);
    assert_eq!(
        *loader.asked.lock().unwrap(),
        [PathBuf::from("/w/main.mlf")]
    );
}

#[test]
fn inside_std_an_import_outside_the_library_is_unknown_and_never_read() {
    let module = "// Reaching out.\nimport \"../secrets.mlf\"\nimport \"lib/ops.mlf\"\n";
    let (mut db, loader) = workspace(&[(
        "secrets.mlf",
        "op x() {\n  shell \"\"\"\n    true\n  \"\"\"\n}\n",
    )]);
    let io = db.set_std_text("io", module).unwrap();
    let problems: Vec<_> = imports(&db, io).iter().map(|i| i.problem.clone()).collect();
    assert_eq!(
        problems,
        [
            Some(ImportProblem::UnknownStdModule("../secrets".into())),
            Some(ImportProblem::UnknownStdModule("lib/ops".into())),
        ]
    );
    assert!(loader.asked.lock().unwrap().is_empty());
}

#[test]
fn std_ops_name_no_files() {
    let module = r#"// Files.
op a() -> (n: int) {
  uses = ["helper.py"]
  python def """
    return 1
  """
}
op b() -> (n: int) {
  interpreter = ".venv/bin/python"
  python def """
    return 1
  """
}
op c() -> (n: int) {
  python file "body.py"
}
"#;
    let (mut db, loader) = workspace(&[]);
    let io = db.set_std_text("io", module).unwrap();
    let found: Vec<Code> = file_diagnostics(&db, io).iter().map(|d| d.code).collect();
    assert_eq!(
        found,
        [
            Code::UnknownAttribute,
            Code::UnknownAttribute,
            Code::BodyFileNotFound
        ]
    );
    assert!(
        loader.asked.lock().unwrap().is_empty(),
        "no body file is read"
    );
}

/// Every module mlforge ships checks with no diagnostic at all, warnings included.
#[test]
fn every_std_module_checks_clean() {
    let (db, loader) = workspace(&[]);
    for module in mlforge_stdlib::modules() {
        let file = db.std_file(module.name).unwrap();
        let found = file_diagnostics(&db, file);
        let text = module.source;
        let shown: Vec<String> = found
            .iter()
            .map(|d| {
                let line = text[..d.span.start as usize].matches('\n').count() + 1;
                format!(
                    "std/{}.mlf:{line}: {} {}",
                    module.name,
                    d.code.as_str(),
                    d.message
                )
            })
            .collect();
        assert!(
            shown.is_empty(),
            "std/{} has diagnostics:\n{}",
            module.name,
            shown.join("\n")
        );
    }
    assert!(loader.asked.lock().unwrap().is_empty());
}

/// `docs/std/` holds the pages `std_docs` makes from the modules' sources; after a change
/// of a module, regenerate them (the message says how) and commit them.
#[test]
fn the_checked_in_std_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/std");
    let pages = mlforge_analysis::std_docs::checked_in_pages();
    if std::env::var_os("UPDATE_STD_DOCS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (name, text) in &pages {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let regenerate = mlforge_analysis::std_docs::REGENERATE;
    let mut stale = Vec::new();
    for (name, text) in &pages {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(found) if found == *text => {}
            Ok(_) => stale.push(format!("docs/std/{name} is stale")),
            Err(_) => stale.push(format!("docs/std/{name} is missing")),
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !pages.iter().any(|(page, _)| *page == name) {
            stale.push(format!("docs/std/{name} is no module's page"));
        }
    }
    assert!(
        stale.is_empty(),
        "{}; regenerate the pages with `{regenerate}` and commit them",
        stale.join(", ")
    );
}

//! `mlforge check`: finds the files, asks analysis for their diagnostics, prints them.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{check_files, Db, DiskLoader, LoadError, RootDatabase, SourceFile};

use crate::report::{render_json, render_text, Summary};
use crate::{Format, Outcome};

pub fn run(paths: &[PathBuf], format: Format) -> Outcome {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let files = match collect_files(&paths) {
        Ok(files) => files,
        Err(message) => return Outcome::Failed(message),
    };
    let db = RootDatabase::new(Arc::new(DiskLoader));
    let mut roots: Vec<SourceFile> = Vec::new();
    for path in &files {
        let file = db.file(path);
        if file.text(&db).is_none() {
            return Outcome::Failed(unreadable(&db, file));
        }
        roots.push(file);
    }
    let results = check_files(&db, &roots);
    let summary = Summary::of(&results);
    match format {
        Format::Json => println!("{}", render_json(&db, &results, &summary)),
        Format::Text => print!(
            "{}",
            render_text(&db, &results, &summary, crate::report::use_color())
        ),
    }
    // The process ends here: freeing the database's memos one by one would take a sixth of
    // the run on a large program, and the OS reclaims them at once.
    std::mem::forget(db);
    if summary.errors > 0 {
        Outcome::Problems
    } else {
        Outcome::Clean
    }
}

/// The .mlf files named, and those under the folders named, sorted per folder.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| {
            format!(
                "cannot read `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            )
        })?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, &mut files)
                .map_err(|e| format!("cannot read the folder `{}`: {e}", path.display()))?;
            if files.len() == before {
                return Err(format!(
                    "the folder `{}` holds no .mlf files",
                    path.display()
                ));
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "mlf") {
            files.push(path);
        }
    }
    Ok(())
}

/// A database over the disk with one root file loaded, or why the file cannot be read.
pub fn load_root(path: &Path) -> Result<(RootDatabase, SourceFile), String> {
    let db = RootDatabase::new(Arc::new(DiskLoader));
    let file = db.file(path);
    if file.text(&db).is_none() {
        return Err(unreadable(&db, file));
    }
    Ok((db, file))
}

/// Why a file named on the command line cannot be read.
pub fn unreadable(db: &RootDatabase, file: SourceFile) -> String {
    let why = file.problem(db).clone().unwrap_or(LoadError::NotFound);
    format!(
        "cannot read `{}`: it {}",
        file.path(db).display(),
        why.describe()
    )
}

/// Prints the diagnostics of `file` and its imports to standard error, for commands whose
/// standard output is their product (IR, graphs).
pub fn print_problems(db: &RootDatabase, file: SourceFile) {
    let results = check_files(db, &[file]);
    let summary = Summary::of(&results);
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    eprint!("{}", render_text(db, &results, &summary, color));
}

/// Writes a command's product to `output`, or to standard output.
pub fn emit(text: &str, output: Option<&Path>) -> Outcome {
    match output {
        None => {
            print!("{text}");
            Outcome::Clean
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => Outcome::Clean,
            Err(e) => Outcome::Failed(format!("cannot write `{}`: {e}", path.display())),
        },
    }
}

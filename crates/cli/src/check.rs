//! `mlforge check`: finds the files, asks analysis for their diagnostics, prints them.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{
    check_files, unset_secrets, Db, DiskLoader, LoadError, RootDatabase, SourceFile,
};

use crate::error::{fail, CliError, CliResult};
use crate::report::{render_json, render_text, Summary};
use crate::Format;

pub fn run(paths: &[PathBuf], format: Format) -> CliResult {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let files = collect_files(&paths)?;
    let db = RootDatabase::new(Arc::new(DiskLoader));
    let mut roots: Vec<SourceFile> = Vec::new();
    for path in &files {
        let file = db.file(path);
        if file.text(&db).is_none() {
            fail!("{}", unreadable(&db, file));
        }
        roots.push(file);
    }
    let mut results = check_files(&db, &roots);
    // Secrets are read where the pipeline runs; here is the best guess of that place.
    let is_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    for (file, diagnostics) in &mut results {
        let unset = unset_secrets(&db, *file, &is_set);
        if !unset.is_empty() {
            diagnostics.extend(unset);
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        }
    }
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
        Err(CliError::Problems)
    } else {
        Ok(())
    }
}

/// The .mlf files named, and those under the folders named (`mlforge_project::files`:
/// .gitignore and the project's excludes honoured, links to folders not followed).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    mlforge_project::files::mlf_files(paths, crate::settings::project()?)
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

/// Writes to `output` (or standard output) what `write` produces, as it produces it: the
/// text of a big program is never held whole (holding it costs the command a fifth of its
/// time in fresh memory).
pub fn emit_streamed(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> CliResult {
    use std::io::Write;
    const BUFFER: usize = 1 << 16;
    match output {
        Some(path) => {
            let cannot = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
            let file = std::fs::File::create(path).map_err(cannot)?;
            let mut out = std::io::BufWriter::with_capacity(BUFFER, file);
            write(&mut out).and_then(|()| out.flush()).map_err(cannot)?;
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(BUFFER, std::io::stdout().lock());
            write(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
    }
    Ok(())
}

pub fn emit(text: &str, output: Option<&Path>) -> CliResult {
    match output {
        None => print!("{text}"),
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
    }
    Ok(())
}

//! `mlforge fmt`: rewrites .mlf files in the canonical layout (`mlforge_fmt::format`), or
//! with `--check` lists those that would change. Files are rewritten atomically: the new text
//! goes to a temporary file in the same folder, which then replaces the original.
//!
//! Exit codes: 0 nothing to change (or every file rewritten), 1 with `--check` when a file
//! would change, 2 when a file cannot be read or written, has syntax errors, or fails the
//! formatter's verification (each printed as `PATH:LINE:COLUMN: …`).

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::{parse, select_pipeline};
use mlforge_analysis::{DiskLoader, RootDatabase};

use crate::check::collect_files;
use crate::Outcome;

pub fn run(paths: &[PathBuf], check: bool) -> Outcome {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            return Outcome::Failed(
                "`-` (standard input) cannot be combined with other paths".into(),
            );
        }
        return standard_input(check);
    }
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let files = match collect_files(&paths) {
        Ok(files) => files,
        Err(message) => return Outcome::Failed(message),
    };
    let mut changed = 0;
    let mut failed = 0;
    for path in &files {
        match format_file(path, check) {
            Ok(false) => {}
            Ok(true) => {
                changed += 1;
                let verb = if check {
                    "would reformat"
                } else {
                    "reformatted"
                };
                println!("{verb} {}", path.display());
            }
            Err(message) => {
                failed += 1;
                eprintln!("{message}");
            }
        }
    }
    if failed > 0 {
        return Outcome::Failed(if files.len() == 1 {
            "the file could not be formatted and was left as it is".into()
        } else {
            format!(
                "{failed} of {} files could not be formatted and were left as they are",
                files.len()
            )
        });
    }
    if check && changed > 0 {
        Outcome::Problems
    } else {
        Outcome::Clean
    }
}

/// Formats one file; whether it changes (or would, with `check`).
fn format_file(path: &Path, check: bool) -> Result<bool, String> {
    let text = mlforge_analysis::read_text(path).map_err(|why| {
        format!(
            "{}: cannot format it: it {}",
            path.display(),
            why.describe()
        )
    })?;
    let formatted = mlforge_fmt::format(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    if formatted == text {
        return Ok(false);
    }
    if !check {
        same_ir(path, &text, &formatted)?;
        write_atomically(path, &formatted)
            .map_err(|e| format!("{}: cannot write it: {e}", path.display()))?;
    }
    Ok(true)
}

/// `mlforge fmt -`: standard input to standard output (with `--check`, only the exit code and
/// `would reformat -`).
fn standard_input(check: bool) -> Outcome {
    let mut text = String::new();
    if let Err(e) = io::stdin().read_to_string(&mut text) {
        return Outcome::Failed(format!("cannot read standard input: {e}"));
    }
    match mlforge_fmt::format(&text) {
        Err(e) => {
            eprintln!("-:{e}");
            Outcome::Failed("standard input could not be formatted".into())
        }
        Ok(formatted) if check => {
            if formatted == text {
                Outcome::Clean
            } else {
                println!("would reformat -");
                Outcome::Problems
            }
        }
        Ok(formatted) => {
            let mut out = io::stdout().lock();
            match out
                .write_all(formatted.as_bytes())
                .and_then(|()| out.flush())
            {
                Ok(()) => Outcome::Clean,
                Err(e) => Outcome::Failed(format!("cannot write standard output: {e}")),
            }
        }
    }
}

/// Replaces the file's contents with `text` at once: writes a temporary file beside it (same
/// folder, so the rename never crosses file systems), then renames it over the original. The
/// original's permissions are kept; a symbolic link is followed, not replaced.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    if permissions.readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    for attempt in 0..100 {
        let temporary = dir.join(format!(
            ".{name}.{}-{attempt}.mlforge-fmt.tmp",
            std::process::id()
        ));
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::set_permissions(&temporary, permissions.clone()))
            .and_then(|()| fs::rename(&temporary, &target));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        return written;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free name for a temporary file beside it",
    ))
}

/// The last guard before writing: every pipeline of the file compiles to the same IR
/// (positions aside) before and after formatting. A file that does not compile (it has
/// errors, or imports what is missing) is guarded by the formatter's own tree comparison.
fn same_ir(path: &Path, before: &str, after: &str) -> Result<(), String> {
    let mut db = RootDatabase::new(Arc::new(DiskLoader));
    let compiled = |db: &mut RootDatabase, text: &str| -> Vec<Option<serde_json::Value>> {
        let file = db.set_file_text(path, Some(text.to_string()));
        let names: Vec<String> = parse(&*db, file)
            .file
            .items
            .iter()
            .filter_map(|i| match i {
                mlforge_syntax::ast::Item::Pipeline(p) => Some(p.name.text.to_string()),
                _ => None,
            })
            .collect();
        names
            .into_iter()
            .map(|name| {
                let key = select_pipeline(&*db, file, Some(&name)).ok()?;
                mlforge_ir::compile(&*db, key)
                    .ok()
                    .map(|p| mlforge_ir::without_positions(&p))
            })
            .collect()
    };
    let old = compiled(&mut db, before);
    let new = compiled(&mut db, after);
    for (old, new) in old.iter().zip(&new) {
        if let (Some(old), Some(new)) = (old, new) {
            if old != new {
                return Err(format!(
                    "{}: not reformatted: the formatted text would compile to a different pipeline; this is a bug in `mlforge fmt`, please report it with the file",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

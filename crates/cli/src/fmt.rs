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

use mlforge_analysis::DiskLoader;

use crate::check::collect_files;
use crate::error::{fail, CliError, CliResult};

pub fn run(paths: &[PathBuf], check: bool) -> CliResult {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            fail!("`-` (standard input) cannot be combined with other paths");
        }
        return standard_input(check);
    }
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let files = collect_files(&paths)?;
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
        if files.len() == 1 {
            fail!("the file could not be formatted and was left as it is");
        }
        fail!(
            "{failed} of {} files could not be formatted and were left as they are",
            files.len()
        );
    }
    if check && changed > 0 {
        Err(CliError::Problems)
    } else {
        Ok(())
    }
}

/// Formats one file; whether it changes (or would, with `check`).
fn format_file(path: &Path, check: bool) -> Result<bool, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: cannot format it: it is not UTF-8 text", path.display()))?;
    let formatted = mlforge_fmt::format(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    if formatted == text {
        return Ok(false);
    }
    if !check {
        mlforge_fmt::same_ir(Arc::new(DiskLoader), path, &text, &formatted)
            .map_err(|e| format!("{}: not reformatted: {e}", path.display()))?;
        write_atomically(path, &formatted)
            .map_err(|e| format!("{}: cannot write it: {e}", path.display()))?;
    }
    Ok(true)
}

/// `mlforge fmt -`: standard input to standard output (with `--check`, only the exit code and
/// `would reformat -`).
fn standard_input(check: bool) -> CliResult {
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let formatted = mlforge_fmt::format(&text).map_err(|e| {
        eprintln!("-:{e}");
        CliError::Failed("standard input could not be formatted".into())
    })?;
    if check {
        if formatted == text {
            return Ok(());
        }
        println!("would reformat -");
        return Err(CliError::Problems);
    }
    let mut out = io::stdout().lock();
    out.write_all(formatted.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write standard output: {e}"))?;
    Ok(())
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

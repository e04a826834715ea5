//! `mlforge fmt`: rewrites .mlf files in the canonical layout (`mlforge_fmt::format`), or
//! with `--check` lists those that would change, or with `--diff` prints the changes as a
//! unified diff. Files are rewritten atomically: the new text
//! goes to a temporary file in the same folder, which then replaces the original.
//!
//! Exit codes: 0 nothing to change (or every file rewritten), 1 with `--check` or `--diff`
//! when a file would change, 2 when a file cannot be read or written, has syntax errors, or fails the
//! formatter's verification (each printed as `PATH:LINE:COLUMN: …`).

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::DiskLoader;

use crate::check::collect_files;
use crate::error::{fail, CliError, CliResult};

/// What `fmt` does with a file that is not in the canonical layout.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    /// `--check`: name it.
    Check,
    /// `--diff`: print the change.
    Diff,
}

impl Mode {
    pub fn of(check: bool, diff: bool) -> Mode {
        match (check, diff) {
            (_, true) => Mode::Diff,
            (true, false) => Mode::Check,
            (false, false) => Mode::Write,
        }
    }
}

pub fn run(paths: &[PathBuf], mode: Mode) -> CliResult {
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            fail!("`-` (standard input) cannot be combined with other paths");
        }
        return standard_input(mode);
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
        match format_file(path, mode) {
            Ok(false) => {}
            Ok(true) => {
                changed += 1;
                match mode {
                    Mode::Write => println!("reformatted {}", path.display()),
                    Mode::Check => println!("would reformat {}", path.display()),
                    Mode::Diff => {}
                }
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
    if mode != Mode::Write && changed > 0 {
        Err(CliError::Problems)
    } else {
        Ok(())
    }
}

/// Formats one file; whether it changes (or would, unless writing).
fn format_file(path: &Path, mode: Mode) -> Result<bool, String> {
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
    if mode == Mode::Diff {
        print!(
            "{}",
            mlforge_fmt::unified_diff(&diff_name(path), &text, &formatted)
        );
    }
    if mode == Mode::Write {
        mlforge_fmt::same_ir(Arc::new(DiskLoader), path, &text, &formatted)
            .map_err(|e| format!("{}: not reformatted: {e}", path.display()))?;
        write_atomically(path, &formatted)
            .map_err(|e| format!("{}: cannot write it: {e}", path.display()))?;
    }
    Ok(true)
}

/// The path in a diff's header: relative, with `/`, as `git apply` and `patch -p1` expect.
fn diff_name(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// `mlforge fmt -`: standard input to standard output (with `--check`, only the exit code and
/// `would reformat -`; with `--diff`, the diff).
fn standard_input(mode: Mode) -> CliResult {
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let formatted = mlforge_fmt::format(&text).map_err(|e| {
        eprintln!("-:{e}");
        CliError::Failed("standard input could not be formatted".into())
    })?;
    match mode {
        Mode::Write => {}
        _ if formatted == text => return Ok(()),
        Mode::Check => {
            println!("would reformat -");
            return Err(CliError::Problems);
        }
        Mode::Diff => {
            print!("{}", mlforge_fmt::unified_diff("-", &text, &formatted));
            return Err(CliError::Problems);
        }
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

//! `mlforge lsp`: the language server over standard input and output (all the work is in
//! the `mlforge-lsp` crate). VS Code's client adds `--stdio`, which is accepted and ignored:
//! standard input and output are the only transport.

use clap::Args;

use crate::error::{fail, CliError, CliResult};

#[derive(Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the only transport; accepted for editors that
    /// pass it).
    #[arg(long)]
    stdio: bool,
}

/// mimalloc reads this before `main` runs, so the server sets it by starting itself again.
/// Not committing arenas up front lets the memory mimalloc purges leave the resident set:
/// with the 5,000-step program open, about 100 MiB idle instead of 125–134 MiB, at the same
/// speed.
const LAZY_COMMIT: (&str, &str) = ("MIMALLOC_ARENA_EAGER_COMMIT", "0");

/// Serves until the client sends `exit`. Exit code 0 when the client sent `shutdown` first,
/// 1 when it exited (or closed the stream) without it, as LSP asks.
pub fn run(args: &LspArgs) -> CliResult {
    let _ = args.stdio;
    restart_with_lazy_commit();
    match mlforge_lsp::run_stdio() {
        0 => Ok(()),
        1 => Err(CliError::Problems),
        _ => fail!("the language server could not start"),
    }
}

/// Replaces this process with the same command and [`LAZY_COMMIT`] set, unless it is set
/// already (by us or by the user). Standard input and output, and so the client's pipe, are
/// inherited; if the restart fails, the server simply runs as it is.
fn restart_with_lazy_commit() {
    use std::os::unix::process::CommandExt;
    let (name, value) = LAZY_COMMIT;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // `exec` returns only on failure.
    let _ = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(name, value)
        .exec();
}

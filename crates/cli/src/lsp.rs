//! `mlforge lsp`: the language server over standard input and output (all the work is in
//! the `mlforge-lsp` crate). VS Code's client adds `--stdio`, which is accepted and ignored:
//! standard input and output are the only transport.

use clap::Args;

use crate::Outcome;

#[derive(Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the only transport; accepted for editors that
    /// pass it).
    #[arg(long)]
    stdio: bool,
}

/// Serves until the client sends `exit`. Exit code 0 when the client sent `shutdown` first,
/// 1 when it exited (or closed the stream) without it, as LSP asks.
pub fn run(args: &LspArgs) -> Outcome {
    let _ = args.stdio;
    match mlforge_lsp::run_stdio() {
        0 => Outcome::Clean,
        1 => Outcome::Problems,
        _ => Outcome::Failed("the language server could not start".into()),
    }
}

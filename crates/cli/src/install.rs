//! `mlforge completions SHELL` and `mlforge man`: shell completions and manual pages,
//! generated from the same clap definitions as the parser, so they never fall behind.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use clap_complete::Shell as Generator;

use crate::error::CliResult;

#[derive(Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write one page per command (mlforge.1, mlforge-run.1, …) into this folder instead of
    /// printing mlforge(1) on standard output.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> CliResult {
    let generator = match args.shell {
        Shell::Bash => Generator::Bash,
        Shell::Zsh => Generator::Zsh,
        Shell::Fish => Generator::Fish,
    };
    clap_complete::generate(generator, &mut command, "mlforge", &mut std::io::stdout());
    Ok(())
}

pub fn man(args: &ManArgs, command: clap::Command) -> CliResult {
    match &args.dir {
        Some(dir) => write_pages(command, dir).map_err(|e| {
            format!(
                "cannot write the manual pages into `{}`: {e}",
                dir.display()
            )
        })?,
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .map_err(|e| format!("cannot write the manual page: {e}"))?;
            crate::check::emit(&String::from_utf8_lossy(&out), None)?;
        }
    }
    Ok(())
}

fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}

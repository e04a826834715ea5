//! `mlforge completions SHELL` and `mlforge man`: shell completions and manual pages,
//! generated from the same clap definitions as the parser, so they never fall behind.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use clap_complete::Shell as Generator;

use crate::Outcome;

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

pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> Outcome {
    let generator = match args.shell {
        Shell::Bash => Generator::Bash,
        Shell::Zsh => Generator::Zsh,
        Shell::Fish => Generator::Fish,
    };
    clap_complete::generate(generator, &mut command, "mlforge", &mut std::io::stdout());
    Outcome::Clean
}

pub fn man(args: &ManArgs, command: clap::Command) -> Outcome {
    match &args.dir {
        Some(dir) => match write_pages(command, dir) {
            Ok(()) => Outcome::Clean,
            Err(e) => Outcome::Failed(format!(
                "cannot write the manual pages into `{}`: {e}",
                dir.display()
            )),
        },
        None => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(command).render(&mut out) {
                Ok(()) => crate::check::emit(&String::from_utf8_lossy(&out), None),
                Err(e) => Outcome::Failed(format!("cannot write the manual page: {e}")),
            }
        }
    }
}

fn write_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}

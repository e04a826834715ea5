//! `mlforge init [DIR]`: starts a project (`mlforge_project::init`) and says what next.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::CliResult;

#[derive(Args)]
pub struct InitArgs {
    /// The project folder, created if missing (default: the current folder).
    pub dir: Option<PathBuf>,
}

pub fn run(args: &InitArgs) -> CliResult {
    let dir = args.dir.as_deref().unwrap_or(Path::new("."));
    let written = mlforge_project::init::init(dir).map_err(|e| e.to_string())?;
    for path in written {
        println!("created {}", path.display());
    }
    let cd = match &args.dir {
        Some(dir) => format!("cd {} && ", dir.display()),
        None => String::new(),
    };
    println!("\nrun the first pipeline with: {cd}mlforge run");
    Ok(())
}

//! `mlforge init [DIR]`: starts a project (`mlforge_project::init`) and says what next.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::Outcome;

#[derive(Args)]
pub struct InitArgs {
    /// The project folder, created if missing (default: the current folder).
    pub dir: Option<PathBuf>,
}

pub fn run(args: &InitArgs) -> Outcome {
    let dir = args.dir.as_deref().unwrap_or(Path::new("."));
    match mlforge_project::init::init(dir) {
        Ok(written) => {
            for path in written {
                println!("created {}", path.display());
            }
            let cd = match &args.dir {
                Some(dir) => format!("cd {} && ", dir.display()),
                None => String::new(),
            };
            println!("\nrun the first pipeline with: {cd}mlforge run");
            Outcome::Clean
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

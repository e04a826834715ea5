//! The current project's settings (`mlforge.toml`, found from the current folder upward),
//! applied where a flag was not given. Flags win, then the environment, then the file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mlforge_project::Project;

/// The project, looked up once per process.
pub fn project() -> Result<Option<&'static Project>, String> {
    static PROJECT: OnceLock<Result<Option<Project>, String>> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            let here = std::env::current_dir()
                .map_err(|e| format!("cannot tell the current folder: {e}"))?;
            Project::discover(&here).map_err(|e| e.to_string())
        })
        .as_ref()
        .map(Option::as_ref)
        .map_err(Clone::clone)
}

/// The `--store` default: the project's store, else `.mlforge` here. A broken settings
/// file falls back too; [`project`] reports it before any command runs.
pub fn default_store() -> PathBuf {
    match project() {
        // Shown in `--help` (and so in manual pages): relative where it can be.
        Ok(Some(project)) => shorter(project.store(mlforge_store::DEFAULT_DIR)),
        _ => PathBuf::from(mlforge_store::DEFAULT_DIR),
    }
}

/// The file `run` and `plan` use: the one named, else the project's `main`.
pub fn pipeline_file(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(file) = given {
        return Ok(file.to_path_buf());
    }
    match project()? {
        Some(project) => project.main().map(shorter).ok_or_else(|| {
            format!(
                "name the .mlf file to use, or set `main = \"FILE.mlf\"` in {}",
                project.root.join(mlforge_project::CONFIG_FILE).display()
            )
        }),
        None => Err(
            "name the .mlf file to use (no mlforge.toml here or above says which; `mlforge init` starts a project)"
                .into(),
        ),
    }
}

/// Steps at once: the flag, else the project's `jobs`.
pub fn jobs(flag: Option<usize>) -> Option<usize> {
    flag.or_else(|| project().ok().flatten().and_then(|p| p.settings.jobs))
}

/// The project's params file, if it names one.
pub fn params_file() -> Option<PathBuf> {
    project()
        .ok()
        .flatten()
        .and_then(Project::params)
        .map(shorter)
}

/// The project's interpreter, if it names one.
pub fn python() -> Option<String> {
    project().ok().flatten().and_then(Project::python)
}

/// A path under the current folder as a relative path (what users typed), else as it is.
fn shorter(path: PathBuf) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or(path)
}

/// The project root of a pipeline file (LANGUAGE.md §6.4): the folder of the nearest
/// `mlforge.toml` above it, else the file's own folder. Python bodies import from it.
pub fn project_root_of(file: &Path) -> PathBuf {
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match Project::discover(folder) {
        Ok(Some(project)) => project.root,
        _ => std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf()),
    }
}

//! `mlforge init [DIR]`: a new project's first files. Nothing is ever overwritten: if any
//! of them exists, nothing is written and the error names what is in the way.

use std::fmt;
use std::path::{Path, PathBuf};

/// Each file `init` writes, relative to the project folder, and its text.
pub const FILES: &[(&str, &str)] = &[
    ("mlforge.toml", include_str!("templates/mlforge.toml")),
    ("main.mlf", include_str!("templates/main.mlf")),
    (".gitignore", include_str!("templates/gitignore")),
    (
        ".vscode/settings.json",
        include_str!("templates/vscode-settings.json"),
    ),
    (
        ".vscode/extensions.json",
        include_str!("templates/vscode-extensions.json"),
    ),
];

#[derive(Debug)]
pub enum InitError {
    /// These files exist already (paths as given, under the folder).
    Exists(Vec<PathBuf>),
    /// The folder path names a file.
    NotAFolder(PathBuf),
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Exists(paths) => {
                let names: Vec<String> =
                    paths.iter().map(|p| format!("`{}`", p.display())).collect();
                write!(
                    f,
                    "{} already {}; `mlforge init` never overwrites a file, so it wrote nothing (move {} away, or start the project in a new folder)",
                    names.join(", "),
                    if paths.len() == 1 { "exists" } else { "exist" },
                    if paths.len() == 1 { "it" } else { "them" },
                )
            }
            InitError::NotAFolder(path) => write!(
                f,
                "`{}` is a file, not a folder; name a new or existing folder",
                path.display()
            ),
            InitError::Io(path, e) => write!(f, "cannot write `{}`: {e}", path.display()),
        }
    }
}

impl std::error::Error for InitError {}

/// Writes the first files into `dir` (created if missing); the paths written.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    if dir.exists() && !dir.is_dir() {
        return Err(InitError::NotAFolder(dir.to_path_buf()));
    }
    // `init` with no folder names its files as they are, not `./mlforge.toml`.
    let here = dir == Path::new(".");
    let targets: Vec<PathBuf> = FILES
        .iter()
        .map(|(name, _)| if here { name.into() } else { dir.join(name) })
        .collect();
    // `symlink_metadata`: a dangling link is in the way too.
    let existing: Vec<PathBuf> = targets
        .iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .cloned()
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    for (path, (_, text)) in targets.iter().zip(FILES) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| InitError::Io(parent.into(), e))?;
        }
        write_new(path, text).map_err(|e| InitError::Io(path.clone(), e))?;
    }
    Ok(targets)
}

/// Creates the file, failing if it appeared since the check above.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Project, Settings};

    #[test]
    fn writes_every_file_into_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("demo");
        let written = init(&project).unwrap();
        assert_eq!(written.len(), FILES.len());
        for (name, text) in FILES {
            assert_eq!(&std::fs::read_to_string(project.join(name)).unwrap(), text);
        }
        let found = Project::discover(&project).unwrap().unwrap();
        assert_eq!(found.main(), Some(project.join("main.mlf")));
        assert_eq!(found.store(".mlforge"), project.join(".mlforge"));
    }

    #[test]
    fn the_settings_template_parses() {
        let settings = Settings::parse(FILES[0].1).unwrap();
        assert_eq!(settings.main.as_deref(), Some(Path::new("main.mlf")));
    }

    #[test]
    fn an_existing_file_stops_everything() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "mine\n").unwrap();
        let error = init(dir.path()).unwrap_err();
        assert!(matches!(&error, InitError::Exists(p) if p == &[dir.path().join(".gitignore")]));
        assert!(error.to_string().contains("never overwrites"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "mine\n"
        );
        assert!(!dir.path().join("mlforge.toml").exists());
        // A second init over a first one refuses too.
        let other = dir.path().join("p");
        init(&other).unwrap();
        assert!(matches!(init(&other), Err(InitError::Exists(p)) if p.len() == FILES.len()));
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(init(&file), Err(InitError::NotAFolder(_))));
    }
}

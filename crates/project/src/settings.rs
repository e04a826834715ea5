//! `mlforge.toml`: where a project's root is, and its settings.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings file's name; its folder is the project's root.
pub const CONFIG_FILE: &str = "mlforge.toml";

/// What `mlforge.toml` may say. Every key is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The `.mlf` file `mlforge run` and `mlforge plan` use when none is named.
    pub main: Option<PathBuf>,
    /// The Python interpreter for `python` bodies.
    pub python: Option<String>,
    /// Steps run at once.
    pub jobs: Option<usize>,
    /// The store folder (lineage database and artifacts).
    pub store: Option<PathBuf>,
    /// The params file (YAML, JSON or TOML) `mlforge run` and `mlforge plan` read when
    /// `--params` is not given.
    pub params: Option<PathBuf>,
    /// Gitignore-style patterns that folder walks skip.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A project: its root folder and its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The folder holding `mlforge.toml` (absolute when found by [`Project::discover`]).
    pub root: PathBuf,
    pub settings: Settings,
}

/// Why `mlforge.toml` could not be used, as a sentence naming the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for SettingsError {}

impl Project {
    /// The project holding `start`: the nearest folder at or above it with an
    /// `mlforge.toml`. `None` outside any project.
    pub fn discover(start: &Path) -> Result<Option<Project>, SettingsError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        for dir in start.ancestors() {
            let path = dir.join(CONFIG_FILE);
            // A folder named mlforge.toml is not a settings file; keep looking above it.
            if path.is_file() {
                return Project::load(&path).map(Some);
            }
        }
        Ok(None)
    }

    /// Reads one settings file; its folder becomes the root.
    pub fn load(path: &Path) -> Result<Project, SettingsError> {
        let error = |message: String| SettingsError {
            path: path.to_path_buf(),
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
        let settings = Settings::parse(&text).map_err(error)?;
        let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Ok(Project { root, settings })
    }

    /// The `main` file, as a path from the current folder's point of view.
    pub fn main(&self) -> Option<PathBuf> {
        self.settings.main.as_ref().map(|m| self.root.join(m))
    }

    /// The interpreter: a path with a `/` is relative to the root; a bare name
    /// (`python3.12`) is looked up on `PATH` as it is.
    pub fn python(&self) -> Option<String> {
        let python = self.settings.python.as_ref()?;
        if python.contains('/') && Path::new(python).is_relative() {
            Some(self.root.join(python).display().to_string())
        } else {
            Some(python.clone())
        }
    }

    /// The params file, relative to the root.
    pub fn params(&self) -> Option<PathBuf> {
        self.settings.params.as_ref().map(|p| self.root.join(p))
    }

    /// The store folder: the setting (relative to the root), else `.mlforge` in the root.
    pub fn store(&self, default_name: &str) -> PathBuf {
        self.root.join(
            self.settings
                .store
                .as_deref()
                .unwrap_or(Path::new(default_name)),
        )
    }
}

impl Settings {
    /// Parses and checks the text of an `mlforge.toml`; the error names the line.
    pub fn parse(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| describe(&e, text))?;
        if settings.jobs == Some(0) {
            return Err("`jobs` must be at least 1".into());
        }
        if settings.python.as_deref().is_some_and(str::is_empty) {
            return Err("`python` is empty; name an interpreter, like \"python3\" or \".venv/bin/python\", or remove the key".into());
        }
        for pattern in &settings.exclude {
            let mut builder = ignore::gitignore::GitignoreBuilder::new("");
            if let Err(e) = builder.add_line(None, pattern) {
                return Err(format!("`exclude` holds a bad pattern `{pattern}`: {e}"));
            }
        }
        Ok(settings)
    }
}

/// toml's message with the line and column where it went wrong, without its drawing.
fn describe(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim_end_matches('.').to_string();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional() {
        assert_eq!(Settings::parse("").unwrap(), Settings::default());
    }

    #[test]
    fn all_keys_parse() {
        let settings = Settings::parse(
            "main = \"main.mlf\"\npython = \".venv/bin/python\"\njobs = 3\nstore = \"runs\"\nparams = \"params.yaml\"\nexclude = [\"scratch/\"]\n",
        )
        .unwrap();
        assert_eq!(settings.main.as_deref(), Some(Path::new("main.mlf")));
        assert_eq!(settings.python.as_deref(), Some(".venv/bin/python"));
        assert_eq!(settings.jobs, Some(3));
        assert_eq!(settings.store.as_deref(), Some(Path::new("runs")));
        assert_eq!(settings.exclude, ["scratch/"]);
        assert_eq!(settings.params.as_deref(), Some(Path::new("params.yaml")));
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let unknown = Settings::parse("jobs = 2\njbos = 3\n").unwrap_err();
        assert!(
            unknown.starts_with("line 2, column 1: unknown field `jbos`"),
            "{unknown}"
        );
        assert!(unknown.contains("`main`, `python`, `jobs`"), "{unknown}");
        let wrong = Settings::parse("jobs = \"four\"\n").unwrap_err();
        assert!(wrong.starts_with("line 1, column 8:"), "{wrong}");
        assert!(Settings::parse("jobs = 0")
            .unwrap_err()
            .contains("at least 1"));
        assert!(Settings::parse("jobs = -1").is_err());
        assert!(Settings::parse("python = \"\"")
            .unwrap_err()
            .contains("empty"));
        assert!(Settings::parse("exclude = \"a\"").is_err());
        assert!(Settings::parse("[run\n").is_err());
    }

    #[test]
    fn paths_are_relative_to_the_root() {
        let project = Project {
            root: PathBuf::from("/p"),
            settings: Settings::parse(
                "main = \"src/main.mlf\"\npython = \".venv/bin/python\"\nstore = \"runs\"\nparams = \"conf/params.toml\"",
            )
            .unwrap(),
        };
        assert_eq!(project.main(), Some(PathBuf::from("/p/src/main.mlf")));
        assert_eq!(project.python().as_deref(), Some("/p/.venv/bin/python"));
        assert_eq!(project.store(".mlforge"), PathBuf::from("/p/runs"));
        assert_eq!(project.params(), Some(PathBuf::from("/p/conf/params.toml")));
        let bare = Project {
            root: PathBuf::from("/p"),
            settings: Settings::parse("python = \"python3.12\"").unwrap(),
        };
        assert_eq!(bare.python().as_deref(), Some("python3.12"));
        assert_eq!(bare.store(".mlforge"), PathBuf::from("/p/.mlforge"));
    }

    #[test]
    fn discovery_walks_upward_and_stops_at_the_nearest_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("outer");
        let inner = root.join("inner");
        let deep = inner.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(Project::discover(&deep).unwrap(), None);
        std::fs::write(root.join(CONFIG_FILE), "jobs = 2").unwrap();
        let found = Project::discover(&deep).unwrap().unwrap();
        assert_eq!(found.root, root);
        assert_eq!(found.settings.jobs, Some(2));
        std::fs::write(inner.join(CONFIG_FILE), "jobs = 5").unwrap();
        assert_eq!(
            Project::discover(&deep).unwrap().unwrap().settings.jobs,
            Some(5)
        );
        std::fs::write(inner.join(CONFIG_FILE), "jobs = 0").unwrap();
        let broken = Project::discover(&deep).unwrap_err();
        assert_eq!(broken.path, inner.join(CONFIG_FILE));
        assert!(broken
            .to_string()
            .contains("mlforge.toml: `jobs` must be at least 1"));
    }

    proptest::proptest! {
        /// Any text gives settings or a message, never a panic.
        #[test]
        fn any_text_is_answered(text in "\\PC{0,200}") {
            let _ = Settings::parse(&text);
        }
    }
}

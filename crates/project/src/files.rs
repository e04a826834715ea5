//! The `.mlf` files under the paths a command is given (`mlforge check`, `mlforge fmt`).
//!
//! A folder is walked like git sees it: what `.gitignore` files (and `.git/info/exclude`)
//! ignore is skipped, even outside a git repository, and so is what the project's
//! `exclude` setting names (gitignore patterns, relative to the project root), hidden
//! entries, `target/` and `node_modules/`. Symbolic links to folders are not followed, so
//! a walk never loops or leaves the tree. A path given explicitly is always used: naming an
//! excluded folder walks it (its contents are still filtered).

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::WalkBuilder;

use crate::Project;

/// The files named and the `.mlf` files under the folders named, each folder's sorted by
/// name. The error is a sentence naming the path.
pub fn mlf_files(paths: &[PathBuf], project: Option<&Project>) -> Result<Vec<PathBuf>, String> {
    let excluded = excludes(project)?;
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| {
            format!(
                "cannot read `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            )
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let before = files.len();
        walk(path, &excluded, &mut files)?;
        if files.len() == before {
            return Err(format!(
                "the folder `{}` holds no .mlf files (outside those .gitignore or mlforge.toml's `exclude` skip)",
                path.display()
            ));
        }
    }
    Ok(files)
}

fn excludes(project: Option<&Project>) -> Result<Gitignore, String> {
    let Some(project) = project else {
        return Ok(Gitignore::empty());
    };
    let mut builder = GitignoreBuilder::new(&project.root);
    for pattern in &project.settings.exclude {
        builder
            .add_line(None, pattern)
            .map_err(|e| format!("mlforge.toml: `exclude` holds a bad pattern `{pattern}`: {e}"))?;
    }
    builder
        .build()
        .map_err(|e| format!("mlforge.toml: `exclude` cannot be used: {e}"))
}

fn walk(dir: &Path, excluded: &Gitignore, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let excluded = excluded.clone();
    let walker = WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .ignore(false)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name();
            if is_dir && (name == "target" || name == "node_modules") {
                return false;
            }
            if excluded.is_empty() {
                return true;
            }
            // The patterns are relative to the project root; the walk's paths may be
            // relative to the current folder.
            match std::path::absolute(entry.path()) {
                Ok(path) if path.starts_with(excluded.path()) => {
                    !excluded.matched(&path, is_dir).is_ignore()
                }
                _ => true,
            }
        })
        .build();
    for entry in walker {
        let entry =
            entry.map_err(|e| format!("cannot read the folder `{}`: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "mlf") {
            continue;
        }
        // A link is used when it leads to a file; links to folders are never followed.
        let is_file = match entry.file_type() {
            Some(t) if t.is_symlink() => path.is_file(),
            Some(t) => t.is_file(),
            None => false,
        };
        if is_file {
            files.push(path.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "pipeline p() {}\n").unwrap();
        }
        dir
    }

    fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    fn project(root: &Path, exclude: &[&str]) -> Project {
        Project {
            root: root.to_path_buf(),
            settings: Settings {
                exclude: exclude.iter().map(|s| s.to_string()).collect(),
                ..Settings::default()
            },
        }
    }

    #[test]
    fn folders_are_walked_sorted_skipping_hidden_and_build_folders() {
        let dir = tree(&[
            "b.mlf",
            "a/z.mlf",
            "a/y.mlf",
            "notes.txt",
            ".hidden/x.mlf",
            "target/t.mlf",
            "web/node_modules/n.mlf",
        ]);
        let files = mlf_files(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(names(dir.path(), &files), ["a/y.mlf", "a/z.mlf", "b.mlf"]);
    }

    #[test]
    fn gitignore_is_honoured_without_a_repository() {
        let dir = tree(&["keep.mlf", "gen/out.mlf", "sub/skip.mlf", "sub/keep.mlf"]);
        std::fs::write(dir.path().join(".gitignore"), "gen/\n").unwrap();
        std::fs::write(dir.path().join("sub/.gitignore"), "skip.mlf\n").unwrap();
        let files = mlf_files(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(names(dir.path(), &files), ["keep.mlf", "sub/keep.mlf"]);
        // A .gitignore above the folder walked counts too.
        let files = mlf_files(&[dir.path().join("sub")], None).unwrap();
        assert_eq!(names(dir.path(), &files), ["sub/keep.mlf"]);
    }

    #[test]
    fn excludes_are_relative_to_the_project_root() {
        let dir = tree(&["a.mlf", "scratch/s.mlf", "x/scratch/t.mlf", "x/gen.mlf"]);
        let project = project(dir.path(), &["/scratch/", "gen.mlf"]);
        let files = mlf_files(&[dir.path().to_path_buf()], Some(&project)).unwrap();
        assert_eq!(names(dir.path(), &files), ["a.mlf", "x/scratch/t.mlf"]);
        // Named explicitly, an excluded folder is walked; a file named is always used.
        let files = mlf_files(
            &[dir.path().join("scratch"), dir.path().join("x/gen.mlf")],
            Some(&project),
        )
        .unwrap();
        assert_eq!(names(dir.path(), &files), ["scratch/s.mlf", "x/gen.mlf"]);
    }

    #[test]
    fn links_to_folders_are_not_followed() {
        let dir = tree(&["real/a.mlf", "other/b.mlf"]);
        std::os::unix::fs::symlink(dir.path().join("other"), dir.path().join("real/link")).unwrap();
        // A loop: following it would never end.
        std::os::unix::fs::symlink(dir.path(), dir.path().join("real/up")).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("other/b.mlf"),
            dir.path().join("real/c.mlf"),
        )
        .unwrap();
        let files = mlf_files(&[dir.path().join("real")], None).unwrap();
        assert_eq!(names(dir.path(), &files), ["real/a.mlf", "real/c.mlf"]);
    }

    #[test]
    fn an_empty_folder_and_a_missing_path_are_errors() {
        let dir = tree(&["only.txt"]);
        let empty = mlf_files(&[dir.path().to_path_buf()], None).unwrap_err();
        assert!(empty.contains("holds no .mlf files"), "{empty}");
        let missing = mlf_files(&[dir.path().join("nope")], None).unwrap_err();
        assert!(missing.starts_with("cannot read `"), "{missing}");
    }
}

//! Files as they are at a git revision, read with `git show REV:PATH` into the database
//! through a loader (no checkout), and files overlaid in memory (what `git diff` hands an
//! external diff driver).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mlforge_analysis::{decode, DiskLoader, FileLoader, LoadError};

/// Runs git in `dir`; its standard output, or why it failed as a sentence.
pub fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git ({e}); install git or compare two files instead"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

/// The repository holding the current folder: its top folder (canonical).
pub fn toplevel() -> Result<PathBuf, String> {
    let out = git(Path::new("."), &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!("`--git` compares with a git revision, but this folder is not in a git repository ({e})")
    })?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim()))
}

/// Fails unless `rev` names a commit.
pub fn check_revision(root: &Path, rev: &str) -> Result<(), String> {
    git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map(drop)
    .map_err(|_| {
        format!(
            "git knows no revision `{rev}`; name a commit, branch or tag (e.g. HEAD, origin/main)"
        )
    })
}

/// Every `.mlf` file at `rev` and at `to` (or in the working tree: tracked, or new and not
/// ignored), as absolute paths, sorted. All of them, not only those that differ: a change
/// to an imported file changes the pipelines of the files that import it.
pub fn mlf_files(root: &Path, rev: &str, to: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let mut names = std::collections::BTreeSet::new();
    let mut add = |out: Vec<u8>| {
        for line in String::from_utf8_lossy(&out).lines() {
            if line.ends_with(".mlf") {
                names.insert(root.join(line));
            }
        }
    };
    add(git(root, &["ls-tree", "-r", "--name-only", rev])?);
    match to {
        Some(to) => add(git(root, &["ls-tree", "-r", "--name-only", to])?),
        None => add(git(
            root,
            &["ls-files", "--cached", "--others", "--exclude-standard"],
        )?),
    }
    Ok(names.into_iter().collect())
}

/// Reads `root/PATH` as it is at `rev`, under the disk's rules for text (size, UTF-8);
/// nothing outside the repository is read.
pub struct GitLoader {
    pub root: PathBuf,
    pub rev: String,
}

impl FileLoader for GitLoader {
    fn load(&self, path: &Path) -> Result<String, LoadError> {
        let outside = || LoadError::OutsideProject {
            root: self.root.clone(),
        };
        let relative = path.strip_prefix(&self.root).map_err(|_| outside())?;
        let relative = relative.to_str().ok_or_else(outside)?;
        let bytes = git(&self.root, &["show", &format!("{}:{relative}", self.rev)])
            .map_err(|_| LoadError::NotFound)?;
        decode(bytes)
    }
}

/// Some files from memory, every other from the disk (under the disk's rules).
pub struct OverlayLoader {
    pub files: HashMap<PathBuf, String>,
}

impl FileLoader for OverlayLoader {
    fn load(&self, path: &Path) -> Result<String, LoadError> {
        match self.files.get(path) {
            Some(text) => Ok(text.clone()),
            None => DiskLoader.load(path),
        }
    }

    fn load_from(&self, path: &Path, from: &Path) -> Result<String, LoadError> {
        match self.files.get(path) {
            Some(text) => Ok(text.clone()),
            None => DiskLoader.load_from(path, from),
        }
    }
}

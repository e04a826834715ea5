//! Reading source files from disk, for the CLI and the language server alike.
//!
//! A path in a program is input like any other: `import "/dev/zero"` must not read without
//! end, a FIFO named `x.mlf` must not hang a check, and `import "/proc/self/environ"` in a
//! pull request must not print a CI's secrets. So a file is read only if it is a regular
//! file (opened without blocking, and checked again once open), of at most
//! [`MAX_FILE_SIZE`] bytes, and UTF-8 text; and a file reached through an import or a body
//! (`python file "…"`) only if it lies inside the project of the file that names it (see
//! [`project_root`]), symbolic links resolved, unless [`ALLOW_ENV`] names its folder.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file read: 16 MiB, a hundred times the largest program we have seen.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// An environment variable holding more folders (separated like `PATH`) that imports and
/// body files may read from, outside the project.
pub const ALLOW_ENV: &str = "MLFORGE_ALLOW_READ";

/// Why a file's text is not available.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoadError {
    NotFound,
    Folder,
    /// A FIFO, a socket or a device.
    NotRegular,
    TooLarge,
    /// Not UTF-8: the line and column (1-based, in bytes) of the first byte that is not.
    NotUtf8 {
        line: usize,
        column: usize,
    },
    /// Reached from a file whose project is `root`, and outside it.
    OutsideProject {
        root: PathBuf,
    },
    /// An import of a file whose name does not end in `.mlf` (decided by analysis, from the
    /// name: such a file is never read, so never quoted in a report).
    NotMlf,
    /// Another reason, as the system says it.
    Unreadable(String),
}

impl LoadError {
    /// What is wrong, as the end of a sentence starting with the file's name or "this file".
    pub fn describe(&self) -> String {
        match self {
            LoadError::NotFound => "does not exist".to_string(),
            LoadError::Folder => "is a folder, not a file".to_string(),
            LoadError::NotRegular => {
                "is not a regular file (it is a FIFO, a socket or a device), so it is not read"
                    .to_string()
            }
            LoadError::TooLarge => format!(
                "is larger than {} MiB, the most mlforge reads from one file",
                MAX_FILE_SIZE >> 20
            ),
            LoadError::NotUtf8 { line, column } => format!(
                "is not UTF-8 text (the byte at line {line}, column {column} is not); save it as UTF-8"
            ),
            LoadError::OutsideProject { root } => format!(
                "is outside the project `{}`, so it is not read; move it into the project, or \
                 allow its folder with {ALLOW_ENV}=FOLDER",
                root.display()
            ),
            LoadError::NotMlf => {
                "is not a .mlf file; only .mlf files can be imported".to_string()
            }
            LoadError::Unreadable(why) => format!("cannot be read: {why}"),
        }
    }
}

/// The text of the file at `path`, under the rules in the module docs (not the project rule).
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    // `stat` first: it neither blocks on a FIFO nor opens a device.
    let meta = std::fs::metadata(path).map_err(io_error)?;
    check_kind(&meta)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Should the file have been replaced by a FIFO since, opening does not wait for a
        // writer; the check below then refuses it.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_error)?;
    check_kind(&file.metadata().map_err(io_error)?)?;
    // Some regular files (under /proc) say they are empty and are not: read at most one
    // byte past the limit, whatever the size said.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    decode(bytes)
}

/// File content as text under the same rules as the disk's (size limit, UTF-8 with the
/// position of the first bad byte), for loaders that get bytes elsewhere (a git revision).
pub fn decode(bytes: Vec<u8>) -> Result<String, LoadError> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        LoadError::NotUtf8 {
            line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
            column: valid.len() - line_start + 1,
        }
    })
}

fn check_kind(meta: &std::fs::Metadata) -> Result<(), LoadError> {
    if meta.is_dir() {
        Err(LoadError::Folder)
    } else if !meta.is_file() {
        Err(LoadError::NotRegular)
    } else if meta.len() > MAX_FILE_SIZE {
        Err(LoadError::TooLarge)
    } else {
        Ok(())
    }
}

fn io_error(e: std::io::Error) -> LoadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound,
        std::io::ErrorKind::IsADirectory => LoadError::Folder,
        _ => LoadError::Unreadable(e.to_string().to_lowercase()),
    }
}

/// The project `path` (a file or a folder) belongs to: the nearest folder at or above it
/// that holds `.git` or `mlforge.toml`, or else the folder of `path` itself. Symbolic links
/// are resolved.
pub fn project_root(path: &Path) -> PathBuf {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let start = if path.is_dir() {
        path.as_path()
    } else {
        path.parent().unwrap_or(Path::new("/"))
    };
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists() || dir.join("mlforge.toml").exists())
        .unwrap_or(start)
        .to_path_buf()
}

/// The text of `path`, which the file `from` names in an import or a body: read only
/// inside `from`'s project or a folder that [`ALLOW_ENV`] lists.
pub fn read_from(path: &Path, from: &Path) -> Result<String, LoadError> {
    let root = project_root(from);
    // A path that does not resolve does not exist (or is a broken link): `read_text` says so.
    if let Ok(real) = path.canonicalize() {
        let allowed = std::env::var_os(ALLOW_ENV)
            .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
            .unwrap_or_default();
        let inside = |dir: &Path| {
            let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            real.starts_with(dir)
        };
        if !inside(&root) && !allowed.iter().any(|d| inside(d)) {
            return Err(LoadError::OutsideProject { root });
        }
    }
    read_text(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("f.mlf");
        std::fs::create_dir(&folder).unwrap();
        assert_eq!(read_text(&folder), Err(LoadError::Folder));
        assert_eq!(
            read_text(&dir.path().join("nope.mlf")),
            Err(LoadError::NotFound)
        );
        assert_eq!(
            read_text(Path::new("/dev/zero")),
            Err(LoadError::NotRegular)
        );
        let big = dir.path().join("big.mlf");
        std::fs::write(&big, vec![b' '; MAX_FILE_SIZE as usize + 1]).unwrap();
        assert_eq!(read_text(&big), Err(LoadError::TooLarge));
        let latin1 = dir.path().join("l.mlf");
        std::fs::write(&latin1, b"// ok\n// caf\xe9\n").unwrap();
        assert_eq!(
            read_text(&latin1),
            Err(LoadError::NotUtf8 { line: 2, column: 7 })
        );
        #[cfg(unix)]
        {
            let fifo = dir.path().join("x.mlf");
            nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
            assert_eq!(read_text(&fifo), Err(LoadError::NotRegular));
        }
    }

    #[test]
    fn imports_stay_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p");
        std::fs::create_dir_all(project.join(".git")).unwrap();
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::write(project.join("shared.mlf"), "").unwrap();
        std::fs::write(dir.path().join("secret.mlf"), "").unwrap();
        let main = project.join("src/main.mlf");
        std::fs::write(&main, "").unwrap();
        assert_eq!(project_root(&main), project.canonicalize().unwrap());
        assert_eq!(
            read_from(&project.join("shared.mlf"), &main),
            Ok(String::new())
        );
        assert!(matches!(
            read_from(&dir.path().join("secret.mlf"), &main),
            Err(LoadError::OutsideProject { .. })
        ));
        assert!(matches!(
            read_from(Path::new("/proc/self/environ"), &main),
            Err(LoadError::OutsideProject { .. })
        ));
        // A link inside the project to a file outside it is outside.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.mlf"), project.join("l.mlf"))
                .unwrap();
            assert!(matches!(
                read_from(&project.join("l.mlf"), &main),
                Err(LoadError::OutsideProject { .. })
            ));
        }
    }
}

//! The salsa database: one input per file, created on first use.
//!
//! Analysis never touches the disk. It asks the database for a file by path; the first
//! time, the database reads it through its [`FileLoader`] and makes an input, and from then
//! on the shell (CLI, language server, tests) keeps that input current: an open editor
//! buffer overrides the disk, a watched-file event refreshes it.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use salsa::Setter;

use crate::previous::PreviousResults;

/// One `.mlf` file, or any other file the language refers to (a body's script).
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: PathBuf,
    /// `None` when the file does not exist or cannot be read.
    #[returns(ref)]
    pub text: Option<Arc<str>>,
}

/// Where the database gets the text of a file it has not seen yet.
pub trait FileLoader: Send + Sync {
    fn load(&self, path: &Path) -> Option<String>;
}

/// Reads files from the local file system.
pub struct DiskLoader;

impl FileLoader for DiskLoader {
    fn load(&self, path: &Path) -> Option<String> {
        let bytes = std::fs::read(path).ok()?;
        Some(
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }
}

/// Files only in memory: for tests and for editors' unsaved buffers.
#[derive(Default)]
pub struct MemoryLoader {
    pub files: HashMap<PathBuf, String>,
}

impl FileLoader for MemoryLoader {
    fn load(&self, path: &Path) -> Option<String> {
        self.files.get(path).cloned()
    }
}

#[salsa::db]
pub trait Db: salsa::Database {
    /// The input for `path` (normalised), loading it on first use.
    fn file(&self, path: &Path) -> SourceFile;

    /// The latest parses and analyses, which the next ones start from.
    fn previous(&self) -> &PreviousResults;
}

/// A hook that sees every salsa event, for tests that check what was recomputed.
pub type EventLog = Arc<Mutex<Vec<String>>>;

#[salsa::db]
#[derive(Clone)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
    files: Arc<Mutex<HashMap<PathBuf, SourceFile>>>,
    loader: Arc<dyn FileLoader>,
    previous: Arc<PreviousResults>,
}

impl RootDatabase {
    pub fn new(loader: Arc<dyn FileLoader>) -> RootDatabase {
        RootDatabase {
            storage: salsa::Storage::new(None),
            files: Arc::default(),
            loader,
            previous: Arc::default(),
        }
    }

    /// A database that records which queries execute, as `"query_name(…)"` lines.
    pub fn with_event_log(loader: Arc<dyn FileLoader>) -> (RootDatabase, EventLog) {
        let log = EventLog::default();
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().unwrap().push(format!("{database_key:?}"));
            }
        })));
        let db = RootDatabase {
            storage,
            files: Arc::default(),
            loader,
            previous: Arc::default(),
        };
        (db, log)
    }

    /// Sets the text of a file (an editor buffer, a refreshed file, or `None` for a
    /// deleted one). Returns the file's input.
    pub fn set_file_text(&mut self, path: &Path, text: Option<String>) -> SourceFile {
        let path = normalize(path);
        let existing = self.files.lock().unwrap().get(&path).copied();
        match existing {
            Some(file) => {
                let text: Option<Arc<str>> = text.map(Arc::from);
                if file.text(self) != &text {
                    file.set_text(self).to(text);
                }
                file
            }
            None => {
                let file = SourceFile::new(self, path.clone(), text.map(Arc::from));
                self.files.lock().unwrap().insert(path, file);
                file
            }
        }
    }

    /// Re-reads a file through the loader, as after a watched-file event.
    pub fn reload(&mut self, path: &Path) -> SourceFile {
        let text = self.loader.load(&normalize(path));
        self.set_file_text(path, text)
    }

    /// Every file the database has seen.
    pub fn known_files(&self) -> Vec<SourceFile> {
        self.files.lock().unwrap().values().copied().collect()
    }
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

#[salsa::db]
impl Db for RootDatabase {
    fn previous(&self) -> &PreviousResults {
        &self.previous
    }

    fn file(&self, path: &Path) -> SourceFile {
        let path = normalize(path);
        if let Some(file) = self.files.lock().unwrap().get(&path) {
            return *file;
        }
        let text = self.loader.load(&path).map(Arc::from);
        let mut files = self.files.lock().unwrap();
        // Another thread may have loaded it while we read.
        *files
            .entry(path.clone())
            .or_insert_with(|| SourceFile::new(self, path, text))
    }
}

/// Removes `.` and resolves `..` lexically, so that one file has one input however an
/// import spells its path. Symbolic links are not followed: that would need the disk.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped =
                    matches!(out.components().next_back(), Some(Component::Normal(_))) && out.pop();
                if !popped {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

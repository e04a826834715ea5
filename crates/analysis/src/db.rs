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

use crate::disk::LoadError;
use crate::previous::PreviousResults;

/// One `.mlf` file, or any other file the language refers to (a body's script).
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: PathBuf,
    /// `None` when the file does not exist or cannot be read.
    #[returns(ref)]
    pub text: Option<Arc<str>>,
    /// Why `text` is `None`.
    #[returns(ref)]
    pub problem: Option<LoadError>,
}

/// Where the database gets the text of a file it has not seen yet.
pub trait FileLoader: Send + Sync {
    fn load(&self, path: &Path) -> Result<String, LoadError>;

    /// The text of `path`, which the file `from` imports or runs as a body: the disk refuses
    /// what lies outside `from`'s project (see `disk.rs`).
    fn load_from(&self, path: &Path, _from: &Path) -> Result<String, LoadError> {
        self.load(path)
    }
}

/// Reads files from the local file system, under the rules of `disk.rs`.
pub struct DiskLoader;

impl FileLoader for DiskLoader {
    fn load(&self, path: &Path) -> Result<String, LoadError> {
        crate::disk::read_text(path)
    }

    fn load_from(&self, path: &Path, from: &Path) -> Result<String, LoadError> {
        crate::disk::read_from(path, from)
    }
}

/// Files only in memory: for tests and for editors' unsaved buffers.
#[derive(Default)]
pub struct MemoryLoader {
    pub files: HashMap<PathBuf, String>,
}

impl FileLoader for MemoryLoader {
    fn load(&self, path: &Path) -> Result<String, LoadError> {
        self.files.get(path).cloned().ok_or(LoadError::NotFound)
    }
}

#[salsa::db]
pub trait Db: salsa::Database {
    /// The input for `path` (normalised), loading it on first use.
    fn file(&self, path: &Path) -> SourceFile;

    /// The input for `path`, which the file at `from` imports or names as a body file,
    /// loaded on first use under the loader's rules for such files.
    fn file_from(&self, path: &Path, from: &Path) -> SourceFile;

    /// The latest parses and analyses, which the next ones start from.
    fn previous(&self) -> &PreviousResults;

    /// The input of the standard library's module `name` (`"io"`, as in `import "std/io"`),
    /// made on first use from the text mlforge embeds (`mlforge_stdlib`), at the virtual
    /// path `mlforge_stdlib::path(name)`; never read from disk. `None`: no such module.
    fn std_file(&self, name: &str) -> Option<SourceFile>;

    /// Whether `file` is a module of the standard library (made by [`Db::std_file`]), as
    /// opposed to a file that came through the loader, whatever its path.
    fn is_std(&self, file: SourceFile) -> bool;
}

/// Whether `file` is a module of the standard library: its diagnostics are never reported
/// (they are mlforge's, tested when it is built), and editors show it read-only.
pub fn is_std_file(db: &dyn Db, file: SourceFile) -> bool {
    db.is_std(file)
}

/// The standard library module `file` is, if it is one.
pub fn std_module(db: &dyn Db, file: SourceFile) -> Option<&'static mlforge_stdlib::Module> {
    if db.is_std(file) {
        mlforge_stdlib::module_at(file.path(db))
    } else {
        None
    }
}

/// A hook that sees every salsa event, for tests that check what was recomputed.
pub type EventLog = Arc<Mutex<Vec<String>>>;

#[salsa::db]
#[derive(Clone)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
    files: Arc<Mutex<HashMap<PathBuf, SourceFile>>>,
    /// For files first loaded as imports or bodies: who named them, so that a reload
    /// applies the same rules.
    named_by: Arc<Mutex<HashMap<PathBuf, PathBuf>>>,
    loader: Arc<dyn FileLoader>,
    previous: Arc<PreviousResults>,
    /// The standard library's modules, by name, once used. Kept apart from `files`: a
    /// user's own `std/io.mlf` on disk is another file with the same path.
    std_files: Arc<Mutex<HashMap<&'static str, SourceFile>>>,
}

impl RootDatabase {
    pub fn new(loader: Arc<dyn FileLoader>) -> RootDatabase {
        RootDatabase {
            storage: salsa::Storage::new(None),
            files: Arc::default(),
            named_by: Arc::default(),
            loader,
            previous: Arc::default(),
            std_files: Arc::default(),
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
            named_by: Arc::default(),
            loader,
            previous: Arc::default(),
            std_files: Arc::default(),
        };
        (db, log)
    }

    /// Sets the text of a file (an editor buffer, a refreshed file, or `None` for a
    /// deleted one). Returns the file's input.
    pub fn set_file_text(&mut self, path: &Path, text: Option<String>) -> SourceFile {
        let loaded = text.ok_or(LoadError::NotFound);
        self.set_loaded(path, loaded)
    }

    fn set_loaded(&mut self, path: &Path, loaded: Result<String, LoadError>) -> SourceFile {
        let path = normalize(path);
        let (text, problem) = split(loaded);
        let existing = self.files.lock().unwrap().get(&path).copied();
        match existing {
            Some(file) => {
                if file.text(self) != &text {
                    file.set_text(self).to(text);
                }
                if file.problem(self) != &problem {
                    file.set_problem(self).to(problem);
                }
                file
            }
            None => {
                let file = SourceFile::new(self, path.clone(), text, problem);
                self.files.lock().unwrap().insert(path, file);
                file
            }
        }
    }

    /// Re-reads a file through the loader, as after a watched-file event.
    pub fn reload(&mut self, path: &Path) -> SourceFile {
        let path = normalize(path);
        let named_by = self.named_by.lock().unwrap().get(&path).cloned();
        let loaded = match named_by {
            Some(from) => self.loader.load_from(&path, &from),
            None => self.loader.load(&path),
        };
        self.set_loaded(&path, loaded)
    }

    /// Replaces the text of the standard library's module `name` in this database, as a
    /// newer mlforge would ship it: for tests of what a change of the library re-checks and
    /// re-runs. `None` when there is no such module.
    pub fn set_std_text(&mut self, name: &str, text: &str) -> Option<SourceFile> {
        let file = self.std_file(name)?;
        file.set_text(self).to(Some(Arc::from(text)));
        Some(file)
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

    fn std_file(&self, name: &str) -> Option<SourceFile> {
        let module = mlforge_stdlib::module(name)?;
        let mut std_files = self.std_files.lock().unwrap();
        Some(*std_files.entry(module.name).or_insert_with(|| {
            SourceFile::new(
                self,
                mlforge_stdlib::path(module.name),
                Some(Arc::from(module.source)),
                None,
            )
        }))
    }

    fn is_std(&self, file: SourceFile) -> bool {
        self.std_files.lock().unwrap().values().any(|&f| f == file)
    }

    fn file(&self, path: &Path) -> SourceFile {
        self.load_once(path, |loader, path| loader.load(path))
    }

    fn file_from(&self, path: &Path, from: &Path) -> SourceFile {
        self.load_once(path, |loader, path| {
            self.named_by
                .lock()
                .unwrap()
                .entry(path.to_path_buf())
                .or_insert_with(|| from.to_path_buf());
            loader.load_from(path, from)
        })
    }
}

impl RootDatabase {
    /// The input for `path`, made on first use from what `load` gives.
    fn load_once(
        &self,
        path: &Path,
        load: impl FnOnce(&dyn FileLoader, &Path) -> Result<String, LoadError>,
    ) -> SourceFile {
        let path = normalize(path);
        if let Some(file) = self.files.lock().unwrap().get(&path) {
            return *file;
        }
        let (text, problem) = split(load(&*self.loader, &path));
        let mut files = self.files.lock().unwrap();
        // Another thread may have loaded it while we read.
        *files
            .entry(path.clone())
            .or_insert_with(|| SourceFile::new(self, path, text, problem))
    }
}

fn split(loaded: Result<String, LoadError>) -> (Option<Arc<str>>, Option<LoadError>) {
    match loaded {
        Ok(text) => (Some(Arc::from(text)), None),
        Err(problem) => (None, Some(problem)),
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

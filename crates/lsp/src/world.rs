//! The server's state: the salsa database, the open documents (ropes), and snapshots of both.
//!
//! One mutex guards the database and the documents together, so that a snapshot always
//! pairs a database revision with the ropes of exactly that revision's texts. Writes (an
//! open, an edit, a close, a watched-file event) take the lock, change the rope and set the
//! file's text in salsa at once; salsa then cancels every running snapshot and waits for
//! them to unwind (they do within a query).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{db::normalize, Db, RootDatabase, SourceFile};
use ropey::Rope;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::config::Config;
use crate::position::{self, Encoding};
use crate::std_source;

/// An open document.
#[derive(Clone)]
pub struct Document {
    pub uri: Uri,
    /// The path the database knows the document by (a made-up one for `untitled:` URIs).
    pub path: PathBuf,
    pub file: SourceFile,
    pub rope: Rope,
    pub version: i32,
}

/// The open documents, by URI and by path.
#[derive(Clone, Default)]
pub struct Documents {
    by_uri: HashMap<Uri, Document>,
    by_path: HashMap<PathBuf, Uri>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.by_uri.get(uri)
    }

    pub fn by_path(&self, path: &Path) -> Option<&Document> {
        self.by_path.get(path).and_then(|uri| self.by_uri.get(uri))
    }

    pub fn by_file(&self, file: SourceFile, db: &dyn Db) -> Option<&Document> {
        self.by_path(file.path(db))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.by_uri.values()
    }
}

/// What the database and the documents hold, behind the server's lock.
pub struct World {
    pub db: RootDatabase,
    pub docs: Arc<Documents>,
    /// `.mlf` files of the workspace folders (found at start, kept current by watched-file
    /// events): what references, rename and workspace symbols search beyond open files.
    pub workspace_files: Arc<Vec<PathBuf>>,
    /// Counts changes to any text: results computed at the same generation are current.
    pub generation: u64,
}

/// A consistent view for one request: a database clone (salsa snapshot) and the ropes of the
/// open documents at that revision.
pub struct Snapshot {
    pub db: RootDatabase,
    pub docs: Arc<Documents>,
    pub workspace_files: Arc<Vec<PathBuf>>,
    pub config: Arc<Config>,
    pub generation: u64,
}

/// The database path for a URI: the file path for `file:` URIs, a made-up absolute path
/// under `/<scheme>/` otherwise (so that relative imports of an unsaved buffer resolve
/// nowhere instead of somewhere surprising). A std module's `mlforge-std:` URI is not
/// looked up by path: its input is `Db::std_file` (see [`Snapshot::document`]).
pub fn uri_to_path(uri: &Uri) -> PathBuf {
    if let Some(path) = uri.to_file_path() {
        return normalize(&path);
    }
    let text = uri.as_str();
    let (scheme, rest) = text.split_once(':').unwrap_or(("other", text));
    let rest: String = rest
        .chars()
        .map(|c| {
            if c == '/' || c.is_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    normalize(
        &Path::new("/")
            .join(scheme)
            .join(rest.trim_start_matches('/')),
    )
}

impl World {
    pub fn new(db: RootDatabase) -> World {
        World {
            db,
            docs: Arc::default(),
            workspace_files: Arc::default(),
            generation: 0,
        }
    }

    pub fn snapshot(&self, config: Arc<Config>) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            docs: self.docs.clone(),
            workspace_files: self.workspace_files.clone(),
            config,
            generation: self.generation,
        }
    }

    /// Opens (or re-opens) a document: its text overrides the file on disk. A std module's
    /// document (`mlforge-std:`) keeps the library's text whatever the client sends, and
    /// changes nothing in the database; `None` for a std URI that names no module.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> Option<&Document> {
        if std_source::is_std(&uri) {
            return self.open_std(uri, version);
        }
        self.generation += 1;
        let path = uri_to_path(&uri);
        let rope = Rope::from_str(&text);
        let file = self.db.set_file_text(&path, Some(text));
        Some(self.insert_document(uri, path, file, rope, version))
    }

    fn open_std(&mut self, uri: Uri, version: i32) -> Option<&Document> {
        let module = std_source::module_of(&uri)?;
        let file = self.db.std_file(module.name)?;
        let path = file.path(&self.db).clone();
        let text = file.text(&self.db).clone().unwrap_or_default();
        Some(self.insert_document(uri, path, file, Rope::from_str(&text), version))
    }

    fn insert_document(
        &mut self,
        uri: Uri,
        path: PathBuf,
        file: SourceFile,
        rope: Rope,
        version: i32,
    ) -> &Document {
        let docs = Arc::make_mut(&mut self.docs);
        docs.by_path.insert(path.clone(), uri.clone());
        docs.by_uri.insert(
            uri.clone(),
            Document {
                uri: uri.clone(),
                path,
                file,
                rope,
                version,
            },
        );
        &docs.by_uri[&uri]
    }

    /// Applies a client's changes (ranges in `encoding`) in order. Ranges outside the text
    /// are clamped into it. Returns `false` when the document is not open, or is a std
    /// module (read-only: its edits are ignored).
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> bool {
        if std_source::is_std(uri) {
            return false;
        }
        let docs = Arc::make_mut(&mut self.docs);
        let Some(doc) = docs.by_uri.get_mut(uri) else {
            return false;
        };
        self.generation += 1;
        for change in changes {
            match change.range {
                None => doc.rope = Rope::from_str(&change.text),
                Some(range) => {
                    let (start, end) = position::range_clamped(&doc.rope, range, encoding);
                    let start = doc.rope.byte_to_char(start);
                    let end = doc.rope.byte_to_char(end);
                    doc.rope.remove(start..end);
                    doc.rope.insert(start, &change.text);
                }
            }
        }
        doc.version = version;
        let text = doc.rope.to_string();
        let path = doc.path.clone();
        self.db.set_file_text(&path, Some(text));
        true
    }

    /// Closes a document: the file's text is the disk's again (a std module's never changed).
    pub fn close(&mut self, uri: &Uri) -> Option<PathBuf> {
        let docs = Arc::make_mut(&mut self.docs);
        let doc = docs.by_uri.remove(uri)?;
        docs.by_path.remove(&doc.path);
        if std_source::is_std(uri) {
            return Some(doc.path);
        }
        self.generation += 1;
        self.db.reload(&doc.path);
        Some(doc.path)
    }

    /// A file changed on disk: re-read it unless it is open (the buffer wins).
    pub fn file_changed_on_disk(&mut self, path: &Path) {
        let path = normalize(path);
        if self.docs.by_path(&path).is_none() {
            self.generation += 1;
            self.db.reload(&path);
        }
    }

    /// Adds or removes a workspace file after a watched-file event.
    pub fn set_workspace_file(&mut self, path: &Path, exists: bool) {
        let path = normalize(path);
        let files = Arc::make_mut(&mut self.workspace_files);
        match (exists, files.iter().position(|p| *p == path)) {
            (true, None) => files.push(path),
            (false, Some(i)) => {
                files.swap_remove(i);
            }
            _ => {}
        }
    }
}

impl Snapshot {
    /// The document at `uri`: its input and its rope. A document that is not open is read
    /// through the database (from disk); `None` when there is no such file.
    pub fn document(&self, uri: &Uri) -> Option<(SourceFile, Rope)> {
        if let Some(doc) = self.docs.get(uri) {
            return Some((doc.file, doc.rope.clone()));
        }
        let file = match std_source::module_of(uri) {
            Some(module) => self.db.std_file(module.name)?,
            None if std_source::is_std(uri) => return None,
            None => self.db.file(&uri_to_path(uri)),
        };
        let text = file.text(&self.db).as_ref()?;
        Some((file, Rope::from_str(text)))
    }

    /// The rope of any file the database knows: the open buffer's, or one made from the text.
    pub fn rope_of(&self, file: SourceFile) -> Rope {
        match self.docs.by_file(file, &self.db) {
            Some(doc) => doc.rope.clone(),
            None => Rope::from_str(file.text(&self.db).as_deref().unwrap_or("")),
        }
    }

    /// The URI to show for a file: the open document's, else `mlforge-std:/<name>.mlf` for
    /// a std module, else a `file:` URI of its path.
    pub fn uri_of(&self, file: SourceFile) -> Option<Uri> {
        if let Some(doc) = self.docs.by_file(file, &self.db) {
            return Some(doc.uri.clone());
        }
        match mlforge_analysis::std_module(&self.db, file) {
            Some(module) => Some(std_source::uri(module)),
            None => Uri::from_file_path(file.path(&self.db)),
        }
    }

    /// Every file a search across the workspace covers: open documents, the workspace
    /// folders' `.mlf` files, and whatever the database has loaded (imports).
    pub fn workspace(&self) -> Vec<SourceFile> {
        let mut seen = HashSet::new();
        let mut files = Vec::new();
        let mut add = |file: SourceFile| {
            if seen.insert(file) {
                files.push(file);
            }
        };
        for doc in self.docs.iter() {
            add(doc.file);
        }
        for path in self.workspace_files.iter() {
            add(self.db.file(path));
        }
        for file in self.db.known_files() {
            let path = file.path(&self.db);
            if path.extension().is_some_and(|e| e == "mlf") && file.text(&self.db).is_some() {
                add(file);
            }
        }
        files
    }
}

/// The `.mlf` files under `root` (hidden folders, `target` and `node_modules` skipped), at
/// most `limit` of them, looking at no more than 200,000 entries.
pub fn scan_workspace(root: &Path, limit: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    // A workspace opened on a home folder holds much else: stop after this many entries.
    let mut budget = 200_000usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                out.sort();
                return out;
            }
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                out.push(normalize(&path));
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out.sort();
    out
}

//! The content-addressed artifact store.
//!
//! Every artifact lives at `artifacts/<first two hex digits>/<sha256>` and is read-only.
//! A file's address is the sha256 of its bytes; a folder's is the sha256 of a manifest of
//! its sorted relative paths, entry kinds, executable bits and file hashes (see
//! [`hash_tree`]). Objects only ever appear by `rename` of a complete file or folder, so
//! a crash at any moment leaves no half-written object: copies are made under `tmp/`
//! (beside `artifacts/`, on the same file system) and renamed into place when complete.
//!
//! No step ever touches an object: inputs are staged as copies (`fs::copy`, which the
//! kernel turns into a shared-extent clone where the file system can), never hard links,
//! so a step writing to its input changes only its copy. Every object is *sealed* when it
//! is stored: read-only, with a fixed modification time ([`SEAL_MTIME`]). Writing to an
//! object (after a `chmod`, or as root) moves its modification time, so [`ArtifactStore::check`]
//! notices a broken seal with one `stat` per file and only then hashes the bytes: an object
//! whose bytes no longer match its name is reported, never used.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Whether an artifact is one file or a folder tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    File,
    Dir,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::File => "file",
            ArtifactKind::Dir => "dir",
        }
    }

    pub fn parse(text: &str) -> Option<ArtifactKind> {
        match text {
            "file" => Some(ArtifactKind::File),
            "dir" => Some(ArtifactKind::Dir),
            _ => None,
        }
    }
}

/// An object in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// sha256, hex.
    pub hash: String,
    pub kind: ArtifactKind,
    /// Bytes: the file's size, or the sum of a folder's file sizes.
    pub size: u64,
}

/// The objects folder and its temporary folder.
#[derive(Clone, Debug)]
pub struct ArtifactStore {
    objects: PathBuf,
    tmp: PathBuf,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The modification time every stored file and folder is given (2001-09-09): a write to
/// an object moves it, which [`ArtifactStore::check`] sees without reading the bytes.
pub const SEAL_MTIME: Duration = Duration::from_secs(1_000_000_000);

/// What [`ArtifactStore::check`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// The object is there and its bytes hash to its name.
    Sound,
    /// No object by that name (of that kind).
    Missing,
    /// The object's bytes hash to `actual`, not to its name.
    Damaged { actual: String },
}

/// The prefix of a folder manifest, so that no file's bytes can be mistaken for one.
const TREE_MAGIC: &[u8] = b"mlforge-tree-v1\0";

impl ArtifactStore {
    /// Opens (creating if needed) the store under `root`: `root/artifacts` and `root/tmp`.
    /// Temporary entries left by processes that no longer run are removed.
    pub fn open(root: &Path) -> io::Result<ArtifactStore> {
        let store = ArtifactStore {
            objects: root.join("artifacts"),
            tmp: root.join("tmp"),
        };
        fs::create_dir_all(&store.objects)?;
        fs::create_dir_all(&store.tmp)?;
        store.clean_stale_tmp();
        Ok(store)
    }

    /// The store under `root`, without creating or cleaning anything (for read-only use:
    /// a store that does not exist contains nothing).
    pub fn at(root: &Path) -> ArtifactStore {
        ArtifactStore {
            objects: root.join("artifacts"),
            tmp: root.join("tmp"),
        }
    }

    /// The objects folder.
    pub fn objects_dir(&self) -> &Path {
        &self.objects
    }

    /// Where the object with this hash lives (whether or not it exists).
    pub fn path_of(&self, hash: &str) -> PathBuf {
        let prefix = hash.get(..2).unwrap_or("__");
        self.objects.join(prefix).join(hash)
    }

    /// Whether the object exists, as the given kind.
    pub fn contains(&self, hash: &str, kind: ArtifactKind) -> bool {
        match fs::symlink_metadata(self.path_of(hash)) {
            Ok(meta) => match kind {
                ArtifactKind::File => meta.is_file(),
                ArtifactKind::Dir => meta.is_dir(),
            },
            Err(_) => false,
        }
    }

    /// A fresh temporary path (not created) on the store's file system.
    pub fn temp_path(&self) -> PathBuf {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.tmp.join(format!("{}.{n}", std::process::id()))
    }

    /// Moves a step's output into the store: it is hashed where it is and renamed into
    /// place (it must be on the store's file system). Symbolic links are followed and
    /// copied. `path` no longer exists afterwards.
    pub fn ingest(&self, path: &Path, kind: ArtifactKind) -> io::Result<Stored> {
        let meta = fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            let stored = self.import(path, kind)?;
            fs::remove_file(path)?;
            return Ok(stored);
        }
        match kind {
            ArtifactKind::File => {
                if !meta.is_file() {
                    return Err(io::Error::other("is a folder, not a file"));
                }
                // A file with another name elsewhere (a hard link the step made) could be
                // changed through that name after it is stored: store a copy instead.
                if meta.nlink() > 1 {
                    let stored = self.import(path, kind)?;
                    fs::remove_file(path)?;
                    return Ok(stored);
                }
                let (hash, size) = hash_file(path)?;
                let dest = self.path_of(&hash);
                if self.check(&hash, kind)? == Health::Sound {
                    fs::remove_file(path)?;
                } else {
                    let exec = meta.permissions().mode() & 0o111 != 0;
                    seal_file(path, exec)?;
                    self.put(path, &dest, kind)?;
                }
                Ok(Stored { hash, kind, size })
            }
            ArtifactKind::Dir => {
                if !meta.is_dir() {
                    return Err(io::Error::other("is a file, not a folder"));
                }
                let scan = scan_tree(path)?;
                if !scan.plain {
                    let stored = self.import(path, kind)?;
                    force_remove_dir(path)?;
                    return Ok(stored);
                }
                let dest = self.path_of(&scan.hash);
                if self.check(&scan.hash, kind)? == Health::Sound {
                    force_remove_dir(path)?;
                } else {
                    self.put(path, &dest, kind)?;
                }
                Ok(Stored {
                    hash: scan.hash,
                    kind,
                    size: scan.size,
                })
            }
        }
    }

    /// Copies a file or folder into the store (symbolic links followed), leaving the
    /// original untouched: for artifacts given by path at run time.
    pub fn import(&self, path: &Path, kind: ArtifactKind) -> io::Result<Stored> {
        let meta = fs::metadata(path)?;
        // Most imports are of data already stored (the same file, run after run): hash
        // first, copy only when the store lacks it.
        let known = match kind {
            ArtifactKind::File if meta.is_file() => Some(hash_file(path)?),
            ArtifactKind::Dir if meta.is_dir() => Some(hash_tree(path)?),
            _ => None,
        };
        if let Some((hash, size)) = known {
            if self.check(&hash, kind)? == Health::Sound {
                return Ok(Stored { hash, kind, size });
            }
        }
        let tmp = self.temp_path();
        let result = (|| match kind {
            ArtifactKind::File => {
                if !meta.is_file() {
                    return Err(io::Error::other("is a folder, not a file"));
                }
                let (hash, size) = copy_hashing(path, &tmp)?;
                let exec = meta.permissions().mode() & 0o111 != 0;
                seal_file(&tmp, exec)?;
                let dest = self.path_of(&hash);
                if self.check(&hash, kind)? == Health::Sound {
                    fs::remove_file(&tmp)?;
                } else {
                    self.put(&tmp, &dest, kind)?;
                }
                Ok(Stored { hash, kind, size })
            }
            ArtifactKind::Dir => {
                if !meta.is_dir() {
                    return Err(io::Error::other("is a file, not a folder"));
                }
                copy_tree(path, &tmp)?;
                let scan = scan_tree(&tmp)?;
                let dest = self.path_of(&scan.hash);
                if self.check(&scan.hash, kind)? == Health::Sound {
                    force_remove_dir(&tmp)?;
                } else {
                    self.put(&tmp, &dest, kind)?;
                }
                Ok(Stored {
                    hash: scan.hash,
                    kind,
                    size: scan.size,
                })
            }
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp).or_else(|_| force_remove_dir(&tmp));
        }
        result
    }

    /// Puts a read-only copy of an object at `dest` (which must not exist), after checking
    /// the object ([`ArtifactStore::check`]): a missing or damaged object is an error that
    /// names it. A copy, never a hard link: what a step does to its copy cannot reach the
    /// store (`fs::copy` clones extents where the file system can, so this is cheap there).
    pub fn stage(&self, hash: &str, kind: ArtifactKind, dest: &Path) -> io::Result<()> {
        match self.check(hash, kind)? {
            Health::Sound => {}
            Health::Missing => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("stored artifact {hash} is missing from the store"),
                ))
            }
            Health::Damaged { actual } => return Err(self.damaged(hash, &actual)),
        }
        let source = self.path_of(hash);
        match kind {
            ArtifactKind::File => copy_read_only(&source, dest),
            ArtifactKind::Dir => {
                stage_tree(&source, dest)?;
                make_tree_read_only(dest)
            }
        }
    }

    /// Copies an object out of the store to `dest` as the user's own: plain writable
    /// copies (never links to the read-only object, whose mode a `chmod` of a link would
    /// change). Written beside `dest` and renamed into place; an existing `dest` is
    /// replaced only when `replace` is set (else the error is `AlreadyExists`).
    pub fn export(
        &self,
        hash: &str,
        kind: ArtifactKind,
        dest: &Path,
        replace: bool,
    ) -> io::Result<()> {
        let source = self.path_of(hash);
        match self.check(hash, kind)? {
            Health::Sound => {}
            Health::Missing => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("artifact {hash} is not in the store"),
                ))
            }
            // Never hand out bytes that are not what was stored.
            Health::Damaged { actual } => return Err(self.damaged(hash, &actual)),
        }
        if !replace && fs::symlink_metadata(dest).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists", dest.display()),
            ));
        }
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.mlforge-{}-{n}", std::process::id()));
        let copied = match kind {
            ArtifactKind::File => export_file(&source, &tmp),
            ArtifactKind::Dir => export_tree(&source, &tmp),
        };
        let placed = copied.and_then(|()| {
            if kind == ArtifactKind::Dir || fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) {
                // A folder cannot be renamed over; the old one goes first.
                force_remove_dir(dest)?;
            }
            fs::rename(&tmp, dest)
        });
        if placed.is_err() {
            let _ = force_remove_dir(&tmp);
        }
        placed
    }

    /// The error for an object whose bytes do not match its name.
    pub fn damaged(&self, hash: &str, actual: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "stored artifact {hash} is damaged: {} no longer holds the bytes it was \
                 stored with (they hash to {actual}), so it is not used; repairing the \
                 store removes it, and the step that made it runs again",
                self.path_of(hash).display()
            ),
        )
    }

    /// Whether the object is there and sound. Cheap when its seal holds (read-only, and
    /// every file and folder still at [`SEAL_MTIME`]); otherwise its bytes are hashed, and
    /// an object found sound is sealed again (best effort: the store may be read-only).
    pub fn check(&self, hash: &str, kind: ArtifactKind) -> io::Result<Health> {
        let path = self.path_of(hash);
        if !self.contains(hash, kind) {
            return Ok(Health::Missing);
        }
        if sealed(&path)? {
            return Ok(Health::Sound);
        }
        let actual = match kind {
            ArtifactKind::File => hash_file(&path)?.0,
            ArtifactKind::Dir => scan_tree(&path)?.hash,
        };
        if actual != hash {
            return Ok(Health::Damaged { actual });
        }
        let _ = self.reseal(hash, kind);
        Ok(Health::Sound)
    }

    /// Seals a sound object again if its seal was broken; says whether it was.
    pub fn reseal(&self, hash: &str, kind: ArtifactKind) -> io::Result<bool> {
        let path = self.path_of(hash);
        if sealed(&path)? {
            return Ok(false);
        }
        match kind {
            ArtifactKind::File => {
                let exec = fs::metadata(&path)?.permissions().mode() & 0o111 != 0;
                seal_file(&path, exec)?;
            }
            ArtifactKind::Dir => make_tree_read_only(&path)?,
        }
        Ok(true)
    }

    /// Renames a complete, sealed file or folder to its object path, replacing a damaged
    /// object of that name (moved aside first when a folder: a rename cannot replace a
    /// folder that is not empty).
    fn put(&self, from: &Path, dest: &Path, kind: ArtifactKind) -> io::Result<()> {
        fs::create_dir_all(dest.parent().expect("objects have a parent"))?;
        if kind == ArtifactKind::Dir {
            if fs::symlink_metadata(dest).is_ok() {
                let aside = self.temp_path();
                fs::rename(dest, &aside)?;
                force_remove_dir(&aside)?;
            }
            match fs::rename(from, dest) {
                Ok(()) => make_tree_read_only(dest),
                // Another process stored the same folder first.
                Err(_) if dest.is_dir() => force_remove_dir(from),
                Err(e) => Err(e),
            }
        } else {
            if fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) {
                force_remove_dir(dest)?;
            }
            fs::rename(from, dest)
        }
    }

    /// Removes temporary entries whose process has ended (left by a killed run).
    pub fn clean_stale_tmp(&self) {
        let Ok(entries) = fs::read_dir(&self.tmp) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let pid = name.split('.').next().and_then(|p| p.parse::<i32>().ok());
            let alive = pid.is_some_and(process_alive);
            if !alive {
                let path = entry.path();
                let _ = fs::remove_file(&path).or_else(|_| force_remove_dir(&path));
            }
        }
    }
}

/// Whether a process with this id runs (on this machine).
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    if pid as u32 == std::process::id() {
        return true;
    }
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

fn read_only(exec: bool) -> fs::Permissions {
    fs::Permissions::from_mode(if exec { 0o555 } else { 0o444 })
}

fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(digest.len() * 2);
    for b in digest {
        text.push(DIGITS[(b >> 4) as usize] as char);
        text.push(DIGITS[(b & 15) as usize] as char);
    }
    text
}

/// sha256 of a string, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// sha256 (hex) and size of a file's bytes.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex(&hasher.finalize()), size))
}

fn copy_hashing(from: &Path, to: &Path) -> io::Result<(String, u64)> {
    let mut input = fs::File::open(from)?;
    let mut output = fs::File::create(to)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
    }
    output.flush()?;
    Ok((hex(&hasher.finalize()), size))
}

struct TreeScan {
    hash: String,
    size: u64,
    /// Only plain files and folders (no symbolic links or special files).
    plain: bool,
}

/// The hash of a folder tree: sha256 over a magic prefix and, for every entry sorted by
/// relative path (bytes, `/`-separated), `D\0path\0` for a folder or
/// `F\0x|-\0sha256\0path\0` for a file. Symbolic links are followed.
pub fn hash_tree(path: &Path) -> io::Result<(String, u64)> {
    let scan = scan_tree(path)?;
    Ok((scan.hash, scan.size))
}

fn scan_tree(root: &Path) -> io::Result<TreeScan> {
    let mut entries: Vec<(Vec<u8>, PathBuf)> = Vec::new();
    let mut plain = true;
    collect(root, Vec::new(), &mut entries, &mut plain)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut manifest = Vec::with_capacity(TREE_MAGIC.len() + entries.len() * 100);
    manifest.extend_from_slice(TREE_MAGIC);
    let mut size = 0u64;
    for (rel, full) in &entries {
        let meta = fs::metadata(full)?;
        if meta.is_dir() {
            manifest.extend_from_slice(b"D\0");
        } else {
            let (hash, n) = hash_file(full)?;
            size += n;
            let exec = meta.permissions().mode() & 0o111 != 0;
            manifest.extend_from_slice(if exec { b"F\0x\0" } else { b"F\0-\0" });
            manifest.extend_from_slice(hash.as_bytes());
            manifest.push(0);
        }
        manifest.extend_from_slice(rel);
        manifest.push(0);
    }
    Ok(TreeScan {
        hash: sha256_hex(&manifest),
        size,
        plain,
    })
}

fn collect(
    dir: &Path,
    prefix: Vec<u8>,
    out: &mut Vec<(Vec<u8>, PathBuf)>,
    plain: &mut bool,
) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let mut rel = prefix.clone();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(entry.file_name().as_bytes());
        let path = entry.path();
        let file_type = entry.file_type()?;
        let meta = fs::metadata(&path)?;
        // A hard link elsewhere could change the file after it is stored.
        if (!file_type.is_dir() && !file_type.is_file()) || (meta.is_file() && meta.nlink() > 1) {
            *plain = false;
        }
        if meta.is_dir() {
            out.push((rel.clone(), path.clone()));
            collect(&path, rel, out, plain)?;
        } else if meta.is_file() {
            out.push((rel, path));
        } else {
            return Err(io::Error::other(format!(
                "{} is neither a file nor a folder",
                path.display()
            )));
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        let meta = fs::metadata(&source)?;
        if meta.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            fs::copy(&source, &dest)?;
        }
    }
    Ok(())
}

/// A writable copy of a stored file (its executable bit kept).
fn export_file(from: &Path, to: &Path) -> io::Result<()> {
    fs::copy(from, to)?;
    let exec = fs::metadata(from)?.permissions().mode() & 0o111 != 0;
    fs::set_permissions(
        to,
        fs::Permissions::from_mode(if exec { 0o755 } else { 0o644 }),
    )
}

fn export_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            export_tree(&entry.path(), &dest)?;
        } else {
            export_file(&entry.path(), &dest)?;
        }
    }
    fs::set_permissions(to, fs::Permissions::from_mode(0o755))
}

fn stage_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            stage_tree(&source, &dest)?;
        } else {
            copy_read_only(&source, &dest)?;
        }
    }
    Ok(())
}

fn copy_read_only(source: &Path, dest: &Path) -> io::Result<()> {
    fs::copy(source, dest)?;
    let exec = fs::metadata(source)?.permissions().mode() & 0o111 != 0;
    fs::set_permissions(dest, read_only(exec))
}

/// Makes a file read-only and gives it the seal's modification time.
fn seal_file(path: &Path, exec: bool) -> io::Result<()> {
    fs::set_permissions(path, read_only(exec))?;
    set_seal_time(path)
}

fn set_seal_time(path: &Path) -> io::Result<()> {
    let file = fs::File::open(path)?;
    file.set_modified(SystemTime::UNIX_EPOCH + SEAL_MTIME)
}

/// Whether an object's seal holds: no write permission and the seal's modification time on
/// it and (for folders) on everything inside.
fn sealed(path: &Path) -> io::Result<bool> {
    let meta = fs::symlink_metadata(path)?;
    let intact = |meta: &fs::Metadata| {
        meta.permissions().mode() & 0o222 == 0
            && meta.mtime() == SEAL_MTIME.as_secs() as i64
            && meta.mtime_nsec() == 0
    };
    if !intact(&meta) {
        return Ok(false);
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            if !sealed(&entry?.path())? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Makes every file of a tree read-only and every folder 0555, and seals them (each
/// folder after its contents: sealing a file does not move its folder's time).
fn make_tree_read_only(root: &Path) -> io::Result<()> {
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            make_tree_read_only(&path)?;
        } else {
            let exec = entry.metadata()?.permissions().mode() & 0o111 != 0;
            seal_file(&path, exec)?;
        }
    }
    fs::set_permissions(root, fs::Permissions::from_mode(0o555))?;
    set_seal_time(root)
}

/// Removes a folder tree, first making its folders writable (staged inputs and stored
/// folders are read-only).
pub fn force_remove_dir(root: &Path) -> io::Result<()> {
    fn open_up(dir: &Path) {
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    open_up(&entry.path());
                }
            }
        }
    }
    match fs::symlink_metadata(root) {
        Ok(meta) if meta.is_dir() => {
            open_up(root);
            fs::remove_dir_all(root)
        }
        Ok(_) => fs::remove_file(root),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ArtifactStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn files_are_addressed_by_their_sha256_and_deduplicated() {
        let (dir, store) = store();
        let a = dir.path().join("a");
        fs::write(&a, "hello").unwrap();
        let stored = store.ingest(&a, ArtifactKind::File).unwrap();
        assert_eq!(
            stored.hash,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(stored.size, 5);
        assert!(!a.exists());
        assert!(store.contains(&stored.hash, ArtifactKind::File));
        let b = dir.path().join("b");
        fs::write(&b, "hello").unwrap();
        assert_eq!(store.ingest(&b, ArtifactKind::File).unwrap(), stored);
        assert!(!b.exists());
        let c = dir.path().join("c");
        fs::write(&c, "hello").unwrap();
        assert_eq!(store.import(&c, ArtifactKind::File).unwrap(), stored);
        assert!(c.exists(), "import leaves the original");
        assert_eq!(
            store.check(&stored.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
        let mode = fs::metadata(store.path_of(&stored.hash))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o222, 0, "objects are read-only");
    }

    #[test]
    fn exports_are_writable_copies_that_replace_only_when_asked() {
        let (dir, store) = store();
        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("sub")).unwrap();
        fs::write(tree.join("sub/x"), "x").unwrap();
        let folder = store.import(&tree, ArtifactKind::Dir).unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "f").unwrap();
        let file = store.import(&file, ArtifactKind::File).unwrap();

        let out = dir.path().join("out/model");
        store
            .export(&file.hash, ArtifactKind::File, &out, false)
            .unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "f");
        let mode = fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o200, 0o200, "the copy is the user's to change");
        fs::write(&out, "changed").unwrap();
        let object = fs::read_to_string(store.path_of(&file.hash)).unwrap();
        assert_eq!(object, "f", "the store's object is untouched");

        let refused = store.export(&file.hash, ArtifactKind::File, &out, false);
        assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&out).unwrap(), "changed");

        // A folder replaces a file (and a file a folder) when asked.
        store
            .export(&folder.hash, ArtifactKind::Dir, &out, true)
            .unwrap();
        assert_eq!(fs::read_to_string(out.join("sub/x")).unwrap(), "x");
        fs::write(out.join("sub/new"), "mine").unwrap();
        store
            .export(&file.hash, ArtifactKind::File, &out, true)
            .unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "f");
        let left: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary copy is left");
        assert_eq!(
            store.check(&file.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
        assert_eq!(
            store.check(&folder.hash, ArtifactKind::Dir).unwrap(),
            Health::Sound
        );
        let missing = store.export(&"0".repeat(64), ArtifactKind::File, &out, true);
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
        // A damaged object is never handed out.
        let object = store.path_of(&file.hash);
        fs::set_permissions(&object, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&object, "not f").unwrap();
        let damaged = store.export(&file.hash, ArtifactKind::File, &out, true);
        assert_eq!(damaged.unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            fs::read_to_string(&out).unwrap(),
            "f",
            "the earlier copy stays"
        );
    }

    #[test]
    fn folders_hash_by_content_not_by_order_or_location() {
        let (dir, store) = store();
        let make = |name: &str, order: &[&str]| {
            let root = dir.path().join(name);
            fs::create_dir_all(root.join("sub")).unwrap();
            for f in order {
                fs::write(root.join(f), format!("content of {f}")).unwrap();
            }
            root
        };
        let one = make("one", &["x", "sub/y"]);
        let two = make("two", &["sub/y", "x"]);
        assert_eq!(hash_tree(&one).unwrap(), hash_tree(&two).unwrap());
        let stored = store.ingest(&one, ArtifactKind::Dir).unwrap();
        assert!(store.contains(&stored.hash, ArtifactKind::Dir));
        let again = store.import(&two, ArtifactKind::Dir).unwrap();
        assert_eq!(again, stored);
        fs::write(two.join("sub/y"), "changed").unwrap();
        assert_ne!(hash_tree(&two).unwrap().0, stored.hash);
        // Staging makes a read-only copy with the same hash.
        let staged = dir.path().join("staged");
        store
            .stage(&stored.hash, ArtifactKind::Dir, &staged)
            .unwrap();
        assert_eq!(hash_tree(&staged).unwrap().0, stored.hash);
        force_remove_dir(&staged).unwrap();
        assert!(!staged.exists());
        assert_eq!(
            store.check(&stored.hash, ArtifactKind::Dir).unwrap(),
            Health::Sound
        );
    }

    #[test]
    fn an_empty_folder_differs_from_an_empty_file() {
        let (dir, _store) = store();
        let empty_dir = dir.path().join("d");
        fs::create_dir(&empty_dir).unwrap();
        let empty_file = dir.path().join("f");
        fs::write(&empty_file, "").unwrap();
        assert_ne!(
            hash_tree(&empty_dir).unwrap().0,
            hash_file(&empty_file).unwrap().0
        );
    }

    #[test]
    fn symlinked_outputs_are_copied_not_moved() {
        let (dir, store) = store();
        let target = dir.path().join("target");
        fs::write(&target, "data").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let stored = store.ingest(&link, ArtifactKind::File).unwrap();
        assert!(target.exists());
        assert!(fs::symlink_metadata(store.path_of(&stored.hash))
            .unwrap()
            .is_file());
    }

    #[test]
    fn stale_temporaries_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        // A pid that cannot run: beyond the kernel's maximum.
        let stale = dir.path().join("tmp").join("2147483646.0");
        fs::write(&stale, "half").unwrap();
        let mine = store.temp_path();
        fs::write(&mine, "mine").unwrap();
        let _again = ArtifactStore::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(mine.exists());
    }

    /// Writes to a stored file as a step running as root could (mode bits do not stop root).
    fn scribble(path: &Path, text: &str) {
        fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn a_staged_input_is_a_copy_a_step_cannot_reach_the_object_through() {
        let (dir, store) = store();
        let a = dir.path().join("a");
        fs::write(&a, "model").unwrap();
        let stored = store.ingest(&a, ArtifactKind::File).unwrap();
        let staged = dir.path().join("staged");
        store
            .stage(&stored.hash, ArtifactKind::File, &staged)
            .unwrap();
        assert_eq!(
            fs::metadata(store.path_of(&stored.hash)).unwrap().nlink(),
            1
        );
        scribble(&staged, "changed by the step");
        assert_eq!(
            fs::read_to_string(store.path_of(&stored.hash)).unwrap(),
            "model"
        );
        assert_eq!(
            store.check(&stored.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
        // Folders too: every file in the copy is its own.
        let d = dir.path().join("d");
        fs::create_dir_all(d.join("sub")).unwrap();
        fs::write(d.join("sub/w"), "weights").unwrap();
        let tree = store.ingest(&d, ArtifactKind::Dir).unwrap();
        let staged_tree = dir.path().join("staged_tree");
        store
            .stage(&tree.hash, ArtifactKind::Dir, &staged_tree)
            .unwrap();
        fs::set_permissions(staged_tree.join("sub"), fs::Permissions::from_mode(0o755)).unwrap();
        scribble(&staged_tree.join("sub/w"), "changed");
        assert_eq!(
            store.check(&tree.hash, ArtifactKind::Dir).unwrap(),
            Health::Sound
        );
    }

    #[test]
    fn a_damaged_object_is_found_on_use_and_never_staged() {
        let (dir, store) = store();
        let a = dir.path().join("a");
        fs::write(&a, "x").unwrap();
        let stored = store.ingest(&a, ArtifactKind::File).unwrap();
        let path = store.path_of(&stored.hash);
        scribble(&path, "y");
        let Health::Damaged { actual } = store.check(&stored.hash, ArtifactKind::File).unwrap()
        else {
            panic!("the change was not noticed");
        };
        assert_eq!(actual, sha256_hex(b"y"));
        let error = store
            .stage(&stored.hash, ArtifactKind::File, &dir.path().join("s"))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains(&stored.hash), "{error}");
        assert!(!dir.path().join("s").exists());
        // A seal broken with the bytes unchanged costs one hash, then holds again.
        let b = dir.path().join("b");
        fs::write(&b, "kept").unwrap();
        let kept = store.ingest(&b, ArtifactKind::File).unwrap();
        let kept_path = store.path_of(&kept.hash);
        fs::set_permissions(&kept_path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            store.check(&kept.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
        assert!(sealed(&kept_path).unwrap());
    }

    #[test]
    fn a_damaged_folder_is_found_through_any_file_inside() {
        let (dir, store) = store();
        let d = dir.path().join("d");
        fs::create_dir_all(d.join("sub")).unwrap();
        fs::write(d.join("sub/w"), "weights").unwrap();
        let tree = store.ingest(&d, ArtifactKind::Dir).unwrap();
        let inner = store.path_of(&tree.hash).join("sub");
        fs::set_permissions(&inner, fs::Permissions::from_mode(0o755)).unwrap();
        scribble(&inner.join("w"), "other");
        assert!(matches!(
            store.check(&tree.hash, ArtifactKind::Dir).unwrap(),
            Health::Damaged { .. }
        ));
        // Producing the same folder again replaces the damaged object.
        let again = dir.path().join("again");
        fs::create_dir_all(again.join("sub")).unwrap();
        fs::write(again.join("sub/w"), "weights").unwrap();
        assert_eq!(store.ingest(&again, ArtifactKind::Dir).unwrap(), tree);
        assert_eq!(
            store.check(&tree.hash, ArtifactKind::Dir).unwrap(),
            Health::Sound
        );
    }

    #[test]
    fn ingest_and_import_replace_an_object_whose_bytes_do_not_match_its_name() {
        let (dir, store) = store();
        let a = dir.path().join("a");
        fs::write(&a, "good").unwrap();
        let stored = store.ingest(&a, ArtifactKind::File).unwrap();
        let path = store.path_of(&stored.hash);
        scribble(&path, "bad");
        fs::write(&a, "good").unwrap();
        assert_eq!(store.ingest(&a, ArtifactKind::File).unwrap(), stored);
        assert_eq!(fs::read_to_string(&path).unwrap(), "good");
        scribble(&path, "bad again");
        fs::write(&a, "good").unwrap();
        assert_eq!(store.import(&a, ArtifactKind::File).unwrap(), stored);
        assert_eq!(fs::read_to_string(&path).unwrap(), "good");
        assert_eq!(
            store.check(&stored.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
    }

    #[test]
    fn an_output_with_another_name_is_stored_as_a_copy() {
        let (dir, store) = store();
        let out = dir.path().join("out");
        fs::write(&out, "model").unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::hard_link(&out, &elsewhere).unwrap();
        let stored = store.ingest(&out, ArtifactKind::File).unwrap();
        scribble(&elsewhere, "changed later");
        assert_eq!(
            store.check(&stored.hash, ArtifactKind::File).unwrap(),
            Health::Sound
        );
        // The same inside an output folder.
        let d = dir.path().join("d");
        fs::create_dir(&d).unwrap();
        fs::write(d.join("w"), "weights").unwrap();
        let outside = dir.path().join("outside");
        fs::hard_link(d.join("w"), &outside).unwrap();
        let tree = store.ingest(&d, ArtifactKind::Dir).unwrap();
        scribble(&outside, "changed later");
        assert_eq!(
            store.check(&tree.hash, ArtifactKind::Dir).unwrap(),
            Health::Sound
        );
    }
}

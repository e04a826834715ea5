//! Keeping a long-lived store sound and small: `mlforge store verify [--repair]` and
//! `mlforge store gc`.
//!
//! `verify` hashes every object in full (the seal [`ArtifactStore::check`] trusts is not
//! enough for an audit) and names each damaged one by the outputs that recorded it
//! (`3/train.model`). `--repair` moves damaged objects to `damaged/` (kept for a look, out
//! of the store's way): the cache then treats those outputs as missing, so the next run
//! produces them anew. It also seals again the sound objects whose seal was broken.
//!
//! `gc` keeps every object a recorded artifact names: every run's inputs and every
//! attempt's outputs, of finished, failed and running runs alike; nothing a run recorded
//! is ever collected. It removes objects no record names (left by a run killed between
//! storing an output and recording it), and the folders the runner no longer needs: `tmp/`
//! entries of processes that ended, `trash/`, and `work/RUN` folders of runs that are not
//! running (the attempt folders failed steps leave for inspection). It only reports unless
//! asked to delete.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::params;

use crate::artifacts::{force_remove_dir, hash_file, hash_tree, process_alive, ArtifactKind};
use crate::element::Element;
use crate::lineage::Result;
use crate::Store;

/// An object whose bytes do not hash to its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged {
    pub hash: String,
    pub path: PathBuf,
    /// What the bytes hash to now.
    pub actual: String,
    /// The outputs and run inputs that recorded it, as people write them (`3/train.model`,
    /// `run 4, param raw`); empty when no record names it.
    pub recorded_as: Vec<String>,
    /// Where `--repair` moved it.
    pub moved_to: Option<PathBuf>,
}

/// What `verify` found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub objects: usize,
    pub damaged: Vec<Damaged>,
    /// Entries under `artifacts/` that are not objects (not named by a sha256 in its
    /// prefix folder), reported and left alone.
    pub strays: Vec<PathBuf>,
    /// Sound objects sealed again by `--repair`.
    pub resealed: usize,
}

/// Something `gc` removes (or would remove).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Garbage {
    pub path: PathBuf,
    pub bytes: u64,
    pub what: GarbageKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GarbageKind {
    /// An object no recorded artifact names.
    Object,
    /// A copy in progress whose process ended.
    Temporary,
    /// A folder waiting to be deleted.
    Trash,
    /// The attempt folders of a run that is not running.
    WorkFolder,
}

impl GarbageKind {
    pub fn label(self) -> &'static str {
        match self {
            GarbageKind::Object => "unrecorded object",
            GarbageKind::Temporary => "stale temporary",
            GarbageKind::Trash => "trash",
            GarbageKind::WorkFolder => "work folder",
        }
    }
}

fn is_hash(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Objects as (hash, path), and the entries that are not objects.
type Listing = (Vec<(String, PathBuf)>, Vec<PathBuf>);

/// Every object under `artifacts/`, and the entries that are not objects.
fn objects(dir: &Path) -> io::Result<Listing> {
    let (mut found, mut strays) = (Vec::new(), Vec::new());
    let prefixes = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((found, strays)),
        Err(e) => return Err(e),
    };
    for prefix in prefixes {
        let prefix = prefix?;
        let prefix_name = prefix.file_name().to_string_lossy().into_owned();
        if !prefix.file_type()?.is_dir() {
            strays.push(prefix.path());
            continue;
        }
        for object in fs::read_dir(prefix.path())? {
            let object = object?;
            let name = object.file_name().to_string_lossy().into_owned();
            if is_hash(&name) && name.starts_with(&prefix_name) {
                found.push((name, object.path()));
            } else {
                strays.push(object.path());
            }
        }
    }
    found.sort();
    strays.sort();
    Ok((found, strays))
}

/// Bytes under a path (not following links).
fn size_of(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

impl Store {
    /// Hashes every object; with `repair`, moves damaged ones to `damaged/` and seals
    /// again sound ones whose seal was broken.
    pub fn verify(&self, repair: bool) -> Result<Verification> {
        let (found, strays) = objects(self.artifacts.objects_dir())?;
        let mut report = Verification {
            objects: found.len(),
            strays,
            ..Verification::default()
        };
        for (hash, path) in found {
            let meta = fs::symlink_metadata(&path)?;
            let kind = if meta.is_dir() {
                ArtifactKind::Dir
            } else {
                ArtifactKind::File
            };
            let actual = match kind {
                ArtifactKind::Dir => hash_tree(&path)?.0,
                ArtifactKind::File if meta.is_file() => hash_file(&path)?.0,
                ArtifactKind::File => "(not a file or folder)".to_string(),
            };
            if actual == hash {
                if repair && self.artifacts.reseal(&hash, kind)? {
                    report.resealed += 1;
                }
                continue;
            }
            let moved_to = if repair {
                let dest = self.root().join("damaged").join(&hash);
                fs::create_dir_all(self.root().join("damaged"))?;
                if fs::symlink_metadata(&dest).is_ok() {
                    force_remove_dir(&dest)?;
                }
                fs::rename(&path, &dest)?;
                Some(dest)
            } else {
                None
            };
            report.damaged.push(Damaged {
                recorded_as: self.recorded_as(&hash)?,
                hash,
                path,
                actual,
                moved_to,
            });
        }
        Ok(report)
    }

    /// The outputs and run inputs that recorded an artifact, as people write them.
    pub fn recorded_as(&self, hash: &str) -> Result<Vec<String>> {
        let conn = self.lineage.connection();
        let mut names = Vec::new();
        let mut outputs = conn.prepare_cached(
            "SELECT a.run_id, a.step, a.element, o.name FROM outputs o \
             JOIN attempts a ON a.id = o.attempt_id WHERE o.artifact_hash = ?1 \
             ORDER BY a.run_id, a.id",
        )?;
        let rows = outputs.query_map(params![hash], |row| {
            let (run, step, element, output): (i64, String, Element, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            Ok(format!("{run}/{}.{output}", element.instance_name(&step)))
        })?;
        for row in rows {
            names.push(row?);
        }
        let mut inputs = conn.prepare_cached(
            "SELECT run_id, param FROM run_inputs WHERE artifact_hash = ?1 ORDER BY run_id",
        )?;
        let rows = inputs.query_map(params![hash], |row| {
            let (run, param): (i64, String) = (row.get(0)?, row.get(1)?);
            Ok(format!("run {run}, param {param}"))
        })?;
        for row in rows {
            names.push(row?);
        }
        names.dedup();
        Ok(names)
    }

    /// What the store holds that nothing needs (see the module's notes); with `delete`,
    /// removes it.
    pub fn gc(&self, delete: bool) -> Result<Vec<Garbage>> {
        let mut garbage = Vec::new();
        let recorded: std::collections::HashSet<String> = {
            let mut stmt = self
                .lineage
                .connection()
                .prepare("SELECT hash FROM artifacts")?;
            let rows = stmt.query_map([], |row| row.get(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let (found, _strays) = objects(self.artifacts.objects_dir())?;
        for (hash, path) in found {
            if !recorded.contains(&hash) {
                garbage.push(Garbage {
                    bytes: size_of(&path),
                    path,
                    what: GarbageKind::Object,
                });
            }
        }
        let entries = |dir: PathBuf| -> Vec<(String, PathBuf)> {
            let mut list: Vec<(String, PathBuf)> = fs::read_dir(dir)
                .map(|e| {
                    e.flatten()
                        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                        .collect()
                })
                .unwrap_or_default();
            list.sort();
            list
        };
        let ended = |name: &str| {
            !name
                .split('.')
                .next()
                .and_then(|p| p.parse::<i32>().ok())
                .is_some_and(process_alive)
        };
        for (name, path) in entries(self.root().join("tmp")) {
            if ended(&name) {
                garbage.push(Garbage {
                    bytes: size_of(&path),
                    path,
                    what: GarbageKind::Temporary,
                });
            }
        }
        for (name, path) in entries(self.root().join("trash")) {
            if ended(&name) {
                garbage.push(Garbage {
                    bytes: size_of(&path),
                    path,
                    what: GarbageKind::Trash,
                });
            }
        }
        for (name, path) in entries(self.work_dir()) {
            let running = match name.parse::<i64>() {
                Ok(run) => self.run_is_running(run)?,
                // Not a run's folder: not ours to judge.
                Err(_) => true,
            };
            if !running {
                garbage.push(Garbage {
                    bytes: size_of(&path),
                    path,
                    what: GarbageKind::WorkFolder,
                });
            }
        }
        if delete {
            for item in &garbage {
                force_remove_dir(&item.path)?;
            }
        }
        Ok(garbage)
    }

    /// Whether a run may still be running: no end recorded, and its process alive (or on
    /// another machine, where this one cannot tell).
    pub fn run_is_running(&self, run: i64) -> Result<bool> {
        let Some(record) = self.lineage.run(run)? else {
            return Ok(false);
        };
        if record.ended_ms.is_some() {
            return Ok(false);
        }
        let here = crate::lineage::host_name();
        let same_host = record.host.is_none() || record.host == here;
        Ok(!same_host || record.pid.is_some_and(|pid| process_alive(pid as i32)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::{now_ms, NewArtifact, NewAttempt, NewRun};
    use crate::RunStatus;
    use std::os::unix::fs::PermissionsExt;

    /// A store with one finished run whose step `train` wrote `model` (returned: its hash).
    fn recorded(dir: &Path) -> (Store, String) {
        let mut store = Store::open(dir).unwrap();
        let out = dir.join("out");
        fs::write(&out, "weights").unwrap();
        let stored = store.artifacts.ingest(&out, ArtifactKind::File).unwrap();
        let params = serde_json::json!({});
        store
            .lineage
            .write(|w| {
                let run = w.begin_run(&NewRun {
                    uuid: "u",
                    pipeline: "p",
                    file: "p.mlf",
                    file_hash: "fh",
                    program_hash: "ph",
                    program_json: "{}",
                    params: &params,
                    options: &params,
                    resumed_from: None,
                    started_ms: now_ms(),
                    user: None,
                    host: None,
                    pid: None,
                    git_commit: None,
                })?;
                let attempt = w.start_attempt(&NewAttempt {
                    run_id: run,
                    step: "train",
                    element: &Element::NONE,
                    attempt: 1,
                    op: "fit",
                    started_ms: now_ms(),
                    key: None,
                    cached_from: None,
                    log_path: None,
                })?;
                w.add_artifact(&NewArtifact {
                    hash: &stored.hash,
                    kind: ArtifactKind::File,
                    size: stored.size,
                    type_name: "Model",
                    name: Some("model"),
                    produced_by: Some(attempt),
                })?;
                w.add_output(
                    attempt,
                    "model",
                    &serde_json::json!({"artifact": stored.hash}),
                    Some(&stored.hash),
                )?;
                w.end_run(run, RunStatus::Succeeded, None)
            })
            .unwrap();
        (store, stored.hash)
    }

    #[test]
    fn verify_names_a_damaged_object_by_its_outputs_and_repair_moves_it_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hash) = recorded(dir.path());
        let report = store.verify(false).unwrap();
        assert_eq!((report.objects, report.damaged.len()), (1, 0));
        let path = store.artifacts.path_of(&hash);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&path, "poisoned").unwrap();
        let report = store.verify(false).unwrap();
        assert_eq!(report.damaged.len(), 1);
        assert_eq!(report.damaged[0].recorded_as, vec!["1/train.model"]);
        assert!(path.exists(), "verify alone changes nothing");
        let repaired = store.verify(true).unwrap();
        let moved = repaired.damaged[0].moved_to.clone().unwrap();
        assert_eq!(fs::read_to_string(moved).unwrap(), "poisoned");
        assert!(!path.exists());
        assert_eq!(
            store.artifacts.check(&hash, ArtifactKind::File).unwrap(),
            crate::Health::Missing
        );
        assert!(store.verify(false).unwrap().damaged.is_empty());
    }

    #[test]
    fn repair_seals_again_a_sound_object_whose_seal_was_broken() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hash) = recorded(dir.path());
        let path = store.artifacts.path_of(&hash);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.verify(true).unwrap().resealed, 1);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o222, 0);
        assert_eq!(store.verify(true).unwrap().resealed, 0);
    }

    #[test]
    fn gc_keeps_what_runs_recorded_and_deletes_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let (store, hash) = recorded(dir.path());
        let stray = dir.path().join("stray");
        fs::write(&stray, "never recorded").unwrap();
        let unrecorded = store.artifacts.ingest(&stray, ArtifactKind::File).unwrap();
        // A finished run's leftover attempt folder, and one of a folder not named by a run.
        fs::create_dir_all(store.work_dir().join("1").join("train.a1")).unwrap();
        fs::create_dir_all(store.work_dir().join("notes")).unwrap();
        let found = store.gc(false).unwrap();
        let kinds: Vec<_> = found.iter().map(|g| g.what).collect();
        assert_eq!(kinds, vec![GarbageKind::Object, GarbageKind::WorkFolder]);
        assert_eq!(found[0].path, store.artifacts.path_of(&unrecorded.hash));
        assert!(
            store.artifacts.path_of(&unrecorded.hash).exists(),
            "a dry run"
        );
        store.gc(true).unwrap();
        assert!(!store.artifacts.path_of(&unrecorded.hash).exists());
        assert!(store.artifacts.path_of(&hash).exists());
        assert!(!store.work_dir().join("1").exists());
        assert!(store.work_dir().join("notes").exists());
        assert!(store.gc(false).unwrap().is_empty());
    }
}

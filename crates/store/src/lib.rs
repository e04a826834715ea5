//! MLForge's stores: the lineage database ([`Lineage`], SQLite) and the content-addressed
//! artifact store ([`ArtifactStore`]), together under one folder (`.mlforge/` by default):
//!
//! ```text
//! .mlforge/
//!   lineage.db          runs, attempts, artifacts, edges, metrics (insert-only)
//!   artifacts/ab/ab…    read-only objects, named by sha256
//!   tmp/                copies in progress (renamed into artifacts/ when complete)
//!   work/               one folder per step attempt
//!   logs/               one log per step attempt
//!   trash/              folders being deleted in the background
//!   damaged/            objects `store verify --repair` took out of the store
//! ```

mod address;
mod artifacts;
mod diff;
mod element;
mod lineage;
mod metrics;
mod queries;
mod schema;
mod synthetic;
mod upkeep;

use std::path::{Path, PathBuf};

pub use crate::address::{
    OutputAddress, OutputLookup, RunRef, StepRef, StepRefError, Target, TargetError,
};
pub use crate::artifacts::{
    force_remove_dir, hash_file, hash_tree, process_alive, sha256_hex, ArtifactKind, ArtifactStore,
    Health, Stored, SEAL_MTIME,
};
pub use crate::diff::{
    changes, diff_counts, diff_runs, last_attempts, Change, ChangePart, DiffStatus, StepDiff,
};
pub use crate::element::Element;
pub use crate::lineage::{
    host_name, now_ms, ArtifactRecord, AttemptRecord, AttemptStatus, ConsumedRecord, KeyParts,
    Lineage, MetricRecord, NewArtifact, NewAttempt, NewRun, OutputRecord, Result, RunFilter,
    RunInputRecord, RunRecord, RunStatus, StoreError, Writer,
};
pub use crate::metrics::{diff_metrics, MetricChange, RunMetric};
pub use crate::queries::{
    input_label, ArtifactMatch, LineageArtifact, LineageAttempt, LineageEdge, LineageGraph,
    LineageNode, NodeKey,
};
pub use crate::schema::MIGRATIONS;
#[doc(hidden)]
pub use crate::synthetic::synthetic_chains;
pub use crate::upkeep::{Damaged, Garbage, GarbageKind, Verification};

/// The default store folder, in the current folder.
pub const DEFAULT_DIR: &str = ".mlforge";

/// Both stores under one root folder.
pub struct Store {
    root: PathBuf,
    pub artifacts: ArtifactStore,
    pub lineage: Lineage,
}

impl Store {
    /// Opens (creating if needed) the stores under `root`.
    pub fn open(root: &Path) -> Result<Store> {
        std::fs::create_dir_all(root)?;
        let artifacts = ArtifactStore::open(root)?;
        let lineage = Lineage::open(&root.join("lineage.db"))?;
        Ok(Store {
            root: root.to_path_buf(),
            artifacts,
            lineage,
        })
    }

    /// Opens the stores under `root` for reading only, if they exist: nothing under `root`
    /// is created or changed (for `runs`, `show`, `logs`, `lineage`, and a store on a
    /// read-only disk).
    pub fn open_read_only(root: &Path) -> Result<Option<Store>> {
        let db = root.join("lineage.db");
        if !db.exists() {
            return Ok(None);
        }
        Ok(Some(Store {
            root: root.to_path_buf(),
            artifacts: ArtifactStore::at(root),
            lineage: Lineage::open_read_only(&db)?,
        }))
    }

    /// An empty store that writes nothing to disk (its lineage lives in memory): what
    /// `plan` reads when no store exists yet.
    pub fn ephemeral(root: &Path) -> Result<Store> {
        Ok(Store {
            root: root.to_path_buf(),
            artifacts: ArtifactStore::at(root),
            lineage: Lineage::open_in_memory()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where attempt folders go.
    pub fn work_dir(&self) -> PathBuf {
        self.root.join("work")
    }

    /// Where attempt logs go.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
}
